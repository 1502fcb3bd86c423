"""`parallel.on_big_stack` runs the analysis on a thread of its own; the analysis lowers
the interpreter's recursion limit around some C calls (`precheck`), and a caller at a
deeper stack than the analysis thread (pytest, a plugin) must never meet that limit."""

from __future__ import annotations

import subprocess
import sys

# In a process of its own: the failure was a RecursionError in the caller, and at worst
# CPython's fatal "Cannot recover from stack overflow", which would end the test run.
PROGRAM = """
import sys, time
from redislint.parallel import on_big_stack

def depth():
    count, frame = 0, sys._getframe(1)
    while frame is not None:
        count, frame = count + 1, frame.f_back
    return count

def lowered():
    # as precheck does: the limit set to this thread's depth plus a margin, for a
    # while that holds the GIL (a busy C call)
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(depth() + 20)
    try:
        end = time.perf_counter() + 0.02
        while time.perf_counter() < end:
            pass
    finally:
        sys.setrecursionlimit(saved)
    return True

def deep(levels):
    if levels:
        return deep(levels - 1)
    failures = 0
    for _ in range(10):
        try:
            on_big_stack(lowered)
        except RecursionError:
            failures += 1
    return failures

print("failures", deep(150))
"""


def test_a_caller_deeper_than_the_analysis_never_meets_its_lowered_limit() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["failures", "0"], result.stdout
