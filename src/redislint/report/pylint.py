"""`--output-format pylint`: `path:line: [CODE(name), ] message`, pylint's parseable
format, for tools that read pylint output (ruff's pylint format has the same shape)."""

from __future__ import annotations

from redislint.report import RunResult


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    del statistics, show_source_fixes
    return "".join(
        f"{f.path}:{f.line}: [{f.code}({f.name}), ] {f.message}\n" for f in result.findings
    )
