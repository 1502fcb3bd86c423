"""JUnit XML, for CI systems that only understand test reports (GitLab, Jenkins, Azure).

Model: one test suite "redislint"; each checked file is a test case (classname = its path),
failing with one `<failure>` per finding. A file without findings is a passing test case when
its name is known (`RunResult.checked_paths`); `tests` is always `files_checked`, so the
counts stay right even when the names of clean files were not passed in.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from redislint.findings import Finding
from redislint.report import RunResult

# Characters XML 1.0 cannot carry at all, even escaped: drop them rather than emit a report
# that no CI can parse (a message may quote source text with stray control characters).
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("", text)


def _failure(parent: ET.Element, finding: Finding) -> None:
    locator = f"{finding.line}:{finding.column}: {finding.code} [{finding.name}] {finding.message}"
    failure = ET.SubElement(
        parent,
        "failure",
        {"message": _clean(locator), "type": f"{finding.code} ({finding.severity})"},
    )
    body = [f"{finding.path}:{locator}"]
    if finding.hint:
        body.append(f"hint: {finding.hint}")
    if finding.fix is not None:
        body.append(f"fix ({finding.fix.safety}): {finding.fix.description}")
    failure.text = _clean("\n".join(body))


def document(result: RunResult) -> ET.Element:
    """The `<testsuites>` element."""
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    paths = sorted(set(result.checked_paths) | set(by_path))
    failing = len(by_path)
    tests = max(result.files_checked, len(paths))
    counts = {
        "tests": str(tests),
        "failures": str(failing),
        "errors": "0",
        "skipped": "0",
    }
    root = ET.Element("testsuites", {"name": "redislint", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "redislint", **counts})
    for path in paths:
        case = ET.SubElement(suite, "testcase", {"classname": _clean(path), "name": _clean(path)})
        for finding in by_path.get(path, ()):
            _failure(case, finding)
    return root


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    """The XML document with its declaration, indented, one trailing newline."""
    del statistics, show_source_fixes
    root = document(result)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
