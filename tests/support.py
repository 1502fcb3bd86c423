"""Small helpers shared by the test modules (imported as `support`, beside conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from redislint import discovery
from redislint.cli import main


def missing_tool(message: str) -> None:
    """Skip locally, but fail in CI (CI=true): a broken CI image must not skip silently."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (required when CI=true)")
    pytest.skip(message)


def show(result: subprocess.CompletedProcess[str]) -> str:
    """A finished command, its exit code and its output, for assertion messages."""
    return (
        f"$ {' '.join(map(str, result.args))}\n(exit {result.returncode})\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


def run_command(
    args: Sequence[str | Path],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; a time-out fails the test with what it printed."""
    try:
        return subprocess.run(
            [str(a) for a in args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr
        pytest.fail(
            f"timed out after {timeout}s: {' '.join(map(str, args))}\n"
            f"--- stdout ---\n{out or ''}\n--- stderr ---\n{err or ''}"
        )


# `redislint ARGS` in a process that writes, as it exits, the modules it imported (its
# workers and its standby child leave with `os._exit`: their imports are not listed).
_LIST_IMPORTS = """
import atexit, sys
listing, sys.argv = sys.argv[1], ["redislint", *sys.argv[2:]]
def _list() -> None:
    with open(listing, "w", encoding="utf-8") as out:
        out.write("\\n".join(sorted(sys.modules)))
atexit.register(_list)
from redislint.cli import main
main()
"""


def run_listing_imports(
    args: Sequence[str], cwd: Path, stdin: str | None = None
) -> tuple[str, int, list[str]]:
    """A real `redislint ARGS` process: its output, exit code and the modules the process
    itself imported (not its workers)."""
    handle, listing = tempfile.mkstemp(suffix=".modules")  # outside the tree it checks
    os.close(handle)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _LIST_IMPORTS, listing, *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        modules = Path(listing).read_text(encoding="utf-8").split()
    finally:
        os.unlink(listing)
    assert "redislint.cli" in modules  # the listing sees the process's imports
    return done.stdout, done.returncode, modules


def invoke_cli(
    args: Sequence[str],
    cwd: Path,
    *,
    stdin: str | bytes | None = None,
    env: dict[str, str] | None = None,
) -> Result:
    """`redislint ARGS` in-process through click's CliRunner, run from `cwd` (the paths a
    report prints are relative to it); exceptions propagate, so a traceback fails the test."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)
    finally:
        os.chdir(old)


def count_walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders discovery's walker lists from now on (a walk replayed from its memo,
    `walk_memo.py`, lists none)."""
    listed: list[str] = []
    real = discovery._Walker.walk_one

    def record(self: discovery._Walker, directory: str, *args: object) -> object:
        listed.append(directory)
        return real(self, directory, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(discovery._Walker, "walk_one", record)
    return listed
