"""File discovery (excludes, .gitignore, symlinks, unreadable directories) and the prefilter."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from redislint.config import Config
from redislint.discovery import DiscoveryResult, discover, prefilter


def make(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")


def rel(result: DiscoveryResult, root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in result.files]


def run(root: Path, *paths: str, config: Config | None = None) -> DiscoveryResult:
    return discover(list(paths) or ["."], config or Config(root=root), root)


def test_walks_py_and_pyi_sorted(tmp_path: Path) -> None:
    make(tmp_path, "b.py", "a/z.pyi", "a/y.py", "notes.txt", "a/data.json", "c.pyc")
    result = run(tmp_path)
    assert rel(result, tmp_path) == ["a/y.py", "a/z.pyi", "b.py"]
    assert result.errors == []
    assert all(p.is_absolute() for p in result.files)


def test_empty_paths_mean_cwd(tmp_path: Path) -> None:
    make(tmp_path, "a.py")
    assert rel(discover([], Config(root=tmp_path), tmp_path), tmp_path) == ["a.py"]


def test_default_excluded_directories(tmp_path: Path) -> None:
    make(
        tmp_path,
        "app.py",
        ".git/hooks/x.py",
        ".venv/lib/x.py",
        "venv/lib/x.py",
        "__pycache__/x.py",
        "node_modules/x.py",
        ".tox/x.py",
        "build/x.py",
        "dist/x.py",
        "env2/pyvenv.cfg",
        "env2/lib/x.py",
    )
    assert rel(run(tmp_path), tmp_path) == ["app.py"]


def test_explicit_directory_is_walked_even_if_its_name_is_excluded(tmp_path: Path) -> None:
    make(tmp_path, "build/gen.py")
    assert rel(run(tmp_path, "build"), tmp_path) == ["build/gen.py"]


def test_config_exclude(tmp_path: Path) -> None:
    make(
        tmp_path,
        "app/models.py",
        "app/migrations/0001.py",
        "vendor/lib.py",
        "pkg/vendor/lib.py",
        "gen/a.gen.py",
    )
    config = Config(root=tmp_path, exclude=("migrations/", "/vendor", "*.gen.py"))
    assert rel(run(tmp_path, config=config), tmp_path) == ["app/models.py", "pkg/vendor/lib.py"]


def test_exclude_is_relative_to_config_root_not_cwd(tmp_path: Path) -> None:
    make(tmp_path, "proj/vendor/lib.py", "proj/app.py")
    config = Config(root=tmp_path / "proj", exclude=("/vendor",))
    result = discover(["."], config, tmp_path / "proj")
    assert rel(result, tmp_path) == ["proj/app.py"]
    # Walking from the parent directory: the anchored pattern still means proj/vendor.
    result = discover(["proj"], config, tmp_path)
    assert rel(result, tmp_path) == ["proj/app.py"]


def test_explicit_file_is_checked_even_if_excluded_or_not_py(tmp_path: Path) -> None:
    make(tmp_path, "migrations/0001.py", "script")
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    make(tmp_path, "ignored.py")
    config = Config(root=tmp_path, exclude=("migrations/",))
    result = run(tmp_path, "migrations/0001.py", "script", "ignored.py", config=config)
    assert rel(result, tmp_path) == ["ignored.py", "migrations/0001.py", "script"]


def test_gitignore_root_and_nested(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("generated/\n*_pb2.py\n")
    make(
        tmp_path,
        "app.py",
        "generated/x.py",
        "pkg/api_pb2.py",
        "pkg/keep.py",
        "pkg/local.py",
        "pkg/sub/local.py",
        "pkg/sub/special_pb2.py",
        "other/local.py",
    )
    (tmp_path / "pkg" / ".gitignore").write_text("/local.py\n")
    (tmp_path / "pkg" / "sub" / ".gitignore").write_text("!special_pb2.py\n")
    assert rel(run(tmp_path), tmp_path) == [
        "app.py",
        "other/local.py",
        "pkg/keep.py",
        "pkg/sub/local.py",
        "pkg/sub/special_pb2.py",
    ]


def test_gitignore_above_walked_directory_up_to_git_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git" / "info").mkdir(parents=True)
    (repo / ".git" / "info" / "exclude").write_text("secret.py\n")
    make(repo, "src/pkg/a.py", "src/pkg/skip_me.py", "src/pkg/also_skip.py", "src/pkg/secret.py")
    (repo / ".gitignore").write_text("skip_me.py\n")
    (repo / "src" / ".gitignore").write_text("also_skip.py\n")
    (tmp_path / ".gitignore").write_text("*.py\n")  # above the git root: must not apply
    result = discover(["src/pkg"], Config(root=repo), repo)
    assert rel(result, repo) == ["src/pkg/a.py"]


def test_gitignore_up_to_config_root_without_git(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n")  # above the config root: not read
    proj = tmp_path / "proj"
    make(proj, "pkg/a.py", "pkg/b.py")
    (proj / ".gitignore").write_text("b.py\n")
    result = discover(["pkg"], Config(root=proj), proj)
    assert rel(result, proj) == ["pkg/a.py"]


def test_root_true_stops_gitignore_search_below_git_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("b.py\n")
    proj = tmp_path / "proj"
    make(proj, "a.py", "b.py")
    assert rel(discover(["."], Config(root=proj), proj), proj) == ["a.py"]
    config = Config(root=proj, is_root=True)
    assert rel(discover(["."], config, proj), proj) == ["a.py", "b.py"]


def test_gitignore_with_invalid_line_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("!\nb.py\n")
    make(tmp_path, "a.py", "b.py")
    result = run(tmp_path)
    assert rel(result, tmp_path) == ["a.py"]
    assert result.errors == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlink_loop_does_not_hang(tmp_path: Path) -> None:
    make(tmp_path, "a/x.py", "b/y.py")
    os.symlink(tmp_path, tmp_path / "a" / "loop")  # points at an ancestor
    os.symlink(tmp_path / "b", tmp_path / "a" / "to_b")
    os.symlink(tmp_path / "a", tmp_path / "b" / "to_a")  # a <-> b
    os.symlink(tmp_path / "self", tmp_path / "self")  # ELOOP
    os.symlink(tmp_path / "missing", tmp_path / "dangling.py")
    result = run(tmp_path)
    # each real file once, under its real location
    assert rel(result, tmp_path) == ["a/x.py", "b/y.py"]
    assert result.errors == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlinked_directory_outside_tree_is_followed(tmp_path: Path) -> None:
    make(tmp_path, "outside/lib.py", "proj/app.py")
    os.symlink(tmp_path / "outside", tmp_path / "proj" / "linked")
    result = discover(["."], Config(root=tmp_path / "proj"), tmp_path / "proj")
    assert rel(result, tmp_path / "proj") == ["app.py", "linked/lib.py"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_same_file_named_twice_is_listed_once(tmp_path: Path) -> None:
    make(tmp_path, "pkg/a.py")
    os.symlink(tmp_path / "pkg" / "a.py", tmp_path / "alias.py")
    result = run(tmp_path, "pkg", "pkg/a.py", "alias.py", "./pkg/../pkg/a.py")
    assert rel(result, tmp_path) == ["pkg/a.py"]


def test_nonexistent_path_is_an_error(tmp_path: Path) -> None:
    make(tmp_path, "a.py")
    result = run(tmp_path, "a.py", "missing.py", "nodir/")
    assert rel(result, tmp_path) == ["a.py"]
    assert [path for path, _ in result.errors] == ["missing.py", "nodir/"]
    assert all("No such file" in message for _, message in result.errors)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_unreadable_directory(tmp_path: Path) -> None:
    make(tmp_path, "ok.py", "locked/secret.py")
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        result = run(tmp_path)  # must not raise
    finally:
        locked.chmod(0o755)
    assert "ok.py" in rel(result, tmp_path)
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not block reads (no-crash checked)")
    assert rel(result, tmp_path) == ["ok.py"]
    assert result.errors == [("locked", "Permission denied")]


def test_directory_read_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path as above, independent of who runs the tests."""
    make(tmp_path, "ok.py", "locked/secret.py")
    real_scandir = os.scandir
    locked = str(tmp_path / "locked")

    def scandir(path: str) -> os.ScandirIterator[str]:  # type: ignore[name-defined]
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run(tmp_path)
    assert rel(result, tmp_path) == ["ok.py"]
    assert result.errors == [("locked", "Permission denied")]


def test_error_paths_outside_cwd_are_absolute(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = discover([str(tmp_path / "gone")], Config(root=cwd), cwd)
    assert result.errors[0][0] == str(tmp_path / "gone")


# -- prefilter ---------------------------------------------------------------------------


def test_prefilter_redis_any_case() -> None:
    config = Config()
    assert prefilter("import redis\n", config)
    assert prefilter("from django_redis import get_redis_connection\n", config)
    assert prefilter("c = RedisCluster()\n", config)
    assert prefilter("x = REDIS_URL\n", config)
    assert not prefilter("import requests\nrequests.get(url)\n", config)


def test_prefilter_configured_names() -> None:
    config = Config(client_factories=("myapp.db.get_conn",), client_names=("self.kv",))
    assert prefilter("from myapp.db import get_conn\nget_conn().set('a', 1)\n", config)
    assert prefilter("self.kv.set('a', 1)\n", config)
    assert not prefilter("print('hello')\n", config)
