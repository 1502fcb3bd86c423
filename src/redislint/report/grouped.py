"""`--output-format grouped`: findings under one heading per file (as ruff's grouped
format), each as `line:col CODE [name] message` with its hint and fix lines."""

from __future__ import annotations

from redislint.findings import Finding
from redislint.report import RunResult
from redislint.report import text as text_report


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    if statistics:
        return text_report.render(result, statistics=True)
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    lines: list[str] = []
    for path, findings in by_path.items():
        lines.append(f"{path}:")
        width = max(len(f"{f.line}:{f.column}") for f in findings)
        for finding in findings:
            head, *rest = text_report.format_finding(finding, show_fix=show_source_fixes)
            where = f"{finding.line}:{finding.column}"
            lines.append(f"  {where:<{width}} {head.split(': ', 1)[1]}")
            lines.extend(f"  {line}" for line in rest)
        lines.append("")
    lines.extend(text_report.closing_lines(result))
    return "\n".join(lines) + "\n"
