"""Work split over worker processes: one shard per worker, results in shard order.

Each shard is handled by one call in one process, so a worker builds its
`ProjectIndex` once and parses every module at most once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

# Below this many items a process pool costs more than it saves.
PARALLEL_THRESHOLD = 24


def run_sharded(
    function: Callable[..., _Result],
    first: object,
    items: Sequence[_Item],
    jobs: int | None,
    *args: object,
) -> list[_Result]:
    """`function(first, shard, *args)` over shards of `items` (in-process when small).

    `function` and its arguments must be picklable when work goes to workers.
    """
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(items) < PARALLEL_THRESHOLD:
        return [function(first, list(items), *args)]
    shards = [list(items[i::workers]) for i in range(workers)]
    shards = [shard for shard in shards if shard]
    progress = _Progress(len(items))
    results: list[_Result] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(function, first, shard, *args) for shard in shards]
        for future, shard in zip(futures, shards, strict=True):
            results.append(future.result())
            progress.advance(len(shard))
    progress.done()
    return results


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
