"""Habits a ruff user brings: -V, -q/-s, --fix-only, --exit-non-zero-on-fix and the
summary naming the command that applies the fixes.

Everything goes through the real command line (click's runner, or a subprocess where a
terminal or the environment matters).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from support import invoke_cli

from redislint import __version__

BAD = "import redis\n\nr = redis.Redis()\nr.flushall()\n"
CLEAN = "import redis\n\nr = redis.Redis()\nr.get('cache:a')\n"
# RL201 (safe fix: add the TTL) and RL301 (FLUSHDB on a cache namespace: unsafe fix)
FIXABLE = (
    "import redis\n\n"
    "r = redis.Redis()\n\n\n"
    "def remember(user_id: int, value: str) -> None:\n"
    "    r.set(f'cache:user:{user_id}', value)\n"
)


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Result:
    return invoke_cli(args, cwd, env=env)


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


def test_quiet_keeps_findings_without_summary_and_silent_prints_nothing(project: Path) -> None:
    quiet = run(["check", "-q", "app"], project)
    assert quiet.exit_code == 1
    assert quiet.output.startswith("app/bad.py:4:1: RL301")
    assert "Found" not in quiet.output
    assert run(["check", "--quiet", "app/clean.py"], project).output == ""
    silent = run(["check", "-s", "app"], project)
    assert (silent.exit_code, silent.output) == (1, "")


def test_fix_only_and_exit_non_zero_on_fix(tmp_path: Path) -> None:
    (tmp_path / "redislint.toml").write_text("cache-ttl = 60\n")
    (tmp_path / "app.py").write_text(FIXABLE + "    r.flushall()\n")
    fixed = run(["check", "--fix-only", "app.py"], tmp_path)
    assert fixed.exit_code == 0, fixed.output  # RL301 remains, but --fix-only exits 0
    assert fixed.output == "Fixed 1 finding.\n"
    assert "ex=60" in (tmp_path / "app.py").read_text()
    (tmp_path / "app.py").write_text(FIXABLE)
    strict = run(["check", "--fix", "--exit-non-zero-on-fix", "app.py"], tmp_path)
    assert strict.exit_code == 1, strict.output  # nothing remains, but a file changed
    assert "All checks passed!" in strict.output
    again = run(["check", "--fix", "--exit-non-zero-on-fix", "app.py"], tmp_path)
    assert again.exit_code == 0, again.output  # nothing left to change


def test_cache_dir_moves_the_results_cache(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("cache") / "store"
    first = run(["check", "--cache-dir", str(elsewhere), "app"], project)
    assert first.exit_code == 1, first.output
    assert any(elsewhere.glob("cache.sqlite3")), "nothing was cached in --cache-dir"
    assert not (project / ".redislint_cache").exists()
    again = run(["check", "app"], project, env={"REDISLINT_CACHE_DIR": str(elsewhere)})
    assert again.output == first.output
    assert not (project / ".redislint_cache").exists()


def test_clean_removes_the_caches_only(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "x.py").write_text(BAD)
    assert run(["check", "app", "sub/x.py"], project).exit_code == 1
    (project / "sub" / ".redislint_cache").mkdir()
    assert (project / ".redislint_cache").is_dir()
    mine = tmp_path_factory.mktemp("c") / "store"
    run(["check", "--cache-dir", str(mine), "app"], project)
    notmine = tmp_path_factory.mktemp("keep")
    (notmine / "data.txt").write_text("precious")
    result = run(["clean", "--cache-dir", str(mine)], project)
    assert result.exit_code == 0, result.output
    assert "Removing cache at:" in result.output
    assert not (project / ".redislint_cache").exists()
    assert not (project / "sub" / ".redislint_cache").exists()
    assert not mine.exists()
    assert (project / "app" / "bad.py").is_file()
    assert run(["clean", "--cache-dir", str(notmine)], project).exit_code == 0
    assert (notmine / "data.txt").read_text() == "precious"
