"""Positions of a spliced tree, derived from those of the buffer's previous tree.

`positions.spans` generates the code of the whole module to locate a few nodes; on a
500-line module that is most of a warm re-check once parsing is incremental
(bench/lsp.py). After a splice (`incremental.py`) every node of the new tree is one of:

- a node of the previous tree, outside the edit: at the same place when before it,
  moved by the lines the edit added when after it (the edit starts at a line start and
  replaces whole lines, so columns do not change);
- a node of the statements parsed again: generated alone, from the line they start on;
- a statement rebuilt around the edit (the class and method it is in, the statement
  after it when the edit added comment lines to it): its previous span, the edges that
  lie after the edit moved.

So the spans found by the last check, kept per buffer, give the next check's. A node
that none of these give (reported now but not last time, outside the statements parsed
again) makes the whole module be generated, as for a full parse; so does a text with a
form feed (`positions.spans` corrects columns libcst loses there).
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from redislint.lsp.incremental import Splice
from redislint.positions import Span, spans, spans_in

_Known = dict[int, tuple[cst.CSTNode, Span]]


def _moved(span: Span, splice: Splice) -> Span:
    """`span` in the new text: each edge at or after the edit's line moves."""
    line, end_line = span.line, span.end_line
    if line >= splice.line:
        line += splice.delta
    if end_line > splice.line or (end_line == splice.line and span.end_column > 1):
        end_line += splice.delta
    return Span(line, span.column, end_line, span.end_column, span.indent)


def _derived(
    module: cst.Module, known: _Known, splice: Splice, nodes: list[cst.CSTNode]
) -> dict[int, Span] | None:
    replaced = {id(new): old for new, old in splice.replaced}
    result: dict[int, Span] = {}
    missing: list[cst.CSTNode] = []
    for node in nodes:
        previous = replaced.get(id(node), node)
        entry = known.get(id(previous))
        if entry is not None and entry[0] is previous:
            result[id(node)] = _moved(entry[1], splice)
        else:
            missing.append(node)
    if missing:
        found = spans_in(module, splice.parsed, missing, splice.line, splice.indents)
        if any(id(node) not in found for node in missing):
            return None
        result.update(found)
    return result


class SpanKeeper:
    """The spans each buffer's last check computed, and the next check's from them."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[cst.Module, _Known]] = {}
        self.derived = 0  # how many checks derived their spans (for tests and the bench)

    def forget(self, key: str) -> None:
        self._last.pop(key, None)

    def spans(
        self,
        key: str,
        module: cst.Module,
        nodes: Iterable[cst.CSTNode],
        source: str | None,
        splice: Splice | None,
    ) -> dict[int, Span]:
        """The spans `positions.spans(module, nodes, source)` gives, derived when the
        buffer's last tree is `module` or the one it was spliced from."""
        wanted = list(nodes)
        result: dict[int, Span] | None = None
        last = self._last.get(key)
        if last is not None and (source is None or "\f" not in source):
            previous, known = last
            if previous is module:
                result = _derived(module, known, _UNCHANGED, wanted)
            elif splice is not None and splice.previous is previous:
                result = _derived(module, known, splice, wanted)
        if result is None:
            result = spans(module, wanted, source)
        else:
            self.derived += 1
        self._last[key] = (module, {id(n): (n, result[id(n)]) for n in wanted if id(n) in result})
        return result


# The splice of a tree with itself: nothing parsed, nothing moved.
_UNCHANGED = Splice(cst.Module(body=()), 1, 0, (), (), ())
