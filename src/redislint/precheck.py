"""CPython's parser first: what it rejects is RL001, and what libcst cannot survive is refused.

Why a second parser: libcst's native parser overflows the C stack on deep nesting (the
whole process dies, taking every other file's findings with it), and its time grows
with the cube of a left-recursive chain's length (`a + a + ... + a`, `r.a.a...a`,
`r.set(..).set(..)...`: 1,000 links take seconds, 2,000 twenty). CPython's own parser
is fast (about a tenth of libcst's time), exact about syntax errors, and rejects what
no interpreter runs (more than 200 nested brackets, NUL bytes) before libcst sees it.
Syntax that is only newer than the running interpreter (PEP 695 on 3.11) is accepted
when libcst parses it: the grammar is the newest CPython's (rules.md).

The limits are measured, not guessed (`bench/pathological.py` prints the curve): an
expression nested deeper than `MAX_EXPRESSION_DEPTH` is refused as "too deeply nested
for analysis" at its position. Only expressions whose text is long enough to hold such
a chain are walked, so ordinary files pay for the CPython parse alone.
"""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass

# An AST depth libcst parses in well under a second on a 2-core machine (a 250-link
# chain: ~0.1 s); real code stays below 40. Deeper expressions are refused.
MAX_EXPRESSION_DEPTH = 250
# An expression shorter than this many characters cannot be that deep (each level of a
# chain or of nesting costs at least two characters), so it is never walked.
_WALK_LONGER_THAN = 2 * MAX_EXPRESSION_DEPTH


@dataclass(frozen=True)
class Rejection:
    """Why a file is not analysed: 1-based line and column, and the RL001 message."""

    line: int
    column: int
    message: str


def precheck(source: str, *, guard: bool) -> Rejection | None:
    """None when CPython parses `source` (and, with `guard`, libcst can be trusted with
    it); otherwise where and why not."""
    try:
        with warnings.catch_warnings():
            # The checked code's own warnings (invalid escapes...) are not ours to print.
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except SyntaxError as error:
        if "\0" in source and "null bytes" in str(error.msg):
            return Rejection(*_nul_position(source), _syntax_message(error))
        if not _beyond_limits(error) and _newer_grammar(source):
            return None  # newer Python than this interpreter (PEP 695, PEP 701...)
        return Rejection(error.lineno or 1, max(error.offset or 1, 1), _syntax_message(error))
    except ValueError as error:  # NUL bytes (older interpreters)
        return Rejection(*_nul_position(source), f"syntax error: {error}")
    except (RecursionError, MemoryError):
        return Rejection(1, 1, "too deeply nested for analysis (CPython's parser gave up)")
    return _too_deep(source, tree) if guard else None


# CPython's hard limits: what no interpreter accepts, whatever its version.
_LIMIT_MESSAGES = ("too many nested", "too many levels of indentation", "too complex")


def _beyond_limits(error: SyntaxError) -> bool:
    return any(text in str(error.msg) for text in _LIMIT_MESSAGES)


def _newer_grammar(source: str) -> bool:
    """Whether a file this interpreter's parser refuses is valid in a newer Python
    (rules.md: the grammar is the one current CPython accepts, 3.8 to 3.14). libcst
    parses every version's grammar; it only runs for files CPython refused, which are
    rare, and never for those beyond CPython's nesting limits (they could crash it)."""
    if sys.version_info >= _NEWEST_GRAMMAR:
        return False
    import libcst

    try:
        libcst.parse_module(source)
    except Exception:
        return False
    return True


# The newest Python grammar libcst knows: on that interpreter CPython's verdict stands.
_NEWEST_GRAMMAR = (3, 14)


def _syntax_message(error: SyntaxError) -> str:
    return f"syntax error: {error.msg}"


def _nul_position(source: str) -> tuple[int, int]:
    """Where the first NUL byte is (1-based line and column)."""
    index = source.find("\0")
    if index < 0:
        return 1, 1
    return source.count("\n", 0, index) + 1, index - (source.rfind("\n", 0, index) + 1) + 1


def _too_deep(source: str, tree: ast.Module) -> Rejection | None:
    """The first expression deeper than the limit, found by walking statements and only
    the long expressions in them."""
    starts = [0]
    for line in source.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    statements: list[ast.AST] = list(reversed(tree.body))
    while statements:
        statement = statements.pop()
        if (
            isinstance(statement, ast.stmt)
            and not hasattr(statement, "body")
            and _length(starts, statement) <= _WALK_LONGER_THAN
        ):
            continue  # a short simple statement cannot hold a deep expression
        parts = list(ast.iter_child_nodes(statement))
        while parts:
            part = parts.pop()
            if isinstance(part, (ast.stmt, ast.excepthandler, ast.match_case)):
                statements.append(part)
            elif not isinstance(part, ast.expr):  # arguments, withitem, keyword, pattern...
                parts.extend(ast.iter_child_nodes(part))
            elif _length(starts, part) > _WALK_LONGER_THAN and _depth_exceeds(
                part, MAX_EXPRESSION_DEPTH
            ):
                return Rejection(
                    part.lineno,
                    part.col_offset + 1,
                    f"too deeply nested for analysis (an expression more than "
                    f"{MAX_EXPRESSION_DEPTH} levels deep)",
                )
    return None


def _length(starts: list[int], node: ast.expr | ast.stmt) -> int:
    """The node's length in characters (its source span)."""
    end_line = node.end_lineno or node.lineno
    end = starts[end_line - 1] + (node.end_col_offset or 0)
    return end - (starts[node.lineno - 1] + node.col_offset)


def _depth_exceeds(root: ast.AST, limit: int) -> bool:
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False
