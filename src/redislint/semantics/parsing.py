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
"""

from __future__ import annotations

import threading
from functools import cache

import libcst as cst

# Per thread: whether this thread is inside `parse_checked` (read by `_post_init`).
_PARSING = threading.local()


def parse_checked(source: str) -> cst.Module:
    """`cst.parse_module(source)` for a text CPython has accepted (`precheck`).

    Raises what `cst.parse_module` raises."""
    if not _skipping_installed():
        return cst.parse_module(source)
    _PARSING.active = True
    try:
        return cst.parse_module(source)
    finally:
        _PARSING.active = False


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
