"""Whether two calls of one function lie on mutually exclusive paths.

rules.md: "Two writes on mutually exclusive paths (the two arms of one `if`/`else`,
`match` cases, a `try` body and its handler) are not a group by themselves." Rules
that relate an earlier call to a later one (RL204: an expiry, then a SET that drops
it) ask this before claiming that one runs after the other.

The paths are found on demand, by walking the enclosing function's syntax tree: only
the few pairs a rule is about to report are ever asked about.
"""

from __future__ import annotations

import libcst as cst


def _path(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The nodes from `root` down to `target` (both included), or None."""
    stack: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(root, [root])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        for child in node.children:
            stack.append((child, [*path, child]))
    return None


def _arm(parent: cst.CSTNode, child: cst.CSTNode) -> tuple[str, int] | None:
    """Which exclusive arm of `parent` the child is, or None when `parent` has none."""
    if isinstance(parent, cst.If | cst.IfExp):
        if child is parent.body:
            return ("if", 0)
        if child is parent.orelse:
            return ("if", 1)
        return None
    if isinstance(parent, cst.Try | cst.TryStar):
        if child is parent.body or child is parent.orelse:
            return ("try", 0)
        for index, handler in enumerate(parent.handlers, start=1):
            if child is handler:
                return ("try", index)
        return None
    if isinstance(parent, cst.Match):
        for index, case in enumerate(parent.cases):
            if child is case:
                return ("match", index)
    return None


def exclusive(root: cst.CSTNode, a: cst.CSTNode, b: cst.CSTNode) -> bool:
    """True when `a` and `b` (both under `root`) can never both run in one pass: they
    sit in different arms of the `if`/`else`, `try`/`except` or `match` that is their
    nearest common ancestor."""
    path_a, path_b = _path(root, a), _path(root, b)
    if path_a is None or path_b is None:
        return False
    common = 0
    while common < len(path_a) and common < len(path_b) and path_a[common] is path_b[common]:
        common += 1
    if common == 0 or common >= len(path_a) or common >= len(path_b):
        return False
    parent = path_a[common - 1]
    arm_a, arm_b = _arm(parent, path_a[common]), _arm(parent, path_b[common])
    return arm_a is not None and arm_b is not None and arm_a != arm_b
