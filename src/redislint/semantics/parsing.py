"""libcst's parse of a checked file, without the per-node self-checks.

Every node libcst builds checks itself as it is made (`CSTNode.__post_init__` calls
`_validate`: a name is not empty, parentheses balance, an f-string's quotes match).
Those checks guard trees built by hand; on a tree libcst's own parser builds from text
that CPython has already accepted (`precheck` runs first, always), they cannot fail,
and they are about a fifth of the parse (libcst says as much beside `__post_init__`:
"It might make more sense to move validation work into the visitor, which would allow
us to avoid validating the tree when parsing a file"). The tree is the same either way
(tests/test_parsing.py compares them with `deep_equals`).

The checks are skipped only inside `parse_checked`, on the thread that calls it: a node
built anywhere else (a fix, another thread, the code of a project that runs the pytest
plugin) checks itself as before. Where libcst does not look as this module expects (a
release that changes `__post_init__`), `parse_checked` is plain `cst.parse_module`.

After a large text, the parser's scratch memory goes back to the operating system
(`_return_scratch_memory`, issue 13: memory).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import cache

import libcst as cst

# Per thread: whether this thread is inside `parse_checked` (read by `_post_init`).
_PARSING = threading.local()

# From this many characters on, a parse is followed by `_return_scratch_memory`. libcst's
# native parser allocates 250-520 bytes of its own (Rust) memory per character of the
# text, measured on redis-py's largest modules: 150 MiB for tests/test_commands.py
# (308 KB), 126 MiB for tests/test_asyncio/test_commands.py (252 KB), 100 MiB for
# redis/commands/core.py (420 KB). It frees that memory when the parse returns, but
# glibc keeps freed memory for the next allocation, and most of Python's own objects
# come from separate memory maps: it stays resident under every tree built after it.
# Returning it has a price: the next parses fault those pages in again (about 1 ms per
# MiB on a 2-core VM). Below this size it needed at most 80 MiB on those files, which
# may stay resident. Dense tree, two workers (largest process, page faults of the whole
# run): no return 358 MiB, 189,000 faults; from 150,000 characters 270 MiB, 487,000;
# from 240,000 267 MiB, 356,000; from 300,000 278 MiB, 278,000.
RETURN_SCRATCH_FROM = 240_000


def parse_checked(source: str) -> cst.Module:
    """`cst.parse_module(source)` for a text CPython has accepted (`precheck`).

    Raises what `cst.parse_module` raises."""
    if not _skipping_installed():
        module = cst.parse_module(source)
    else:
        _PARSING.active = True
        try:
            module = cst.parse_module(source)
        finally:
            _PARSING.active = False
    if len(source) >= RETURN_SCRATCH_FROM:
        _return_scratch_memory()
    return module


def _return_scratch_memory() -> None:
    """Hand the C heap's free pages back to the operating system (glibc's `malloc_trim`;
    nothing elsewhere). It works with the check order of `ProjectIndex.memory_order`,
    which keeps few trees alive while the largest modules are parsed: this keeps their
    parser's freed memory from staying resident under the trees built after them.
    Dense tree, largest process: 358 MiB before, about 345 MiB with either alone,
    about 270 MiB with both (`RETURN_SCRATCH_FROM`)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim(pad)`, or None where the C library has none (not Linux,
    musl, a static build). ctypes is imported here, on the first large parse: most runs
    that start a process (one file from an editor) never need it."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    trim: Callable[[int], int] = function
    return trim


def _post_init(self: cst.CSTNode) -> None:
    """libcst's `__post_init__`, skipped on a thread inside `parse_checked`."""
    if not getattr(_PARSING, "active", False):
        self._validate()


@cache
def _skipping_installed() -> bool:
    """Put `_post_init` in place of libcst's own, once, if libcst is as expected: its
    `__post_init__` does nothing but call `_validate`, and no node class has its own."""
    base = cst.CSTNode
    own = base.__dict__.get("__post_init__")
    if own is _post_init:
        return True
    code = getattr(own, "__code__", None)
    if code is None or code.co_names != ("_validate",):
        return False
    if any("__post_init__" in kind.__dict__ for kind in _node_classes(base)):
        return False
    base.__post_init__ = _post_init  # type: ignore[method-assign]
    return True


def _node_classes(base: type) -> list[type]:
    found: list[type] = []
    pending: list[type] = list(base.__subclasses__())
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found
