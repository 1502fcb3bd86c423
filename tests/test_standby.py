"""The standby worker (`parallel.Standby`, issue 13): a child forked before a run is
planned prepares the checks (libcst, the rules, their tables) while the parent plans,
then checks what the plan left, or is ended unused. These tests fork for real, so they
undo conftest's `in_this_process`."""

from __future__ import annotations

import functools
import gc
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import show

from redislint import parallel
from redislint.config import resolve_config
from redislint.parallel import Standby
from redislint.warm import check_paths

ADMIN = """
import redis

r = redis.Redis()


def wipe():
    r.flushdb()
"""


@pytest.fixture(autouse=True)
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forks allowed again (conftest's `in_this_process` forbids them)."""
    monkeypatch.setattr(parallel, "CONTAIN_IN_PROCESS", True)


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the standbys forked, as they are forked."""
    forked: list[int] = []
    fork = Standby._fork.__func__  # type: ignore[attr-defined]

    def recording(cls: type[Standby], prepare: object) -> Standby:
        standby: Standby = fork(cls, prepare)
        forked.append(standby.pid)
        return standby

    monkeypatch.setattr(Standby, "_fork", classmethod(recording))
    return forked


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "admin.py").write_text(textwrap.dedent(ADMIN))
    return tmp_path


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _no_new_child(call: bytes) -> None:
    raise AssertionError("a child was forked for work the standby was there to do")


def _check(project: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    config = resolve_config(project, None, False)
    return check_paths(["app"], config, cwd=project, **kwargs)  # type: ignore[arg-type]


def test_the_standby_checks_what_the_plan_left(
    project: Path, forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "_in_child", _no_new_child)
    outcome = _check(project, use_cache=True)
    assert [(f.path, f.code) for f in outcome.findings] == [("app/admin.py", "RL301")]
    assert len(forked) == 1 and _reaped(forked[0])
    # Without the cache the same: the parent discovers while the child prepares.
    outcome = _check(project, use_cache=False)
    assert [(f.path, f.code) for f in outcome.findings] == [("app/admin.py", "RL301")]
    assert len(forked) == 2 and _reaped(forked[1])


def test_a_run_the_cache_answers_ends_its_standby_unused(
    project: Path, forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = _check(project, use_cache=True)
    used: list[bytes] = []
    monkeypatch.setattr(Standby, "run", lambda self, call: used.append(call))
    warm = _check(project, use_cache=True)
    assert warm.findings == cold.findings and warm.findings
    assert used == [] and len(forked) == 2 and _reaped(forked[1])


def test_a_stdin_run_forks_no_standby(project: Path, forked: list[int]) -> None:
    outcome = _check(project, use_cache=True, stdin=("app/admin.py", ADMIN.encode()))
    assert [f.code for f in outcome.findings] == ["RL301"]
    assert forked == []


def _read_marker(marker: Path, items: list[str]) -> list[str]:
    return [marker.read_text(), *items]


def _fail(marker: Path, items: list[str]) -> list[str]:
    raise ValueError(f"refused {items}")


def _call(function: object, *rest: object) -> bytes:
    return pickle.dumps((function, *rest, ()), pickle.HIGHEST_PROTOCOL)


def test_the_standby_prepares_before_its_call_and_answers_it(tmp_path: Path) -> None:
    marker = tmp_path / "prepared"
    prepare = functools.partial(marker.write_text, "ready")
    with Standby.started(prepare) as standby:
        assert standby is not None
        assert standby.run(_call(_read_marker, marker, ["a"])) == ["ready", "a"]
        assert not standby.ready
    assert _reaped(standby.pid)
    with Standby.started(prepare) as standby:  # the work's exception, raised here
        assert standby is not None
        with pytest.raises(ValueError, match=r"refused \['b'\]"):
            standby.run(_call(_fail, marker, ["b"]))


class _Made:
    """An object made by a preparation (a cycle the collector could look at)."""

    def __init__(self) -> None:
        self.me = self


def _prepare_objects() -> None:
    os.environ["REDISLINT_TEST_COLLECTOR"] = str(gc.isenabled())
    _MADE.append(_Made())


_MADE: list[_Made] = []


def _collector_state(first: object, items: list[str]) -> list[object]:
    return [os.environ.get("REDISLINT_TEST_COLLECTOR"), gc.isenabled(), gc.get_freeze_count()]


def test_the_standby_prepares_without_collections_and_freezes_what_it_made() -> None:
    """Its imports make objects that live as long as the process: no collection runs
    during them, and the check's collections do not traverse them again."""
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with Standby.started(_prepare_objects) as standby:
        assert standby is not None
        during, after, frozen = standby.run(_call(_collector_state, None, []))
    assert during == "False"  # collections were off while it prepared
    assert after is True  # and on again for the checks
    assert frozen > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0  # this process is untouched


def _refuse_to_prepare() -> None:
    raise RuntimeError("no")


def test_a_standby_whose_preparation_failed_still_answers(tmp_path: Path) -> None:
    (tmp_path / "prepared").write_text("by the test")
    with Standby.started(_refuse_to_prepare) as standby:
        assert standby is not None
        answer = standby.run(_call(_read_marker, tmp_path / "prepared", []))
        assert answer == ["by the test"]


def _die(first: object, items: list[int]) -> list[int]:
    os._exit(3)  # as a native crash would end it: no answer


def _double(first: object, items: list[int]) -> list[int]:
    return [2 * item for item in items]


def test_a_standby_that_dies_has_its_items_isolated(tmp_path: Path) -> None:
    with Standby.started(_refuse_to_prepare) as standby:
        parts = parallel.run_sharded(
            _die, None, [1, 2], 1, crashed=lambda item: [-item], standby=standby
        )
        assert standby is not None and not standby.ready
    assert sorted(x for part in parts for x in part) == [-2, -1]


def _prepare_here() -> None:
    os.environ["REDISLINT_TEST_PREPARED_IN"] = str(os.getpid())


def _where(first: object, items: list[int]) -> list[object]:
    """Who ran this shard: its parent, where the preparation ran, its own pid."""
    prepared = os.environ.get("REDISLINT_TEST_PREPARED_IN")
    return [os.getppid(), prepared, os.getpid(), [2 * item for item in items]]


def _no_pool(*args: object, **kwargs: object) -> None:
    raise AssertionError("a pool was started for work the standby was there to do")


def test_the_shards_of_a_large_run_go_to_prepared_children_of_the_standby(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", _no_pool)
    items = list(range(parallel.PARALLEL_THRESHOLD))
    with Standby.started(_prepare_here) as standby:
        assert standby is not None
        parts = parallel.run_sharded(_where, None, items, 3, standby=standby)
        assert not standby.ready
    assert _reaped(standby.pid)
    assert "REDISLINT_TEST_PREPARED_IN" not in os.environ  # prepared there, not here
    assert [part[0] for part in parts] == [standby.pid] * 3
    assert [part[1] for part in parts] == [str(standby.pid)] * 3  # what it prepared
    assert len({part[2] for part in parts}) == 3  # one child per shard
    assert [part[3] for part in parts] == [[2 * i for i in items[k::3]] for k in range(3)]


def _die_on_zero(first: object, items: list[int]) -> list[int]:
    if 0 in items:
        os._exit(3)  # as a native crash would end it: no answer
    return [2 * item for item in items]


def test_a_shard_whose_child_dies_costs_only_that_shard(monkeypatch: pytest.MonkeyPatch) -> None:
    items = list(range(parallel.PARALLEL_THRESHOLD))
    isolated: list[list[int]] = []
    real_isolate = parallel._isolate

    def recording(function, first, shard, args, crashed):  # type: ignore[no-untyped-def]
        isolated.append(list(shard))
        return real_isolate(function, first, shard, args, crashed)

    monkeypatch.setattr(parallel, "_isolate", recording)
    with Standby.started(_refuse_to_prepare) as standby:
        parts = parallel.run_sharded(
            _die_on_zero, None, items, 2, crashed=lambda item: [-item], standby=standby
        )
    assert isolated[0] == items[0::2]  # then halved; the other shard's answer was kept
    assert all(set(shard) <= set(items[0::2]) for shard in isolated)
    assert sorted(x for part in parts for x in part) == sorted([0] + [2 * i for i in items[1:]])


def test_no_standby_where_work_must_stay_in_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel, "CONTAIN_IN_PROCESS", False)
    with Standby.started(_refuse_to_prepare) as standby:
        assert standby is None


# The command as installed (`launch.main`), in a process that says on stderr whether
# the CLI was imported when the standby was forked, and where the child that work
# without a standby is forked in exits at once with 7 instead of checking.
WATCHED_COMMAND = """
import os, sys
from redislint import launch, parallel
fork = parallel.Standby._fork.__func__
def watched(cls, prepare):
    sys.stderr.write(f"standby forked, cli imported: {'redislint.cli' in sys.modules}\\n")
    return fork(cls, prepare)
parallel.Standby._fork = classmethod(watched)
parallel._in_child = lambda call: os._exit(7)
sys.argv = ['redislint', *sys.argv[1:]]
launch.main()
"""


def test_the_command_forks_its_standby_before_the_cli_and_checks_in_it(project: Path) -> None:
    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", WATCHED_COMMAND, "check", "--no-cache", *args]
        return subprocess.run(command, cwd=project, input=stdin, capture_output=True, text=True)

    checked = run("app")
    assert checked.returncode == 1 and "app/admin.py:8:5: RL301" in checked.stdout, show(checked)
    assert checked.stderr.splitlines() == ["standby forked, cli imported: False"], show(checked)
    # One stdin text gets no standby: its check is forked as before (here: exit 7).
    control = run("--stdin-filename", "app/admin.py", "-", stdin=ADMIN)
    assert control.returncode == 7 and "standby" not in control.stderr, show(control)
