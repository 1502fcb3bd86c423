"""The plugin's output: the terminal summary section and the JSON report.

The JSON report is versioned like `redislint check --format json` and adds what the
tests observed, so that `redislint keys --observed FILE.json` can show the concrete
keys written at each call site next to the static inventory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from redislint import __version__
from redislint.catalogue import load_catalogue
from redislint.pytest_plugin.checks import Observed, RuntimeFinding

REPORT_VERSION = 1


def finding_dict(finding: RuntimeFinding) -> dict[str, Any]:
    doc = load_catalogue().get(finding.code)
    return {
        "code": finding.code,
        "name": doc.name if doc else finding.code,
        "severity": doc.severity if doc else "warning",
        "message": finding.message,
        "path": finding.path,
        "line": finding.line,
        "test": finding.test,
        "key": finding.key,
    }


def ordered(findings: Iterable[RuntimeFinding]) -> list[RuntimeFinding]:
    """In file and line order, as `redislint check` prints (not in test order)."""
    return sorted(findings, key=lambda f: (f.path, f.line, f.code, f.key or ""))


def report_document(
    findings: Iterable[RuntimeFinding],
    observed: Iterable[Observed],
    unchecked: Iterable[str],
    root: Path,
) -> dict[str, Any]:
    """The JSON report: paths are relative to `root` (the directory pytest ran in),
    which is recorded so that `redislint keys --observed` can run from anywhere."""
    return {
        "version": REPORT_VERSION,
        "tool": "redislint",
        "tool_version": __version__,
        "mode": "pytest",
        "root": str(root),
        "diagnostics": [finding_dict(f) for f in ordered(findings)],
        "observed": [
            {
                "path": o.path,
                "line": o.line,
                "command": o.command,
                "key": o.key,
                "written": o.written,
            }
            for o in sorted(observed, key=lambda o: (o.path, o.line, o.key, o.command))
        ],
        "unchecked_clients": sorted(unchecked),
    }


def write_report(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def summary_lines(
    findings: list[RuntimeFinding], unchecked: Iterable[str], commands: int
) -> list[str]:
    lines = [
        f"{d['path']}:{d['line']}: {d['code']} [{d['name']}] {d['message']} (test: {d['test']})"
        for d in map(finding_dict, ordered(findings))
    ]
    for name in sorted(unchecked):
        lines.append(
            f"note: {name} clients: commands recorded, but TTL/TYPE cannot be asked "
            "(no connection settings to reach their server)"
        )
    noun = "finding" if len(findings) == 1 else "findings"
    lines.append(f"{len(findings)} {noun} in {commands} recorded commands")
    return lines
