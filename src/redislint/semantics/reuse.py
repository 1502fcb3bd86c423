"""What one check derived from single syntax nodes, for the next check of the same buffer.

libcst nodes are immutable, and the language server's incremental re-parse
(`lsp/incremental.py`) keeps every node outside an edit: the next tree shares them,
the very same objects. Whatever is a function of one node alone (the parents and name
uses under a function, `usage.BodyIndex`; the whitespace-free text a fingerprint
hashes) is therefore the same for that node in the next check, and recomputing it for
the hundreds of functions an edit did not touch is most of what a warm re-check would
redo for nothing.

Only a function of the node may be kept here: never anything that reads the rest of
the module or the project (a client, a key pattern), which an edit elsewhere changes.
Entries hold their node, so an id is not reused while its entry lives, and a hit is
checked to be that very node. Each check starts a new `NodeMemo` from the previous one
and carries over only the entries it used: what the buffer no longer has is dropped
with the check that last used it, so memory stays about one check's worth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar, cast

import libcst as cst

_Node = TypeVar("_Node", bound=cst.CSTNode)
_Value = TypeVar("_Value")
_Entries = dict[str, dict[int, tuple[cst.CSTNode, object]]]


class NodeMemo:
    """Values computed from single nodes, by kind, carried over from the previous check."""

    def __init__(self, previous: NodeMemo | None = None) -> None:
        self._previous: _Entries = previous._entries if previous is not None else {}
        self._entries: _Entries = {}
        self.reused: Counter[str] = Counter()  # by kind, taken from the previous check

    def get(self, kind: str, node: _Node, build: Callable[[_Node], _Value]) -> _Value:
        """`build(node)`, or what the previous check (or this one) built for this node.
        `kind` names the function: one node may have values of several kinds."""
        entries = self._entries.get(kind)
        if entries is None:
            entries = self._entries[kind] = {}
        known = entries.get(id(node))
        if known is None:
            known = self._previous.get(kind, {}).get(id(node))
            if known is not None and known[0] is node:
                self.reused[kind] += 1
            else:
                known = (node, build(node))
            entries[id(node)] = known
        return cast(_Value, known[1])
