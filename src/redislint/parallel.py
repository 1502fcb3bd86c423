"""Work split over worker processes: one shard per worker, results in shard order.

Each shard is handled by one call in one process, so a worker builds its
`ProjectIndex` once and parses every module at most once.

No file may end the run (issue 12): a native crash in libcst kills the process it runs
in. Pool workers that die are replaced and the culprit isolated (`_isolate`); a run
small enough for one process runs in one forked child where fork is safe, so a crash
there is contained the same way: a child forked for it (`_in_child`), or the standby
forked before the run was planned, which has the checks' imports done by then
(`Standby`, issue 13). With a standby, the shards of a large run go to children it
forks, prepared as it is, instead of to a pool.
"""

from __future__ import annotations

import gc
import importlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

# Below this many items a process pool costs more than it saves.
PARALLEL_THRESHOLD = 24
# libcst's native parser and code generator recurse on the C stack: a 7,000-operand
# `and` chain (valid Python) overflows the main thread's 8 MiB and kills the process.
# Work runs on a thread with this much stack instead (address space, not memory).
ANALYSIS_STACK_BYTES = 512 * 1024 * 1024


# The name of that thread: code already on it (the language server's loop) runs directly.
ANALYSIS_THREAD = "redislint-analysis"


def on_big_stack(function: Callable[..., _Result], *args: object) -> _Result:
    """`function(*args)` on a thread with `ANALYSIS_STACK_BYTES` of stack.

    The work starts only once this thread is about to block in `join()`: the analysis
    lowers the interpreter's recursion limit around some C calls (`precheck`, to its own
    depth plus a margin), and a caller still returning from `Thread.start()` at a deeper
    stack (a test under pytest) would meet that limit (RecursionError, even a fatal
    "Cannot recover from stack overflow"). Between `go.set()` and `join()` blocking,
    this thread runs a few bytecodes while holding the GIL the work needs."""
    outcome: dict[str, Any] = {}
    go = threading.Event()

    def target() -> None:
        go.wait()
        try:
            outcome["result"] = function(*args)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    previous = threading.stack_size(ANALYSIS_STACK_BYTES)
    try:
        thread = threading.Thread(target=target, name=ANALYSIS_THREAD)
        thread.start()
    finally:
        threading.stack_size(previous)
    go.set()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


class Task:
    """A worker's function by module and name: calling it imports the module. The parent
    of a run hands work out with it and never imports what the work needs (libcst and
    the rules, `shards.py`); it pickles as its two names, as a function would. (A plain
    class: a dataclass costs the warm path a few milliseconds to create.)"""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __call__(self, *args: Any) -> Any:
        return getattr(importlib.import_module(self.module), self.name)(*args)

    def __reduce__(self) -> tuple[type[Task], tuple[str, str]]:
        return (Task, (self.module, self.name))

    def __repr__(self) -> str:
        return f"Task({self.module!r}, {self.name!r})"


def run_sharded(
    function: Callable[..., _Result],
    first: object,
    items: Sequence[_Item],
    jobs: int | None,
    *args: object,
    crashed: Callable[[_Item], _Result] | None = None,
    standby: Standby | None = None,
    weigh: Callable[[_Item], int] | None = None,
    ship: Callable[[_Item], _Item] | None = None,
) -> list[_Result]:
    """`function(first, shard, *args)` over shards of `items` (in-process when small).

    Shards take every `workers`-th item, or, with `weigh` (an estimate of an item's
    cost, asked only when there are shards), runs of items of about equal weight
    (`balanced_shards`). `ship(item)` is what goes to a shard's worker, when given
    (`Job.shipped`: a file's bytes are read again there).

    `function` and its arguments must be picklable when work goes to workers. When a
    worker process dies (a native crash in the parser), `crashed(item)` stands in for
    the one item that kills it and every other item is still done; without `crashed`
    the failure propagates. In-process work is contained the same way (`_in_process`),
    also a run of one file: its imported modules are parsed in the same process, and a
    crash must never end a run without a report. A `standby` not yet used does that
    work instead of a new child; a run for a pool leaves it unused.
    """
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(items) < PARALLEL_THRESHOLD:
        return _in_process(function, first, list(items), args, crashed, standby)
    if weigh is None:
        shards = [list(items[i::workers]) for i in range(workers)]
    else:
        weights = [weigh(item) for item in items]
        shards = [[items[i] for i in shard] for shard in balanced_shards(weights, workers)]
    shards = [shard for shard in shards if shard]
    sent = shards if ship is None else [[ship(item) for item in shard] for shard in shards]
    progress = _Progress(len(items))
    results: list[_Result] = []
    broken: list[list[_Item]] = []
    answers = _from_standby(standby, function, first, sent, args)
    if answers is not None:
        for shard, answer in zip(shards, answers, strict=True):
            if answer is None:
                broken.append(shard)
            else:
                results.append(answer)
            progress.advance(len(shard))
    else:
        if standby is not None:
            standby.close()  # the pool's workers import what they need
        from concurrent.futures import ProcessPoolExecutor  # 30 ms: only for a pool
        from concurrent.futures.process import BrokenProcessPool

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(on_big_stack, function, first, shard, *args) for shard in sent]
            for future, shard in zip(futures, shards, strict=True):
                try:
                    results.append(future.result())
                except BrokenProcessPool:
                    broken.append(shard)
                progress.advance(len(shard))
    progress.done()
    if broken and crashed is None:
        from concurrent.futures.process import BrokenProcessPool

        raise BrokenProcessPool("a worker process died")
    for shard in broken:
        results.extend(_isolate(function, first, shard, args, crashed))  # type: ignore[arg-type]
    return results


