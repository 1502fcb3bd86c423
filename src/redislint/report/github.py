"""GitHub Actions workflow commands: each finding becomes an inline annotation on the PR.

Format: `::error file=PATH,line=L,col=C,endLine=EL,endColumn=EC,title=TITLE::MESSAGE`.
Escaping follows GitHub's runner (`toolkit/packages/core/src/command.ts`): in the message
`%`, CR and LF are percent-encoded; in property values `:` and `,` are too, because they
delimit the command and its properties.
"""

from __future__ import annotations

from redislint.findings import Finding
from redislint.report import RunResult

# GitHub has no "info" level for annotations; "notice" is its advisory one.
COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a message (the part after `::`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (`file=...`, `title=...`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_finding(finding: Finding) -> str:
    """One workflow command line for `finding`."""
    properties = {
        "file": finding.path.replace("\\", "/"),
        "line": str(finding.line),
        "col": str(finding.column),
        "endLine": str(finding.end_line),
        "endColumn": str(finding.end_column),
        "title": f"{finding.code} ({finding.name})",
    }
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    message = finding.message if not finding.hint else f"{finding.message}\nhint: {finding.hint}"
    command = COMMANDS.get(finding.severity, "warning")
    return f"::{command} {props}::{escape_data(message)}"


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    """One command per finding; nothing at all for a clean run (no stray log lines)."""
    del statistics, show_source_fixes
    lines = [format_finding(f) + "\n" for f in result.findings]
    # a path that could not be checked is an error annotation too, not a silent green run
    lines += [f"::error title=redislint::{escape_data(m)}\n" for m in result.error_messages]
    return "".join(lines)
