"""A misconfiguration never looks like a clean run (issue 14, "Trust"), through the CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import Result
from support import invoke_cli

BAD = "import redis\n\nr = redis.Redis()\nr.flushall()\nr.flushdb()\n"
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def run(args: list[str], cwd: Path, stdin: str | None = None) -> Result:
    return invoke_cli(args, cwd, stdin=stdin)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.py").write_text(BAD)
    return tmp_path


# -- unknown selectors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--select", "RL999"),
        ("--select", "RL9"),
        ("--ignore", "RL999"),
        ("--extend-select", "RL7"),
        ("--select", "RL301,RL88"),
    ],
)
def test_an_unknown_selector_on_the_command_line_is_an_error(
    project: Path, option: str, value: str
) -> None:
    result = run(["check", "--isolated", option, value, "app"], project)
    assert result.exit_code == 2
    unknown = value.split(",")[-1]
    assert f'{option}: Unknown rule selector: "{unknown}"' in result.stderr
    assert "All checks passed" not in result.output and "RL301" not in result.stdout


@pytest.mark.parametrize(
    ("table", "where"),
    [
        ('select = ["RL999"]', "[tool.redislint] select[0]"),
        ('select = ["RL3", "RL9"]', "[tool.redislint] select[1]"),
        ('ignore = ["RL999"]', "[tool.redislint] ignore[0]"),
        ('extend-select = ["RL70"]', "[tool.redislint] extend-select[0]"),
        (
            'per-file-ignores = { "scripts/*" = ["RL301", "RL99"] }',
            '[tool.redislint] per-file-ignores."scripts/*"[1]',
        ),
    ],
)
def test_an_unknown_selector_in_the_config_names_file_and_key(
    project: Path, table: str, where: str
) -> None:
    (project / "pyproject.toml").write_text(f"[tool.redislint]\n{table}\n")
    result = run(["check", "app"], project)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"redislint: error: pyproject.toml: {where}: Unknown rule")


def test_an_unknown_selector_in_a_nested_config_is_an_error_too(project: Path) -> None:
    (project / "app" / "redislint.toml").write_text('ignore = ["RL999"]\n')
    result = run(["check", "."], project)
    assert result.exit_code == 2
    assert 'app/redislint.toml: ignore[0]: Unknown rule selector: "RL999"' in result.stderr


def test_known_prefixes_and_all_are_accepted(project: Path) -> None:
    for selector in ("RL", "RL3", "RL30", "RL301", "ALL"):
        assert run(["check", "--isolated", "--select", selector, "app"], project).exit_code == 1


def test_a_selection_that_selects_nothing_says_so(project: Path) -> None:
    result = run(["check", "--isolated", "--select", "RL3", "--ignore", "RL3", "app"], project)
    assert result.exit_code == 0  # as ruff: nothing was found, but stderr says why
    assert "the rule selection selects no rule" in result.stderr
    assert run(["check", "--isolated", "app"], project).stderr == ""


# -- nothing to check -----------------------------------------------------------------


def test_a_path_without_files_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("redis\n")
    result = run(["check", "--isolated", "empty"], tmp_path)
    assert result.exit_code == 0
    assert "No Python or Redis deployment files found under the given path(s)" in result.stderr
    (tmp_path / "empty" / "a.py").write_text("x = 1\n")
    assert "No Python" not in run(["check", "--isolated", "empty"], tmp_path).stderr


def test_the_summary_says_how_many_findings_the_baseline_hid(project: Path) -> None:
    assert run(["check", "--isolated", "--write-baseline", "b.json", "app"], project).exit_code == 0
    (project / "app" / "new.py").write_text("import redis\nredis.Redis().flushall()\n")
    result = run(["check", "--isolated", "--no-cache", "--baseline", "b.json", "app"], project)
    assert result.exit_code == 1
    assert "Found 1 finding" in result.stdout
    assert "2 findings hidden by the baseline." in result.stdout
    (project / "app" / "new.py").unlink()
    result = run(["check", "--isolated", "--no-cache", "--baseline", "b.json", "app"], project)
    assert result.exit_code == 0
    assert "All checks passed!" in result.stdout
    assert "2 findings hidden by the baseline." in result.stdout


# -- the prefilter never hides RL001 --------------------------------------------------


def test_a_file_that_never_mentions_redis_still_gets_rl001(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("def f(:\n    return 1\n")
    (tmp_path / "fine.py").write_text("def f():\n    return 1\n")
    result = run(["check", "--isolated", "--no-cache", "--format", "json", "."], tmp_path)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["files_checked"] == 2
    assert [(d["path"], d["code"]) for d in data["diagnostics"]] == [("plain.py", "RL001")]


# -- error state in machine-readable outputs -------------------------------------------


def test_json_carries_the_errors(project: Path) -> None:
    result = run(["check", "--isolated", "--format", "json", "app", "missing.py"], project)
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["errors"] == [{"message": "missing.py: No such file or directory"}]
    assert {d["code"] for d in data["diagnostics"]} == {"RL301"}
    clean = run(["check", "--isolated", "--format", "json", "app"], project)
    assert json.loads(clean.stdout)["errors"] == []


def sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def test_sarif_says_the_run_did_not_succeed(project: Path) -> None:
    result = run(["check", "--isolated", "--format", "sarif", "app", "missing.py"], project)
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    sarif_validator().validate(doc)
    (invocation,) = doc["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == "missing.py: No such file or directory"
    clean = json.loads(run(["check", "--isolated", "--format", "sarif", "app"], project).stdout)
    assert clean["runs"][0]["invocations"] == [{"executionSuccessful": True}]


def test_junit_has_an_error_and_one_case_per_finding(project: Path) -> None:
    (project / "app" / "ok.py").write_text("x = 1\n")
    result = run(["check", "--isolated", "--format", "junit", "app", "missing.py"], project)
    assert result.exit_code == 2
    suite = ET.fromstring(result.stdout).find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "2", "1")
    cases = suite.findall("testcase")
    names = [(c.get("classname"), c.get("name")) for c in cases]
    assert names == [
        ("app/bad.py", "RL301 [flush-command] at 4:1"),
        ("app/bad.py", "RL301 [flush-command] at 5:1"),
        ("app/ok.py", "app/ok.py"),
        ("redislint", "missing.py: No such file or directory"),
    ]
    assert [len(c.findall("failure")) for c in cases] == [1, 1, 0, 0]
    error = cases[3].find("error")
    assert error is not None and error.get("message") == "missing.py: No such file or directory"


# -- hints speak the client's dialect --------------------------------------------------

ASYNC_APP = """import redis.asyncio as aioredis

