"""The results cache: a re-run of an unchanged tree checks nothing again, and a change
to a file or to a project module it imports invalidates exactly what it must."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support import invoke_cli

from redislint import shards
from redislint.cache import ResultCache
from redislint.config import Config


def run(args: list[str], cwd: Path) -> Result:
    return invoke_cli(args, cwd)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "db.py").write_text("import redis\nr = redis.Redis()\n")
    (tmp_path / "app" / "admin.py").write_text(
        "from app.db import r\n\n\ndef wipe():\n    r.flushdb()\n"
    )
    return tmp_path


def _no_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached file was checked again")

    monkeypatch.setattr(shards, "check_file", refuse)


def test_unchanged_tree_is_served_from_the_cache(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run(["check", "app", "--jobs", "1"], project)
    assert first.exit_code == 1 and "app/admin.py:5:5: RL301" in first.output
    assert (project / ".redislint_cache" / ".gitignore").is_file()
    _no_checks(monkeypatch)
    second = run(["check", "app", "--jobs", "1"], project)
    assert second.output == first.output and second.exit_code == 1


def test_a_changed_import_invalidates_the_importer(project: Path) -> None:
    assert run(["check", "app", "--jobs", "1"], project).exit_code == 1
    (project / "app" / "db.py").write_text("import redis\nr = {}\n")
    result = run(["check", "app", "--jobs", "1"], project)
    assert result.exit_code == 0, result.output


def test_a_changed_import_checked_first_invalidates_the_importer(tmp_path: Path) -> None:
    """The imported module is checked before its importer, so its tree is freed when the
    importer's check ends, before the importer's entry is written: the entry must still
    record that the module was parsed (not only that it mentions Redis)."""
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "a_db.py").write_text("import redis\nr = redis.Redis()\n")
    (tmp_path / "app" / "admin.py").write_text(
        "from app.a_db import r\n\n\ndef wipe():\n    r.flushdb()\n"
    )
    assert run(["check", "app", "--jobs", "1"], tmp_path).exit_code == 1
    (tmp_path / "app" / "a_db.py").write_text("import redis\nr = {}\n")  # still says redis
    result = run(["check", "app", "--jobs", "1"], tmp_path)
    assert result.exit_code == 0, result.output


def test_no_cache_and_config_changes(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["check", "app", "--no-cache"], project).exit_code == 1
    assert not (project / ".redislint_cache").exists()
    assert run(["check", "app"], project).exit_code == 1
    (project / "pyproject.toml").write_text('[tool.redislint]\nignore = ["RL301"]\n')
    assert run(["check", "app"], project).exit_code == 0


def test_a_damaged_entry_is_a_miss(project: Path) -> None:
    assert run(["check", "app"], project).exit_code == 1
    database = project / ".redislint_cache" / "cache.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE entries SET payload = '{not json'")
    result = run(["check", "app"], project)
    assert result.exit_code == 1 and "RL301" in result.output


def test_short_payloads_are_stored_as_they_are_and_compressed_ones_still_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short row is JSON as it is (compressing it cost zlib's set-up for a few bytes);
    a row written compressed, as every row was before, is read the same."""
    import zlib

    assert run(["check", "app"], project).exit_code == 1
    database = project / ".redislint_cache" / "cache.sqlite3"
    with sqlite3.connect(database) as connection:
        payloads = [row[0] for row in connection.execute("SELECT payload FROM scans")]
        assert payloads and all(payload[:1] == b"[" for payload in payloads)
        entries = connection.execute("SELECT path, payload FROM entries").fetchall()
        for path, payload in entries:
            if payload is not None and payload[:1] in (b"[", b"{"):
                connection.execute(
                    "UPDATE entries SET payload = ? WHERE path = ?", (zlib.compress(payload), path)
                )
    _no_checks(monkeypatch)
    result = run(["check", "app"], project)
    assert result.exit_code == 1 and "RL301" in result.output


def _store_one(root: str, index: int, start: Any) -> str | None:
    """One worker of a run: waits for the others, then writes its entry at once."""
    cache = ResultCache(Config(root=Path(root)), frozenset({"RL301"}))
    start.wait()
    problem = cache.store(f"mod{index}.py", b"x = %d\n" % index, [], {})
    return problem or cache.finish()


def test_workers_creating_the_cache_at_once_keep_every_entry(tmp_path: Path) -> None:
    """The workers of a first cached run create the database at the same moment: a busy
    database is waited out, never deleted as if it were damaged (which lost one
    worker's entries)."""
    workers = 8
    context = multiprocessing.get_context("fork")
    with context.Manager() as manager:
        start = manager.Barrier(workers)
        with context.Pool(workers) as pool:
            problems = pool.starmap(_store_one, [(str(tmp_path), i, start) for i in range(workers)])
    assert problems == [None] * workers
    with sqlite3.connect(tmp_path / ".redislint_cache" / "cache.sqlite3") as connection:
        paths = {row[0] for row in connection.execute("SELECT path FROM entries")}
    assert paths == {f"mod{i}.py" for i in range(workers)}


def test_the_rows_of_selections_not_used_lately_are_evicted(project: Path) -> None:
    """Each selection (`--select`, configuration, tool version) has its own rows; the
    eight used last are kept, and with them their `salts` rows (so the eviction, a scan
    of each table, runs only when a ninth selection appears)."""
    database = project / ".redislint_cache" / "cache.sqlite3"

    def salts() -> list[str]:
        with sqlite3.connect(database) as connection:
            return [row[0] for row in connection.execute("SELECT salt FROM salts ORDER BY used")]

    codes = ["RL101", "RL102", "RL103", "RL104", "RL105", "RL106", "RL107", "RL108", "RL109"]
    for code in codes:
        run(["check", "--select", code, "--jobs", "1", "app"], project)
        if code == "RL101":
            (first,) = salts()
    kept = salts()
    with sqlite3.connect(database) as connection:
        in_entries = {row[0] for row in connection.execute("SELECT DISTINCT salt FROM entries")}
    assert len(kept) == 8 and in_entries == set(kept)
    assert first not in kept  # the oldest selection's rows are gone
