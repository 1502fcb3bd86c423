"""The project stage on the warm path: a re-run whose files are all cache hits decides
its deferred findings (RL104, RL105, RL305, RL306) from cached facts, without the runner,
the rules or libcst, and says exactly what a run without the cache says; an edit in
another file of the project that changes a verdict is seen."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support import count_walks, invoke_cli, run_listing_imports

from redislint import runner, walk_memo
from redislint.semantics import deferred

DB = """
import redis

r = redis.Redis(socket_timeout=5)
"""
# The first use of user:* (a hash), an NX key that b_views.py releases (RL105), pushes
# of which only queue:mail is consumed (in tools/, outside `check app`).
MODELS = """
from app.db import r


def save(uid, job):
    r.hset(f"user:{uid}", "name", "ada")
    r.set("greeting", "hello")
    return r.set(f"job:{job}", "token", nx=True)


def publish(event):
    r.rpush("events", event)
    r.lpush("queue:mail", event)
    r.xadd("stream:log", {"event": event})
"""
# RL306 (GET of the hash), RL104 (DEL of the NX key a_models.py writes)
VIEWS = """
from app.db import r


def load(uid):
    return r.get(f"user:{uid}")


def release(job):
    r.delete(f"job:{job}")
"""
CONSUMER = """
from app.db import r


def consume():
    return r.brpop("queue:mail")
"""
# A nested project (its own configuration): its keys neither conflict with nor exempt
# the outer project's.
NESTED = """
import redis

r = redis.Redis(socket_timeout=5)


def other(uid, job):
    r.set(f"user:{uid}", "x")
    r.delete(f"job:{job}")
    r.lpush("queue:mail", 1)
