"""The memo of a directory walk (`walk_memo.py`, issue 13): a warm run lists an
unchanged tree from it, and anything that could change what the walk finds (a file
created, removed or renamed, an ignore file created or edited, a folder that becomes
a virtualenv, a symlink) makes the next run walk the tree again. A folder whose stat
changed without a change to the names the walk acts on (an atomic save, a log) keeps
the memo."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest
from support import count_walks, invoke_cli

from redislint import walk_memo

FLUSH = "import redis\nr = redis.Redis()\nr.flushall()\n"
ARGS = ["check", "--select", "RL301", "--output-format", "concise", "--jobs", "1"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The folders were just made (their ctime is now): let the walk be memoized at once
    # instead of after the racy window.
    monkeypatch.setattr(walk_memo, "RACY_SECONDS", 0.0)
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    for name in ("app/__init__.py", "app/one.py", "app/sub/two.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(FLUSH)
    return tmp_path


def _flagged(output: str) -> set[str]:
    return {line.split(":")[0] for line in output.splitlines() if "RL301" in line}


def _memos(root: Path) -> int:
    """The walk memos stored (the import scan's graph memos share their table)."""
    with sqlite3.connect(root / ".redislint_cache" / "cache.sqlite3") as connection:
        payloads = [row[0] for row in connection.execute("SELECT payload FROM walks")]
    return sum(1 for payload in payloads if b'"dirs"' in zlib.decompress(payload))


def test_an_unchanged_tree_is_listed_from_the_memo(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = invoke_cli([*ARGS, "app"], project)
    assert _flagged(first.output) == {"app/__init__.py", "app/one.py", "app/sub/two.py"}
    assert _memos(project) >= 1  # the run's walk (and the import scan's, when it ran)
    listed = count_walks(monkeypatch)
    again = invoke_cli([*ARGS, "app"], project)
    assert again.output == first.output and listed == []


@pytest.mark.parametrize(
    "change",
    [
        "a file created in a subfolder",
        "a file removed",
        "a file renamed",
        "a .gitignore created",
        "a .gitignore edited",
        "a .gitignore created above the walked folder",
        "a folder becomes a virtualenv",
    ],
)
def test_a_change_the_walk_could_see_is_walked_again(
    project: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    sub = project / "app" / "sub"
    (sub / ".gitignore").write_text("# nothing ignored yet\n")
    invoke_cli([*ARGS, "app"], project)
    expected = {"app/__init__.py", "app/one.py", "app/sub/two.py"}
    if change == "a file created in a subfolder":
        (sub / "three.py").write_text(FLUSH)
        expected.add("app/sub/three.py")
    elif change == "a file removed":
        (sub / "two.py").unlink()
        expected.remove("app/sub/two.py")
    elif change == "a file renamed":
        (sub / "two.py").rename(sub / "deux.py")
        expected = expected - {"app/sub/two.py"} | {"app/sub/deux.py"}
    elif change == "a .gitignore created":
        (project / "app" / ".gitignore").write_text("one.py\n")
        expected.remove("app/one.py")
    elif change == "a .gitignore edited":
        # same size and the same listing of its folder: only its own stat changes
        (sub / ".gitignore").write_text("two.py\n" + "#" * 14 + "\n")
        expected.remove("app/sub/two.py")
    elif change == "a .gitignore created above the walked folder":
        (project / ".gitignore").write_text("app/one.py\n")
        expected.remove("app/one.py")
    else:
        (sub / "pyvenv.cfg").write_text("home = /usr/bin\n")
        expected.remove("app/sub/two.py")
    warm = invoke_cli([*ARGS, "app"], project)
    assert _flagged(warm.output) == expected
    assert warm.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output
    # ... and the new memo answers the next run
    listed = count_walks(monkeypatch)
    assert _flagged(invoke_cli([*ARGS, "app"], project).output) == expected
    assert listed == []


def test_a_walk_through_a_symlink_is_not_memoized(project: Path) -> None:
    (project / "app" / "link").symlink_to(project / "app" / "sub", target_is_directory=True)
    invoke_cli([*ARGS, "app"], project)
    assert _memos(project) == 0


def test_a_damaged_memo_is_walked_again(project: Path) -> None:
    first = invoke_cli([*ARGS, "app"], project)
    with sqlite3.connect(project / ".redislint_cache" / "cache.sqlite3") as connection:
        connection.execute("UPDATE walks SET payload = ?", (b"not zlib",))
    assert invoke_cli([*ARGS, "app"], project).output == first.output


def test_a_fresh_tree_is_listed_again_until_it_settles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder changed within the clock's resolution could change again without its
    stat changing: it is recorded by its listing alone, and every run lists it again,
    so a file created in the same clock tick is seen."""
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    (tmp_path / "a.py").write_text(FLUSH)
    invoke_cli([*ARGS, "."], tmp_path)
    assert _memos(tmp_path) == 1
    (tmp_path / "b.py").write_text(FLUSH)
    listed = count_walks(monkeypatch)
    warm = invoke_cli([*ARGS, "."], tmp_path)
    assert _flagged(warm.output) == {"a.py", "b.py"} and listed  # walked again
    assert warm.output == invoke_cli([*ARGS, "--no-cache", "."], tmp_path).output


@pytest.mark.parametrize(
    "change",
    ["an atomic save of a module", "a log written beside the modules", "a folder touched"],
)
def test_a_folder_whose_listing_the_walk_ignores_changed_keeps_the_memo(
    project: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """The folder's stat changed, but not a name the walk acts on: the memo holds."""
    first = invoke_cli([*ARGS, "app"], project)
    one = project / "app" / "one.py"
    if change == "an atomic save of a module":
        temporary = one.with_name(".one.py.swp")
        temporary.write_text(FLUSH + "r.flushdb()\n")
        temporary.rename(one)
    elif change == "a log written beside the modules":
        (project / "app" / "sub" / "run.log").write_text("started\n")
    else:
        (project / "app" / "scratch").mkdir()
        (project / "app" / "scratch").rmdir()
    listed = count_walks(monkeypatch)
    warm = invoke_cli([*ARGS, "app"], project)
    assert listed == []
    assert warm.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output
    if change == "an atomic save of a module":
        assert warm.output.count("app/one.py") == 2 != first.output.count("app/one.py")


def test_the_memo_keeps_paths_relative_to_the_working_directory(project: Path) -> None:
    invoke_cli([*ARGS, "app"], project)
    with sqlite3.connect(project / ".redislint_cache" / "cache.sqlite3") as connection:
        payloads = [row[0] for row in connection.execute("SELECT payload FROM walks")]
    assert payloads  # the walks, and the import scan's graph memo (its paths too)
    for payload in payloads:
        files = zlib.decompress(payload).split(b'"files"')[1]
        assert b"app/sub/two.py" in files and str(project).encode() not in files
