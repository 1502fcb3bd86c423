"""The wheel, built and installed for real.

With a src/ layout the top-level `rules/` catalogue is only shipped because pyproject
force-includes it as `redislint/catalogue_data`; an editable install reads `rules/`
directly and would hide a packaging mistake. So: build the wheel, install it into a fresh
virtualenv (dependencies from PyPI), and run the installed `redislint` from outside the
source tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import missing_tool, run_command, show

from redislint.catalogue import load_catalogue

# One worker runs the whole module: its module fixture (the wheel and its venv)
# is built once, not once per xdist worker.
pytestmark = pytest.mark.xdist_group("wheel")

REPO = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""

# Building and installing download packages: be generous.
TIMEOUT = 900


def _clean_env() -> dict[str, str]:
    """The environment without anything that would let the venv see this checkout."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _run(
    args: Sequence[str | Path], cwd: Path, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return run_command(args, cwd, _clean_env(), timeout)


def _ok(args: Sequence[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = _run(args, cwd)
    assert result.returncode == 0, show(result)
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the working tree.

    `python -m build` builds the sdist and then the wheel *from the sdist*, as a release
    does, so a file missing from the sdist's include list shows up here too. Without
    `build`, pip builds the wheel straight from the tree.
    """
    out = tmp_path_factory.mktemp("wheelhouse")
    try:
        import build  # noqa: F401

        command = [sys.executable, "-m", "build", "--outdir", out, REPO]
    except ImportError:
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", out, REPO]
    _ok(command, out)
    wheels = sorted(out.glob("redislint-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {out}, found {wheels}"
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (no system site-packages) with the wheel installed."""
    home = tmp_path_factory.mktemp("venv")
    env_dir = home / "env"
    result = _run([sys.executable, "-m", "venv", env_dir], home)
    if result.returncode != 0 or not (env_dir / BIN / f"python{EXE}").exists():
        missing_tool("python -m venv does not work here (is ensurepip installed?)\n" + show(result))
    python = env_dir / BIN / f"python{EXE}"
    _ok([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", wheel], home)
    return env_dir


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory outside the checkout to run the installed tool from."""
    return tmp_path_factory.mktemp("outside")


@pytest.mark.slow
def test_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "redislint/catalogue_data/RL301-flush-command.md" in names, sorted(names)
    assert "redislint/data/commands.json" in names, sorted(names)
    for entry in sorted((REPO / "rules").glob("RL*.md")):
        assert f"redislint/catalogue_data/{entry.name}" in names, f"{entry.name} not shipped"
    for module in sorted((REPO / "src" / "redislint").rglob("*.py")):
        rel = module.relative_to(REPO / "src").as_posix()
        assert rel in names, f"{rel} is not in the wheel"
    stray = sorted(n for n in names if n.split("/")[0] in {"rules", "tests", "src", "docs"})
    assert not stray, f"files outside the package in the wheel: {stray}"


@pytest.mark.slow
def test_installed_package_is_the_wheel(venv: Path, workdir: Path) -> None:
    code = (
        "import importlib.resources as r, redislint; "
        "print(redislint.__file__); "
        "print((r.files('redislint') / 'catalogue_data').is_dir())"
    )
    result = _ok([venv / BIN / f"python{EXE}", "-c", code], workdir)
    location, has_catalogue = result.stdout.split()
    assert Path(location).resolve().is_relative_to(venv.resolve()), show(result)
    assert has_catalogue == "True", show(result)


@pytest.mark.slow
def test_explain_from_the_wheel(venv: Path, workdir: Path) -> None:
    result = _ok([venv / BIN / f"redislint{EXE}", "explain", "RL301"], workdir)
    assert result.stdout == load_catalogue()["RL301"].markdown(), show(result)
    assert "# flush-command (RL301)" in result.stdout
    assert "## Why is this bad?" in result.stdout


@pytest.mark.slow
def test_rules_from_the_wheel(venv: Path, workdir: Path) -> None:
    catalogue = load_catalogue()
    text = _ok([venv / BIN / f"redislint{EXE}", "rules"], workdir).stdout
    for code, doc in catalogue.items():
        assert code in text and doc.summary in text, f"{code} missing from `rules`:\n{text}"
    listed = json.loads(
        _ok([venv / BIN / f"redislint{EXE}", "rules", "--format", "json"], workdir).stdout
    )
    assert [row["code"] for row in listed] == list(catalogue)


@pytest.mark.slow
def test_check_from_the_wheel(venv: Path, workdir: Path) -> None:
    (workdir / "app.py").write_text("import redis\nredis.Redis().flushall()\n", encoding="utf-8")
    result = _run([venv / BIN / f"redislint{EXE}", "check", "--isolated", "app.py"], workdir)
    assert result.returncode == 1, show(result)
    assert "app.py:2:1: RL301 [flush-command]" in result.stdout, show(result)
