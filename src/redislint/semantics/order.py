"""Where two calls of one function stand relative to each other: which runs first, and
whether they can both run at all (the two arms of one `if` cannot).

Rules about a sequence of commands (create then EXPIRE) ask these questions; the
answers come from the call order the traversal records and, only for the few pairs a
rule asks about, from a search of the function's syntax tree.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst

from redislint.semantics.model import RedisCall


def runs_after(other: RedisCall, call: RedisCall) -> bool:
    """Whether `other` runs after `call`: later in the source, or chained onto it
    (`pipe.hset(k, ...).expire(k, 60)`: the outer call comes first in source order)."""
    if other.site.order > call.site.order:
        return True
    node: cst.BaseExpression = other.node.func
    while isinstance(node, cst.Attribute | cst.Call):
        if node is call.node:
            return True
        node = node.value if isinstance(node, cst.Attribute) else node.func
    return False


# The fields holding the statements below a statement.
_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases")

# (node, the field holding the child on the way down, index in that field's sequence)
Step = tuple[cst.CSTNode, str, int]


def path_to(root: cst.CSTNode, target: cst.CSTNode) -> list[Step] | None:
    """The chain of (ancestor, field, index) from `root` down to `target`, or None."""
    if root is target:
        return []
    for name, index, child in _statement_children(root):
        found = path_to(child, target)
        if found is not None:
            return [(root, name, index), *found]
    return None


def _statement_children(node: cst.CSTNode) -> Iterator[tuple[str, int, cst.CSTNode]]:
    """(field, index, child) for the statements and clauses directly below `node`."""
    for name in _FIELDS:
        value = getattr(node, name, None)
        if value is None:
            continue
        children: Sequence[object] = value if isinstance(value, list | tuple) else [value]
        for index, child in enumerate(children):
            if isinstance(child, cst.CSTNode):
                yield name, index, child


def mutually_exclusive(root: cst.CSTNode, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """Whether two statements under `root` lie on paths that never both run: the body and
    the `else` of one `if` (or `elif` chain), two `match` cases, a `try` body and one of
    its handlers, or two handlers."""
    return _exclusive_paths(path_to(root, first), path_to(root, second))


def _exclusive_paths(a: list[Step] | None, b: list[Step] | None) -> bool:
    if a is None or b is None:
        return False
    for step_a, step_b in zip(a, b, strict=False):
        node_a, field_a, index_a = step_a
        node_b, field_b, index_b = step_b
        if node_a is not node_b:
            return False
        if (field_a, index_a) == (field_b, index_b):
            continue
        if isinstance(node_a, cst.If):
            return {field_a, field_b} == {"body", "orelse"}
        if isinstance(node_a, cst.Match):
            return field_a == field_b == "cases"
        if isinstance(node_a, cst.Try | cst.TryStar):
            fields = {field_a, field_b}
            return fields == {"body", "handlers"} or fields == {"handlers"}
        return False
    return False


def block_of(root: cst.CSTNode, statement: cst.CSTNode) -> tuple[cst.CSTNode, int] | None:
    """The block (module, indented block) whose `body` holds `statement`, and its index."""
    return _block_of(path_to(root, statement))


def _block_of(path: list[Step] | None) -> tuple[cst.CSTNode, int] | None:
    if not path:
        return None
    parent, name, index = path[-1]
    if name != "body" or not isinstance(parent, cst.Module | cst.IndentedBlock):
        return None
    return parent, index


class StatementPaths:
    """`path_to`, `mutually_exclusive` and `block_of` for many statements under one root,
    from one walk that records each node's parent step: a rule asking about many pairs
    of one function pays O(depth) per question instead of a search of the whole body
    (issue 12: per-pair searches made RL103 quadratic in the size of a function)."""

    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self._parent: dict[int, Step] = {}
        pending = [root]
        while pending:
            node = pending.pop()
            for name, index, child in _statement_children(node):
                if id(child) not in self._parent:
                    self._parent[id(child)] = (node, name, index)
                    pending.append(child)

    def path_to(self, target: cst.CSTNode) -> list[Step] | None:
        """As the module's `path_to(root, target)`."""
        steps: list[Step] = []
        node = target
        while node is not self.root:
            step = self._parent.get(id(node))
            if step is None:
                return None
            steps.append(step)
            node = step[0]
        steps.reverse()
        return steps

    def mutually_exclusive(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        return _exclusive_paths(self.path_to(first), self.path_to(second))

    def block_of(self, statement: cst.CSTNode) -> tuple[cst.CSTNode, int] | None:
        return _block_of(self.path_to(statement))
