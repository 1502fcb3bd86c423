"""Re-parse only the statements an edit touched inside a class or function body.

A module that is one large class has one top-level statement: the module-level splice
(`incremental.py`) would parse all of it again for a keystroke in one method. This
splices inside the body instead, recursively (a method of a class, a statement of the
method), as the module level does: the body statements unchanged at the top and at the
bottom keep their nodes, and only the text in between is parsed. The text between is
parsed where it stands: after the heads of its enclosing statements (`class Queue:`,
`def push(self, job):`) and before a sentinel `pass` placed where the next unchanged
statement starts, after that statement's leading lines. The tokenizer then sees the
same indentation around it as in the file, and blank lines and comments at its edges
are attributed as in the file (a comment indented under the previous block belongs to
that block's footer; one at the statement's own indentation to the next statement).

The splice gives up (the caller parses more) where that equivalence could fail: the
edit touches a head or what follows the last body statement, nothing unchanged follows
the edit inside the block, the lines right after an unchanged statement are indented
deeper than the block (they may belong to that statement's own block), the sentinel
does not end up where the next statement is, or the indentation or newline style would
come out differently. A text whose changed part does not parse raises `Unparsable`: the
caller parses the whole text, which reports the error (and accepts text such as an
`else:` that only parses attached to the statement before the edit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState


class Unparsable(Exception):
    """The changed statements do not parse where they stand."""


@dataclass(frozen=True)
class Layout:
    """A compound statement's text, cut at its body's statements."""

    head: str  # before the first body statement (leading lines, decorators, `def f():`)
    texts: tuple[str, ...]  # each body statement's text as in the file (indented)
    tail: str  # after the last body statement (the block's footer, an `else:` part)


def has_block(node: cst.CSTNode) -> bool:
    body = getattr(node, "body", None)
    return isinstance(node, cst.BaseCompoundStatement) and isinstance(body, cst.IndentedBlock)


@dataclass
class _MarkingState(CodegenState):
    """Code generation that notes where each of some nodes starts and ends (token
    indices): a node's code runs from its `before_codegen` to its `after_codegen`."""

    marked: set[int] = field(default_factory=set)
    bounds: dict[int, tuple[int, int]] = field(default_factory=dict)
    _starts: dict[int, int] = field(default_factory=dict)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.marked:
            self._starts[id(node)] = len(self.tokens)

    def after_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.marked:
            self.bounds[id(node)] = (self._starts[id(node)], len(self.tokens))


def layout_of(statement: cst.CSTNode, settings: cst.Module, indents: Sequence[str]) -> Layout:
    """The layout of a statement with a block body, generated at the indentation
    `indents` (the enclosing blocks' indentation strings)."""
    assert isinstance(statement, cst.BaseCompoundStatement)
    body = statement.body.body
    state = _MarkingState(
        default_indent=settings.default_indent,
        default_newline=settings.default_newline,
        indent_tokens=list(indents),
        marked={id(s) for s in body},
    )
    statement._codegen(state)
    tokens = state.tokens
    starts = [state.bounds[id(s)][0] for s in body]
    end = state.bounds[id(body[-1])][1]
    ends = [*starts[1:], end]
    return Layout(
        "".join(tokens[: starts[0]]),
        tuple("".join(tokens[a:b]) for a, b in zip(starts, ends, strict=True)),
        "".join(tokens[end:]),
    )


def _indented(lines: Sequence[cst.EmptyLine]) -> bool:
    """Whether a line has whitespace beyond the block's indentation (or, at column 0,
    any whitespace): such a line next to an unchanged compound statement may belong to
    that statement's own block (its footer), so where it goes depends on that statement."""
    return any(line.whitespace.value for line in lines)


def _head_lines(text: str, count: int) -> str:
    """The first `count` lines of `text` (line breaks included)."""
    end = 0
    for _ in range(count):
        end = text.index("\n", end) + 1
    return text[:end]


def _tail_lines(text: str, count: int) -> str:
    """The last `count` lines of `text` (which ends with a line break)."""
    start = len(text)
    for _ in range(count):
        start = text.rfind("\n", 0, start - 1) + 1
    return text[start:]


@dataclass(frozen=True)
class _Site:
    """Where the changed statements of a block are parsed."""

    heads: tuple[str, ...]  # the heads of the enclosing statements, outermost first
    indents: tuple[str, ...]  # the indentation of the enclosing blocks, then the block's
    following: cst.BaseStatement  # the first unchanged statement after the edit
    following_text: str  # its text


