"""What one module defines: its scopes, the bindings of every name, and its call sites.

This is the raw material of the semantic model, filled by the single traversal in
`collect.py`. Bindings are kept *all*, not the last one: a name is a client only when
every assignment to it is one (the traversal is flow-insensitive on purpose; proving
less is how redislint stays quiet on code it does not understand).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import libcst as cst

from redislint.semantics import ir
from redislint.semantics.ir import IR
from redislint.semantics.reuse import NodeMemo

BindingKind = Literal["assign", "annotated", "import", "def", "class", "with", "unknown"]
ScopeKind = Literal["module", "class", "function", "lambda"]
# Where a statement sits inside its function: the branches and loops around it, outermost
# first, each as (id of the compound statement, arm, kind). Arms: `if` body 0 / else 1;
# loops body 0 / else 1; `try` body 0, handler k 1+k, else -1, finally -2; `match` case i.
# Kind "cond" marks a binding that may not run (a walrus inside an expression).
Block = tuple[int, int, str]
Blocks = tuple[Block, ...]


class Binding:
    """One way a name gets its value. `scope` is where `value` is evaluated.

    `value` (assign / with: the value; annotated: the annotation) is converted from
    the libcst node only when asked: most assignments of a file are never queried.
    """

    __slots__ = (
        "_node",
        "_value",
        "blocks",
        "is_async",
        "kind",
        "qualname",
        "scope",
        "seq",
        "target",
    )

    def __init__(
        self,
        kind: BindingKind,
        scope: str,
        value: ir.IR | None = None,
        qualname: str | None = None,  # import: the imported dotted name
        target: str | None = None,  # def / class: the key of the defined scope
        is_async: bool = False,  # with: `async with`
        node: cst.BaseExpression | None = None,  # assign: the value, converted lazily
        seq: int = -1,  # position in the module's walk (-1: before everything, e.g. params)
        blocks: Blocks = (),  # the branches and loops around the binding (see `Block`)
    ) -> None:
        self.kind = kind
        self.scope = scope
        self._value = value
        self.qualname = qualname
        self.target = target
        self.is_async = is_async
        self._node = node
        self.seq = seq
        self.blocks = blocks

    @property
    def position(self) -> Position:
        return Position(self.seq, self.blocks)

    @property
    def value(self) -> ir.IR | None:
        if self._value is None and self._node is not None:
            self._value = ir.from_cst(self._node)
        return self._value

    def __repr__(self) -> str:
        return f"Binding({self.kind!r}, {self.scope!r}, qualname={self.qualname!r})"

    @property
    def node(self) -> cst.BaseExpression | None:
        """The assigned libcst expression (assign bindings): for shapes the IR does not
        keep, such as the values of a dict display (`CLIENTS = {"a": Redis()}`), and to
        tell apart two equal-looking values."""
        return self._node


@dataclass(frozen=True)
class Param:
    name: str
    index: int  # position among positional parameters, -1 for keyword-only
    annotation: ir.IR | None
    default: ir.IR | None
    star: bool = False  # *args / **kwargs


@dataclass(eq=False)
class Scope:
    key: str
    kind: ScopeKind
    name: str
    parent: str | None
    node: cst.CSTNode | None = None
    is_async: bool = False
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    params: list[Param] = field(default_factory=list)
    return_nodes: list[cst.BaseExpression | None] = field(default_factory=list)
    decorators: list[ir.IR] = field(default_factory=list)
    globals: set[str] = field(default_factory=set)
    is_generator: bool = False
    # class scopes: `self.x = ...` in the class's methods, and the bases
    self_attrs: dict[str, list[Binding]] = field(default_factory=dict)
    bases: list[ir.IR] = field(default_factory=list)
    returns_annotation: ir.IR | None = None
    # call sites made directly in this scope (not in nested functions), in source order
    calls: list[CallSite] = field(default_factory=list)
    # where each `return_nodes` entry stands (flow-sensitive lookups of returned names)
    return_positions: list[Position] = field(default_factory=list)
    # the values of `yield x` (a FastAPI dependency yields its client), not `yield from`
    yield_nodes: list[cst.BaseExpression] = field(default_factory=list)
    # names bound by a comprehension's `for` somewhere in this scope: lookups of them stay
    # flow-insensitive (`keys._reaching`), known without scanning every binding per read
    comprehension_names: set[str] = field(default_factory=set)

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)
        if binding.target == "comp":
            self.comprehension_names.add(name)

    parent_kind: ScopeKind | None = None

    @cached_property
    def returns(self) -> list[ir.IR]:
        """The returned expressions (a bare `return` is None), converted on first use."""
        return [ir.Const(None) if n is None else ir.from_cst(n) for n in self.return_nodes]

    @property
    def is_method(self) -> bool:
        return self.kind == "function" and self.parent_kind == "class"

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


@dataclass(eq=False)
class CallSite:
    """One call expression, with the context rules ask about."""

    node: cst.Call
    scope: str
    func: ir.IR
    statement: cst.CSTNode
    order: int
    awaited: bool = False
    # the `with` items whose block contains this call (innermost last), as IR values
    with_stack: tuple[ir.IR, ...] = ()
    # True inside a `try` that has an `except` clause naming `WatchError`
    in_watch_error_handler: bool = False
    # position in the module's walk (shared with bindings) and the branches around the call
    seq: int = -1
    blocks: Blocks = ()
    # where the IR of the call may come from (the previous check's, `semantics/reuse.py`)
    reuse: NodeMemo | None = field(default=None, repr=False)

    @property
    def position(self) -> Position:
        return Position(self.seq, self.blocks)

    @cached_property
    def ir(self) -> ir.Call:
        if self.reuse is None:
            return _call_ir(self.node)
        return self.reuse.get("call", self.node, _call_ir)

    # (cached: several rules scan every call site of the file for its method)
    @cached_property
    def method(self) -> str | None:
        return self.func.attr if isinstance(self.func, ir.Attr) else None

    @cached_property
    def receiver(self) -> IR | None:
        return self.func.value if isinstance(self.func, ir.Attr) else None


def _call_ir(node: cst.Call) -> ir.Call:
    value = ir.from_cst(node)
    assert isinstance(value, ir.Call)
    return value


@dataclass(eq=False)
class ModuleFacts:
    """Everything the traversal learned about one module."""

    path: str
    module_name: str  # dotted, "" when unknown
    is_package: bool
    scopes: dict[str, Scope]
    calls: list[CallSite]  # all call sites, source order
    module: cst.Module | None = None
    # names whose items are assigned or deleted anywhere in the module (`D["k"] = v`,
    # `del D["k"]`): such a container's values are not all known
    mutated: set[str] = field(default_factory=set)

    def scope(self, key: str) -> Scope:
        return self.scopes[key]

    def functions(self) -> list[Scope]:
        return [s for s in self.scopes.values() if s.kind in ("function", "lambda")]


class Position:
    """A point of one module's walk: `seq` orders bindings and calls in source order,
    `blocks` says which branches and loops surround it. Equal when `seq` is equal (one
    point of the walk has one set of blocks)."""

    __slots__ = ("blocks", "seq")

    def __init__(self, seq: int, blocks: Blocks) -> None:
        self.seq = seq
        self.blocks = blocks

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Position) and other.seq == self.seq

    def __hash__(self) -> int:
        return hash(self.seq)

    def __repr__(self) -> str:
        return f"Position({self.seq})"