def balanced_shards(weights: Sequence[int], workers: int) -> list[list[int]]:
    """Positions `0..len(weights)-1` cut, in order, into at most `workers` runs of about
    equal total weight.

    Runs, not every `workers`-th item: files side by side import the same modules, which
    a worker parses once for all the files of its shard. Every run holds an item, so the
    first and the last item land in different shards (the runner gives them the
    cache-writing roles). By weight: on a tree where a few files mention Redis (the only
    ones libcst parses), every-other shards gave one worker a second more work than the
    other in a five-second run."""
    count = min(workers, len(weights))
    total = sum(weights)
    shards: list[list[int]] = [[] for _ in range(count)]
    shard = load = 0
    for position, weight in enumerate(weights):
        if shard < count - 1 and shards[shard]:
            # In units of 1/count: this run's share ends at `goal`. It ends before this
            # item when taking it would miss the goal by more than stopping short, or
            # when each later run needs one of the items left.
            goal = total * (shard + 1)
            short, over = abs(load * count - goal), abs((load + weight) * count - goal)
            if over > short or len(weights) - position <= count - 1 - shard:
                shard += 1
        shards[shard].append(position)
        load += weight
    return shards


def _from_standby(
    standby: Standby | None,
    function: Callable[..., _Result],
    first: object,
    shards: list[list[_Item]],
    args: tuple[object, ...],
) -> list[_Result | None] | None:
    """Each shard's result from a child forked by the standby (None for one whose child
    died), or None when the standby cannot take them (used, absent, or arguments that
    do not pickle: then a pool does the work)."""
    if standby is None or not standby.ready:
        return None
    try:
        calls = [
            pickle.dumps((function, first, shard, args), pickle.HIGHEST_PROTOCOL)
            for shard in shards
        ]
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    answers: list[_Result | None] = standby.run_each(calls)
    return answers


# Whether `run_sharded` runs its in-process work in a forked child. A setting, not state:
# tests that record calls in this process (counters, a profiler) switch it off.
CONTAIN_IN_PROCESS = True


