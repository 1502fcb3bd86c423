"""The stable, versioned JSON output of architecture.md ("JSON output").

Tools parse this, so its shape is a contract: every diagnostic carries every key (absent
values are `null`, never missing), keys keep the documented order, and any change to the
shape must bump `version`.
"""

from __future__ import annotations

import json
from typing import Any

import redislint
from redislint.findings import Edit, Finding, Fix
from redislint.report import RunResult
from redislint.report import statistics as code_statistics

SCHEMA_VERSION = 1


def _edit(edit: Edit) -> dict[str, Any]:
    return {
        "line": edit.line,
        "column": edit.column,
        "end_line": edit.end_line,
        "end_column": edit.end_column,
        "content": edit.content,
    }


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "safety": fix.safety,
        "description": fix.description,
        "edits": [_edit(e) for e in fix.edits],
    }


def diagnostic(finding: Finding) -> dict[str, Any]:
    """One entry of "diagnostics", keys in the documented order."""
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "message": finding.message,
        "hint": finding.hint,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "fix": _fix(finding.fix),
    }


def document(result: RunResult, *, statistics: bool = False) -> dict[str, Any]:
    """The report as a JSON-ready dict (the CLI's tests and integrations can reuse it)."""
    doc: dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "tool": "redislint",
        "tool_version": redislint.__version__,
        "files_checked": result.files_checked,
        "diagnostics": [diagnostic(f) for f in result.findings],
        # What could not be checked (exit 2): a consumer must not read the run as clean.
        "errors": [{"message": message} for message in result.error_messages],
    }
    if statistics:
        doc["statistics"] = [
            {"code": r.code, "name": r.name, "count": r.count, "fixable": r.fixable}
            for r in code_statistics(result.findings)
        ]
    return doc


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    """Pretty-printed JSON (UTF-8 kept as is), one trailing newline."""
    del show_source_fixes  # the JSON always carries the fix: consumers decide what to show
    return json.dumps(document(result, statistics=statistics), indent=2, ensure_ascii=False) + "\n"
