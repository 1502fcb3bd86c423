"""An index of keys by the ways two keys can be "the same key", so that rules asking
"which earlier/later call touches this key?" for every call of a function stay linear
instead of comparing every pair of calls (issue 12, "Superlinear rules").

The index only narrows the search: `candidates` returns every entry that *may* be the
same key (a superset), and the caller's own exact test (`same_key_arg`, rules.md "Same
key, different keys") decides, so findings are exactly those of the pairwise search.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

from redislint.semantics import ir
from redislint.semantics.model import KeyArg

_Item = TypeVar("_Item")


def same_key_arg(a: KeyArg, b: KeyArg) -> bool:
    """rules.md "same key": equal patterns by `same_key`, or the same expression."""
    if a.pattern is not None and b.pattern is not None:
        return a.pattern.same_key(b.pattern)
    return a.expr == b.expr and not isinstance(a.expr, ir.Other)


def _patterns(key: KeyArg) -> Iterator[Hashable]:
    if key.pattern is not None:
        yield ("identity", key.pattern.identity)
        if key.pattern.variables:
            yield ("glob", key.pattern.glob, key.pattern.variables)


def _entries(key: KeyArg) -> Iterator[Hashable]:
    """Where a key is filed: under every hashable entry by which `same_key_arg` may
    call it the same as another: the identity, the glob with its variables (`same_key`'s
    second test), and its expression, which only matters when one of the two keys is
    unresolved (two resolved keys are compared by pattern: one name rebound N times must
    not file its N keys together)."""
    yield from _patterns(key)
    if not isinstance(key.expr, ir.Other):
        yield ("expr", key.expr)  # found by an unresolved key of this expression
        if key.pattern is None:
            yield ("unresolved", key.expr)  # found by any key of this expression


def _lookups(key: KeyArg) -> Iterator[Hashable]:
    """Where `candidates` looks a key up: every entry that files a key `same_key_arg`
    may call the same."""
    yield from _patterns(key)
    if not isinstance(key.expr, ir.Other):
        yield ("expr", key.expr) if key.pattern is None else ("unresolved", key.expr)


class KeyIndex(Generic[_Item]):
    """Items (calls, usually) filed under their keys, in the order they were added."""

    def __init__(self) -> None:
        self._by_entry: dict[Hashable, list[int]] = {}
        self._items: list[tuple[KeyArg, _Item]] = []

    def add(self, key: KeyArg, item: _Item) -> None:
        number = len(self._items)
        self._items.append((key, item))
        for entry in _entries(key):
            self._by_entry.setdefault(entry, []).append(number)

    def candidates(self, key: KeyArg) -> list[_Item]:
        """The items filed under a key that is the same key as `key`, in the order they
        were added (an item filed under several matching keys comes once)."""
        numbers: set[int] = set()
        for entry in _lookups(key):
            numbers.update(self._by_entry.get(entry, ()))
        found: dict[int, _Item] = {}
        for number in sorted(numbers):
            filed, item = self._items[number]
            if id(item) not in found and same_key_arg(filed, key):
                found[id(item)] = item
        return list(found.values())
