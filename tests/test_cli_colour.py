"""Colour on a terminal (issue 14): `--color auto|always|never`, NO_COLOR, FORCE_COLOR,
and never in files, pipes or machine formats. Through the real command line: click's
runner, and a subprocess on a pseudo-terminal where `auto` must see a TTY."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import click
import pytest
from support import invoke_cli

from redislint.report import ALL_FORMATS
from redislint.report.colour import COLOURED_FORMATS

ESC = "\x1b["
# RL201 (a hint and a safe fix with cache-ttl) and RL301 (a hint)
SOURCE = (
    "import redis\n\n"
    "r = redis.Redis()\n\n\n"
    "def remember(user_id: int, value: str) -> None:\n"
    "    r.set(f'cache:user:{user_id}', value)\n"
    "    r.flushall()\n"
)
PLAIN_ENV = {"NO_COLOR": "", "FORCE_COLOR": "", "TERM": "xterm-256color"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "redislint.toml").write_text("cache-ttl = 60\n")
    (tmp_path / "app.py").write_text(SOURCE)
    return tmp_path


def _check(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = invoke_cli(["check", "--no-cache", *args, "app.py"], project, env=env)
    assert result.exit_code == 1, result.output
    return result.stdout


def test_always_styles_code_path_hint_fix_and_summary_differently(project: Path) -> None:
    out = _check(project, "--color", "always", env=PLAIN_ENV)
    assert ESC in out
    # the text is unchanged: colour only adds styles
    assert click.unstyle(out) == _check(project, "--color", "never", env=PLAIN_ENV)
    assert click.style("app.py", bold=True) + click.style(":", fg="cyan") in out
    assert click.style("RL201", fg="red", bold=True) in out
    assert click.style("hint:", fg="cyan", bold=True) in out
    assert click.style("fix (safe):", fg="green", bold=True) in out
    assert click.style("Found 2 findings.", bold=True) in out
    styles = {
        click.style("x", fg="red", bold=True),
        click.style("x", fg="cyan", bold=True),
        click.style("x", fg="green", bold=True),
        click.style("x", bold=True),
    }
    assert len(styles) == 4  # four different looks


@pytest.mark.parametrize("fmt", COLOURED_FORMATS)
def test_every_human_format_is_coloured_and_keeps_its_text(project: Path, fmt: str) -> None:
    coloured = _check(project, "--output-format", fmt, "--color", "always", env=PLAIN_ENV)
    plain = _check(project, "--output-format", fmt, "--color", "never", env=PLAIN_ENV)
    assert ESC in coloured and ESC not in plain
    assert click.unstyle(coloured) == plain


@pytest.mark.parametrize("fmt", [f for f in ALL_FORMATS if f not in COLOURED_FORMATS])
def test_machine_formats_are_never_coloured(project: Path, fmt: str) -> None:
    env = {**PLAIN_ENV, "FORCE_COLOR": "1"}
    assert ESC not in _check(project, "--output-format", fmt, "--color", "always", env=env)


def test_output_file_is_never_coloured(project: Path) -> None:
    result = invoke_cli(
        ["check", "--no-cache", "--color", "always", "--output-file", "out.txt", "app.py"],
        project,
        env={**PLAIN_ENV, "FORCE_COLOR": "1"},
    )
    assert result.exit_code == 1
    text = (project / "out.txt").read_text()
    assert "RL201" in text and ESC not in text


def test_auto_in_a_pipe_is_plain_and_environment_precedence(project: Path) -> None:
    # click's runner is not a terminal: auto gives no colour...
    assert ESC not in _check(project, env=PLAIN_ENV)
    # ...FORCE_COLOR (any non-empty value) forces it...
    assert ESC in _check(project, env={**PLAIN_ENV, "FORCE_COLOR": "1"})
    # ...NO_COLOR beats FORCE_COLOR...
    assert ESC not in _check(project, env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    # ...and the flag beats both
    assert ESC in _check(project, "--color", "always", env={"NO_COLOR": "1"})
    assert ESC not in _check(project, "--color", "never", env={"FORCE_COLOR": "1"})


def _run_on_a_terminal(project: Path, args: list[str], env: dict[str, str]) -> str:
    """`redislint ARGS` with stdout on a pseudo-terminal; what it printed there."""
    main, child = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "redislint", *args],
        cwd=project,
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=subprocess.PIPE,
        env=full_env,
    )
    os.close(child)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            if not ready:
                process.kill()
                pytest.fail("redislint on a pty printed nothing for 60 s")
            try:
                data = os.read(main, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(main)
        process.wait(timeout=60)
        assert process.stderr is not None
        process.stderr.close()
    assert process.returncode == 1
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_auto_on_a_terminal_is_coloured(project: Path) -> None:
    args = ["check", "--no-cache", "app.py"]
    out = _run_on_a_terminal(project, args, {"TERM": "xterm"})
    assert "RL201" in out and ESC in out
    assert click.style("RL301", fg="red", bold=True) in out
    # on the same terminal, NO_COLOR, TERM=dumb and --color never turn it off
    assert ESC not in _run_on_a_terminal(project, args, {"TERM": "xterm", "NO_COLOR": "1"})
    assert ESC not in _run_on_a_terminal(project, args, {"TERM": "dumb"})
    never = ["check", "--no-cache", "--color", "never", "app.py"]
    assert ESC not in _run_on_a_terminal(project, never, {"TERM": "xterm"})
    # a machine format stays plain even on a terminal
    as_json = ["check", "--no-cache", "--output-format", "json", "app.py"]
    assert ESC not in _run_on_a_terminal(project, as_json, {"TERM": "xterm"})
