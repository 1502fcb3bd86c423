"""Source positions for the few nodes that are reported.

libcst's PositionProvider records a range for every node of the module and costs
about 1.7x the parse (measured on redis-py); redislint needs positions only for
reported nodes and for statements (suppression comments sit on a statement's first
line). This code generator tracks line and column the same way, but records only
the nodes asked for, and runs only for files that have findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState

Position = tuple[int, int]  # 1-based line, 0-based column (libcst's convention)


@dataclass
class _TargetedState(CodegenState):
    wanted: set[int] = field(default_factory=set)
    line: int = 1
    column: int = 0
    starts: dict[int, Position] = field(default_factory=dict)
    ends: dict[int, Position] = field(default_factory=dict)
    indents: dict[int, str] = field(default_factory=dict)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self._advance(value)

    def pop_trailing_newline(self) -> None:
        pass

    def _advance(self, value: str) -> None:
        newlines = value.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - value.rfind("\n") - 1
        else:
            self.column += len(value)

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        key = id(node)
        if key not in self.wanted:
            yield
            return
        self.starts[key] = (self.line, self.column)
        self.indents[key] = "".join(self.indent_tokens)
        yield
        self.ends[key] = (self.line, self.column)


@dataclass(frozen=True)
class Span:
    line: int
    column: int  # 1-based
    end_line: int
    end_column: int  # 1-based, exclusive
    # The block indentation in force at the node: a multi-line replacement is rendered
    # with it, so its continuation lines stay inside the block.
    indent: str = ""


def spans(
    module: cst.Module, nodes: Iterable[cst.CSTNode], source: str | None = None
) -> dict[int, Span]:
    """Spans of `nodes` (keyed by id), from one code-generation pass over `module`.

    With `source` (the text that was parsed), columns are those of that text even where
    libcst's tree lost a form feed at the start of a line (legal Python whitespace that
    libcst does not always round-trip)."""
    wanted = {id(n) for n in nodes}
    if not wanted:
        return {}
    state = _TargetedState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        wanted=wanted,
    )
    module._codegen(state)
    shifts = _dropped_form_feeds(module, source) if source and "\f" in source else {}
    return _spans_of(state, shifts)


def spans_in(
    module: cst.Module,
    statements: Iterable[cst.BaseStatement],
    nodes: Iterable[cst.CSTNode],
    line: int,
    indents: Sequence[str] = (),
) -> dict[int, Span]:
    """Spans of those of `nodes` that are inside `statements`: consecutive statements of
    `module` whose text starts at the beginning of `line`, in blocks indented by
    `indents`. Only they are generated, not the rest of the module (the language server
    knows where the statements it parsed again start: `lsp/spans.py`). No form feed
    correction: the caller passes no text with form feeds."""
    wanted = {id(n) for n in nodes}
    if not wanted:
        return {}
    state = _TargetedState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        indent_tokens=list(indents),
        wanted=wanted,
        line=line,
    )
    for statement in statements:
        statement._codegen(state)
    return _spans_of(state, {})


def _spans_of(state: _TargetedState, shifts: dict[int, int]) -> dict[int, Span]:
    result: dict[int, Span] = {}
    for key, (line, column) in state.starts.items():
        end_line, end_column = state.ends.get(key, (line, column))
        column += shifts.get(line, 0)
        end_column += shifts.get(end_line, 0)
        result[key] = Span(line, column + 1, end_line, end_column + 1, state.indents[key])
    return result


def _dropped_form_feeds(module: cst.Module, source: str) -> dict[int, int]:
    """Line -> how many form feeds libcst dropped from the start of that line."""
    shifts: dict[int, int] = {}
    # Not splitlines(): it breaks lines at form feeds too.
    generated = module.code.split("\n")
    for number, (original, ours) in enumerate(
        zip(source.split("\n"), generated, strict=False), start=1
    ):
        if (
            original != ours
            and "\f" in original
            and original.replace("\f", "") == ours.replace("\f", "")
        ):
            shifts[number] = len(original) - len(ours)
    return shifts


def render_at(module: cst.Module, node: cst.CSTNode, indent: str) -> str:
    """The source of `node` as written inside a block indented by `indent`.

    `Module.code_for_node` renders at indentation zero, which would pull the
    continuation lines of a multi-line replacement out of their block.
    """
    state = CodegenState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        indent_tokens=[indent] if indent else [],
    )
    node._codegen(state)
    return "".join(state.tokens)
