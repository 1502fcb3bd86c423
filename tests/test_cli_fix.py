"""`check --fix`, `--unsafe-fixes`, `--diff`, `--stdin-filename` with `--fix`, `--add-noqa`,
and a fixing process killed with SIGKILL.

The fixes are the real ones: RL201 adds `ex=<cache-ttl>` to SET on a cache key (safe when
`cache-ttl` is configured), RL202 removes the expiry from SET on a critical key (unsafe).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from redislint.cli import main
from redislint.fixes import TEMP_SUFFIX

CONFIG = """[tool.redislint]
select = ["RL201", "RL202"]
cache-ttl = 300

[[tool.redislint.keyspace]]
pattern = "cache:*"
role = "cache"

[[tool.redislint.keyspace]]
pattern = "order:*"
role = "critical"
"""

APP = """import redis

r = redis.Redis()


def remember(uid, page):
    r.set(f"cache:{uid}", page)


def record(oid, order):
    r.set(f"order:{oid}", order, ex=60)
"""
SAFE_FIXED = APP.replace('r.set(f"cache:{uid}", page)', 'r.set(f"cache:{uid}", page, ex=300)')
ALL_FIXED = SAFE_FIXED.replace(", ex=60)", ")")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, input: bytes | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["check", *args], input=input)


def test_fix_applies_safe_fixes_and_reports_what_remains(project: Path) -> None:
    result = run("--fix", ".")
    assert result.exit_code == 1, result.output
    assert (project / "app.py").read_text() == SAFE_FIXED
    assert "RL201" not in result.stdout
    assert "app.py:11:5: RL202 [ttl-on-critical-key]" in result.stdout
    assert result.stdout.endswith(
        "Fixed 1 finding.\nFound 1 finding.\n"
        "1 fix available with `redislint check --fix --unsafe-fixes`.\n"
    )


def test_unsafe_fixes_adds_the_unsafe_ones(project: Path) -> None:
    result = run("--fix", "--unsafe-fixes", ".")
    assert result.exit_code == 0, result.output
    assert (project / "app.py").read_text() == ALL_FIXED
    assert result.stdout == "Fixed 2 findings.\nAll checks passed!\n"
    again = run("--fix", "--unsafe-fixes", ".")
    assert again.exit_code == 0 and again.stdout == "All checks passed!\n"


def test_fix_with_json_reports_the_remaining_findings(project: Path) -> None:
    result = run("--fix", "--format", "json", ".")
    data = json.loads(result.stdout)
    assert [d["code"] for d in data["diagnostics"]] == ["RL202"]
    assert data["diagnostics"][0]["fix"]["safety"] == "unsafe"


def test_diff_prints_the_fix_and_changes_nothing(project: Path) -> None:
    result = run("--diff", ".")
    assert result.exit_code == 1
    assert (project / "app.py").read_text() == APP
    assert result.stdout == (
        "--- a/app.py\n"
        "+++ b/app.py\n"
        "@@ -4,7 +4,7 @@\n"
        " \n"
        " \n"
        " def remember(uid, page):\n"
        '-    r.set(f"cache:{uid}", page)\n'
        '+    r.set(f"cache:{uid}", page, ex=300)\n'
        " \n"
        " \n"
        " def record(oid, order):\n"
    )
    assert "Would fix 1 finding." in result.stderr
    unsafe = run("--diff", "--unsafe-fixes", ".")
    assert unsafe.exit_code == 1 and '-    r.set(f"order:{oid}", order, ex=60)' in unsafe.stdout


def test_diff_exits_0_when_there_is_nothing_to_fix(project: Path) -> None:
    (project / "app.py").write_text(SAFE_FIXED)
    result = run("--diff", ".")
    assert result.exit_code == 0 and result.stdout == ""


def test_fix_preserves_bom_crlf_missing_final_newline_and_mode(project: Path) -> None:
    crlf = APP.replace("\n", "\r\n").rstrip("\r\n")  # no final newline
    path = project / "app.py"
    path.write_bytes(b"\xef\xbb\xbf" + crlf.encode())
    path.chmod(0o755)
    result = run("--fix", "--unsafe-fixes", ".")
    assert result.exit_code == 0, result.output
    expected = b"\xef\xbb\xbf" + ALL_FIXED.replace("\n", "\r\n").rstrip("\r\n").encode()
    assert path.read_bytes() == expected
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert sorted(p.name for p in project.iterdir()) == ["app.py", "pyproject.toml"]


def test_fix_keeps_a_declared_encoding(project: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + APP.replace(", page)\n", ", page)  # café\n")
    (project / "app.py").write_bytes(source.encode("latin-1"))
    assert run("--fix", ".").exit_code == 1
    fixed = "# -*- coding: latin-1 -*-\n" + SAFE_FIXED.replace("ex=300)", "ex=300)  # café")
    assert (project / "app.py").read_bytes() == fixed.encode("latin-1")


def test_stdin_fix_prints_only_the_fixed_source(project: Path) -> None:
    crlf = APP.replace("\n", "\r\n").encode()
    result = run("--fix", "--stdin-filename", "app.py", input=crlf)
    assert result.stdout_bytes == SAFE_FIXED.replace("\n", "\r\n").encode()
    assert result.exit_code == 1  # the unsafe finding remains, reported on stderr (as ruff)
    (first, *rest) = result.stderr.splitlines()
    assert first.startswith("app.py:11:") and " RL202 [" in first
    assert all(line.startswith("  ") for line in rest)  # its hint / fix lines
    assert (project / "app.py").read_text() == APP  # the file on disk is not touched
    clean = run("--fix", "--unsafe-fixes", "--stdin-filename", "app.py", input=crlf)
    assert clean.exit_code == 0
    assert clean.stdout_bytes == ALL_FIXED.replace("\n", "\r\n").encode()
    assert clean.stderr == ""


def test_stdin_fix_echoes_the_input_when_there_is_nothing_to_fix(project: Path) -> None:
    for data in (b"x = 1\n", b"def broken(:\n", b"\xff\xfe not utf-8"):
        result = run("--fix", "--stdin-filename", "other.py", input=data)
        assert result.stdout_bytes == data


def test_fix_touches_only_what_the_baseline_does_not_cover(project: Path) -> None:
    assert run("--write-baseline", "bl.json", ".").exit_code == 0
    new = APP + '\n\ndef remember_more(uid, page):\n    r.set(f"cache:more:{uid}", page)\n'
    (project / "app.py").write_text(new)
    result = run("--fix", "--unsafe-fixes", "--baseline", "bl.json", ".")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout
        == "Fixed 1 finding.\nAll checks passed!\n2 findings hidden by the baseline.\n"
    )
    expected = new.replace('f"cache:more:{uid}", page)', 'f"cache:more:{uid}", page, ex=300)')
    assert (project / "app.py").read_text() == expected


def test_add_noqa_suppresses_every_current_finding(project: Path) -> None:
    result = run("--add-noqa", ".")
    assert result.exit_code == 0, result.output
    assert "Added 2 suppressions in 1 file." in result.stdout
    text = (project / "app.py").read_text()
    assert 'r.set(f"cache:{uid}", page)  # redislint: ignore[RL201]\n' in text
    assert 'r.set(f"order:{oid}", order, ex=60)  # redislint: ignore[RL202]\n' in text
    assert run(".").exit_code == 0
    assert "Added 0 suppressions in 0 files." in run("--add-noqa", ".").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--add-noqa", "--fix"], "--add-noqa cannot be combined with --fix or --diff"),
        (["--add-noqa", "--stdin-filename", "a.py"], "cannot read from stdin"),
    ],
)
def test_conflicting_modes_are_usage_errors(project: Path, args: list[str], message: str) -> None:
    result = run(*args, ".")
    assert result.exit_code == 2 and message in result.stderr


# -- SIGKILL in the middle of a fixing run -----------------------------------------------

FILES = 200
MODULE = """import redis