r = aioredis.Redis()


async def move(a, b):
    await r.set(f"acct:{a}", 1)
    await r.set(f"acct:{b}", 2)


async def bump(k):
    await r.incr(f"rate:{k}")
    await r.expire(f"rate:{k}", 60)


async def watched(k):
    async with r.pipeline() as pipe:
        await pipe.watch(f"acct:{k}")
        pipe.multi()
        pipe.set(f"acct:{k}", 1)
        await pipe.execute()
"""
DIALECT_CONFIG = """[tool.redislint]
select = ["RL101", "RL103", "RL106"]
[[tool.redislint.keyspace]]
pattern = "acct:*"
role = "critical"
"""


def test_hints_for_asyncio_clients_are_async(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(DIALECT_CONFIG)
    (tmp_path / "a.py").write_text(ASYNC_APP)
    (tmp_path / "s.py").write_text(
        ASYNC_APP.replace("redis.asyncio as aioredis", "redis as aioredis")
        .replace("async ", "")
        .replace("await ", "")
    )
    result = run(["check", "--no-cache", "--format", "json", "."], tmp_path)
    hints = {(d["path"], d["code"]): d["hint"] for d in json.loads(result.stdout)["diagnostics"]}
    async_block = "`async with r.pipeline() as p: ...; await p.execute()`"
    assert async_block in hints[("a.py", "RL101")]
    assert async_block in hints[("a.py", "RL103")]
    assert "await pipe.execute(); break" in hints[("a.py", "RL106")]
    assert "await r.transaction(fn, *keys)" in hints[("a.py", "RL106")]
    sync_block = "`with r.pipeline() as p: ...; p.execute()`"
    assert hints[("s.py", "RL101")].startswith(f"group them in {sync_block}")
    assert sync_block in hints[("s.py", "RL103")] and "await" not in hints[("s.py", "RL103")]
    assert "await" not in hints[("s.py", "RL106")]


# -- messages stay readable ------------------------------------------------------------


def test_long_key_patterns_are_shortened_in_text_only(tmp_path: Path) -> None:
    long_key = "cache:" + "segment:" * 12 + "{uid}"
    (tmp_path / "a.py").write_text(
        f'import redis\n\nr = redis.Redis()\n\n\ndef f(uid):\n    r.set(f"{long_key}", 1)\n'
    )
    glob = long_key.replace("{uid}", "*")
    assert len(glob) > 80
    text = run(["check", "--isolated", "--no-cache", "a.py"], tmp_path).stdout
    first = text.splitlines()[0]
    shown = first.split("cache key '", 1)[1].split("'", 1)[0]
    assert len(shown) == 80 and "…" in shown
    assert shown.startswith("cache:segment:") and shown.endswith("segment:*")
    assert "(namespace 'cache:*')" in first
    data = run(["check", "--isolated", "--no-cache", "--format", "json", "a.py"], tmp_path)
    (diag,) = json.loads(data.stdout)["diagnostics"]
    assert f"'{glob}'" in diag["message"]


def test_github_and_json_lines_carry_the_errors(project: Path) -> None:
    result = run(["check", "--isolated", "--format", "github", "app", "missing.py"], project)
    assert result.exit_code == 2
    assert "::error title=redislint::missing.py: No such file or directory\n" in result.stdout
    result = run(["check", "--isolated", "--format", "json-lines", "app", "missing.py"], project)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[-1] == {"error": "missing.py: No such file or directory"}
    assert {row.get("code") for row in rows[:-1]} == {"RL301"}
