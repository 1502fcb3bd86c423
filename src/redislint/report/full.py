"""`--output-format full`: the text format with the source lines each finding points at,
marked with carets (as ruff's full format), so a report reads without opening the files.

The source is read from the reported path relative to the working directory (the CLI
prints paths that way); a file that cannot be read is shown without its snippet.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from redislint.findings import Finding
from redislint.report import RunResult
from redislint.report import text as text_report

# Lines of a multi-line finding shown before the rest is elided.
MAX_SNIPPET_LINES = 4


@cache
def _lines(path: str) -> tuple[str, ...]:
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ()
    return tuple(data.decode("utf-8", "replace").splitlines())


def snippet(finding: Finding, source: tuple[str, ...]) -> list[str]:
    """The numbered source lines of the finding's range, carets under the first one."""
    if not source or not 1 <= finding.line <= len(source):
        return []
    last = min(finding.end_line, len(source), finding.line + MAX_SNIPPET_LINES - 1)
    width = len(str(last))
    out = [f"  {'':>{width}} |"]
    for number in range(finding.line, last + 1):
        line = source[number - 1].rstrip()
        out.append(f"  {number:>{width}} | {line}")
        if number == finding.line:
            start = max(finding.column - 1, 0)
            end = finding.end_column - 1 if finding.end_line == number else len(line)
            marks = "^" * max(end - start, 1)
            out.append(f"  {'':>{width}} | {' ' * start}{marks}")
    if finding.end_line > last:
        out.append(f"  {'':>{width}} | ...")
    return out


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    if statistics:
        return text_report.render(result, statistics=True)
    lines: list[str] = []
    for finding in result.findings:
        head, *rest = text_report.format_finding(finding, show_fix=show_source_fixes)
        lines.append(head)
        lines.extend(snippet(finding, _lines(finding.path)))
        lines.extend(rest)
        lines.append("")
    lines.extend(text_report.closing_lines(result))
    return "\n".join(lines) + "\n"