r = redis.Redis()


def remember_{n}(uid, page):
    r.set(f"cache:{n}:{{uid}}", page)


def record_{n}(oid, order):
    r.set(f"order:{n}:{{oid}}", order, ex=60)
"""
COMMAND = [sys.executable, "-m", "redislint", "check", "--fix", "--unsafe-fixes", "."]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_sigkill_leaves_every_file_untouched_or_fully_fixed(tmp_path: Path) -> None:
    original = tmp_path / "original"
    (original / "pkg").mkdir(parents=True)
    (original / "pyproject.toml").write_text(CONFIG)
    for n in range(FILES):
        (original / "pkg" / f"m{n:03}.py").write_text(MODULE.format(n=n))
    before = _tree(original)

    reference = tmp_path / "reference"
    shutil.copytree(original, reference)
    started = time.monotonic()
    done = subprocess.run(COMMAND, cwd=reference, capture_output=True, timeout=300)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr.decode()
    assert f"Fixed {2 * FILES} findings." in done.stdout.decode()
    fixed = _tree(reference)
    assert all(fixed[name] != before[name] for name in before if name.endswith(".py"))

    rng = random.Random(20240611)
    outcomes = []
    for attempt, when in enumerate(("random", "random", "first write", "first write")):
        work = tmp_path / f"killed{attempt}"
        shutil.copytree(original, work)
        process = subprocess.Popen(
            COMMAND,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if when == "random":
            # Early (still checking), mid (fixing and writing) or late (most files written).
            delay = rng.uniform(0.2, 0.95) * duration
            time.sleep(delay)
        else:
            # Certainly in the middle of writing: just after the first file changed.
            delay = _wait_for_first_write(work, before, process, timeout=duration * 3)
            time.sleep(rng.uniform(0.0, 0.05))
        # The process group takes the worker processes along.
        with contextlib.suppress(ProcessLookupError):  # it finished first: all fixed then
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        after = _tree(work)
        leftovers = sorted(set(after) - set(before))
        assert all(name.endswith(TEMP_SUFFIX) for name in leftovers), leftovers
        assert not any(name.endswith(".py") for name in leftovers)
        untouched = fully = 0
        for name, data in before.items():
            if after[name] == data:
                untouched += 1
            else:
                assert after[name] == fixed[name], f"{name}: neither the original nor fixed"
                fully += 1
        outcomes.append((when, round(delay, 2), untouched, fully, len(leftovers)))
        if when == "first write":
            assert fully >= 1
        # The interrupted tree is not stuck: a new run finishes the job, and removes the
        # temporaries the killed run left (their writer is gone), so no debris remains.
        rerun = subprocess.run(COMMAND, cwd=work, capture_output=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr.decode()
        assert _tree(work) == fixed
    print("SIGKILL outcomes (when, delay s, untouched, fully fixed, temp files):", outcomes)


def _wait_for_first_write(
    root: Path, before: dict[str, bytes], process: subprocess.Popen[bytes], timeout: float
) -> float:
    """Poll until some source file differs from `before`; returns the seconds waited."""
    started = time.monotonic()
    names = [name for name in before if name.endswith(".py")]
    while time.monotonic() - started < timeout and process.poll() is None:
        for name in names:
            if (root / name).read_bytes() != before[name]:
                return time.monotonic() - started
        time.sleep(0.002)
    return time.monotonic() - started
