"""A run keeps a file's syntax tree only while a later file may read it (issue 13: memory).

Counted, never measured: the libcst modules the garbage collector still tracks when a
file is parsed tell which trees are alive (libcst nodes take no weak references; each
test module names itself in its first comment, which libcst keeps in `Module.header`).
The findings must not depend on what was freed: a released module asked for again is
parsed again from its text.
"""

from __future__ import annotations

import gc
from pathlib import Path

import libcst
import pytest

from redislint import shards
from redislint.config import Config
from redislint.outcome import RunOutcome
from redislint.runner import check_paths
from redislint.semantics.project import ProjectIndex
from redislint.semantics.retention import Retention
from tests.semantics.helpers import write_project

LEAVES = 6

# A shared client module and leaf modules that import it; nobody imports a leaf. Each
# leaf's helper takes its client as a parameter, so the model looks for its callers (the
# project's import graph is read, which is what the release decisions use).
FILES = {
    "app/__init__.py": "",
    "app/db.py": "# db\nimport redis\n\nclient = redis.Redis()\n",
    **{
        f"app/leaf{i}.py": (
            f"# leaf {i}\nfrom app.db import client\n\n\n"
            f"def save_{i}(conn, key):\n    conn.set('item:{i}:' + key, 1)\n"
        )
        for i in range(LEAVES)
    },
    # checked last (the smallest file that is parsed, and nobody imports it), and imports
    # only the client module
    "app/zzz.py": "# zzz\nfrom app.db import client\n\nclient.get('k')\n",
}


def _label(source: str) -> str:
    first = source.splitlines()[0] if source else ""
    return first.removeprefix("# ") if first.startswith("# ") else first


def _live_trees() -> set[str]:
    """The labels of the libcst modules alive now (a tree holds no reference cycles, so
    one that is not referenced any more is already freed)."""
    labels = set()
    for obj in gc.get_objects():
        if type(obj) is libcst.Module:
            comments = [line.comment.value for line in obj.header if line.comment is not None]
            labels.add(comments[0].removeprefix("# ") if comments else "")
    return labels


def test_leaves_nobody_imports_are_freed_after_their_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(tmp_path, FILES)
    parsed: list[str] = []
    alive_at_last: set[str] = set()
    parse = libcst.parse_module

    def recording_parse(source: str, *args: object, **kwargs: object) -> libcst.Module:
        label = _label(source)
        if label == "zzz":
            alive_at_last.update(_live_trees())
        parsed.append(label)
        return parse(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(libcst, "parse_module", recording_parse)
    outcome = check_paths([str(tmp_path / "app")], Config(root=tmp_path), cwd=tmp_path, jobs=1)
    assert outcome.files_checked == len(FILES)
    leaves = {f"leaf {i}" for i in range(LEAVES)}
    assert leaves <= set(parsed)
    # app/db.py is imported by the last file, so its tree may stay; no leaf's may.
    assert "db" in alive_at_last  # the count sees live trees
    assert not alive_at_last & leaves, sorted(alive_at_last & leaves)


def test_a_released_module_is_parsed_again_to_the_same_facts(tmp_path: Path) -> None:
    write_project(tmp_path, FILES)
    with ProjectIndex(Config(root=tmp_path)) as index:
        path = tmp_path / "app" / "leaf1.py"
        first = index.facts_for_file(path)
        assert first is not None
        key = first.path
        before = {scope_key: sorted(scope.bindings) for scope_key, scope in first.scopes.items()}
        calls = [site.ir for site in first.calls]
        assert "leaf 1" in _live_trees()
        del first
        index.release(key)
        assert "leaf 1" not in _live_trees(), "a released module's tree is still referenced"
        again = index.facts_by_path(key)
        assert again is not None
        assert again.module is not None
        assert {k: sorted(s.bindings) for k, s in again.scopes.items()} == before
        assert [site.ir for site in again.calls] == calls


# A helper module that the big modules import (their checks are cheap, the helper's is
# not: it parses its callers), a plain module no check parses, and a second source root.
ORDERED = {
    "app/__init__.py": "",
    "app/plain.py": "def nothing():\n    return 1\n",
    "app/small.py": "import redis\n\nr = redis.Redis()\n",
    "app/tools.py": "def pipeline(conn):\n    return conn.pipeline()\n",
    **{
        f"app/user{i}.py": (
            "import redis\nfrom app.tools import pipeline\n\n"
            + "".join(f"pipeline(redis.Redis()).set('k{n}', {n})\n" for n in range(20 * i))
        )
        for i in (1, 2)
    },
    "other/pkg/__init__.py": "",
    "other/pkg/mod.py": "import redis\n\nredis.Redis().get('k')\n",
}


def test_the_module_the_most_text_imports_is_checked_first(tmp_path: Path) -> None:
    write_project(tmp_path, ORDERED)
    names = ["app/__init__.py", "app/plain.py", "app/small.py", "app/tools.py"]
    names += ["other/pkg/mod.py", "app/user1.py", "app/user2.py"]
    with ProjectIndex(Config(root=tmp_path)) as index:
        paths = [tmp_path / name for name in names]
        groups = index.by_source_root(paths)
        assert groups == [[0, 1, 2, 3, 5, 6], [4]]  # one root's files together
        order = index.memory_order([paths[position] for position in groups[0]])
    checked = [names[groups[0][position]] for position in order]
    # The files nothing parses keep their places; the others go by their own text plus
    # their importers': tools.py (imported by both users) first, the small module last.
    assert checked == [
        "app/__init__.py",
        "app/plain.py",
        "app/tools.py",
        "app/user2.py",
        "app/user1.py",
        "app/small.py",
    ]


def test_the_outcome_does_not_depend_on_the_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are checked in `memory_order`, and reported as if in the given order."""
    write_project(tmp_path, {**ORDERED, **FILES, "app/broken.py": "import redis\nx = (\n"})
    config = Config(root=tmp_path)
    checked: list[str] = []
    check_file = shards.check_file

    def recording(path: Path, *args: object, **kwargs: object) -> object:
        checked.append(path.name)
        return check_file(path, *args, **kwargs)  # type: ignore[arg-type]

    def run() -> RunOutcome:
        return check_paths([str(tmp_path)], config, cwd=tmp_path, jobs=1, explain=True)

    monkeypatch.setattr(shards, "check_file", recording)
    reordered = run()
    memory_order = list(checked)
    checked.clear()
    monkeypatch.setattr(ProjectIndex, "memory_order", lambda self, paths: list(range(len(paths))))
    given = run()
    assert memory_order != checked  # the files were checked in another order
    assert reordered.findings == given.findings and reordered.findings
    assert list(reordered.facts) == list(given.facts)
    assert reordered.checked_paths == given.checked_paths
    assert reordered.notes == given.notes
    assert reordered.errors == given.errors


def test_a_reordered_block_moves_the_last_reads() -> None:
    """`reorder` puts a block of the files in another order; a module's last reader is
    then found at its new place, and the other files keep theirs."""
    importers = {"lib": ["c"]}
    retention = Retention(["a", "b", "c", "d"], lambda _m: (), lambda m: importers.get(m, ()))
    assert retention.needed("lib", 1) and not retention.needed("lib", 2)  # c reads it at 2
    retention.reorder(1, ["c", "b"])
    assert [retention.position(path) for path in "abcd"] == [0, 2, 1, 3]
    assert retention.needed("lib", 0) and not retention.needed("lib", 1)  # now at 1
