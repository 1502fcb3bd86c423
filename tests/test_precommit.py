"""The pre-commit hooks, run for real.

`pre-commit try-repo` installs this repository into its own virtualenv (pip builds the
package from source and fetches libcst, click and pathspec from PyPI) and runs the
`redislint` hook on a throwaway git project. The hook repository is a committed snapshot
of the working tree, so uncommitted work is what gets tested.

PRE_COMMIT_HOME points at a temporary directory shared by the module, so nothing touches
the user's ~/.cache/pre-commit. Note that `try-repo` itself always installs into a
temporary store of its own (pre_commit/commands/try_repo.py: `Store(tempdir)`), so each
run builds the hook environment; pip's cache makes the second build quick.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import missing_tool, run_command, show

# One worker runs the whole module: its module fixture (the pre-commit repository)
# is built once, not once per xdist worker.
pytestmark = pytest.mark.xdist_group("precommit")

REPO = Path(__file__).resolve().parents[1]

BAD_SOURCE = "import redis\nredis.Redis().flushall()\n"
CLEAN_SOURCE = (
    "import redis\n\n\ndef is_up(client: redis.Redis) -> bool:\n    return bool(client.ping())\n"
)
# With `cache-ttl` configured, RL201 (cache-key-without-ttl) has a safe fix: add ex=<ttl>.
FIXABLE_SOURCE = 'import redis\n\nr = redis.Redis()\nr.set("cache:a", "1")\n'
FIXED_SOURCE = 'import redis\n\nr = redis.Redis()\nr.set("cache:a", "1", ex=60)\n'

# Building the hook environment downloads and installs packages: be generous.
INSTALL_TIMEOUT = 900
# Directories never worth copying into the snapshot when git cannot list the files.
_NOT_SOURCE = (".git", ".venv", "venv", "__pycache__", "*.pyc", ".*_cache", "build", "dist")


def _run(
    args: Sequence[str | Path],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return run_command(args, cwd, env, timeout)


def _git_env(home: Path) -> dict[str, str]:
    """An environment whose git ignores the user's and the system's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    global_config = home / "gitconfig"
    global_config.touch()
    env.update(
        GIT_CONFIG_GLOBAL=str(global_config),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="redislint tests",
        GIT_AUTHOR_EMAIL="tests@redislint.invalid",
        GIT_COMMITTER_NAME="redislint tests",
        GIT_COMMITTER_EMAIL="tests@redislint.invalid",
    )
    return env


def _git(args: Sequence[str], cwd: Path, env: dict[str, str]) -> None:
    result = _run(["git", "-c", "init.defaultBranch=main", *args], cwd, env)
    assert result.returncode == 0, show(result)


