"""What makes several writes one non-atomic group (rules.md "Decisions from real code").

Two facts RL101 (and any later rule about groups of commands) reads from here instead of
re-deriving them:
- writes on mutually exclusive paths never run together: the two arms of one `if`/`else`
  (also `if c: ...; return` and the rest of the block), two `match` cases, a `try` body
  and one of its handlers (or two handlers, or a handler and the `else`);
- a blocking pop waits for work and consumes it; it does not update state that another
  write must agree with, so it never joins a group.
"""

from __future__ import annotations

from redislint.semantics.scopes import Blocks

# BLPOP, BRPOP, BLMOVE, BZPOPMIN/MAX and BLMPOP (rules.md), plus their siblings with the
# same meaning: BRPOPLPUSH (the deprecated BLMOVE) and BZMPOP (BLMPOP for sorted sets).
BLOCKING_POPS = frozenset(
    {"BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP"}
)


def _exclusive_arms(kind: str, first: int, second: int) -> bool:
    if first == second:
        return False
    if kind in ("if", "match"):
        return True
    if kind == "try":
        # body 0, handler k 1+k, else -1, finally -2: a handler excludes the body, the
        # other handlers and the else; `finally` runs with all of them
        handler_first, handler_second = first >= 1, second >= 1
        if -2 in (first, second):
            return False
        return handler_first or handler_second
    return False  # loops: the else runs after the body


def mutually_exclusive(first: Blocks, second: Blocks) -> bool:
    """Whether two statements (their `CallSite.blocks`) can never both run in one call
    of their function: they sit in different arms of one branching statement."""
    for block_a, block_b in zip(first, second, strict=False):
        if block_a[0] != block_b[0]:
            return False
        if block_a[1] != block_b[1]:
            return _exclusive_arms(block_a[2], block_a[1], block_b[1])
    return False
