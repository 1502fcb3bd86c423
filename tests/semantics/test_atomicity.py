"""`pair_runs_together` gives the answer of `mutually_exclusive` asked of every pair.

RL101 asks the tree (linear) instead of every pair (quadratic on an if/elif chain,
issue 12); its findings must not change, so random groups of writes in random nests
of if/match/try/loop/conditional blocks are checked against the pairwise definition.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from redislint.semantics.atomicity import mutually_exclusive, pair_runs_together
from redislint.semantics.scopes import Blocks

# the arms each kind of block has (collect.py: `try` body 0, handler k 1+k, else -1,
# finally -2; `if` body 0 / else 1 (also the rest of a block after `if c: return`)
ARMS = {
    "if": (0, 1),
    "match": (0, 1, 2),
    "try": (0, 1, 2, -1, -2),
    "loop": (0, 1),
    "cond": (0,),
}
KINDS = tuple(ARMS)

# one step down: which of three statements of the current arm, its kind, which arm
steps = st.tuples(st.integers(0, 2), st.sampled_from(KINDS), st.integers(0, 4))
writes = st.lists(
    st.tuples(
        st.lists(steps, max_size=5),
        st.lists(st.sampled_from("abc"), min_size=1, max_size=2),
    ),
    max_size=8,
)
Statements = dict[tuple[Blocks, int], tuple[int, str]]


def _blocks(steps_down: list[tuple[int, str, int]], statements: Statements) -> Blocks:
    """Blocks of one write. One path leads to one statement (one id, one kind), as in
    one function's syntax tree."""
    blocks: Blocks = ()
    for position, kind, arm in steps_down:
        statement, kind = statements.setdefault((blocks, position), (len(statements), kind))
        arms = ARMS[kind]
        blocks = (*blocks, (statement, arms[arm % len(arms)], kind))
    return blocks


def _pairwise(group: list[tuple[Blocks, list[str]]]) -> bool:
    return any(
        not mutually_exclusive(first[0], second[0]) and len({*first[1], *second[1]}) >= 2
        for i, first in enumerate(group)
        for second in group[i + 1 :]
    )


@settings(max_examples=2000, deadline=None)
@given(group=writes)
def test_the_tree_answers_as_every_pair(
    group: list[tuple[list[tuple[int, str, int]], list[str]]],
) -> None:
    statements: Statements = {}
    filed = [(_blocks(steps_down, statements), labels) for steps_down, labels in group]
    assert pair_runs_together(filed) == _pairwise(filed)


def test_an_elif_chain_runs_no_pair_together_but_one_arm_of_two_keys_does() -> None:
    chain = [(*((n, 1, "if") for n in range(i)), (i, 0, "if")) for i in range(50)]
    alone = [(blocks, [f"k{i}"]) for i, blocks in enumerate(chain)]
    assert not pair_runs_together(alone)
    assert pair_runs_together([*alone, (chain[30], ["other"])])
    assert not pair_runs_together([*alone, (chain[30], ["k30"])])
