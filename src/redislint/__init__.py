"""redislint: find risky Redis usage in Python code before it reaches production.

The small public API: `check_source` for one text, `check_paths` for files and
directories; both return `Finding`s sorted by location.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from redislint.findings import Edit, Finding, Fix

if TYPE_CHECKING:
    from redislint.config import Config

__version__ = "0.1.0"

__all__ = ["Edit", "Finding", "Fix", "__version__", "check_paths", "check_source"]


def check_source(
    source: str | bytes, path: str = "<stdin>.py", config: Config | None = None
) -> list[Finding]:
    """Lint one source text as if it were the file `path` (default config: none found)."""
    from redislint.config import Config
    from redislint.engine import check_file
    from redislint.semantics.project import ProjectIndex

    config = config or Config()
    data = source.encode("utf-8") if isinstance(source, str) else source
    file_path = Path(path) if Path(path).is_absolute() else config.root / path
    return check_file(file_path, path, config, ProjectIndex(config), data=data).findings


def check_paths(paths: Sequence[str], config: Config | None = None) -> list[Finding]:
    """Lint files and directories with `config` (default: the nearest config file)."""
    from redislint.config import resolve_config
    from redislint.runner import check_paths as run

    if config is None:
        config = resolve_config(Path(paths[0] if paths else ".").absolute(), None, False)
    return run(paths, config).findings
