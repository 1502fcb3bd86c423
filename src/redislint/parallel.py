"""Work split over worker processes: one shard per worker, results in shard order.

Each shard is handled by one call in one process, so a worker builds its
`ProjectIndex` once and parses every module at most once.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
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
    """`function(*args)` on a thread with `ANALYSIS_STACK_BYTES` of stack."""
    outcome: dict[str, Any] = {}

    def target() -> None:
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
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def run_sharded(
    function: Callable[..., _Result],
    first: object,
    items: Sequence[_Item],
    jobs: int | None,
    *args: object,
    crashed: Callable[[_Item], _Result] | None = None,
) -> list[_Result]:
    """`function(first, shard, *args)` over shards of `items` (in-process when small).

    `function` and its arguments must be picklable when work goes to workers. When a
    worker process dies (a native crash in the parser), `crashed(item)` stands in for
    the one item that kills it and every other item is still done; without `crashed`
    the failure propagates.
    """
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(items) < PARALLEL_THRESHOLD:
        return [on_big_stack(function, first, list(items), *args)]
    shards = [list(items[i::workers]) for i in range(workers)]
    shards = [shard for shard in shards if shard]
    progress = _Progress(len(items))
    results: list[_Result] = []
    broken: list[list[_Item]] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(on_big_stack, function, first, shard, *args) for shard in shards]
        for future, shard in zip(futures, shards, strict=True):
            try:
                results.append(future.result())
            except BrokenProcessPool:
                broken.append(shard)
            progress.advance(len(shard))
    progress.done()
    if broken and crashed is None:
        raise BrokenProcessPool("a worker process died")
    for shard in broken:
        results.extend(_isolate(function, first, shard, args, crashed))  # type: ignore[arg-type]
    return results


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
