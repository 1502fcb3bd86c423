"""`[clients] names` with a kind and a module scope, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from support import invoke_cli

STORAGE = "class S:\n    def reset(self):\n        self.conn.flushdb()\n"


def run(args: list[str], cwd: Path) -> Result:
    return invoke_cli(args, cwd)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "storage.py").write_text(STORAGE)
    (tmp_path / "app" / "database.py").write_text(STORAGE)
    return tmp_path


def _flagged(project: Path, names: str) -> list[str]:
    (project / "redislint.toml").write_text(f"[clients]\nnames = {names}\n")
    result = run(["check", "--no-cache", "--format", "json", "."], project)
    assert result.exit_code in (0, 1), result.output
    # RL301 (FLUSHDB) on a proven client; an async one also gets RL502 (never awaited)
    diagnostics = json.loads(result.output)["diagnostics"]
    return sorted(d["path"] for d in diagnostics if d["code"] == "RL301")


def test_an_unscoped_name_is_a_client_in_every_file(project: Path) -> None:
    assert _flagged(project, '["self.conn"]') == ["app/database.py", "app/storage.py"]


def test_a_scoped_name_is_a_client_only_where_its_glob_matches(project: Path) -> None:
    assert _flagged(project, '["app/storage.py:self.conn"]') == ["app/storage.py"]
    assert _flagged(project, '[{ name = "app/stor*.py:self.conn", async = true }]') == [
        "app/storage.py"
    ]
    assert _flagged(project, '["lib/*.py:self.conn"]') == []


def test_a_table_entry_says_the_kind(project: Path) -> None:
    assert _flagged(project, '[{ name = "self.conn", cluster = true }]') == [
        "app/database.py",
        "app/storage.py",
    ]


def test_one_name_declared_as_two_kinds_is_not_proven(project: Path) -> None:
    names = '["self.conn", { name = "app/storage.py:self.conn", async = true }]'
    assert _flagged(project, names) == ["app/database.py"]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ("'self.conn'", "clients.names: expected an array of dotted names or tables"),
        ("[3]", "clients.names[0]: expected a string or a table, got 3"),
        ('["a-b"]', 'clients.names[0]: expected a dotted name like "myapp.db.get_redis"'),
        ('["app/x.py:"]', "clients.names[0]: expected a dotted name"),
        ('["[x:conn"]', "clients.names[0]: expected a valid glob pattern"),
        ("[{ async = true }]", "clients.names[0].name: missing"),
        ('[{ name = "c", async = "yes" }]', "clients.names[0].async: expected a boolean"),
        ('[{ name = "c", cluster = 1 }]', "clients.names[0].cluster: expected a boolean"),
        ("[{ name = 3 }]", "clients.names[0].name: expected a string, got 3"),
        (
            '[{ name = "c", asinc = true }]',
            "unknown key 'clients.names[0].asinc' (did you mean 'clients.names[0].async'?)",
        ),
    ],
)
def test_bad_entries_name_the_file_and_key(project: Path, names: str, message: str) -> None:
    (project / "redislint.toml").write_text(f"[clients]\nnames = {names}\n")
    result = run(["check", "."], project)
    assert result.exit_code == 2
    assert "redislint.toml" in result.output and message in result.output, result.output
    assert "Traceback" not in result.output
