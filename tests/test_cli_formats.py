"""ruff's extra output formats, through the CLI: concise, full, grouped, json-lines,
gitlab (checked against GitLab's documented Code Quality shape) and pylint."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import Result
from support import invoke_cli

from redislint.report import ALL_FORMATS, RunResult, render

APP = 'import redis\n\nr = redis.Redis()\nr.flushall()\nr.flushall()\nr.set("cache:a", 1)\n'

# GitLab's "Code Quality report format" (docs.gitlab.com/ci/testing/code_quality): the
# required keys of each issue and the allowed severities, as a JSON schema.
GITLAB_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def run(args: list[str], cwd: Path) -> Result:
    return invoke_cli(args, cwd)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def check(project: Path, fmt: str) -> Result:
    result = run(["check", "--isolated", "--no-cache", "--output-format", fmt, "app.py"], project)
    assert result.exit_code == 1, result.output
    return result


def test_gitlab_code_quality_has_the_documented_shape(project: Path) -> None:
    issues = json.loads(check(project, "gitlab").stdout)
    jsonschema.validate(issues, GITLAB_SCHEMA)
    assert [(i["check_name"], i["location"]["lines"]["begin"]) for i in issues] == [
        ("RL301", 4),
        ("RL301", 5),
        ("RL201", 6),
    ]
    assert issues[0]["location"]["path"] == "app.py"
    assert issues[0]["severity"] == "major" and issues[2]["severity"] == "minor"
    # identical statements on two lines are still two issues for GitLab
    assert len({i["fingerprint"] for i in issues}) == 3
    assert issues[0]["description"].startswith("RL301 [flush-command] FLUSHALL")
    # stable across runs, so GitLab can tell new issues from old ones
    again = json.loads(check(project, "gitlab").stdout)
    assert [i["fingerprint"] for i in again] == [i["fingerprint"] for i in issues]


def test_concise_is_one_line_per_finding(project: Path) -> None:
    lines = check(project, "concise").stdout.splitlines()
    assert lines[0].startswith("app.py:4:1: RL301 [flush-command] FLUSHALL")
    assert lines[2].startswith("app.py:6:1: RL201 [cache-key-without-ttl]")
    assert not any(line.startswith("  ") for line in lines)
    assert lines[-1] == "Found 3 findings."


def test_full_shows_the_source_with_carets(project: Path) -> None:
    out = check(project, "full").stdout
    assert "  4 | r.flushall()\n    | ^^^^^^^^^^^^\n" in out
    assert '  6 | r.set("cache:a", 1)\n' in out
    assert "  hint: " in out


def test_grouped_puts_findings_under_their_file(project: Path) -> None:
    lines = check(project, "grouped").stdout.splitlines()
    assert lines[0] == "app.py:"
    assert lines[1].startswith("  4:1 RL301 [flush-command] FLUSHALL")


def test_json_lines_is_one_diagnostic_per_line(project: Path) -> None:
    rows = [json.loads(line) for line in check(project, "json-lines").stdout.splitlines()]
    assert [(r["code"], r["line"]) for r in rows] == [("RL301", 4), ("RL301", 5), ("RL201", 6)]
    full = json.loads(check(project, "json").stdout)["diagnostics"]
    assert rows == full


def test_pylint_format(project: Path) -> None:
    first = check(project, "pylint").stdout.splitlines()[0]
    assert first.startswith("app.py:4: [RL301(flush-command), ] FLUSHALL deletes")


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_every_format_renders_a_clean_run(fmt: str) -> None:
    out = render(fmt, RunResult(files_checked=1))
    assert "RL" not in out
