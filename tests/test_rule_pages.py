"""Rule pages reproduce when copied (issue 14): `explain`, docs/rules/ and SARIF help show
no `# expect:` marker, and an example's configuration is a visible pyproject.toml block
that, copied beside the example, makes the real CLI report the rule."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from redislint.catalogue import load_catalogue
from redislint.cli import main

ROOT = Path(__file__).resolve().parents[1]
CODES = list(load_catalogue())
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.S | re.M)


def cli(args: list[str], cwd: Path | None = None) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(cwd or old)
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout


def explain(code: str) -> str:
    exit_code, out = cli(["explain", code])
    assert exit_code == 0
    return out


@pytest.mark.parametrize("code", CODES)
def test_no_expect_marker_reaches_a_reader(code: str) -> None:
    doc = load_catalogue()[code]
    assert "expect:" not in explain(code)
    assert "redislint-test:" not in explain(code)
    page = (ROOT / "docs" / "rules" / doc.source_name).read_text(encoding="utf-8")
    assert "# expect:" not in page


def test_sarif_help_has_no_expect_marker(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import redis\nr = redis.Redis()\nr.flushall()\n")
    _, out = cli(["check", "--isolated", "--no-cache", "--format", "sarif", "a.py"], tmp_path)
    (rule,) = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "RL301"
    assert "expect:" not in rule["help"]["markdown"] and "## Example" in rule["help"]["markdown"]


def _python_examples() -> list[tuple[str, str | None, str]]:
    """Each rule's Example python blocks, with the pyproject.toml block shown before it."""
    cases = []
    for code in CODES:
        example = explain(code).split("## Example", 1)[1].split("\n## ", 1)[0]
        previous: tuple[str, str] = ("", "")
        for lang, text in FENCE.findall(example):
            if lang == "python":
                shown = previous[0] == "toml" and previous[1].startswith("# pyproject.toml")
                cases.append((code, previous[1] if shown else None, text))
            previous = (lang, text)
    return cases


EXAMPLES = _python_examples()


def test_the_pages_that_need_configuration_show_it() -> None:
    codes = {code for code, config, _ in EXAMPLES if config is not None}
    assert {"RL002", "RL202", "RL302", "RL404"} <= codes


@pytest.mark.parametrize(("code", "config", "source"), EXAMPLES, ids=lambda v: str(v)[:5])
def test_a_copied_example_reproduces(
    code: str, config: str | None, source: str, tmp_path: Path
) -> None:
    args = ["check", "--no-cache", "--format", "json", "example.py"]
    if config is None:
        args.insert(1, "--isolated")
    else:
        (tmp_path / "pyproject.toml").write_text(config, encoding="utf-8")
    (tmp_path / "example.py").write_text(source, encoding="utf-8")
    exit_code, out = cli(args, tmp_path)
    assert exit_code == 1, out
    assert code in {d["code"] for d in json.loads(out)["diagnostics"]}
