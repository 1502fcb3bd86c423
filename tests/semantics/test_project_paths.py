"""Paths in the project index (`ProjectIndex.real_path`, module finding): a file's real
path is its folder's, resolved once per folder, and its name, except where a symlink
is in the way; module files are found by joining text, with the same answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from redislint.config import Config
from redislint.semantics.project import ProjectIndex


def test_a_file_is_its_folders_real_path_and_its_name(tmp_path: Path) -> None:
    real = tmp_path / "real" / "pkg"
    real.mkdir(parents=True)
    (real / "mod.py").write_text("X = 1\n")
    os.symlink(tmp_path / "real", tmp_path / "linked")  # a symlinked folder on the way
    (tmp_path / "alias.py").symlink_to(real / "mod.py")  # a symlinked file
    index = ProjectIndex(Config(root=tmp_path))
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
    index = ProjectIndex(Config(root=tmp_path))
    monkeypatch.chdir(tmp_path)
    assert index.real_path(Path("a.py")) == (tmp_path / "a.py").resolve()


def test_modules_and_packages_are_found_under_the_root(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "leaf.py").write_text("")
    (tmp_path / "top.py").write_text("")
    (tmp_path / "notpkg").mkdir()  # a folder without __init__.py is no package here
    index = ProjectIndex(Config(root=tmp_path))
    root = tmp_path.resolve()
    assert index.find_module("top") == root / "top.py"
    assert index.find_module("pkg") == root / "pkg" / "__init__.py"
    assert index.find_module("pkg.sub.leaf") == root / "pkg" / "sub" / "leaf.py"
    assert index.find_module("pkg.sub") == root / "pkg" / "sub" / "__init__.py"
    assert index.find_module("pkg.missing") is None
    assert index.find_module("notpkg") is None
