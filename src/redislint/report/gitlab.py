"""`--output-format gitlab`: GitLab Code Quality JSON (a CodeClimate subset).

GitLab's documented shape: an array of objects with `description`, `check_name`,
`fingerprint` (unique per issue: GitLab compares them between the base and the merge
request), `severity` (info, minor, major, critical or blocker) and `location.path` with
`location.lines.begin`. Paths are relative to the repository when redislint runs at its
top, as CI jobs do.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from redislint.findings import Finding
from redislint.report import RunResult

SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}


def _fingerprint(finding: Finding, occurrence: int) -> str:
    """Stable across unrelated edits when the finding has a statement fingerprint (the
    baseline's); the occurrence number keeps identical statements in one file apart."""
    anchor = finding.fingerprint or f"{finding.line}:{finding.message}"
    text = f"{finding.code}\0{finding.path}\0{anchor}\0{occurrence}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def issues(result: RunResult) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, str], int] = {}
    out: list[dict[str, Any]] = []
    for finding in result.findings:
        key = (finding.code, finding.path, finding.fingerprint or finding.message)
        seen[key] = seen.get(key, 0) + 1
        out.append(
            {
                "description": f"{finding.code} [{finding.name}] {finding.message}",
                "check_name": finding.code,
                "fingerprint": _fingerprint(finding, seen[key]),
                "severity": SEVERITIES.get(finding.severity, "minor"),
                "location": {
                    "path": finding.path.replace("\\", "/").removeprefix("./"),
                    "lines": {"begin": finding.line, "end": finding.end_line},
                },
            }
        )
    return out


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    del statistics, show_source_fixes
    return json.dumps(issues(result), indent=2, ensure_ascii=False) + "\n"
