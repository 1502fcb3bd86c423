"""Paths in module resolution (`ModuleFinder.real_path`, module finding): a file's real
path is its folder's, resolved once per folder, and its name, except where a symlink
is in the way; module files are found by joining text, with the same answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import invoke_cli

from redislint.config import Config
from redislint.semantics.modules import ModuleFinder
from redislint.semantics.project import ProjectIndex


def test_a_file_is_its_folders_real_path_and_its_name(tmp_path: Path) -> None:
    real = tmp_path / "real" / "pkg"
    real.mkdir(parents=True)
    (real / "mod.py").write_text("X = 1\n")
    os.symlink(tmp_path / "real", tmp_path / "linked")  # a symlinked folder on the way
    (tmp_path / "alias.py").symlink_to(real / "mod.py")  # a symlinked file
    index = ModuleFinder(Config(root=tmp_path))
    through = tmp_path / "linked" / "pkg" / "mod.py"
    assert index.real_path(through) == (real / "mod.py").resolve()
    assert index.real_path(tmp_path / "alias.py") == (real / "mod.py").resolve()
    assert index.real_path(tmp_path / "real" / "pkg" / ".." / "pkg") == real.resolve()
    missing = tmp_path / "linked" / "gone.py"  # not there: still where it would be
    assert index.real_path(missing) == missing.resolve()


def test_relative_paths_are_resolved_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_text("")
    index = ModuleFinder(Config(root=tmp_path))
    monkeypatch.chdir(tmp_path)
    assert index.real_path(Path("a.py")) == (tmp_path / "a.py").resolve()


def test_modules_and_packages_are_found_under_the_root(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "leaf.py").write_text("")
    (tmp_path / "top.py").write_text("")
    (tmp_path / "notpkg").mkdir()  # a folder without __init__.py is no package here
    index = ModuleFinder(Config(root=tmp_path))
    root = tmp_path.resolve()
    assert index.find_module("top") == root / "top.py"
    assert index.find_module("pkg") == root / "pkg" / "__init__.py"
    assert index.find_module("pkg.sub.leaf") == root / "pkg" / "sub" / "leaf.py"
    assert index.find_module("pkg.sub") == root / "pkg" / "sub" / "__init__.py"
    assert index.find_module("pkg.missing") is None
    assert index.find_module("notpkg") is None


def _two_source_roots(tmp_path: Path, library: str, service: str) -> None:
    """A client defined in one source root (`library/shared`) and used from another
    (`service/app`), neither of them the configuration's root nor its `src`."""
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    shared = tmp_path / library / "shared"
    shared.mkdir(parents=True)
    (shared / "__init__.py").write_text("")
    (shared / "db.py").write_text(
        "import redis\n\nr = redis.Redis()\n\n\ndef drop():\n    r.flushall()\n"
    )
    app = tmp_path / service / "app"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "tasks.py").write_text("from shared.db import r\n\n\ndef reset():\n    r.flushall()\n")


def test_parsing_a_module_does_not_add_its_source_root_to_the_search(tmp_path: Path) -> None:
    """Which modules an import finds must not depend on what the process parsed before
    (check order, sharding, a language server's earlier buffers): only the importing
    file's own source root and the configuration's root and `src` are searched."""
    _two_source_roots(tmp_path, "libs", "svc")
    index = ProjectIndex(Config(root=tmp_path))
    db = tmp_path / "libs" / "shared" / "db.py"
    index.parse(db, db.read_text())
    tasks = str(index.modules.real_path(tmp_path / "svc" / "app" / "tasks.py"))
    assert index.modules.find_module("shared.db", tasks) is None
    assert index.modules.find_module("shared.db", str(index.modules.real_path(db))) == db.resolve()


@pytest.mark.parametrize(("library", "service"), [("libs", "svc"), ("zlibs", "asvc")])
def test_findings_do_not_depend_on_the_order_files_are_checked_in(
    tmp_path: Path, library: str, service: str
) -> None:
    """The tree as a folder or its two files in either order, by one worker or two:
    the service's import of the library resolves the same way, not at all, since the
    library is no folder of `src` (before, it was found when a file of the library had
    been parsed first in the same worker: two findings for the files named, one for
    the folder)."""
    _two_source_roots(tmp_path, library, service)
    db, tasks = f"{library}/shared/db.py", f"{service}/app/tasks.py"
    outputs: set[str] = set()
    for paths in (["."], [db, tasks], [tasks, db]):
        for jobs in ("1", "2"):
            args = ["check", "--no-cache", "--select", "RL301", "--jobs", jobs]
            result = invoke_cli([*args, "--output-format", "concise", *paths], tmp_path)
            outputs.add(result.output)
    assert len(outputs) == 1, outputs
    (output,) = outputs
    assert f"{db}:7:5: RL301" in output
    assert "tasks.py" not in output


def test_src_names_the_folders_imports_are_resolved_from(tmp_path: Path) -> None:
    """With the library's folder in `src` (ruff's setting), the service's client is the
    library's, whatever the order of the files."""
    _two_source_roots(tmp_path, "libs", "svc")
    (tmp_path / "pyproject.toml").write_text('[tool.redislint]\nsrc = [".", "libs"]\n')
    for paths in (["."], ["svc/app/tasks.py", "libs/shared/db.py"], ["svc/app/tasks.py"]):
        args = ["check", "--no-cache", "--select", "RL301", "--output-format", "concise"]
        result = invoke_cli([*args, *paths], tmp_path)
        assert "svc/app/tasks.py:5:5: RL301" in result.output, (paths, result.output)