def _in_process(
    function: Callable[..., _Result],
    first: object,
    items: list[_Item],
    args: tuple[object, ...],
    crashed: Callable[[_Item], _Result] | None,
    standby: Standby | None = None,
) -> list[_Result]:
    """The work of a run too small for a pool: in one forked child when that is safe, so
    that a native crash takes only the child (the `standby` when it is still unused);
    then the items are isolated as a dead pool worker's are (without `crashed`, the
    failure propagates as from a pool).

    Fork is safe only where it exists (not Windows) and with no other thread running (a
    lock held by another thread would stay held in the child forever): the language
    server, with its I/O threads, checks in its own process. A call whose arguments do
    not pickle runs here too: the child sees exactly what a pool worker would (no open
    database connection crosses the fork), so it needs what a worker needs."""
    if not (CONTAIN_IN_PROCESS and items and _may_fork()):
        return [on_big_stack(function, first, items, *args)]
    try:
        call = pickle.dumps((function, first, items, args), pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return [on_big_stack(function, first, items, *args)]
    outcome = standby.run(call) if standby is not None and standby.ready else _in_child(call)
    if outcome is not None:
        return [outcome]
    if crashed is None:
        from concurrent.futures.process import BrokenProcessPool

        raise BrokenProcessPool("the process checking the files died")
    return _isolate(function, first, items, args, crashed)


def _may_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


def _in_child(call: bytes) -> Any:
    """Unpickle `(function, first, items, args)` in a forked child, run it there (on a big
    stack) and return its result; None when the child died without one. An exception
    raised by the work is raised here, as a pool worker's would be."""
    _flush()
    readable, writable = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's coverage is never written)
        os.close(readable)
        _child_main(call, writable)
    os.close(writable)
    return _answer(child, readable)


def _flush() -> None:
    """Before a fork, nothing buffered is written twice; before `os._exit`, nothing is
    lost."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()


def _kill(child: int) -> None:
    """End a forked child now and reap it."""
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)


def _answer(child: int, readable: int) -> Any:
    """The answer a forked child writes on `readable`, once it has exited: its result,
    its exception raised here, or None when it died without an answer."""
    try:
        with os.fdopen(readable, "rb") as results:
            data = results.read()
    except BaseException:  # interrupted: the child goes too
        _kill(child)
        raise
    _, status = os.waitpid(child, 0)
    return _decoded(data) if status == 0 else None


def _decoded(data: bytes) -> Any:
    """A child's answer (`_child_main`): its result, its exception raised here, or None
    when the answer is truncated (the child died writing it)."""
    try:
        failed, value = pickle.loads(data)
    except Exception:
        return None
    if failed:
        raise value
    return value


def _raw_answer(child: int, readable: int) -> bytes | None:
    """What a forked child wrote on `readable`, once it has exited; None when it died."""
    with os.fdopen(readable, "rb") as results:
        data = results.read()
    _, status = os.waitpid(child, 0)
    return data if status == 0 else None


class Standby:
    """A child forked before the run is planned, preparing what the checks need (libcst,
    the rules and their tables: `prepare`) while the parent plans (issue 13: after an
    edit, a warm run spent a third of its time importing them before checking the one
    changed file).

    It then waits for one call (`run`, as `_in_child` would do it), for the shards of a
    run large enough for several workers (`run_each`: it forks one prepared child per
    shard, in place of a pool), or for its pipe to close (`close`: nothing to check).
    It is forked when nothing else has started: no database connection is open and no
    other thread runs, so it holds nothing of the parent's; a call brings all it needs,
    as a pool worker's does."""

    def __init__(self, pid: int, calls: int, answers: int) -> None:
        self.pid = pid
        self._calls = calls
        self._answers = answers
        self.ready = True  # not yet used nor closed

    @classmethod
    @contextmanager
    def started(cls, prepare: Callable[[], object]) -> Iterator[Standby | None]:
        """A standby for the run in the block (None where a fork is not safe, or work
        must stay in this process), closed at its end if still unused."""
        standby = cls._fork(prepare) if CONTAIN_IN_PROCESS and _may_fork() else None
        try:
            yield standby
        finally:
            if standby is not None:
                standby.close()

    @classmethod
    def _fork(cls, prepare: Callable[[], object]) -> Standby:
        _flush()
        calls_read, calls_write = os.pipe()
        answers_read, answers_write = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover (the child's coverage is never written)
            os.close(calls_write)
            os.close(answers_read)
            _standby_main(prepare, calls_read, answers_write)
        os.close(calls_read)
        os.close(answers_write)
        return cls(child, calls_write, answers_read)

    def run(self, call: bytes) -> Any:
        """`_in_child(call)`, done by this standby."""
        self._send([call])
        return _answer(self.pid, self._answers)

    def run_each(self, calls: list[bytes]) -> list[Any]:
        """Each call done as `_in_child(call)` would do it, all at once, each in a child
        the standby forks: prepared as it is, such a child starts checking at once,
        where a pool's worker first imports libcst and the rules (about 0.5 s of every
        cold run). An answer is None where its child died (and all are where the
        standby did)."""
        self._send(calls)
        relayed = _answer(self.pid, self._answers)
        if not isinstance(relayed, list) or len(relayed) != len(calls):
            return [None] * len(calls)
        return [None if data is None else _decoded(data) for data in relayed]

    def _send(self, calls: list[bytes]) -> None:
        self.ready = False
        try:
            with os.fdopen(self._calls, "wb") as pipe:
                pipe.write(pickle.dumps(calls, pickle.HIGHEST_PROTOCOL))
        except OSError:  # it died before reading: its answer says so (None)
            pass
        except BaseException:  # interrupted while it reads: the child goes too
            os.close(self._answers)
            _kill(self.pid)
            raise

    def close(self) -> None:
        """End it unused (it may still be importing: killed, not waited for)."""
        if not self.ready:
            return
        self.ready = False
        os.close(self._calls)
        os.close(self._answers)
        _kill(self.pid)


def _standby_main(
    prepare: Callable[[], object], calls: int, answers: int
) -> None:  # pragma: no cover
    """The standby child: `prepare()`, then the calls it is given: one it does itself
    (`_child_main`), several each in a child of its own (`_relay`); out when its pipe
    closes without any."""
    try:
        with suppress(Exception):  # the call meets the same error, and reports it
            _prepare_frozen(prepare)
        with os.fdopen(calls, "rb") as pipe:
            message = pipe.read()
        given: list[bytes] = pickle.loads(message) if message else []
        del message  # the shards' children need only their own call
    except BaseException:
        os._exit(1)
    if not given:
        os._exit(0)
    if len(given) == 1:
        _child_main(given[0], answers)
    else:
        _relay(given, answers)


def _prepare_frozen(prepare: Callable[[], object]) -> None:  # pragma: no cover (in the child)
    """`prepare()` without the cycle collector, then everything it made frozen
    (`gc.freeze`). Importing libcst and the rules makes objects that live as long as the
    process: collections during the imports freed nothing and were a sixth of them (55
    of 350 ms, on the critical path of a warm run after an edit), and frozen, they are
    not traversed again by the collections of the checks (nor their pages touched in
    the shards' forked children)."""
    gc.disable()
    try:
        prepare()
    finally:
        gc.freeze()
        gc.enable()


def _relay(calls: list[bytes], writable: int) -> None:  # pragma: no cover (in the child)
    """Fork a child of this prepared process for each call, then hand their answers on
    in order, as one answer: a list of each child's bytes, None for one that died (a
    native crash in one shard costs only that shard, as in a pool)."""
    code = 0
    try:
        _flush()
        children: list[tuple[int, int]] = []
        for call in calls:
            readable, child_writable = os.pipe()
            child = os.fork()
            if child == 0:
                os.close(readable)
                os.close(writable)
                for _, other in children:
                    os.close(other)
                calls.clear()  # the other shards' bytes: not this child's memory to keep
                _child_main(call, child_writable)
            os.close(child_writable)
            children.append((child, readable))
        relayed = [_raw_answer(child, readable) for child, readable in children]
        with os.fdopen(writable, "wb") as results:
            results.write(pickle.dumps((False, relayed), pickle.HIGHEST_PROTOCOL))
        _flush()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _child_main(call: bytes, writable: int) -> None:  # pragma: no cover (in the child)
    """The forked child: the work, its answer down the pipe, and out without running the
    parent's exit handlers (they belong to the parent)."""
    code = 0
    try:
        function, first, items, args = pickle.loads(call)
        try:
            answer: tuple[bool, object] = (False, on_big_stack(function, first, items, *args))
        except BaseException as exc:  # raised again in the parent
            answer = (True, exc)
        try:
            data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an exception that does not pickle
            data = pickle.dumps((True, RuntimeError(f"{answer[1]!r} ({exc})")))
        with os.fdopen(writable, "wb") as results:
            results.write(data)
        _flush()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _isolate(
    function: Callable[..., _Result],
    first: object,
    items: list[_Item],
    args: tuple[object, ...],
    crashed: Callable[[_Item], _Result],
) -> list[_Result]:
    """Re-run a shard whose worker died, halving it in fresh processes until the item
    that kills a process is alone; that item gets `crashed(item)`, the rest their real
    results. A crash costs O(log n) process starts per culprit."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(function, Task):  # imported once here, not in each fresh process
        importlib.import_module(function.module)
    try:
        with ProcessPoolExecutor(max_workers=1) as pool:
            return [pool.submit(on_big_stack, function, first, items, *args).result()]
    except BrokenProcessPool:
        if len(items) == 1:
            return [crashed(items[0])]
    middle = len(items) // 2
    return _isolate(function, first, items[:middle], args, crashed) + _isolate(
        function, first, items[middle:], args, crashed
    )


class _Progress:
    """`files done / total` on stderr, only on a terminal and only for long runs; never
    in the report, which may be machine-readable."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0
        self.enabled = total >= 200 and sys.stderr.isatty()

    def advance(self, count: int) -> None:
        self.count += count
        if self.enabled:
            sys.stderr.write(f"\rredislint: {self.count}/{self.total} files")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
