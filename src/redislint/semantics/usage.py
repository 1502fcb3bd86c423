"""What happens to a value: the node that consumes a call's result, and a name's uses.

The single traversal (`collect.py`) records call sites, not what surrounds them, and
most rules never ask. The client-bug rules (RL5xx) do: is this coroutine awaited, is
this reply compared with a str, is this pipeline returned or passed on? They ask only
about calls on proven clients, so the parents are computed on demand, once per
function body that holds such a call (`BodyIndex`), never for the whole file up front.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, cast

import libcst as cst

from redislint.semantics.collect import _FIELD_CACHE, _NODE_TYPES, _fields, _is_node
from redislint.semantics.reuse import NodeMemo
from redislint.semantics.scopes import ModuleFacts

ConsumerKind = Literal[
    "discarded",  # an expression statement: the value is dropped
    "assigned",  # `name = value` (single plain name target)
    "stored",  # any other assignment target (attribute, subscript, tuple)
    "returned",  # return / yield / lambda body
    "argument",  # an argument of a call
    "method",  # `value.method(...)`
    "attribute",  # `value.attr` (not called)
    "subscript",  # `value[...]`
    "compared",  # an operand of a comparison
    "tested",  # the condition of if/while/assert/ternary, an operand of and/or/not
    "arithmetic",  # an operand of a binary operator
    "formatted",  # inside an f-string
    "iterated",  # `for ... in value`, a comprehension's iterable
    "other",
]


@dataclass(frozen=True)
class Consumer:
    """Where a value goes. `node` is the consuming node (the Call for "argument" and
    "method", the Comparison for "compared", ...); `name` is the assigned name or the
    called method; `awaited` when an `await` stood in between."""

    kind: ConsumerKind
    node: cst.CSTNode | None = None
    name: str | None = None
    awaited: bool = False
    value: cst.CSTNode | None = None  # the expression that is consumed (the call or its await)


# Name nodes that are not uses of a variable: parent type -> the field that holds them.
_DEFINING_FIELD: dict[type[cst.CSTNode], str] = {
    cst.Attribute: "attr",
    cst.Arg: "keyword",
    cst.Param: "name",
    cst.FunctionDef: "name",
    cst.ClassDef: "name",
    cst.ImportAlias: "name",
}


@dataclass
class BodyIndex:
    """Parents of every node under one function (or statement), and Name uses by name."""

    parent: dict[int, cst.CSTNode] = field(default_factory=dict)
    names: dict[str, list[cst.Name]] = field(default_factory=dict)
    attributes: dict[str, list[cst.Attribute]] = field(default_factory=dict)

    @classmethod
    def build(cls, root: cst.CSTNode) -> BodyIndex:
        """One pre-order walk: uses in `names` are in source order. Children are pushed
        in reverse, so the stack pops them first to last; exact types throughout
        (isinstance on libcst's ABCs is slow). It walks every node of each body a rule
        asks about, so it is written for speed (the language server runs it on every
        check)."""
        index = cls()
        parent, names, attributes = index.parent, index.names, index.attributes
        fields_of, is_node, defining = _FIELD_CACHE, _NODE_TYPES, _DEFINING_FIELD
        stack: list[cst.CSTNode] = [root]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            kind = type(node)
            if kind is cst.Name:
                above = parent.get(id(node))
                field_name = defining.get(type(above)) if above is not None else None
                if field_name is None or getattr(above, field_name) is not node:
                    name = cast(cst.Name, node)
                    names.setdefault(name.value, []).append(name)
                continue
            if kind is cst.Attribute:
                attribute = cast(cst.Attribute, node)
                attributes.setdefault(attribute.attr.value, []).append(attribute)
            field_names = fields_of.get(kind)
            if field_names is None:
                field_names = _fields(node)
            for field_name in reversed(field_names):
                value = getattr(node, field_name)
                value_kind = type(value)
                items = reversed(value) if value_kind is list or value_kind is tuple else (value,)
                for item in items:
                    item_kind = type(item)
                    known = is_node.get(item_kind)
                    if known is None:
                        known = _is_node(item_kind)
                    if known:
                        parent[id(item)] = node
                        push(item)
        return index

    def parent_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parent.get(id(node))

    def inside(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        current: cst.CSTNode | None = node
        while current is not None:
            if current is ancestor:
                return True
            current = self.parent.get(id(current))
        return False

    def consumer(self, node: cst.CSTNode) -> Consumer:
        """What consumes the value of expression `node`."""
        awaited = False
        value = node
        parent = self.parent_of(node)
        if type(parent) is cst.Await:
            awaited = True
            value = parent
            parent = self.parent_of(parent)
        kind, consuming, name = _classify(value, parent, self)
        return Consumer(kind, consuming, name, awaited, value)


def _classify(
    value: cst.CSTNode, parent: cst.CSTNode | None, index: BodyIndex
) -> tuple[ConsumerKind, cst.CSTNode | None, str | None]:
    """Exact types throughout (no libcst node class has subclasses, and isinstance on
    libcst's ABCs is slow: this runs for every use of every local pipeline)."""
    if parent is None:
        return "other", None, None
    kind = type(parent)
    if kind is cst.Expr:
        return "discarded", parent, None
    if kind is cst.Assign:
        assign = cast(cst.Assign, parent)
        if assign.value is value:
            targets = assign.targets
            if len(targets) == 1 and type(targets[0].target) is cst.Name:
                return "assigned", parent, cast(cst.Name, targets[0].target).value
            return "stored", parent, None
        return "other", parent, None
    if kind is cst.AnnAssign or kind is cst.AugAssign:
        annotated = cast(cst.AnnAssign | cst.AugAssign, parent)
        if annotated.value is value and type(annotated.target) is cst.Name:
            consumed: ConsumerKind = "assigned" if kind is cst.AnnAssign else "stored"
            return consumed, parent, cast(cst.Name, annotated.target).value
        return "stored", parent, None
    if kind in _RETURNING:
        return "returned", parent, None
    if kind is cst.Arg:
        call = index.parent_of(parent)
        return "argument", call, None
    if kind is cst.Attribute and cast(cst.Attribute, parent).value is value:
        attribute = cast(cst.Attribute, parent)
        grand = index.parent_of(parent)
        if type(grand) is cst.Call and cast(cst.Call, grand).func is parent:
            return "method", grand, attribute.attr.value
        return "attribute", parent, attribute.attr.value
    if kind is cst.Subscript and cast(cst.Subscript, parent).value is value:
        return "subscript", parent, None
    if kind is cst.ComparisonTarget:
        return "compared", index.parent_of(parent), None
    if kind is cst.Comparison:
        return "compared", parent, None
    if kind in _TESTING:
        if getattr(parent, "test", None) is value:
            return "tested", parent, None
        if kind is cst.IfExp:
            return _classify(parent, index.parent_of(parent), index)
        return "other", parent, None
    if kind is cst.BooleanOperation:
        return "tested", parent, None
    if kind is cst.UnaryOperation:
        if type(cast(cst.UnaryOperation, parent).operator) is cst.Not:
            return "tested", parent, None
        return "arithmetic", parent, None
    if kind is cst.BinaryOperation:
        return "arithmetic", parent, None
    if kind is cst.FormattedStringExpression:
        return "formatted", parent, None
    if (kind is cst.For or kind is cst.CompFor) and cast(cst.For, parent).iter is value:
        return "iterated", parent, None
    return "other", parent, None


_RETURNING: tuple[type[cst.CSTNode], ...] = (cst.Return, cst.Yield, cst.Lambda)
_TESTING: tuple[type[cst.CSTNode], ...] = (cst.If, cst.While, cst.Assert, cst.IfExp)


class Usage:
    """Per-file access to body indexes, one per function (module-level statements are
    indexed one statement at a time: a module body can be huge). An index is a function
    of its root node alone, so the language server keeps them from one check to the
    next for the functions an edit did not touch (`reuse`, `semantics/reuse.py`)."""

    def __init__(self, facts: ModuleFacts, reuse: NodeMemo) -> None:
        self.facts = facts
        self._reuse = reuse

    def body(self, scope_key: str, statement: cst.CSTNode) -> BodyIndex:
        """The index of the function `scope_key` (or of `statement` at module level)."""
        scope = self.facts.scopes.get(scope_key)
        while scope is not None and scope.kind == "class":
            scope = self.facts.scopes.get(scope.parent) if scope.parent is not None else None
        root = scope.node if scope is not None and scope.node is not None else statement
        return self._reuse.get("body", root, BodyIndex.build)

    def function_node(self, scope_key: str) -> cst.CSTNode | None:
        """The function a scope belongs to (None at module level)."""
        scope = self.facts.scopes.get(scope_key)
        while scope is not None and scope.kind == "class":
            scope = self.facts.scopes.get(scope.parent) if scope.parent is not None else None
        return scope.node if scope is not None else None
