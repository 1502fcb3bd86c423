"""The memo of a warm run's answer (`run_memo.py`, issue 13): a re-run on an unchanged
tree is answered from one row, and anything the answer depends on (a file, a module it
imports from outside the checked folder, a nested configuration file) makes the next
run look every file up again, with the same output as `--no-cache`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support import invoke_cli

from redislint import cache, walk_memo

ARGS = ["check", "--select", "ALL", "--output-format", "concise", "--jobs", "1"]
PAST = time.time() - 3600
FILES = {
    "pyproject.toml": "[tool.redislint]\n",
    "lib/__init__.py": "",
    "lib/db.py": "import redis\n\nr = redis.Redis(socket_timeout=1)\n",
    "app/__init__.py": "",
    "app/admin.py": "from lib.db import r\n\n\ndef wipe():\n    r.flushdb()\n",
    "app/sub/__init__.py": "",
    "app/sub/jobs.py": "import redis\n\nr = redis.Redis(socket_timeout=1)\nr.flushall()\n",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(walk_memo, "RACY_SECONDS", 0.0)  # stats are trusted at once
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (PAST, PAST))
    return tmp_path


def _lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files looked up one by one in the cache (none when the memo answers)."""
    looked: list[str] = []
    real = cache.ResultCache.lookup_file

    def record(self: cache.ResultCache, rel_path: str, path: Path) -> object:
        looked.append(rel_path)
        return real(self, rel_path, path)

    monkeypatch.setattr(cache.ResultCache, "lookup_file", record)
    return looked


def _edit(path: Path, text: str) -> None:
    path.write_text(text)
    os.utime(path, (PAST, PAST))  # the old mtime: the ctime and size tell


def _warm_twice(project: Path, args: list[str]) -> str:
    invoke_cli(args, project)  # cold: the runner checks every file
    return invoke_cli(args, project).output  # warm: answered file by file, memo recorded


