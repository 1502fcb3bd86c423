"""Benchmark rows for the pathological shapes (issue 12): how libcst's parse time grows
with a left-recursive chain, what redislint's guard decides, and how long a whole
`redislint check` of each shape takes. A benchmark, not a test: CI does not run it.

    python bench/pathological.py [--libcst-timeout 30]

Each row: shape, size, libcst's parse seconds in a child process (cut off after
--libcst-timeout; a crash is shown), the seconds of a full check of a file of that
shape, and the pre-check's verdict.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libcst as cst

from redislint.config import Config
from redislint.precheck import precheck
from redislint.runner import check_paths

HEADER = "import redis\nr = redis.Redis()\n"
SHAPES: dict[str, Callable[[int], str]] = {
    "a + a + ...": lambda n: HEADER + "x = " + " + ".join(["r"] * n) + "\n",
    "r.a.a...": lambda n: HEADER + "x = r" + ".a" * n + "\n",
    "pipeline chain": lambda n: HEADER + "r.pipeline()" + '.set("k", 1)' * n + ".execute()\n",
    "and chain": lambda n: HEADER + "x = " + " and ".join(["r"] * n) + "\n",
    "nested calls": lambda n: HEADER + "r.set(" * n + "1" + ")" * n + "\n",
}


def _parse(source: str) -> None:
    cst.parse_module(source)


def _libcst_seconds(source: str, limit: float) -> str:
    """libcst's parse in a child process (it may crash or take minutes)."""
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=_parse, args=(source,))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.kill()
        return f">{limit:.0f}"
    if child.exitcode != 0:
        return f"crash ({child.exitcode})"
    return f"{time.perf_counter() - started:.2f}"


# Shapes that are large in statements, not in nesting (the precheck lets them through):
# the rules' searches within one function must stay linear (tests/test_linearity.py
# counts their work; these rows time them).
FUNCTION = HEADER + "\n\ndef f():\n"
FUNCTION_SHAPES: dict[str, Callable[[int], str]] = {
    "expire pairs": lambda n: (
        FUNCTION
        + "".join(
            f'    r.hset("cache:h{i}", "f", 1)\n    r.expire("cache:h{i}", 60)\n' for i in range(n)
        )
    ),
    "distinct writes": lambda n: (
        FUNCTION + "".join(f'    r.sadd("order:{i}", 1)\n' for i in range(n))
    ),
    "deletes": lambda n: FUNCTION + "".join(f'    r.unlink("order:{i}")\n' for i in range(n)),
    "rebound key": lambda n: (
        FUNCTION + "".join(f'    key = "cache:{i}"\n    r.set(key, 1)\n' for i in range(n))
    ),
    # issue 12's second round: one shape per search that was quadratic
    "key += ...": lambda n: (
        FUNCTION
        + '    key = "cache:"\n'
        + "".join("    key += 'a'\n    r.set(key, 1)\n" for _ in range(n))
    ),
    "if/elif chain": lambda n: (
        FUNCTION.replace("f():", "f(x):")
        + "    if x == 0:\n        r.set('order:0', 1)\n"
        + "".join(f"    elif x == {i}:\n        r.set('order:{i}', 1)\n" for i in range(1, n))
    ),
    "if c: return": lambda n: (
        FUNCTION.replace("f():", "f(x):")
        + "".join(f"    if x == {i}:\n        return r.get('order:{i}')\n" for i in range(n))
    ),
    "read x write": lambda n: (
        FUNCTION
        + "".join(
            f"    v{i} = r.get('c:{i}')\n    r.set('c:{i}', int(v{i}) + 1)\n" for i in range(n)
        )
    ),
    "watch/execute": lambda n: (
        FUNCTION
        + "    p = r.pipeline()\n"
        + "".join(
            f"    p.watch('w:{i}')\n    p.multi()\n    p.set('w:{i}', 1)\n    p.execute()\n"
            for i in range(n)
        )
    ),
    "lock set/delete": lambda n: (
        FUNCTION
        + "".join(
            f"    r.set('lock:{i}', 1, nx=True, ex=9)\n    r.delete('lock:{i}')\n" for i in range(n)
        )
    ),
    "expiry then SET": lambda n: (
        FUNCTION
        + "".join(
            f"    r.set('cache:{i}', 1, ex=60)\n    r.set('cache:{i}', 2)\n" for i in range(n)
        )
    ),
}


def _function_rows(root: Path) -> None:
    print(f"\n{'function shape':<18} {'N=200 s':>8} {'N=1000 s':>9}  growth (linear: 5)")
    for name, build in FUNCTION_SHAPES.items():
        seconds = []
        for size in (200, 1000):
            path = root / "shape.py"
            path.write_text(build(size))
            started = time.perf_counter()
            check_paths([path.name], Config(root=root, select=("ALL",)), cwd=root, jobs=1)
            seconds.append(time.perf_counter() - started)
        growth = seconds[1] / seconds[0]
        print(f"{name:<18} {seconds[0]:>8.2f} {seconds[1]:>9.2f}  {growth:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--libcst-timeout", type=float, default=30.0)
    parser.add_argument("--functions-only", action="store_true", help="only the function rows")
    options = parser.parse_args()
    if options.functions_only:
        with tempfile.TemporaryDirectory() as folder:
            _function_rows(Path(folder))
        return
    print(f"{'shape':<16} {'size':>6} {'libcst s':>10}  {'check s':>8}  verdict")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, build in SHAPES.items():
            sizes = (150, 199) if name == "nested calls" else (250, 500, 1000, 7100)
            for size in sizes:
                source = build(size)
                rejection = precheck(source, guard=True)
                verdict = "analysed" if rejection is None else rejection.message
                path = root / "shape.py"
                path.write_text(source)
                started = time.perf_counter()
                check_paths([path.name], Config(root=root), cwd=root, jobs=1)
                checked = time.perf_counter() - started
                libcst = _libcst_seconds(source, options.libcst_timeout)
                print(f"{name:<16} {size:>6} {libcst:>10}  {checked:>8.2f}  {verdict}")
        _function_rows(root)


if __name__ == "__main__":
    main()