@dataclass
class BlockSplicer:
    """Splices of one module's compound statements, with the layouts it has computed
    (kept for the statements an edit went through, where the next keystroke lands)."""

    settings: cst.Module  # the module: default indentation and newline
    known: dict[int, tuple[cst.CSTNode, Layout]] = field(default_factory=dict)  # the last tree's
    kept: dict[int, tuple[cst.CSTNode, Layout]] = field(default_factory=dict)  # the new tree's
    # What the positions of the new tree need (`lsp/spans.py`): the statements parsed
    # (with the offset of their text and their indentation), and the new statements that
    # replace old ones around the edit (new, old).
    parsed: list[cst.BaseStatement] = field(default_factory=list)
    parsed_at: tuple[int, tuple[str, ...]] = (0, ())
    parsed_end: int = 0  # where the text of the statements parsed ends in the file
    replaced: list[tuple[cst.CSTNode, cst.CSTNode]] = field(default_factory=list)

    def layout(self, statement: cst.CSTNode, indents: Sequence[str]) -> Layout:
        known = self.known.get(id(statement))
        if known is not None and known[0] is statement:
            return known[1]
        return layout_of(statement, self.settings, indents)

    def _keep(self, statement: cst.CSTNode, layout: Layout | None) -> None:
        if layout is not None:
            self.kept[id(statement)] = (statement, layout)

    def splice(
        self,
        statement: cst.CSTNode,
        text: str,
        offset: int,
        heads: tuple[str, ...] = (),
        indents: tuple[str, ...] = (),
    ) -> cst.CSTNode | None:
        """`statement` as `text` (its new text, at `offset` in the file) parses, or None
        when this cannot be done inside its body. Raises Unparsable."""
        if self.settings.default_newline != "\n":
            return None
        layout = self.layout(statement, indents)
        head, texts, tail = layout.head, layout.texts, layout.tail
        if len(text) < len(head) + len(tail) or not text.startswith(head):
            return None
        if not text.endswith(tail):
            return None
        inner = text[len(head) : len(text) - len(tail)]
        count = len(texts)
        first, start = 0, 0
        while first < count and inner.startswith(texts[first], start):
            start += len(texts[first])
            first += 1
        last, end = count, len(inner)
        while last > first and inner.endswith(texts[last - 1], start, end):
            end -= len(texts[last - 1])
            last -= 1
        if last == count:
            return None  # nothing unchanged after the edit: where the block ends is not known
        assert isinstance(statement, cst.BaseCompoundStatement)
        block = statement.body
        assert isinstance(block, cst.IndentedBlock)
        body = block.body
        indent = self.settings.default_indent if block.indent is None else block.indent
        middle = inner[start:end]
        spliced: list[cst.BaseStatement] | None = None
        middle_texts: tuple[str, ...] | None = None
        suffix = list(body[last:])
        suffix_texts = list(texts[last:])
        if last - first == 1 and has_block(body[first]):
            inner_heads, inner_indents = (*heads, head), (*indents, indent)
            at = offset + len(head) + start
            deeper = self.splice(body[first], middle, at, inner_heads, inner_indents)
            if deeper is not None:
                assert isinstance(deeper, cst.BaseStatement)
                spliced, middle_texts = [deeper], (middle,)
        if spliced is None:
            site = _Site((*heads, head), (*indents, indent), body[last], texts[last])
            parsed = self._parse_middle(site, middle, after_unchanged=first > 0)
            if parsed is None:
                return None
            spliced, suffix[0], extra = parsed
            self.parsed = spliced
            self.parsed_at = (offset + len(head) + start, site.indents)
            self.parsed_end = offset + len(head) + end
            if suffix[0] is not body[last]:
                self.replaced.append((suffix[0], body[last]))
            if extra:
                suffix_texts[0] = extra + suffix_texts[0]
                middle = middle[: len(middle) - len(extra)]
            middle_texts = (middle,) if len(spliced) == 1 else () if not spliced else None
        result = statement.with_changes(
            body=block.with_changes(body=(*body[:first], *spliced, *suffix))
        )
        self.replaced.append((result, statement))
        if middle_texts is not None:
            self._keep(result, Layout(head, (*texts[:first], *middle_texts, *suffix_texts), tail))
        return result

    def _parse_middle(
        self, site: _Site, middle: str, *, after_unchanged: bool
    ) -> tuple[list[cst.BaseStatement], cst.BaseStatement, str] | None:
        """The statements of `middle` parsed in place; the next statement (with the
        blank lines and comments the edit added before it); the text of those lines."""
        following = site.following
        leading: Sequence[cst.EmptyLine] = following.leading_lines  # type: ignore[attr-defined]
        sentinel = _head_lines(site.following_text, len(leading)) + "".join(site.indents)
        source = "".join(site.heads) + middle + sentinel + "pass\n"
        try:
            parsed = cst.parse_module(source)
        except (cst.ParserSyntaxError, RecursionError, MemoryError) as exc:
            raise Unparsable from exc
        if (
            parsed.default_indent != self.settings.default_indent
            or parsed.default_newline != self.settings.default_newline
            or parsed.footer
        ):
            return None
        container: Sequence[cst.BaseStatement] = parsed.body
        block: cst.IndentedBlock | None = None
        for _ in site.heads:
            if len(container) != 1 or not has_block(container[0]):
                return None
            block = container[0].body  # type: ignore[attr-defined]
            assert isinstance(block, cst.IndentedBlock)
            container = block.body
        assert block is not None
        if block.footer or site.indents[-1] != (block.indent or self.settings.default_indent):
            return None
        statements = list(block.body)
        end = statements.pop()
        if not (
            isinstance(end, cst.SimpleStatementLine)
            and len(end.body) == 1
            and isinstance(end.body[0], cst.Pass)
        ):
            return None
        extra = len(end.leading_lines) - len(leading)
        if extra < 0:
            return None
        kept_lines = end.leading_lines[extra:]
        if any(not a.deep_equals(b) for a, b in zip(kept_lines, leading, strict=True)):
            return None
        if after_unchanged:
            lines = statements[0].leading_lines if statements else end.leading_lines  # type: ignore[attr-defined]
            if _indented(lines):
                return None
        added = _tail_lines(middle, extra) if extra else ""
        if extra:
            following = following.with_changes(leading_lines=end.leading_lines)
        return statements, following, added
