"""Benchmark: a cold `redislint check` against the libcst parse-only floor, in one run.

The budget (issues 8 and 10, with every rule live) is at most 1.15x the time libcst
needs just to parse the same files. Both are measured here, in this process, on the
same files: in alternating rounds, and interleaved file by file within one run (the
steadier figure on a machine whose speed drifts).

    python bench/bench.py [TREE ...]      (default: the redis-py 8.1.0 sdist, package
                                           and tests, 267 files, 181 KLOC, downloaded
                                           with `pip download` into --cache-dir)

On a machine shared with other work, `--cpu-time` counts this process's CPU seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import libcst as cst

from redislint import parallel, shards
from redislint.config import Config
from redislint.discovery import discover
from redislint.runner import check_paths


def _default_tree(cache: Path) -> Path:
    """The pinned redis-py sdist (`trees.DENSE`, downloaded once into `cache`), package
    and tests as they are laid out: `import redis` in its tests is the project's own
    package, so the check follows imports into it and finds callers in the tests, as it
    does in any project whose tests import its modules."""
    from trees import DENSE, fetch  # bench/trees.py, beside this script

    return fetch(DENSE, cache / "dense")[0]


def _best_of(runs: int, action, clock=time.perf_counter) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = clock()
        action()
        best = min(best, clock() - start)
    return best


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (a run in one process
    does its work in a forked child, so that a parser crash cannot end it)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--verbose", action="store_true", help="print every round")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="count this process's CPU seconds instead of wall-clock seconds: on a machine"
        " shared with other work, waiting for a core then counts for neither side",
    )
    parser.add_argument(
        "--test-paths",
        choices=("none", "default"),
        default="default",
        help="default: the default test-paths (in tests only RL001 and RL5xx run, as in a"
        " user's project); none: check tests like any code (all rules)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(__file__).parent / ".cache",
        help="where the default tree's sdist is downloaded and unpacked (shared with trees.py)",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="redislint-bench-"))
    trees = [tree.resolve() for tree in args.trees] or [_default_tree(args.cache_dir.resolve())]
    # Rooted where the (first) tree is, as `redislint check` run there is; the results
    # cache of the warm run lives in the temporary work directory.
    cwd = trees[0]
    settings = {"cache_dir": workdir / "cache"}
    config = (
        Config(root=cwd, **settings)
        if args.test_paths == "default"
        else Config(root=cwd, test_paths=(), **settings)
    )
    files = [f for tree in trees for f in discover([str(tree)], config, cwd).files]
    sources = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    lines = sum(s.count("\n") for s in sources)

    def parse_only() -> None:
        for source in sources:
            with contextlib.suppress(cst.ParserSyntaxError):
                cst.parse_module(source)

    def redislint_cold() -> None:
        # jobs=1: the same single process as the parse floor; a fresh ProjectIndex
        # per run, so nothing is reused between runs.
        check_paths([str(t) for t in trees], config, cwd=cwd, jobs=1)

    def redislint_cold_interleaved() -> tuple[float, float]:
        """A cold check in this process, and beside each file it checks, the libcst parse
        of that file alone (timed apart): the floor and the check measured file by file,
        in the same moments, so their ratio does not drift with the machine's speed as
        two runs seconds apart do. Returns (the check's seconds, the floor's seconds)."""
        floor = [0.0]
        real_check_file = shards.check_file

        def check_file_beside_parse(path, rel_path, config, index, **kwargs):  # type: ignore[no-untyped-def]
            data = kwargs.get("data")
            text = (data if data is not None else path.read_bytes()).decode(errors="replace")
            start = time.perf_counter()
            with contextlib.suppress(cst.ParserSyntaxError):
                cst.parse_module(text)
            floor[0] += time.perf_counter() - start
            return real_check_file(path, rel_path, config, index, **kwargs)

        shards.check_file = check_file_beside_parse  # type: ignore[assignment]
        contain, parallel.CONTAIN_IN_PROCESS = parallel.CONTAIN_IN_PROCESS, False
        try:
            gc.collect()
            start = time.perf_counter()
            check_paths([str(t) for t in trees], config, cwd=cwd, jobs=1)
            return time.perf_counter() - start - floor[0], floor[0]
        finally:
            shards.check_file = real_check_file  # type: ignore[assignment]
            parallel.CONTAIN_IN_PROCESS = contain

    def redislint_warm() -> None:
        check_paths([str(t) for t in trees], config, cwd=cwd, jobs=1, use_cache=True)

    # Alternating rounds, best of each: a machine whose speed drifts (other tenants, CPU
    # frequency) slows both sides alike instead of one phase.
    clock = _cpu_seconds if args.cpu_time else time.perf_counter
    parse_time = check_time = float("inf")
    round_ratios: list[float] = []
    in_run_ratios: list[float] = []
    for _ in range(args.runs):
        parse_round = _best_of(1, parse_only, clock)
        check_round = _best_of(1, redislint_cold, clock)
        if args.verbose:
            print(f"round: parse {parse_round:.2f} s, check {check_round:.2f} s")
        parse_time, check_time = min(parse_time, parse_round), min(check_time, check_round)
        round_ratios.append(check_round / parse_round)
        check_alone, floor_alone = redislint_cold_interleaved()
        in_run_ratios.append(check_alone / floor_alone)
    redislint_warm()  # fills the cache
    warm_time = _best_of(args.runs, redislint_warm)
    print(f"files: {len(files)}  lines: {lines}")
    print(f"libcst parse only : {parse_time:7.2f} s  ({lines / parse_time:,.0f} lines/s)")
    print(f"redislint check   : {check_time:7.2f} s  ({lines / check_time:,.0f} lines/s)")
    print(f"ratio check/parse : {check_time / parse_time:7.2f}x  (budget 1.15x)")
    # Each round's own ratio compares two runs made seconds apart: on a machine whose
    # speed drifts between rounds, their median is steadier than the best-of ratio.
    print(
        f"  per round       : median {statistics.median(round_ratios):.2f}x, range "
        f"{min(round_ratios):.2f}-{max(round_ratios):.2f}x"
    )
    print(
        f"  in one run      : median {statistics.median(in_run_ratios):.2f}x, range "
        f"{min(in_run_ratios):.2f}-{max(in_run_ratios):.2f}x (interleaved: each file"
        " parsed alone beside the check, in the same run)"
    )
    print(f"re-run, cached    : {warm_time:7.2f} s  ({warm_time / parse_time:.2f}x the parse)")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
