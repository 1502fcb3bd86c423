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
for analysis" at its position.

Most files are far shallower than that, and for them the guard costs no Python AST at
all: CPython's symbol-table pass (`symtable`) parses the file and walks every statement
and expression with a depth counter that starts from the calling thread's recursion
depth and stops at its recursion limit. Run with the limit a few frames above the
current depth, it proves that nothing nests deeper than `_SHALLOW_NESTING`; whatever it
cannot prove (a deeper file, an error of any kind, an interpreter whose symbol table
counts differently) goes the full way, `ast.parse` plus the walk of long expressions, so
every verdict is the full way's.
"""

from __future__ import annotations

import ast
import functools
import symtable
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

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


def precheck(source: str, *, guard: bool, quick: bool = True) -> Rejection | None:
    """None when CPython parses `source` (and, with `guard`, libcst can be trusted with
    it); otherwise where and why not. `quick=False` always goes the full way (`ast.parse`
    and the depth walk): the tests and the fuzzer check that both ways agree."""
    if quick and (_parses_shallow(source) if guard else _parses_quickly(source)):
        return None
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


# The one `__future__` import that changes the grammar (`<>` for `!=`): a text naming it
# is always checked whole (CPython 3.11's `ast.parse` ignores it, a later one may not).
_GRAMMAR_FUTURE = "barry_as_FLUFL"


def accepts_edit(source: str, region: tuple[int, int], indents: Sequence[str] = ()) -> bool:
    """Whether `precheck(source, guard=True)` is None, knowing that it is None for the
    text `source` was made from by replacing whole statements of one block with the
    lines `source[start:end]`, at the indentation `indents` (the enclosing blocks'; none
    for top-level statements): the language server's re-parse, `lsp/incremental.py`.

    CPython's verdict is its parser's (a symbol-table error never is one: `precheck`
    then asks `ast.parse`) plus the depth guard, and both judge a block's statements
    alone: the grammar of a statement does not depend on the block around it (`return`
    or `await` parse anywhere), nor on the other statements (a misplaced `global` or
    `__future__` import is the compiler's business), and an expression's depth is its
    own. So the replaced statements, under one `if 1:` per enclosing block (the same
    indentation levels), decide for the whole text, and a keystroke costs the quick
    check of a few lines, not of the file. False means only "not proven here": the
    whole text is then checked as usual, which also gives the exact position of an
    error."""
    if _GRAMMAR_FUTURE in source:
        return False
    start, end = region
    heads = "".join(f"{''.join(indents[:level])}if 1:\n" for level in range(len(indents)))
    body = source[start:end] + ("".join(indents) + "pass\n" if indents else "")
    return _parses_shallow(heads + body)


def _parses_quickly(source: str) -> bool:
    """Whether CPython parses `source`, without building Python AST objects.

    Most files of a project never reach libcst (they cannot touch Redis) and need only
    CPython's verdict. `symtable` runs the same parser but keeps its tree in C: a
    quarter of `ast.parse`'s time, which on a large tree is most of a cold run. Any
    failure (also the symbol-table errors `ast.parse` does not raise) goes the full
    way, so the verdict and the message are exactly `ast.parse`'s."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            symtable.symtable(source, "<redislint>", "exec")
    except Exception:
        return False
    return True


# The nesting (statements and expressions on one path) that the quick guard proves at
# most. An expression's AST depth as `_depth_exceeds` counts it is at most twice its
# nesting plus one (a keyword, comprehension or context node between two expressions),
# so a file within this bound holds no expression deeper than MAX_EXPRESSION_DEPTH.
# Real code stays below 100 (measured: every file of the standard library and of a
# large site-packages; only generated tables go further, and they go the full way).
_SHALLOW_NESTING = (MAX_EXPRESSION_DEPTH - 1) // 2
# CPython's symbol table counts COMPILER_STACK_FRAME_SCALE (3) units of its own depth per
# frame of recursion limit; symtable.symtable's own Python frame takes one frame.
_FRAMES_PER_LEVEL = 3


def _parses_shallow(source: str) -> bool:
    """Whether CPython parses `source` and nothing in it nests deeper than
    `_SHALLOW_NESTING`, without building Python AST objects (see the module docstring).

    The recursion limit is lowered only for the one C call, on the analysis thread that
    already owns it (`engine.analysis_settings`), and always restored."""
    if not _depth_bounded_symtable():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _symtable_within(source, _SHALLOW_NESTING)


def _symtable_within(source: str, nesting: int) -> bool:
    """symtable.symtable(source) with headroom for `nesting` levels; False on any error."""
    saved = sys.getrecursionlimit()
    headroom = nesting // _FRAMES_PER_LEVEL  # a frame short of the bound: a margin
    try:
        sys.setrecursionlimit(_frame_depth() + headroom)
    except RecursionError:  # deeper C recursion than frames: not provable here
        return False
    try:
        symtable.symtable(source, "<redislint>", "exec")
    except Exception:  # RecursionError (too deep to prove), syntax errors, the rest
        return False
    finally:
        sys.setrecursionlimit(saved)
    return True


def _frame_depth() -> int:
    """The calling thread's Python frame depth (what the recursion limit counts)."""
    depth = 0
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


@functools.cache
def _depth_bounded_symtable() -> bool:
    """Whether this interpreter's symtable stops at the recursion limit as measured
    (CPython 3.11 does; 3.12 counts against a fixed C limit instead): a shallow probe
    passes and one just beyond the bound is refused. Otherwise the full way runs."""

    def probe(levels: int) -> str:  # an assignment statement holding a unary chain
        return "x = " + "-" * (levels - 2) + "1\n"

    return _symtable_within(probe(_SHALLOW_NESTING // 2), _SHALLOW_NESTING) and not (
        _symtable_within(probe(_SHALLOW_NESTING + 1), _SHALLOW_NESTING)
    )


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