"""
ARGS = ["check", "--select", "ALL", "--output-format", "concise", "--jobs", "1"]
STDIN = [*ARGS, "--stdin-filename", "app/b_views.py", "-"]
PAST = time.time() - 3600  # older than the racy window: stats are recorded


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(walk_memo, "RACY_SECONDS", 0.0)  # record stats and walks at once
    files = {
        "pyproject.toml": "[tool.redislint]\n",
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/a_models.py": MODELS,
        "app/b_views.py": VIEWS,
        "tools/consume.py": CONSUMER,
        "nested/pyproject.toml": "[tool.redislint]\n",
        "nested/other.py": NESTED,
    }
    for name, text in files.items():
        _write(tmp_path / name, textwrap.dedent(text))
    return tmp_path


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (PAST, PAST))


def _refuse_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the run if the warm path hands it to the runner."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the runner was asked")

    monkeypatch.setattr(runner, "check_paths", refuse)


def _views() -> str:
    return textwrap.dedent(VIEWS)


def _run(args: list[str], cwd: Path, stdin: str | None = None) -> tuple[str, int, list[str]]:
    """A real `redislint` process: its output, exit code and the libcst modules the
    process itself imported (its workers import the parser when they check files)."""
    output, code, modules = run_listing_imports(args, cwd, stdin)
    return output, code, [name for name in modules if name.startswith("libcst")]


@pytest.mark.parametrize(
    "module",
    [
        "redislint.warm",
        "redislint.semantics.deferred",
        "redislint.semantics.globs",
        "redislint.semantics.facts_types",
        "redislint.errors",
    ],
)
def test_the_project_stage_modules_import_no_parser_and_no_rule(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith("
    code += "('libcst', 'redislint.rules', 'redislint.engine'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_warm_run_decides_deferred_findings_without_the_parser(project: Path) -> None:
    cold = _run([*ARGS, "app"], project)
    for output_format in ("concise", "json"):
        args = [*ARGS, "--output-format", output_format, "app"]
        no_cache = _run([*args, "--no-cache"], project)
        warm = _run(args, project)
        assert warm[:2] == no_cache[:2] and warm[1] == 1
        assert warm[2] == [], warm[2][:3]
    assert cold[:2] == _run([*ARGS, "--no-cache", "app"], project)[:2]
    text = cold[0]
    for expected in (
        "app/b_views.py:6:12: RL306",  # GET of user:*, a hash since a_models.py
        "app/b_views.py:10:5: RL104",  # DEL of the key a_models.py writes with NX
        "app/a_models.py:8:12: RL105",  # that NX key: released in b_views.py
        "app/a_models.py:12:5: RL305",  # `events`: nothing pops it
        "app/a_models.py:14:5: RL305",  # `stream:log`: nothing trims it
    ):
        assert expected in text, text
    assert "a_models.py:13" not in text  # queue:mail is consumed in tools/consume.py


def test_a_warm_stdin_run_of_an_unchanged_buffer_imports_no_parser(project: Path) -> None:
    no_cache = _run([*STDIN, "--no-cache"], project, stdin=_views())
    first = _run(STDIN, project, stdin=_views())  # the outside files' facts are cached now
    again = _run(STDIN, project, stdin=_views())
    assert again[:2] == first[:2] == no_cache[:2]
    assert "RL306" in again[0] and "RL104" in again[0]
    assert again[2] == [], again[2][:3]


# What one text on stdin has no use for: workers (it is checked in this process, and a
# standby is forked only for paths), the memo of a walk's answers, the colour patterns
# of a terminal's report (it goes to the editor's pipe), the config typo suggestions.
NOT_FOR_ONE_TEXT = (
    "redislint.parallel",
    "redislint.jobs",
    "pickle",
    "redislint.run_memo",
    "redislint.report.styling",
    "difflib",
)


def test_a_warm_stdin_run_imports_nothing_one_text_has_no_use_for(project: Path) -> None:
    _run(STDIN, project, stdin=_views())
    output, code, modules = run_listing_imports(STDIN, project, _views())
    assert code == 1 and "RL306" in output
    assert [name for name in NOT_FOR_ONE_TEXT if name in modules] == []
    _, _, version = run_listing_imports(["--version"], project)
    assert [name for name in NOT_FOR_ONE_TEXT if name in version] == []


@pytest.mark.parametrize(
    "paths", [["app"], ["."], ["app/b_views.py"], ["nested"]], ids=["app", "all", "file", "nested"]
)
def test_warm_equals_cold_equals_no_cache_in_four_formats(
    project: Path, monkeypatch: pytest.MonkeyPatch, paths: list[str]
) -> None:
    formats = ("concise", "text", "json", "sarif")
    expected = {
        f: invoke_cli([*ARGS, "--output-format", f, "--no-cache", *paths], project) for f in formats
    }
    cold = invoke_cli([*ARGS, *paths], project)
    assert cold.output == expected["concise"].output
    _refuse_runner(monkeypatch)
    for output_format, no_cache in expected.items():
        warm = invoke_cli([*ARGS, "--output-format", output_format, *paths], project)
        assert warm.output == no_cache.output and warm.exit_code == no_cache.exit_code


def test_an_edit_in_another_file_changes_the_verdict_of_a_warm_stdin_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke_cli([*ARGS, "app"], project)
    first = invoke_cli(STDIN, project, stdin=_views())
    assert "b_views.py:6:12: RL306" in first.output
    # The first use of user:* becomes a string: the GET no longer conflicts.
    models = project / "app" / "a_models.py"
    _write(
        models, textwrap.dedent(MODELS).replace('hset(f"user:{uid}", "name",', 'set(f"user:{uid}",')
    )
    edited = invoke_cli(STDIN, project, stdin=_views())
    assert "RL306" not in edited.output and "RL104" in edited.output
    assert edited.output == invoke_cli([*STDIN, "--no-cache"], project, stdin=_views()).output
    assert invoke_cli([*ARGS, "app"], project).output == (
        invoke_cli([*ARGS, "--no-cache", "app"], project).output
    )
    # A new file that comes first in path order makes user:* a list: both uses conflict.
    first_use = "from app.db import r\n\n\ndef first(uid):\n    r.lpush(f'user:{uid}', 1)\n"
    _write(project / "app" / "0_first.py", first_use)
    for args in (["app"], ["."]):
        changed = invoke_cli([*ARGS, *args], project)
        assert "a_models.py:6:5: RL306" in changed.output, changed.output
        assert changed.output == invoke_cli([*ARGS, "--no-cache", *args], project).output
    stdin_now = invoke_cli(STDIN, project, stdin=_views())
    assert "makes it a list" in stdin_now.output
    assert stdin_now.output == invoke_cli([*STDIN, "--no-cache"], project, stdin=_views()).output
    _refuse_runner(monkeypatch)  # every file is cached again: the warm path answers
    assert invoke_cli(STDIN, project, stdin=_views()).output == stdin_now.output


def test_a_warm_stdin_run_lists_the_unchanged_project_from_the_walk_memo(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = invoke_cli(STDIN, project, stdin=_views())
    # The first run made the cache's folder in the walked root: that root's listing
    # changed, so the second walks again, and records the memo the third replays.
    invoke_cli(STDIN, project, stdin=_views())
    listed = count_walks(monkeypatch)
    _refuse_runner(monkeypatch)
    assert invoke_cli(STDIN, project, stdin=_views()).output == first.output
    assert listed == []


def test_a_resolver_bug_on_the_warm_path_is_the_same_error_as_without_the_cache(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke_cli([*ARGS, "app"], project)

    def broken(findings: object, facts: object) -> list[object]:
        raise ValueError("boom")

    monkeypatch.setitem(deferred.RESOLVERS, "RL306", broken)
    no_cache = invoke_cli([*ARGS, "--no-cache", "app"], project)
    assert "internal error in RL306 (project stage): ValueError('boom')" in no_cache.output
    assert no_cache.exit_code == 2 and "RL104" not in no_cache.output  # deferred: dropped
    _refuse_runner(monkeypatch)
    warm = invoke_cli([*ARGS, "app"], project)
    assert warm.output == no_cache.output and warm.exit_code == 2
