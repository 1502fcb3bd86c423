"""Re-parse only the top-level statements an edit touched.

libcst parses a 500-line module in 25-80 ms on a slow machine, more than the budget of
a whole re-check in the editor (bench/lsp.py). A keystroke changes one statement, so the
new tree is the old one with the changed top-level statements replaced: the text that
is the same as before at the start (whole statements, from the top) and at the end
(whole statements, from the bottom) keeps its nodes, and only the text in between is
parsed, as a module of its own.

The result must be the tree `cst.parse_module(text)` gives (checked with `deep_equals`
on generated edits of fixture and example modules by tests/test_incremental.py, which
also compares the findings with those of full parses).
A fragment parsed alone differs from the same
text inside the file only in where blank lines and comments at its edges go: at its
start they are the fragment's header (in the file: the first statement's leading
lines), at its end its footer (in the file: the next statement's leading lines). Those
are moved back. Whenever the attribution could depend on the neighbouring text (an
indented comment next to a boundary may belong to the previous block's footer), or the
module-wide settings (indentation, newline, encoding cookie, final newline) could
change, the whole text is parsed instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from redislint.lsp.blocks import BlockSplicer, Layout, Unparsable, has_block


@dataclass(frozen=True)
class Splice:
    """How a tree was made from the previous one: what its positions can be derived
    from (`lsp/spans.py`). Everything outside the statements parsed again is the same
    text as before, moved by whole lines."""

    previous: cst.Module
    line: int  # where the statements parsed again start (1-based; same in both texts)
    delta: int  # lines the edit added (negative: removed)
    parsed: tuple[cst.BaseStatement, ...]  # consecutive, from `line` on
    indents: tuple[str, ...]  # the indentation they were generated at (enclosing blocks)
    replaced: tuple[tuple[cst.CSTNode, cst.CSTNode], ...]  # (new, old) around the edit
    # The text it was made from, and where the statements parsed again stand in the
    # new text: [start, end), whole lines, at the indentation `indents` (top-level
    # statements: none).
    previous_text: str = ""
    region: tuple[int, int] = (0, 0)


@dataclass
class _Tree:
    text: str
    module: cst.Module
    chunks: list[str] | None = None  # each top-level statement's code, when computed
    header: str = ""
    footer: str = ""
    # The layouts of the compound statements the last edit went through (blocks.py).
    layouts: dict[int, tuple[cst.CSTNode, Layout]] = field(default_factory=dict)
    splice: Splice | None = None  # how it was made from the previous tree


def _edges(module: cst.Module) -> tuple[str, str]:
    empty = module.with_changes(body=(), footer=())
    header = empty.code if module.header else ""
    footer = module.with_changes(body=(), header=()).code if module.footer else ""
    return header, footer


def _indented(lines: Sequence[cst.EmptyLine]) -> bool:
    """Whether any line starts with whitespace: such a line (a comment, or only blanks)
    next to a boundary may belong to the footer of the block before it."""
    return any(line.whitespace.value for line in lines)


class IncrementalParser:
    """The last tree of each buffer, and the splice that makes the next one."""

    def __init__(self) -> None:
        self._trees: dict[str, _Tree] = {}
        self.spliced = 0  # how many parses were splices (for tests and the bench)
        self.spliced_inside = 0  # how many of them inside a top-level statement's body

    def forget(self, key: str) -> None:
        self._trees.pop(key, None)

    def remember(self, key: str, text: str, module: cst.Module) -> None:
        """A tree the engine parsed in full, the base for the next splice."""
        tree = self._trees.get(key)
        if tree is None or tree.module is not module:
            self._trees[key] = _Tree(text, module)

    def parse(self, key: str, text: str) -> cst.Module | None:
        """The tree of `text` built from the last one of `key`; None when it cannot be
        spliced safely (the caller parses in full, which also reports syntax errors)."""
        tree = self._trees.get(key)
        if tree is None or not text.endswith("\n") or not tree.text.endswith("\n"):
            return None
        if text.startswith("\ufeff"):  # libcst drops a BOM: the tree would not print `text`
            return None
        if tree.text == text:
            return tree.module
        if tree.chunks is None:
            tree.chunks = [tree.module.code_for_node(s) for s in tree.module.body]
            tree.header, tree.footer = _edges(tree.module)
        spliced = self._splice(tree, text)
        if spliced is not None:
            self.spliced += 1
            self._trees[key] = spliced
            return spliced.module
        return None

    def _splice(self, tree: _Tree, text: str) -> _Tree | None:
        old = tree.module
        chunks = tree.chunks
        assert chunks is not None
        count = len(chunks)
        # Whole statements unchanged from the top (after an unchanged header).
        first, start = 0, 0
        if text.startswith(tree.header):
            position = len(tree.header)
            while first < count and text.startswith(chunks[first], position):
                position += len(chunks[first])
                first += 1
            if first:
                start = position
        # Whole statements unchanged from the bottom (before an unchanged footer).
        last, end = count, len(text)
        if text.endswith(tree.footer):
            position = len(text) - len(tree.footer)
            while last > first and text.endswith(chunks[last - 1], 0, position):
                position -= len(chunks[last - 1])
                last -= 1
            if last < count and position >= start:
                end = position
            else:
                last = count
        if end < start:
            return None
        middle = text[start:end]
        if last - first == 1 and has_block(old.body[first]):
            try:
                inside = self._splice_inside(tree, text, first, last, start, end)
            except Unparsable:
                return None
            if inside is not None:
                self.spliced_inside += 1
                return inside
        if not middle.endswith("\n"):
            # The suffix matched across the middle's own last line break (its first
            # statement's blank leading line is that break): no statement boundary.
            return None
        try:
            fragment = cst.parse_module(middle)
        except (cst.ParserSyntaxError, RecursionError, MemoryError):
            return None
        body = list(fragment.body)
        if not body:
            return None
        if (first or last < count) and (
            fragment.default_indent != old.default_indent
            or fragment.default_newline != old.default_newline
        ):
            return None
        if first:
            if _indented(fragment.header):
                return None
            body[0] = body[0].with_changes(leading_lines=(*fragment.header, *body[0].leading_lines))
            header = old.header
        else:
            header = fragment.header
        suffix = list(old.body[last:])
        suffix_chunks = chunks[last:]
        if suffix:
            if _indented(fragment.footer) or _indented(suffix[0].leading_lines):
                return None
            if fragment.footer:
                suffix[0] = suffix[0].with_changes(
                    leading_lines=(*fragment.footer, *suffix[0].leading_lines)
                )
                suffix_chunks = [fragment.with_changes(body=(), header=()).code + chunks[last]]
                suffix_chunks += chunks[last + 1 :]
            footer = old.footer
        else:
            footer = fragment.footer
        module = old.with_changes(
            body=(*old.body[:first], *body, *suffix),
            header=header,
            footer=footer,
            encoding=fragment.encoding if not first else old.encoding,
            has_trailing_newline=True,
        )
        if len(body) == 1:
            # One statement (a keystroke's usual case): its code is the middle's text
            # without the edges that stayed outside it; generating it costs as much as
            # parsing it.
            fragment_header, tail = _edges(fragment)
            head = "" if first else fragment_header
            middle_chunks = [middle[len(head) : len(middle) - len(tail)]]
        else:
            middle_chunks = [module.code_for_node(s) for s in body]
        new = _Tree(text, module, [*chunks[:first], *middle_chunks, *suffix_chunks])
        new.header, new.footer = _edges(module)
        parsed_at = start if first else len(_edges(fragment)[0])
        replaced = ((suffix[0], old.body[last]),) if suffix and fragment.footer else ()
        new.splice = _splice_record(tree, text, parsed_at, tuple(body), (), replaced, (start, end))
        return new

    def _splice_inside(
        self, tree: _Tree, text: str, first: int, last: int, start: int, end: int
    ) -> _Tree | None:
        """The tree with the one changed top-level statement spliced inside its body
        (`blocks.py`); None when it cannot be. Raises Unparsable."""
        old, chunks = tree.module, tree.chunks
        assert chunks is not None
        # The statement's own text: without the module's header and footer when the
        # region starts at the top or runs to the end (both unchanged, checked here).
        low = len(tree.header) if first == 0 else 0
        high = len(tree.footer) if last == len(chunks) else 0
        region = text[start:end]
        if len(region) < low + high or not region.startswith(tree.header if low else ""):
            return None
        if high and not region.endswith(tree.footer):
            return None
        region = region[low : len(region) - high]
        splicer = BlockSplicer(old, tree.layouts)
        statement = splicer.splice(old.body[first], region, start + low)
        if statement is None:
            return None
        assert isinstance(statement, cst.BaseStatement)
        module = old.with_changes(body=(*old.body[:first], statement, *old.body[last:]))
        new = _Tree(text, module, [*chunks[:first], region, *chunks[last:]])
        new.header, new.footer, new.layouts = tree.header, tree.footer, splicer.kept
        at, indents = splicer.parsed_at
        new.splice = _splice_record(
            tree,
            text,
            at,
            tuple(splicer.parsed),
            indents,
            tuple(splicer.replaced),
            (at, splicer.parsed_end),
        )
        return new

    def last_splice(self, key: str, module: cst.Module) -> Splice | None:
        """How `module`, the last tree of `key`, was spliced (None: parsed in full)."""
        tree = self._trees.get(key)
        return tree.splice if tree is not None and tree.module is module else None


def _splice_record(
    tree: _Tree,
    text: str,
    offset: int,
    parsed: tuple[cst.BaseStatement, ...],
    indents: tuple[str, ...],
    replaced: tuple[tuple[cst.CSTNode, cst.CSTNode], ...],
    region: tuple[int, int],
) -> Splice:
    line = text.count("\n", 0, offset) + 1
    delta = text.count("\n") - tree.text.count("\n")
    return Splice(tree.module, line, delta, parsed, indents, replaced, tree.text, region)
