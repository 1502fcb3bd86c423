"""JUnit XML, for CI systems that only understand test reports (GitLab, Jenkins, Azure).

Model: one test suite "redislint"; each finding is a failing test case (classname = its
path, name = code, rule name and position) with one `<failure>`; each file without findings
is a passing test case when its name is known (`RunResult.checked_paths`); each path that
could not be checked is a test case with an `<error>`. `tests` counts the clean files from
`files_checked`, so the counts stay right even when their names were not passed in.
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


def _case_name(finding: Finding) -> str:
    return f"{finding.code} [{finding.name}] at {finding.line}:{finding.column}"


def document(result: RunResult) -> ET.Element:
    """The `<testsuites>` element."""
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    paths = sorted(set(result.checked_paths) | set(by_path))
    clean_files = max(result.files_checked, len(paths)) - len(by_path)
    errors = result.error_messages or tuple("an error (see stderr)" for _ in range(result.errors))
    counts = {
        "tests": str(clean_files + len(result.findings) + len(errors)),
        "failures": str(len(result.findings)),
        "errors": str(len(errors)),
        "skipped": "0",
    }
    root = ET.Element("testsuites", {"name": "redislint", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "redislint", **counts})
    for path in paths:
        findings = by_path.get(path)
        if not findings:
            ET.SubElement(suite, "testcase", {"classname": _clean(path), "name": _clean(path)})
            continue
        # One test case per finding: CI systems (GitLab) show one failure per case, so
        # several findings in one case would hide all but the first.
        seen: dict[str, int] = {}
        for finding in findings:
            name = _case_name(finding)
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:  # names must stay unique, or the cases are merged again
                name = f"{name} ({seen[name]})"
            case = ET.SubElement(
                suite, "testcase", {"classname": _clean(path), "name": _clean(name)}
            )
            _failure(case, finding)
    for message in errors:
        case = ET.SubElement(suite, "testcase", {"classname": "redislint", "name": _clean(message)})
        error = ET.SubElement(case, "error", {"message": _clean(message), "type": "error"})
        error.text = _clean(message)
    return root


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    """The XML document with its declaration, indented, one trailing newline."""
    del statistics, show_source_fixes
    root = document(result)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
