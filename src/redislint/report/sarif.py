"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.

Rule metadata (names, descriptions, help) comes from the catalogue, the single source of
each rule's docs, so a viewer shows the same page as `redislint explain`. Only rules that
appear in the results are listed: the file stays small and `ruleIndex` stays meaningful.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

import redislint
from redislint.catalogue import RuleDoc, load_catalogue
from redislint.findings import Edit, Finding
from redislint.report import RunResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/redislint/redislint"
HELP_URI = "https://github.com/redislint/redislint/blob/main/docs/rules/{code}-{name}.md"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "redislint/v1"

# SARIF has no "info" level; "note" is its advisory level.
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _rule_descriptor(code: str, finding: Finding, doc: RuleDoc | None) -> dict[str, Any]:
    """reportingDescriptor for one code, from the catalogue when it has the rule."""
    if doc is None:
        # A code without a catalogue page (a plugin or a test double): describe it from the
        # finding rather than fail the whole report.
        return {
            "id": code,
            "name": finding.name,
            "shortDescription": {"text": finding.name},
            "helpUri": HELP_URI.format(code=code, name=finding.name),
            "defaultConfiguration": {"level": LEVELS.get(finding.severity, "warning")},
        }
    what = doc.section("What it does").strip()
    why = doc.section("Why is this bad?").strip()
    help_text = "\n\n".join(part for part in (doc.summary, what, why) if part)
    descriptor: dict[str, Any] = {
        "id": doc.code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {
            "text": _one_line(what) or doc.summary,
            "markdown": what or doc.summary,
        },
        "help": {"text": help_text, "markdown": doc.markdown()},
        "helpUri": HELP_URI.format(code=doc.code, name=doc.name),
        "defaultConfiguration": {"level": LEVELS.get(doc.severity, "warning")},
        "properties": {"tags": ["redis"], "fix": doc.fix, "status": doc.status},
    }
    return descriptor


def artifact_location(path: str) -> dict[str, Any]:
    """Relative paths become URIs under %SRCROOT% (POSIX separators, percent-encoded).

    Absolute paths (possible when the user passes one) are given as `file:` URIs without a
    base, which SARIF consumers accept as they are.
    """
    if PureWindowsPath(path).is_absolute() or PurePosixPath(path).is_absolute():
        posix = path.replace("\\", "/")
        if not posix.startswith("/"):
            posix = "/" + posix  # C:/x -> /C:/x, as file URIs spell drive letters
        return {"uri": "file://" + quote(_bytes(posix), safe="/:")}
    posix = path.replace("\\", "/")
    posix = posix.removeprefix("./")
    return {"uri": quote(_bytes(posix), safe="/"), "uriBaseId": SRCROOT}


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _replacement(edit: Edit) -> dict[str, Any]:
    return {
        "deletedRegion": _region(edit.line, edit.column, edit.end_line, edit.end_column),
        "insertedContent": {"text": edit.content},
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    text = finding.message if not finding.hint else f"{finding.message}\nHint: {finding.hint}"
    location = artifact_location(finding.path)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": _region(
                        finding.line, finding.column, finding.end_line, finding.end_column
                    ),
                }
            }
        ],
    }
    if finding.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.fix is not None and finding.fix.edits:
        result["fixes"] = [
            {
                "description": {"text": f"{finding.fix.description} ({finding.fix.safety} fix)"},
                "artifactChanges": [
                    {
                        "artifactLocation": dict(location),
                        "replacements": [_replacement(e) for e in finding.fix.edits],
                    }
                ],
            }
        ]
    return result


def _invocation(result: RunResult) -> dict[str, Any]:
    """Whether the run checked everything: files that could not be checked are
    notifications at level error, and the invocation did not succeed (SARIF 3.20.14)."""
    invocation: dict[str, Any] = {"executionSuccessful": not result.errors}
    if result.error_messages:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": message}} for message in result.error_messages
        ]
    return invocation


def document(result: RunResult) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    catalogue = load_catalogue()
    first_by_code: dict[str, Finding] = {}
    for finding in result.findings:
        first_by_code.setdefault(finding.code, finding)
    codes = sorted(first_by_code)
    index = {code: i for i, code in enumerate(codes)}
    rules = [_rule_descriptor(c, first_by_code[c], catalogue.get(c)) for c in codes]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "redislint",
                "version": redislint.__version__,
                "semanticVersion": redislint.__version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        # Our columns count characters (libcst positions over str), not SARIF's default
        # UTF-16 code units: say so, or viewers misplace markers on lines with non-BMP text.
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.code]) for f in result.findings],
        "invocations": [_invocation(result)],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    """SARIF JSON, one trailing newline. `statistics` and `show_source_fixes` do not apply."""
    del statistics, show_source_fixes
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"


def _bytes(path: str) -> bytes:
    """The path's original bytes: a name that is not UTF-8 is percent-encoded byte for
    byte (RFC 3986), not refused."""
    return path.encode("utf-8", "surrogateescape")