def _working_tree_files() -> list[str] | None:
    """Tracked and untracked-but-not-ignored files of the repository (git's view), or None."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        return None
    result = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO)
    if result.returncode != 0:
        return None
    return [name for name in result.stdout.split("\0") if name]


def _snapshot_repo(dest: Path, env: dict[str, str]) -> Path:
    """A git repository holding the working tree as it is now, committed."""
    files = _working_tree_files()
    if files is None:
        shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    else:
        dest.mkdir()
        for name in files:
            source = REPO / name
            if not source.is_file():  # deleted in the working tree, not yet committed
                continue
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    assert (dest / ".pre-commit-hooks.yaml").is_file(), "the snapshot has no hooks file"
    _git(["init", "-q"], dest, env)
    _git(["add", "-A"], dest, env)
    _git(["commit", "-q", "--no-verify", "--no-gpg-sign", "-m", "snapshot"], dest, env)
    return dest


def _require_pre_commit() -> None:
    if shutil.which("git") is None:
        missing_tool("git is not on PATH")
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        missing_tool("pre-commit is not installed (pip install -e '.[dev]')")


@dataclass(frozen=True)
class TryRepo:
    """`pre-commit try-repo <snapshot> <hook> --files <file>`, run in a throwaway project."""

    hooks_repo: Path
    project: Path
    env: dict[str, str]

    def __call__(self, hook: str, filename: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pre_commit", "try-repo", self.hooks_repo, hook]
        command += ["--verbose", "--color", "never", "--files", filename]
        return _run(command, self.project, self.env, timeout=INSTALL_TIMEOUT)


@pytest.fixture(scope="module")
def try_repo(tmp_path_factory: pytest.TempPathFactory) -> TryRepo:
    _require_pre_commit()
    base = tmp_path_factory.mktemp("precommit")
    env = _git_env(base)
    env["PRE_COMMIT_HOME"] = str(base / "pre-commit-home")
    env["PRE_COMMIT_COLOR"] = "never"
    hooks_repo = _snapshot_repo(base / "hooks-repo", env)

    project = base / "project"
    project.mkdir()
    (project / "app.py").write_text(BAD_SOURCE, encoding="utf-8")
    (project / "clean.py").write_text(CLEAN_SOURCE, encoding="utf-8")
    (project / "fixable.py").write_text(FIXABLE_SOURCE, encoding="utf-8")
    (project / "redislint.toml").write_text("cache-ttl = 60\n", encoding="utf-8")
    _git(["init", "-q"], project, env)
    _git(["add", "-A"], project, env)
    return TryRepo(hooks_repo, project, env)


def test_manifest_is_valid() -> None:
    _require_pre_commit()
    import yaml  # a dependency of pre-commit

    manifest = REPO / ".pre-commit-hooks.yaml"
    result = _run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", manifest], REPO, timeout=60
    )
    assert result.returncode == 0, show(result)
    hooks = {hook["id"]: hook for hook in yaml.safe_load(manifest.read_text(encoding="utf-8"))}
    assert set(hooks) == {"redislint", "redislint-fix"}
    assert hooks["redislint"]["entry"] == "redislint check --force-exclude"
    assert hooks["redislint-fix"]["entry"] == "redislint check --fix --force-exclude"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi", "yaml", "dockerfile", "text"]
        assert hook["require_serial"] is True
        assert hook["minimum_pre_commit_version"] == "2.9.0"


def test_manifest_passes_python_and_deployment_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pre-commit's own file selection (files AND types_or) on a tree of every kind."""
    _require_pre_commit()
    import yaml
    from pre_commit.commands.run import Classifier, filter_by_include_exclude

    names = {
        "app/tasks.py": True,
        "app/stubs.pyi": True,
        "deploy/redis.conf": True,
        "deploy/valkey-6380.conf": True,
        "deploy/sentinel.conf": True,
        "docker-compose.yml": True,
        "k8s/redis.yaml": True,
        "Dockerfile": True,
        "docker/Dockerfile.redis": True,
        "deploy/nginx.conf": False,
        "README.md": False,
        "setup.cfg": False,
        "logo.png": False,
    }
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n\0" if name.endswith(".png") else b"x\n")
    monkeypatch.chdir(tmp_path)
    manifest = REPO / ".pre-commit-hooks.yaml"
    for hook in yaml.safe_load(manifest.read_text(encoding="utf-8")):
        classifier = Classifier(list(names))
        chosen = classifier.by_types(
            filter_by_include_exclude(classifier.filenames, hook["files"], "^$"),
            hook.get("types", []),
            hook["types_or"],
            [],
        )
        assert set(chosen) == {name for name, wanted in names.items() if wanted}, hook["id"]


@pytest.mark.slow
def test_hook_fails_on_bad_file(try_repo: TryRepo) -> None:
    result = try_repo("redislint", "app.py")
    assert result.returncode != 0, "the hook passed on a file that calls FLUSHALL\n" + show(result)
    assert "RL301" in result.stdout, "the hook output does not mention RL301\n" + show(result)
    assert "app.py:2:1: RL301" in result.stdout, show(result)


@pytest.mark.slow
def test_hook_passes_on_clean_file(try_repo: TryRepo) -> None:
    result = try_repo("redislint", "clean.py")
    assert result.returncode == 0, "the hook failed on a clean file\n" + show(result)
    assert "Passed" in result.stdout, show(result)


@pytest.mark.slow
def test_fix_hook_rewrites_the_file(try_repo: TryRepo) -> None:
    result = try_repo("redislint-fix", "fixable.py")
    fixed = (try_repo.project / "fixable.py").read_text(encoding="utf-8")
    assert fixed == FIXED_SOURCE, "the fix hook did not apply the safe fix\n" + show(result)
    # pre-commit fails a hook that modified files, so the user sees and stages the change.
    assert result.returncode != 0, show(result)
    assert "files were modified by this hook" in result.stdout, show(result)
