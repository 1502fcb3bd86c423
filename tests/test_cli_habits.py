"""Habits a ruff user brings: -V, colour, -q/-s, --fix-only, --exit-non-zero-on-fix,
--exclude, --cache-dir, `clean`, --show-settings, --show-files, -v, `extend`.

Everything goes through the real command line (click's runner, or a subprocess where a
terminal or the environment matters).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from redislint import __version__
from redislint.cli import main

BAD = "import redis\n\nr = redis.Redis()\nr.flushall()\n"
CLEAN = "import redis\n\nr = redis.Redis()\nr.get('cache:a')\n"
# RL201 (safe fix: add the TTL) and RL301 (FLUSHDB on a cache namespace: unsafe fix)
FIXABLE = (
    "import redis\n\n"
    "r = redis.Redis()\n\n\n"
    "def remember(user_id: int, value: str) -> None:\n"
    "    r.set(f'cache:user:{user_id}', value)\n"
)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, args, catch_exceptions=False, env=env)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.py").write_text(BAD)
    (tmp_path / "app" / "clean.py").write_text(CLEAN)
    (tmp_path / "redislint.toml").write_text("cache-ttl = 60\n")
    return tmp_path


def test_short_version_flag(tmp_path: Path) -> None:
    for flag in ("-V", "--version"):
        result = run([flag], tmp_path)
        assert result.exit_code == 0
        assert result.output.strip() == f"redislint, version {__version__}"


def test_summary_names_the_command_that_applies_the_fixes(tmp_path: Path) -> None:
    (tmp_path / "redislint.toml").write_text("cache-ttl = 60\n")
    (tmp_path / "app.py").write_text(FIXABLE)
    result = run(["check", "app.py"], tmp_path)
    assert result.exit_code == 1, result.output
    assert "RL201" in result.output
    assert result.output.endswith(
        "Found 1 finding.\n1 fix available with `redislint check --fix`.\n"
    )
