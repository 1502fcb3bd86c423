"""`--output-format concise`: one `path:line:col: CODE [name] message` line per finding and
the summary, no hint or fix lines (as ruff's concise format: grep- and editor-friendly)."""

from __future__ import annotations

from redislint.report import RunResult
from redislint.report import text as text_report


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    del show_source_fixes
    if statistics:
        return text_report.render(result, statistics=True)
    lines = [text_report.format_finding(f, show_fix=False)[0] for f in result.findings]
    if lines:
        lines.append("")
    lines.extend(text_report.closing_lines(result))
    return "\n".join(lines) + "\n"