def test_an_unchanged_tree_is_answered_by_the_memo(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warm = _warm_twice(project, [*ARGS, "app"])
    assert "app/admin.py:5:5: RL301" in warm and "app/sub/jobs.py:4:1: RL301" in warm
    looked = _lookups(monkeypatch)
    preloaded: list[str] = []
    monkeypatch.setattr(cache.ResultCache, "preload", lambda self: preloaded.append(self.salt))
    assert invoke_cli([*ARGS, "app"], project).output == warm
    assert looked == []
    assert preloaded == []  # no entry was written since the memo: its rows are not read
    assert warm == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_an_edited_file_is_looked_up_again(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _warm_twice(project, [*ARGS, "app"])
    jobs = project / "app" / "sub" / "jobs.py"
    _edit(jobs, jobs.read_text().replace("r.flushall()", "r.get('x')"))
    looked = _lookups(monkeypatch)
    edited = invoke_cli([*ARGS, "app"], project).output
    assert "jobs.py" not in edited and "app/sub/jobs.py" in looked
    assert edited == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_an_edited_module_outside_the_checked_folder_is_seen(project: Path) -> None:
    """admin.py's client comes from lib/db.py, which the run does not list: the memo
    records it as a dependency of admin.py's entry."""
    warm = _warm_twice(project, [*ARGS, "app"])
    assert "app/admin.py:5:5: RL301" in warm
    _edit(project / "lib" / "db.py", "r = {}\n")
    edited = invoke_cli([*ARGS, "app"], project).output
    assert "admin.py" not in edited
    assert edited == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_a_nested_configuration_that_gains_its_table_is_seen(project: Path) -> None:
    """A pyproject.toml without a [tool.redislint] table is no configuration; editing
    one in changes no folder's stat, only the file's."""
    nested = project / "app" / "sub" / "pyproject.toml"
    _edit(nested, "[project]\nname = 'jobs'\n")
    args = ["check", "--output-format", "concise", "--jobs", "1"]  # `--select` would win
    warm = _warm_twice(project, [*args, "app"])
    assert "app/sub/jobs.py:4:1: RL301" in warm
    _edit(nested, "[project]\nname = 'jobs'\n\n[tool.redislint]\nignore = ['RL301']\n")
    edited = invoke_cli([*args, "app"], project).output
    assert "jobs.py:4:1: RL301" not in edited and "admin.py:5:5: RL301" in edited
    assert edited == invoke_cli([*args, "--no-cache", "app"], project).output


def test_an_atomic_save_looks_up_only_the_saved_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor writes a temporary beside the file and renames it over: the folder's
    stat changes, its names do not (`walk_memo.py`), and no configuration name appeared."""
    _warm_twice(project, [*ARGS, "app"])
    jobs = project / "app" / "sub" / "jobs.py"
    temporary = jobs.with_name(".jobs.py.tmp")
    temporary.write_text(jobs.read_text().replace("r.flushall()", "r.get('x')"))
    temporary.rename(jobs)
    looked = _lookups(monkeypatch)
    saved = invoke_cli([*ARGS, "app"], project).output
    # of the checked files, only the saved one (the project stage looks lib/ up, as
    # after any edit)
    assert [path for path in looked if path.startswith("app/")] == ["app/sub/jobs.py"]
    assert "jobs.py" not in saved and "app/admin.py:5:5: RL301" in saved
    assert saved == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_a_configuration_created_in_a_checked_folder_is_seen(project: Path) -> None:
    args = ["check", "--output-format", "concise", "--jobs", "1"]  # `--select` would win
    warm = _warm_twice(project, [*args, "app"])
    assert "app/sub/jobs.py:4:1: RL301" in warm
    (project / "app" / "sub" / "redislint.toml").write_text("ignore = ['RL301']\n")
    created = invoke_cli([*args, "app"], project).output
    assert "jobs.py:4:1: RL301" not in created and "admin.py:5:5: RL301" in created
    assert created == invoke_cli([*args, "--no-cache", "app"], project).output


def test_a_file_created_in_a_checked_folder_is_checked(project: Path) -> None:
    _warm_twice(project, [*ARGS, "app"])
    _edit(project / "app" / "new.py", "import redis\n\nredis.Redis(socket_timeout=1).flushall()\n")
    created = invoke_cli([*ARGS, "app"], project).output
    assert "app/new.py:3:1: RL301" in created
    assert created == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_a_damaged_memo_is_no_memo(project: Path) -> None:
    import sqlite3

    warm = _warm_twice(project, [*ARGS, "app"])
    database = project / ".redislint_cache" / "cache.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE walks SET payload = ?", (b"not zlib",))
    assert invoke_cli([*ARGS, "app"], project).output == warm


def test_after_an_edit_the_edited_file_and_its_importers_are_looked_up(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _warm_twice(project, [*ARGS, "."])
    db = project / "lib" / "db.py"
    _edit(db, db.read_text() + "# the shared client\n")
    looked = _lookups(monkeypatch)
    edited = invoke_cli([*ARGS, "."], project).output
    assert sorted(looked) == ["app/admin.py", "lib/db.py"]  # the rest from the memo
    assert edited == invoke_cli([*ARGS, "--no-cache", "."], project).output
    looked.clear()
    assert invoke_cli([*ARGS, "."], project).output == edited
    assert sorted(looked) == ["app/admin.py", "lib/db.py"]  # entries found, memo recorded
    looked.clear()
    assert invoke_cli([*ARGS, "."], project).output == edited
    assert looked == []  # that run, complete, recorded the memo again


def test_an_edit_that_changes_a_finding_in_an_importer_is_seen(project: Path) -> None:
    _warm_twice(project, [*ARGS, "."])
    _edit(project / "lib" / "db.py", "import redis\n\nr = redis.Redis()\n")
    edited = invoke_cli([*ARGS, "."], project).output
    assert "lib/db.py:3:5: RL404" in edited and "app/admin.py:5:5: RL301" in edited
    assert edited == invoke_cli([*ARGS, "--no-cache", "."], project).output


def test_deferred_findings_are_answered_by_the_memo_and_decided_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RL306 waits for the project stage: the memo keeps each file's deferred finding
    and facts, and the stage decides them again (an edit elsewhere flips the verdict)."""
    first = project / "app" / "a_first.py"
    _edit(first, "from lib.db import r\n\n\ndef save():\n    r.hset('user:1', 'n', 'a')\n")
    second = project / "app" / "b_second.py"
    _edit(second, "from lib.db import r\n\n\ndef load():\n    return r.get('user:1')\n")
    warm = _warm_twice(project, [*ARGS, "app"])
    assert "app/b_second.py:5:12: RL306" in warm
    looked = _lookups(monkeypatch)
    assert invoke_cli([*ARGS, "app"], project).output == warm
    # lib/ is outside the run: its facts come from the project stage's own look-ups
    assert [path for path in looked if path.startswith("app/")] == []
    _edit(first, first.read_text().replace("r.hset('user:1', 'n', 'a')", "r.set('user:1', 'a')"))
    looked.clear()
    edited = invoke_cli([*ARGS, "app"], project).output
    assert "RL306" not in edited
    assert [path for path in looked if path.startswith("app/")] == ["app/a_first.py"]
    assert edited == invoke_cli([*ARGS, "--no-cache", "app"], project).output
