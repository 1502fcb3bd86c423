"""What makes several writes one non-atomic group (rules.md "Decisions from real code").

Two facts RL101 (and any later rule about groups of commands) reads from here instead of
re-deriving them:
- writes on mutually exclusive paths never run together: the two arms of one `if`/`else`
  (also `if c: ...; return` and the rest of the block), two `match` cases, a `try` body
  and one of its handlers (or two handlers, or a handler and the `else`);
- a blocking pop waits for work and consumes it; it does not update state that another
  write must agree with, so it never joins a group.

`mutually_exclusive` answers for one pair; `pair_runs_together` answers "do two of these
writes, with different keys between them, run together on some path?" for a whole group
at once, from a tree of the blocks the writes sit in: a pairwise search made RL101
quadratic on a long if/elif chain, where no pair runs together (issue 12).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from itertools import islice

from redislint.semantics.scopes import Blocks

# BLPOP, BRPOP, BLMOVE, BZPOPMIN/MAX and BLMPOP (rules.md), plus their siblings with the
# same meaning: BRPOPLPUSH (the deprecated BLMOVE) and BZMPOP (BLMPOP for sorted sets).
BLOCKING_POPS = frozenset(
    {"BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "BLMPOP", "BZMPOP"}
)


def arm_class(kind: str, arm: int) -> int | None:
    """Which arms of one branching statement exclude each other: two arms with classes
    exclude each other when the classes differ; an arm of class None runs with every arm.

    `if` and `match`: each arm is its own class. `try` (body 0, handler k 1+k, else -1,
    finally -2): the body and the `else` run together (class 0), each handler excludes
    them and the other handlers, `finally` runs with all of them. Loops (the `else` runs
    after the body) and conditional bindings exclude nothing.
    """
    if kind in ("if", "match"):
        return arm
    if kind == "try":
        if arm == -2:
            return None
        return arm if arm >= 1 else 0
    return None


def _exclusive_arms(kind: str, first: int, second: int) -> bool:
    if first == second:
        return False
    first_class, second_class = arm_class(kind, first), arm_class(kind, second)
    return first_class is not None and second_class is not None and first_class != second_class


def mutually_exclusive(first: Blocks, second: Blocks) -> bool:
    """Whether two statements (their `CallSite.blocks`) can never both run in one call
    of their function: they sit in different arms of one branching statement."""
    for block_a, block_b in zip(first, second, strict=False):
        if block_a[0] != block_b[0]:
            return False
        if block_a[1] != block_b[1]:
            return _exclusive_arms(block_a[2], block_a[1], block_b[1])
    return False


# What a subtree of writes is summarised to: the labels its writes carry, at most two
# (two already prove "different" against any other write that runs with them all).
Labels = frozenset[Hashable]


def pair_runs_together(writes: Iterable[tuple[Blocks, Iterable[Hashable]]]) -> bool:
    """Whether two of `writes` (each: its `CallSite.blocks` and the labels of its keys,
    equal labels meaning the same key) can run in one call of their function and carry
    at least two different labels between them.

    The same answer as asking `mutually_exclusive` of every pair, in time linear in the
    writes' blocks: the writes are filed in a tree of the branching statements around
    them (one level per arm), and each level is summarised bottom-up by the labels below
    it. Writes of one level, and the branching statements of one level, run together;
    the arms of one statement run together unless `arm_class` says they exclude each
    other. So a level answers from its children's summaries, never from pairs of writes.
    """
    root = _Level()
    for blocks, labels in writes:
        level = root
        for statement, arm, kind in blocks:
            branch = level.branches.get(statement)
            if branch is None:
                branch = level.branches[statement] = (kind, {})
            below = branch[1].get(arm)
            if below is None:
                below = branch[1][arm] = _Level()
            level = below
        level.direct.append(_capped(frozenset(labels)))
    # children before parents, without recursion (an elif chain nests one level per arm)
    order, pending = [], [root]
    while pending:
        level = pending.pop()
        order.append(level)
        for _, arms in level.branches.values():
            pending.extend(arms.values())
    return any(not level.summarise() for level in reversed(order))


class _Level:
    """The writes below one path of blocks: those directly on it, and per branching
    statement below it (id -> kind, arm -> level), the writes of each arm."""

    __slots__ = ("branches", "direct", "summary")

    def __init__(self) -> None:
        self.direct: list[Labels] = []
        self.branches: dict[int, tuple[str, dict[int, _Level]]] = {}
        self.summary: Labels = frozenset()

    def summarise(self) -> bool:
        """Set `summary` from the writes and the (summarised) arms below; False when two
        writes below this level run together with different labels."""
        summary: Labels = frozenset()
        for labels in self.direct:
            if _differ(summary, labels):
                return False
            summary = _merged(summary, labels)
        for kind, arms in self.branches.values():
            everywhere: Labels = frozenset()  # arms that run with every arm
            classes: dict[int, Labels] = {}  # the arms of one class run together
            for arm, below in arms.items():
                arm_of = arm_class(kind, arm)
                together = everywhere if arm_of is None else classes.get(arm_of, frozenset())
                if _differ(together, below.summary):
                    return False
                together = _merged(together, below.summary)
                if arm_of is None:
                    everywhere = together
                else:
                    classes[arm_of] = together
            branch = everywhere
            for labels in classes.values():
                if _differ(everywhere, labels):
                    return False
                branch = _merged(branch, labels)
            if _differ(summary, branch):
                return False
            summary = _merged(summary, branch)
        self.summary = summary
        return True


def _differ(first: Labels, second: Labels) -> bool:
    """Whether some write summarised by `first` and some by `second` (all of which run
    together) carry two different labels between them."""
    return bool(first) and bool(second) and len(first | second) >= 2


def _merged(first: Labels, second: Labels) -> Labels:
    return _capped(first | second)


def _capped(labels: Labels) -> Labels:
    return labels if len(labels) <= 2 else frozenset(islice(labels, 2))
