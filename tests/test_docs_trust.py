"""The user docs promise only what exists (issue 14): rule codes in the catalogue (or
marked planned), an install command that works before a release, a pre-commit `rev`
that resolves, and error messages as the CLI prints them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from redislint.catalogue import load_catalogue
from redislint.cli import main

ROOT = Path(__file__).resolve().parents[1]
USER_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_docs_mention_only_rules_that_exist_or_say_planned() -> None:
    known = set(load_catalogue())
    unknown = [
        f"{path.name}:{number}: {code}"
        for path in [*USER_DOCS, *sorted((ROOT / "rules").glob("*.md"))]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for code in re.findall(r"\bRL\d{3}\b", line)
        if code not in known and "planned" not in line and "Unknown rule selector" not in line
    ]
    assert unknown == []


def test_install_instructions_work_without_a_release() -> None:
    for name in ("README.md", "docs/getting-started.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "pip install git+https://github.com/redislint/redislint" in text, name
        assert "pip install ." in text, name
    for path in USER_DOCS:
        assert not re.search(r"pip install redislint\b", path.read_text(encoding="utf-8")), path


def test_the_pre_commit_rev_is_a_commit_of_this_repository() -> None:
    text = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
    revs = re.findall(r"^\s*rev: (\S+)", text, re.M)
    assert revs, "the pre-commit snippet shows a rev"
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the rev cannot be resolved here")
    for rev in revs:
        assert re.fullmatch(r"[0-9a-f]{40}", rev), f"{rev}: pin a full commit SHA (no tag exists)"
        found = subprocess.run(
            ["git", "cat-file", "-e", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True
        )
        assert found.returncode == 0, f"rev {rev} is not a commit of this repository"
    assert "pre-commit autoupdate --freeze" in text


def test_the_unknown_selector_example_is_what_the_cli_prints(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    shown = re.search(r"\$ redislint check --select RL9\n(.*)\n", doc)
    assert shown is not None
    (tmp_path / "a.py").write_text("x = 1\n")
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["check", "--isolated", "--select", "RL9"])
    finally:
        os.chdir(old)
    assert result.exit_code == 2
    assert result.stderr == shown.group(1) + "\n"
