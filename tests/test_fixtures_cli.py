"""`redislint check tests/fixtures`, as a user would run it, reports exactly the findings
annotated with `# expect:` (the per-fixture test checks each file through the harness;
this one checks that the command line, with its configuration lookup, agrees)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from redislint.cli import main
from redislint.testing.annotations import parse_annotations
from redislint.testing.harness import is_deploy_fixture

REPO = Path(__file__).parent.parent
FIXTURES = REPO / "tests" / "fixtures"


def test_check_on_the_fixtures_reports_exactly_the_annotations() -> None:
    old = Path.cwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(
            main, ["check", "tests/fixtures", "--format", "json", "--no-cache"]
        )
    finally:
        os.chdir(old)
    assert result.exit_code == 1, result.output
    found = {(d["path"], d["line"], d["code"]) for d in json.loads(result.output)["diagnostics"]}
    expected: set[tuple[str, int, str]] = set()
    tolerated: set[tuple[str, int, str]] = set()
    files = [p for p in FIXTURES.rglob("*") if p.is_file()]
    for path in sorted(p for p in files if p.suffix == ".py" or is_deploy_fixture(p)):
        if path.name.endswith(".fixed.py"):
            continue
        rel = path.relative_to(REPO).as_posix()
        annotations = parse_annotations(path.read_bytes().decode("utf-8", errors="replace"))
        assert not annotations.options or set(annotations.options) <= {"cache-ttl"}, (
            f"{rel}: a header that changes findings would make the command line disagree"
        )
        expected |= {(rel, e.line, e.code) for e in annotations.expected}
        tolerated |= {(rel, line, code) for line, code in annotations.tolerated}
    assert sorted(expected - found) == [], "annotated but not reported"
    assert sorted(found - expected - tolerated) == [], "reported but not annotated"
