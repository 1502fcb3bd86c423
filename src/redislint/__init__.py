"""redislint: find risky Redis usage in Python code before it reaches production."""

from __future__ import annotations

__version__ = "0.1.0"

from redislint.findings import Edit, Finding, Fix  # noqa: E402

__all__ = ["Edit", "Finding", "Fix", "__version__", "check_paths", "check_source"]


def check_source(source: str | bytes, path: str = "<stdin>", config=None):  # type: ignore[no-untyped-def]
    """Lint one source text; see `redislint.engine.check_source`."""
    from redislint.engine import check_source as _check_source

    return _check_source(source, path, config)


def check_paths(paths, config=None):  # type: ignore[no-untyped-def]
    """Lint files and directories; see `redislint.runner.check_paths`."""
    from redislint.runner import check_paths as _check_paths

    return _check_paths(paths, config)
