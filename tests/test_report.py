"""The reporters, on small hand-built results: exact text, the JSON contract, valid SARIF,
GitHub escaping and JUnit counts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import redislint
from redislint.findings import Edit, Finding, Fix
from redislint.report import FORMATS, RunResult, render, statistics
from redislint.report.github import escape_data, escape_property

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

FLUSH_FIX = Fix(
    safety="unsafe",
    description="Delete the cache namespace with SCAN + UNLINK",
    edits=(Edit(7, 5, 7, 17, 'r.delete(*r.scan_iter(match="cache:*"))'),),
)
SAFE_FIX = Fix(
    safety="safe",
    description="Use flushdb(asynchronous=True)",
    edits=(Edit(3, 1, 3, 10, "r.flushdb(asynchronous=True)"), Edit(1, 1, 1, 1, "import x\n")),
)


def flush(path: str, line: int, *, fix: Fix | None = None, fingerprint: str = "") -> Finding:
    return Finding(
        code="RL301",
        name="flush-command",
        severity="error",
        message="FLUSHDB deletes every key of the database",
        path=path,
        line=line,
        column=5,
        end_line=line,
        end_column=17,
        hint="delete a namespace with SCAN + UNLINK instead",
        fix=fix,
        fingerprint=fingerprint,
    )


def parse_error(path: str) -> Finding:
    return Finding(
        code="RL001",
        name="parse-error",
        severity="error",
        message="invalid syntax",
        path=path,
        line=2,
        column=1,
        end_line=2,
        end_column=2,
    )


FINDINGS = (
    flush("app/tasks.py", 7, fix=FLUSH_FIX, fingerprint="ab12"),
    parse_error("app/broken.py"),
    flush("app/cache.py", 3, fix=SAFE_FIX),
    flush("app/cache.py", 9),
)
WITH_FIXES = RunResult(findings=FINDINGS, files_checked=5)
NO_FIXES = RunResult(
    findings=(flush("app/cache.py", 9), parse_error("app/broken.py")), files_checked=2
)
CLEAN = RunResult(findings=(), files_checked=3)


# ---------------------------------------------------------------- RunResult


def test_run_result_sorts_findings_and_counts_fixes() -> None:
    result = RunResult(findings=list(FINDINGS), files_checked=5)  # type: ignore[arg-type]
    assert isinstance(result.findings, tuple)
    assert [f.sort_key for f in result.findings] == sorted(f.sort_key for f in FINDINGS)
    assert [(f.path, f.line) for f in result.findings] == [
        ("app/broken.py", 2),
        ("app/cache.py", 3),
        ("app/cache.py", 9),
        ("app/tasks.py", 7),
    ]
    assert result.fixable == 1
    assert result.unsafe_fixable == 1
    assert NO_FIXES.fixable == 0


def test_statistics_rows() -> None:
    rows = statistics(FINDINGS)
    assert [(r.code, r.name, r.count, r.fixable) for r in rows] == [
        ("RL301", "flush-command", 3, True),
        ("RL001", "parse-error", 1, False),
    ]


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        render("xml", CLEAN)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_a_clean_run(fmt: str) -> None:
    out = render(fmt, CLEAN)
    assert isinstance(out, str)
    assert out == "" or out.endswith("\n")


# ---------------------------------------------------------------- text


def test_text_layout_and_summary_with_fixes() -> None:
    assert render("text", WITH_FIXES) == (
        "app/broken.py:2:1: RL001 [parse-error] invalid syntax\n"
        "app/cache.py:3:5: RL301 [flush-command] FLUSHDB deletes every key of the database\n"
        "  hint: delete a namespace with SCAN + UNLINK instead\n"
        "  fix (safe): Use flushdb(asynchronous=True)\n"
        "app/cache.py:9:5: RL301 [flush-command] FLUSHDB deletes every key of the database\n"
        "  hint: delete a namespace with SCAN + UNLINK instead\n"
        "app/tasks.py:7:5: RL301 [flush-command] FLUSHDB deletes every key of the database\n"
        "  hint: delete a namespace with SCAN + UNLINK instead\n"
        "  fix (unsafe): Delete the cache namespace with SCAN + UNLINK\n"
        "\n"
        "Found 4 findings.\n"
        "1 fix available with `redislint check --fix`.\n"
        "1 more fix available with `redislint check --fix --unsafe-fixes`.\n"
    )


def test_text_can_hide_fix_lines() -> None:
    out = render("text", WITH_FIXES, show_source_fixes=False)
    assert "  fix (" not in out
    assert "  hint: " in out


def test_text_summary_wording() -> None:
    assert render("text", NO_FIXES).endswith("\n\nFound 2 findings.\n")
    one = RunResult(findings=(parse_error("a.py"),), files_checked=1)
    assert render("text", one).endswith("\n\nFound 1 finding.\n")
    safe_only = RunResult(findings=(flush("a.py", 1, fix=SAFE_FIX),), files_checked=1)
    assert render("text", safe_only).endswith(
        "Found 1 finding.\n1 fix available with `redislint check --fix`.\n"
    )
    unsafe_only = RunResult(findings=(flush("a.py", 1, fix=FLUSH_FIX),), files_checked=1)
    assert render("text", unsafe_only).endswith(
        "Found 1 finding.\n1 fix available with `redislint check --fix --unsafe-fixes`.\n"
    )
    assert render("text", CLEAN) == "All checks passed!\n"
    assert render("text", RunResult(files_checked=3, fixed=2)) == (
        "Fixed 2 findings.\nAll checks passed!\n"
    )
    assert render("text", RunResult(findings=NO_FIXES.findings, files_checked=2, fixed=1)).endswith(
        "\n\nFixed 1 finding.\nFound 2 findings.\n"
    )


def test_text_statistics_table() -> None:
    assert render("text", WITH_FIXES, statistics=True) == (
        "  3  RL301  flush-command  [*]\n"
        "  1  RL001  parse-error\n"
        "\n"
        "Found 4 findings.\n"
        "1 fix available with `redislint check --fix`.\n"
        "1 more fix available with `redislint check --fix --unsafe-fixes`.\n"
    )
    assert render("text", CLEAN, statistics=True) == "All checks passed!\n"


# ---------------------------------------------------------------- json

DIAGNOSTIC_KEYS = [
    "code",
    "name",
    "severity",
    "message",
    "hint",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "fix",
]


def test_json_document_matches_the_spec() -> None:
    doc = json.loads(render("json", WITH_FIXES))
    assert list(doc) == [
        "version",
        "tool",
        "tool_version",
        "files_checked",
        "diagnostics",
        "errors",
    ]
    assert doc["version"] == 1
    assert doc["tool"] == "redislint"
    assert doc["tool_version"] == redislint.__version__
    assert doc["files_checked"] == 5
    assert len(doc["diagnostics"]) == 4
    types = {
        "code": str,
        "name": str,
        "severity": str,
        "message": str,
        "path": str,
        "line": int,
        "column": int,
        "end_line": int,
        "end_column": int,
    }
    for diag in doc["diagnostics"]:
        assert list(diag) == DIAGNOSTIC_KEYS
        for key, kind in types.items():
            assert type(diag[key]) is kind, key
        assert diag["hint"] is None or isinstance(diag["hint"], str)
        assert diag["severity"] in ("error", "warning", "info")

    broken, fixed, plain, unsafe = doc["diagnostics"]
    assert broken["hint"] is None
    assert broken["fix"] is None
    assert plain["fix"] is None
    assert fixed == {
        "code": "RL301",
        "name": "flush-command",
        "severity": "error",
        "message": "FLUSHDB deletes every key of the database",
        "hint": "delete a namespace with SCAN + UNLINK instead",
        "path": "app/cache.py",
        "line": 3,
        "column": 5,
        "end_line": 3,
        "end_column": 17,
        "fix": {
            "safety": "safe",
            "description": "Use flushdb(asynchronous=True)",
            "edits": [
                {
                    "line": 3,
                    "column": 1,
                    "end_line": 3,
                    "end_column": 10,
                    "content": "r.flushdb(asynchronous=True)",
                },
                {"line": 1, "column": 1, "end_line": 1, "end_column": 1, "content": "import x\n"},
            ],
        },
    }
    assert list(unsafe["fix"]) == ["safety", "description", "edits"]
    assert unsafe["fix"]["safety"] == "unsafe"


def test_json_clean_run_and_statistics() -> None:
    doc = json.loads(render("json", CLEAN))
    assert doc["diagnostics"] == []
    assert "statistics" not in doc
    doc = json.loads(render("json", WITH_FIXES, statistics=True))
    assert doc["statistics"] == [
        {"code": "RL301", "name": "flush-command", "count": 3, "fixable": True},
        {"code": "RL001", "name": "parse-error", "count": 1, "fixable": False},
    ]


def test_json_keeps_unicode_readable() -> None:
    finding = flush("app/caché.py", 1)
    out = render("json", RunResult(findings=(finding,), files_checked=1))
    assert "app/caché.py" in out
    assert json.loads(out)["diagnostics"][0]["path"] == "app/caché.py"


# ---------------------------------------------------------------- sarif


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def sarif(result: RunResult, validator: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render("sarif", result))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return doc


@pytest.mark.parametrize("result", [WITH_FIXES, NO_FIXES, CLEAN], ids=["fixes", "plain", "clean"])
def test_sarif_validates_against_the_schema(result: RunResult, sarif_validator: Any) -> None:
    doc = sarif(result, sarif_validator)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    assert len(run["results"]) == len(result.findings)


def test_sarif_rules_results_and_fixes(sarif_validator: Any) -> None:
    (run,) = sarif(WITH_FIXES, sarif_validator)["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "redislint"
    assert driver["version"] == redislint.__version__
    assert driver["informationUri"].startswith("https://")
    assert run["columnKind"] == "unicodeCodePoints"

    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["RL001", "RL301"]
    flush_rule = rules[1]
    assert flush_rule["name"] == "flush-command"
    assert (
        flush_rule["shortDescription"]["text"] == "FLUSHALL / FLUSHDB in code that is not a test."
    )
    assert "FLUSHALL" in flush_rule["fullDescription"]["text"]
    assert flush_rule["help"]["markdown"].startswith("# flush-command (RL301)")
    assert flush_rule["help"]["text"]
    assert flush_rule["helpUri"] == (
        "https://github.com/redislint/redislint/blob/main/docs/rules/RL301-flush-command.md"
    )
    assert flush_rule["defaultConfiguration"] == {"level": "error"}

    results = run["results"]
    assert [(r["ruleId"], r["ruleIndex"]) for r in results] == [
        ("RL001", 0),
        ("RL301", 1),
        ("RL301", 1),
        ("RL301", 1),
    ]
    broken, fixed, plain, unsafe = results
    assert broken["message"]["text"] == "invalid syntax"
    assert fixed["level"] == "error"
    assert fixed["message"]["text"] == (
        "FLUSHDB deletes every key of the database\n"
        "Hint: delete a namespace with SCAN + UNLINK instead"
    )
    location = fixed["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/cache.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 17}

    assert "fixes" not in plain and "fixes" not in broken
    assert "partialFingerprints" not in fixed
    assert unsafe["partialFingerprints"] == {"redislint/v1": "ab12"}
    (fix,) = fixed["fixes"]
    assert "Use flushdb(asynchronous=True)" in fix["description"]["text"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "app/cache.py"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 10},
            "insertedContent": {"text": "r.flushdb(asynchronous=True)"},
        },
        {
            "deletedRegion": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
            "insertedContent": {"text": "import x\n"},
        },
    ]


def test_sarif_levels_and_uris(sarif_validator: Any) -> None:
    findings = tuple(
        Finding(
            code=code,
            name=name,
            severity=severity,  # type: ignore[arg-type]
            message="m",
            path=path,
            line=1,
            column=1,
            end_line=1,
            end_column=2,
        )
        for code, name, severity, path in [
            ("RL301", "flush-command", "warning", "src\\win dows.py"),
            ("RL001", "parse-error", "info", "./a b/c#d.py"),
            ("XX001", "not-in-catalogue", "info", "/abs/path.py"),
        ]
    )
    (run,) = sarif(RunResult(findings=findings, files_checked=3), sarif_validator)["runs"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"RL301": "warning", "RL001": "note", "XX001": "note"}
    uris = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]
        for r in run["results"]
    }
    assert uris["RL301"] == {"uri": "src/win%20dows.py", "uriBaseId": "%SRCROOT%"}
    assert uris["RL001"] == {"uri": "a%20b/c%23d.py", "uriBaseId": "%SRCROOT%"}
    assert uris["XX001"] == {"uri": "file:///abs/path.py"}
    # A code the catalogue does not know still gets a descriptor instead of a crash.
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "XX001")
    assert rule["name"] == "not-in-catalogue"
    assert rule["defaultConfiguration"] == {"level": "note"}


# ---------------------------------------------------------------- github


def test_github_escaping_functions() -> None:
    assert escape_data("100% sure\r\nnext: a,b") == "100%25 sure%0D%0Anext: a,b"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


def test_github_commands() -> None:
    lines = render("github", NO_FIXES).splitlines()
    assert lines == [
        "::error file=app/broken.py,line=2,col=1,endLine=2,endColumn=2,"
        "title=RL001 (parse-error)::invalid syntax",
        "::error file=app/cache.py,line=9,col=5,endLine=9,endColumn=17,"
        "title=RL301 (flush-command)::FLUSHDB deletes every key of the database"
        "%0Ahint: delete a namespace with SCAN + UNLINK instead",
    ]
    assert render("github", CLEAN) == ""


def test_github_levels_and_escaped_properties() -> None:
    def finding(severity: str) -> Finding:
        return Finding(
            code="RL301",
            name="flush-command",
            severity=severity,  # type: ignore[arg-type]
            message="50% of keys: gone,\nreally",
            path="weird:dir/a,b.py",
            line=4,
            column=2,
            end_line=5,
            end_column=1,
        )

    out = render("github", RunResult(findings=(finding("warning"), finding("info"))))
    warning, notice = out.splitlines()
    assert warning.startswith("::warning file=weird%3Adir/a%2Cb.py,line=4,col=2,endLine=5,")
    assert notice.startswith("::notice ")
    assert warning.endswith("::50%25 of keys: gone,%0Areally")


# ---------------------------------------------------------------- junit


def junit(result: RunResult) -> ET.Element:
    out = render("junit", result)
    assert out.startswith("<?xml")
    return ET.fromstring(out)


def test_junit_counts_and_failures() -> None:
    result = RunResult(
        findings=FINDINGS,
        files_checked=5,
        checked_paths=("app/broken.py", "app/cache.py", "app/ok.py", "app/tasks.py", "lib.py"),
    )
    root = junit(result)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "redislint"
    assert suite.get("tests") == "6"  # 2 clean files + 4 findings
    assert suite.get("failures") == "4"  # one failing test case per finding
    assert suite.get("errors") == "0"
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == [
        "app/broken.py",
        "app/cache.py",
        "app/cache.py",
        "app/ok.py",
        "app/tasks.py",
        "lib.py",
    ]
    assert cases[1].get("name") == "RL301 [flush-command] at 3:5"
    assert cases[2].get("name") == "RL301 [flush-command] at 9:5"
    assert [len(c.findall("failure")) for c in cases] == [1, 1, 1, 0, 1, 0]
    first = cases[1].findall("failure")[0]
    assert first.get("type") == "RL301 (error)"
    assert (
        first.get("message")
        == "3:5: RL301 [flush-command] FLUSHDB deletes every key of the database"
    )
    assert first.text is not None
    assert "hint: delete a namespace" in first.text
    assert "fix (safe): Use flushdb(asynchronous=True)" in first.text


def test_junit_without_checked_paths_keeps_the_count() -> None:
    suite = junit(NO_FIXES).find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "2"
    assert suite.get("failures") == "2"
    suite = junit(RunResult(findings=(parse_error("a.py"),), files_checked=10)).find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "10"
    assert len(suite.findall("testcase")) == 1


def test_junit_clean_run_and_hostile_text() -> None:
    suite = junit(CLEAN).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "0")
    hostile = Finding(
        code="RL301",
        name="flush-command",
        severity="error",
        message='<&> "quoted" \x00\x1b control',
        path="a&b.py",
        line=1,
        column=1,
        end_line=1,
        end_column=2,
    )
    (case,) = junit(RunResult(findings=(hostile,), files_checked=1)).iter("testcase")
    failure = case.find("failure")
    assert case.get("classname") == "a&b.py"
    assert failure is not None
    assert failure.get("message") == '1:1: RL301 [flush-command] <&> "quoted"  control'
