"""The one traversal of a file: scopes, bindings and call sites, plus rule visitor hooks.

libcst's own visitor rebuilds every node it passes and its Scope/QualifiedName
providers cost about 8x the parse, so this is a plain recursive walk over the
dataclass fields that matter (whitespace fields are skipped), recording only what
the model needs. Rules that want to see raw nodes register `visit_<NodeType>`
methods and are called from this same walk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import libcst as cst

from redislint.semantics import ir
from redislint.semantics.reuse import NodeMemo
from redislint.semantics.scopes import (
    Binding,
    Blocks,
    CallSite,
    ModuleFacts,
    Param,
    Position,
    Scope,
)

Hook = Callable[[cst.CSTNode], None]

_SKIPPED_FIELDS = frozenset(
    {
        "whitespace",
        "whitespace_before",
        "whitespace_after",
        "lpar",
        "rpar",
        "leading_lines",
        "header",
        "footer",
        "lines_after_decorators",
        "whitespace_after_def",
        "whitespace_after_class",
        "whitespace_before_colon",
        "whitespace_after_at",
        "comma",
        "semicolon",
        "trailing_whitespace",
        "newline",
        "whitespace_before_params",
        "whitespace_after_arrow",
        "whitespace_before_as",
        "whitespace_after_as",
        "whitespace_after_star",
        "whitespace_after_arg",
        "whitespace_after_await",
        "whitespace_after_import",
        "whitespace_after_from",
        "whitespace_before_import",
        "whitespace_between",
        "whitespace_after_lambda",
        "whitespace_before_expression",
        "whitespace_after_expression",
        "whitespace_after_param",
        "whitespace_before_args",
        "whitespace_after_func",
        "whitespace_after_with",
        "whitespace_before_in",
        "whitespace_after_in",
        "whitespace_after_for",
        "whitespace_after_if",
        "whitespace_after_while",
        "whitespace_after_return",
        "whitespace_after_global",
        "whitespace_after_nonlocal",
        "whitespace_after_del",
        "whitespace_after_walrus",
        "whitespace_before_walrus",
        "whitespace_after_equal",
        "whitespace_before_equal",
        "whitespace_after_indicator",
        "whitespace_before_indicator",
        "whitespace_after_cases",
        "operator",
        "equal",
        "colon",
        "dot",
        "star",
        "asynchronous",
        "default_indent",
        "default_newline",
        "encoding",
        "has_trailing_newline",
    }
)
_FIELD_CACHE: dict[type, tuple[str, ...]] = {}
# Per-type caches (types never change, so these are caches, not state).
_NODE_TYPES: dict[type, bool] = {}
_Plan = Callable[["_Collector", Any], None]


def _only(field: str) -> _Plan:
    def walk_one(collector: _Collector, node: cst.CSTNode) -> None:
        collector.walk(getattr(node, field))

    return walk_one


# Nodes whose one child worth entering is known (the others are names, punctuation and
# whitespace, which the walk skips without rule hooks): entered directly, not through
# `walk_children`'s loop over every field. A third of the nodes walked are these.
_ONE_CHILD: dict[type, _Plan] = {
    cst.Attribute: _only("value"),
    cst.Arg: _only("value"),
    cst.Expr: _only("value"),
    cst.Index: _only("value"),
    cst.Element: _only("value"),
    cst.SubscriptElement: _only("slice"),
    cst.Annotation: _only("annotation"),
    cst.ComparisonTarget: _only("comparator"),
    cst.Decorator: _only("decorator"),
    cst.UnaryOperation: _only("expression"),
}
_UNPLANNED: Any = object()  # a type the collector has not met yet


def _with_hooks(special: _Plan, enter: list[Hook], leave: list[Hook]) -> _Plan:
    def visit(collector: _Collector, node: cst.CSTNode) -> None:
        for hook in enter:
            hook(node)
        special(collector, node)
        for hook in leave:
            hook(node)

    return visit


# Nodes with nothing below them that the model records: without rule hooks the walk
# never enters them (a fifth of a module's nodes are names and punctuation).
_LEAVES = frozenset(
    {
        cst.Name,
        cst.SimpleString,
        cst.Integer,
        cst.Float,
        cst.Imaginary,
        cst.Pass,
        cst.Ellipsis,
        cst.LeftParen,
        cst.RightParen,
        cst.LeftSquareBracket,
        cst.RightSquareBracket,
        cst.LeftCurlyBrace,
        cst.RightCurlyBrace,
        cst.Comma,
        cst.Dot,
        cst.Colon,
        cst.AssignEqual,
        cst.Semicolon,
        cst.SimpleWhitespace,
        cst.ParenthesizedWhitespace,
        cst.TrailingWhitespace,
        cst.Newline,
        cst.EmptyLine,
        cst.Comment,
    }
)


def _is_node(kind: type) -> bool:
    """`issubclass(kind, CSTNode)`, cached: CSTNode is an ABC and its checks are slow."""
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


def _fields(node: cst.CSTNode) -> tuple[str, ...]:
    kind = type(node)
    names = _FIELD_CACHE.get(kind)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(node) if f.name not in _SKIPPED_FIELDS)
        _FIELD_CACHE[kind] = names
    return names


def _module_package(module_name: str, is_package: bool) -> str:
    if is_package:
        return module_name
    return module_name.rpartition(".")[0]


class _Collector:
    """Walks one module once, filling scopes and call sites and calling rule hooks."""

    def __init__(
        self,
        path: str,
        module_name: str,
        is_package: bool,
        hooks: dict[str, list[Hook]],
        leave_hooks: dict[str, list[Hook]],
        reuse: NodeMemo | None = None,
    ) -> None:
        self.facts = ModuleFacts(path, module_name, is_package, {}, [])
        self.reuse = reuse
        self.hooks = hooks
        self.leave_hooks = leave_hooks
        self.inert = _LEAVES if not hooks and not leave_hooks else frozenset()
        self.plans: dict[type, _Plan | None] = {}  # see `_plan`
        self.package = _module_package(module_name, is_package)
        module_scope = Scope("", "module", module_name, None)
        self.facts.scopes[""] = module_scope
        self.scope_stack: list[Scope] = [module_scope]
        self.statement: cst.CSTNode | None = None
        self.with_stack: list[ir.IR] = []
        self.watch_error_depth = 0
        self.import_fallback_depth = 0  # inside `except ImportError:`
        self.awaited: set[int] = set()
        self.order = 0
        # one counter for bindings and calls (flow-sensitive lookups), and the branches
        # and loops around the current statement inside the current function
        self.seq = 0
        self.blocks: Blocks = ()
        # how many of `blocks` are loops: `_walk_body` asks for every statement, and a
        # scan of `blocks` made a chain of N `if c: return` quadratic (issue 12)
        self.loops = 0

    # -- scopes -------------------------------------------------------------------
    @property
    def scope(self) -> Scope:
        return self.scope_stack[-1]

    def _binding_scope(self, name: str) -> Scope:
        """The scope a plain assignment to `name` binds in (honours `global`)."""
        if name in self.scope.globals:
            return self.facts.scopes[""]
        return self.scope

    def _new_scope(self, kind: str, name: str, node: cst.CSTNode) -> Scope:
        parent = self.scope
        base = f"{parent.key}.{name}" if parent.key else name
        key = base
        counter = 2
        while key in self.facts.scopes:
            key = f"{base}#{counter}"
            counter += 1
        scope = Scope(key, kind, name, parent.key, node)  # type: ignore[arg-type]
        scope.parent_kind = parent.kind
        self.facts.scopes[key] = scope
        return scope

    def bind(self, name: str, binding: Binding) -> None:
        self._place(binding)
        self._binding_scope(name).bind(name, binding)

    def _place(self, binding: Binding) -> Binding:
        binding.seq = self.seq
        binding.blocks = self.blocks
        self.seq += 1
        return binding

    def unknown(self, name: str, target: str | None = None) -> None:
        self.bind(name, Binding("unknown", self.scope.key, target=target))

    def _in_block(self, node: cst.CSTNode, arm: int, kind: str, body: cst.CSTNode) -> None:
        saved, loop = self.blocks, kind == "loop"
        self.blocks = (*saved, (id(node), arm, kind))
        self.loops += loop
        self.walk(body)
        self.loops -= loop
        self.blocks = saved

    def _class_of_method(self) -> Scope | None:
        """The class whose method we are in, when `self` is its first parameter."""
        for scope in reversed(self.scope_stack):
            if scope.kind == "function":
                if scope.parent_kind != "class" or not scope.params:
                    return None
                if any(
                    isinstance(d, ir.Name) and d.id in ("staticmethod", "classmethod")
                    for d in scope.decorators
                ):
                    return None
                assert scope.parent is not None
                return self.facts.scopes[scope.parent]
        return None

    # -- traversal ------------------------------------------------------------------
    def walk(self, node: cst.CSTNode) -> None:
        plan = self.plans.get(type(node), _UNPLANNED)
        if plan is _UNPLANNED:
            plan = self._plan(type(node))
        if plan is not None:
            plan(self, node)

    def walk_children(self, node: cst.CSTNode) -> None:
        plans = self.plans
        names = _FIELD_CACHE.get(type(node))
        if names is None:
            names = _fields(node)
        for field_name in names:
            value = getattr(node, field_name)
            kind = type(value)
            if kind is list or kind is tuple:
                for item in value:
                    plan = plans.get(type(item), _UNPLANNED)
                    if plan is _UNPLANNED:
                        plan = self._plan(type(item))
                    if plan is not None:
                        plan(self, item)
            else:
                plan = plans.get(kind, _UNPLANNED)
                if plan is _UNPLANNED:
                    plan = self._plan(kind)
                if plan is not None:
                    plan(self, value)

    def _plan(self, kind: type) -> _Plan | None:
        """How the walk treats a value of this type, decided once per collector: None for
        what it never enters (not a node, or a leaf with no hooks), else the `on_` method
        (or `walk_children`), wrapped in the rule hooks of that node type if any."""
        plan: _Plan | None = None
        if kind not in self.inert and _is_node(kind):
            name = kind.__name__
            special: _Plan = getattr(_Collector, "on_" + name, None) or (
                _ONE_CHILD.get(kind, _Collector.walk_children)
                if self.inert
                else _Collector.walk_children
            )
            enter, leave = self.hooks.get(name), self.leave_hooks.get(name)
            plan = _with_hooks(special, enter or [], leave or []) if enter or leave else special
        self.plans[kind] = plan
        return plan

    def walk_all(self, nodes: Sequence[cst.CSTNode]) -> None:
        for node in nodes:
            self.walk(node)

    # statements ---------------------------------------------------------------------
    def _statement(self, node: cst.CSTNode) -> None:
        saved = self.statement
        self.statement = node
        self.walk_children(node)
        self.statement = saved

    def on_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statement(node)

    def on_If(self, node: cst.If) -> None:
        saved = self.statement
        self.statement = node
        self.walk(node.test)
        self._in_block(node, 0, "if", node.body)
        if node.orelse is not None:
            self._in_block(node, 1, "if", node.orelse)
        self.statement = saved

    def on_IfExp(self, node: cst.IfExp) -> None:
        """`a if c else b`: the two arms are exclusive paths, as an `if`'s are."""
        self.walk(node.test)
        self._in_block(node, 0, "if", node.body)
        self._in_block(node, 1, "if", node.orelse)

    def on_While(self, node: cst.While) -> None:
        saved = self.statement
        self.statement = node
        self.walk(node.test)
        self._in_block(node, 0, "loop", node.body)
        if node.orelse is not None:
            self._in_block(node, 1, "loop", node.orelse)
        self.statement = saved

    def on_Match(self, node: cst.Match) -> None:
        saved = self.statement
        self.statement = node
        self.walk(node.subject)
        for arm, case in enumerate(node.cases):
            self._in_block(node, arm, "match", case)
        self.statement = saved

    def on_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._walk_body(node.body)

    def on_Module(self, node: cst.Module) -> None:
        self._walk_body(node.body)

    def _walk_body(self, statements: Sequence[cst.BaseStatement]) -> None:
        """A block's statements. After `if c: ...; return` (no else, not in a loop) the
        rest of the block runs only when the `if` body did not: it is the `if`'s other
        arm, so a write there and one in the body are on mutually exclusive paths."""
        saved = self.blocks
        for statement in statements:
            self.walk(statement)
            if (
                type(statement) is cst.If
                and statement.orelse is None
                and _terminates(statement.body)
                and not self.loops
            ):
                self.blocks = (*self.blocks, (id(statement), 1, "if"))
        self.blocks = saved

    def on_Try(self, node: cst.Try) -> None:
        handles = any(_names_watch_error(h.type) for h in node.handlers)
        saved = self.statement
        self.statement = node
        if handles:
            self.watch_error_depth += 1
        self._in_block(node, 0, "try", node.body)
        if handles:
            self.watch_error_depth -= 1
        for index, handler in enumerate(node.handlers):
            self._in_block(node, 1 + index, "try", handler)
        if node.orelse:
            self._in_block(node, -1, "try", node.orelse)
        if node.finalbody:
            self._in_block(node, -2, "try", node.finalbody)
        self.statement = saved

    def on_TryStar(self, node: cst.TryStar) -> None:
        saved = self.statement
        self.statement = node
        self._in_block(node, 0, "try", node.body)
        for index, handler in enumerate(node.handlers):
            self._in_block(node, 1 + index, "try", handler)
        if node.orelse:
            self._in_block(node, -1, "try", node.orelse)
        if node.finalbody:
            self._in_block(node, -2, "try", node.finalbody)
        self.statement = saved

    def on_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self.unknown(node.name.name.value)
        fallback = _names_import_error(node.type)
        self.import_fallback_depth += fallback
        self.walk_children(node)
        self.import_fallback_depth -= fallback

    def on_For(self, node: cst.For) -> None:
        saved = self.statement
        self.statement = node
        self.walk(node.iter)
        saved_blocks = self.blocks
        self.blocks = (*saved_blocks, (id(node), 0, "loop"))
        self.loops += 1
        self._unknown_targets(node.target, "loop")
        self.walk(node.body)
        self.loops -= 1
        self.blocks = saved_blocks
        if node.orelse:
            self._in_block(node, 1, "loop", node.orelse)
        self.statement = saved

    def on_With(self, node: cst.With) -> None:
        saved = self.statement
        self.statement = node
        pushed = 0
        for item in node.items:
            self.walk(item.item)
            value = ir.from_cst(item.item)
            if item.asname is not None:
                target = item.asname.name
                if isinstance(target, cst.Name):
                    self.bind(
                        target.value,
                        Binding(
                            "with", self.scope.key, value, is_async=node.asynchronous is not None
                        ),
                    )
                else:
                    self._unknown_targets(target)
            self.with_stack.append(value)
            pushed += 1
        self.walk(node.body)
        del self.with_stack[len(self.with_stack) - pushed :]
        self.statement = saved

    def on_Assign(self, node: cst.Assign) -> None:
        self.walk(node.value)
        for target in node.targets:
            self._assign(target.target, None, node.value)

    def on_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.walk(node.value)
        annotation = _annotation(node.annotation)
        target = node.target
        if isinstance(target, cst.Name):
            self.bind(target.value, Binding("annotated", self.scope.key, annotation))
            if node.value is not None:
                self.bind(target.value, Binding("assign", self.scope.key, node=node.value))
        elif node.value is not None:
            self._assign(target, None, node.value)
        self._annotated_self_attr(target, annotation)

    def on_AugAssign(self, node: cst.AugAssign) -> None:
        self.walk(node.value)
        target = node.target
        if isinstance(target, cst.Name):
            # `k += ":" + x` is `k = k + (":" + x)`, with `k` read where it stands
            op = type(node.operator).__name__.removesuffix("Assign")
            value = ir.BinOp(op, ir.Name(target.value), ir.from_cst(node.value))
            self.bind(target.value, Binding("assign", self.scope.key, value))
        else:
            self._unknown_targets(target)

    def on_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.walk(node.value)
        if isinstance(node.target, cst.Name):
            # may not run (`a and (k := ...)`): it never decides a later lookup alone
            saved = self.blocks
            self.blocks = (*saved, (id(node), 0, "cond"))
            self.bind(node.target.value, Binding("assign", self.scope.key, node=node.value))
            self.blocks = saved

    def _assign(
        self, target: cst.BaseExpression, value: ir.IR | None, node: cst.BaseExpression
    ) -> None:
        """Bind `target` to `node` (`value` is its IR when already converted)."""
        if isinstance(target, cst.Name):
            if self.import_fallback_depth and isinstance(node, cst.Name) and node.value == "None":
                # `except ImportError: Redis = None`: an optional import's placeholder.
                # Code that runs uses the imported object (None cannot be called), so the
                # placeholder is not a second source of the name.
                return
            self.bind(target.value, Binding("assign", self.scope.key, value, node=node))
        elif isinstance(target, cst.Attribute):
            if isinstance(target.value, cst.Name):
                cls = self._class_of_method()
                method = self.scope
                if (
                    cls is not None
                    and method.params
                    and target.value.value == method.params[0].name
                ):
                    cls.self_attrs.setdefault(target.attr.value, []).append(
                        self._place(Binding("assign", method.key, value, node=node))
                    )
            self.walk(target)
        elif isinstance(target, cst.Tuple | cst.List):
            elements = target.elements
            if value is None:
                value = ir.from_cst(node)
            if (
                isinstance(value, ir.Seq)
                and len(value.items) == len(elements)
                and not any(isinstance(e, cst.StarredElement) for e in elements)
            ):
                for element, item in zip(elements, value.items, strict=True):
                    self._assign(element.value, item, node)
            else:
                self._unknown_targets(target)
        else:
            self._mutated(target)
            self.walk(target)

    def _mutated(self, target: cst.BaseExpression) -> None:
        """Record `D` for an item target `D[k]` (assigned or deleted)."""
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.facts.mutated.add(target.value.value)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._mutated(element.value)

    def _annotated_self_attr(self, target: cst.BaseExpression, annotation: ir.IR) -> None:
        """`self.conn: Redis = conn` in a method declares the attribute's type."""
        if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
            return
        cls = self._class_of_method()
        method = self.scope
        if cls is not None and method.params and target.value.value == method.params[0].name:
            cls.self_attrs.setdefault(target.attr.value, []).append(
                Binding("annotated", method.key, annotation)
            )

    def _unknown_targets(self, target: cst.CSTNode, kind: str | None = None) -> None:
        if isinstance(target, cst.Name):
            self.unknown(target.value, kind)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._unknown_targets(element.value, kind)
        elif isinstance(target, cst.StarredElement):
            self._unknown_targets(target.value, kind)
        else:
            self._mutated(target)  # type: ignore[arg-type]
            self.walk(target)

    def on_CompFor(self, node: cst.CompFor) -> None:
        # "comp": the element is walked before the `for` part, so positions say nothing
        # about these names; lookups of them stay flow-insensitive
        self._unknown_targets(node.target, "comp")
        self.walk(node.iter)
        self.walk_all(node.ifs)
        if node.inner_for_in is not None:
            self.walk(node.inner_for_in)

    def on_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.scope.globals.add(item.name.value)

    def on_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = _dotted_cst(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.bind(alias.asname.name.value, Binding("import", self.scope.key, qualname=full))
            else:
                head = full.split(".")[0]
                self.bind(head, Binding("import", self.scope.key, qualname=head))

    def on_ImportFrom(self, node: cst.ImportFrom) -> None:
        base = _dotted_cst(node.module) if node.module is not None else ""
        if node.relative:
            package = self.package
            for _ in range(len(node.relative) - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base and package else (base or package)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _dotted_cst(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            qualname = f"{base}.{name}" if base else name
            self.bind(local, Binding("import", self.scope.key, qualname=qualname))

    def on_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.walk(node.value)
            self.scope.return_nodes.append(node.value)
        else:
            self.scope.return_nodes.append(None)
        self.scope.return_positions.append(Position(self.seq, self.blocks))
        self.seq += 1

    def on_Yield(self, node: cst.Yield) -> None:
        self.scope.is_generator = True
        if node.value is not None and not isinstance(node.value, cst.From):
            self.scope.yield_nodes.append(node.value)
        self.walk_children(node)

    def on_Assert(self, node: cst.Assert) -> None:
        """`assert isinstance(x, Redis)` declares `x` as an annotation would (the
        model is flow-insensitive: the declaration holds in the whole scope)."""
        test = node.test
        if (
            isinstance(test, cst.Call)
            and isinstance(test.func, cst.Name)
            and test.func.value == "isinstance"
            and len(test.args) == 2
            and isinstance(test.args[0].value, cst.Name)
        ):
            self.bind(
                test.args[0].value.value,
                Binding("annotated", self.scope.key, ir.from_cst(test.args[1].value)),
            )
        self.walk_children(node)

    def on_Del(self, node: cst.Del) -> None:
        self._mutated(node.target)
        self.walk_children(node)

    def on_Await(self, node: cst.Await) -> None:
        self.awaited.add(id(node.expression))
        self.walk(node.expression)

    def on_Call(self, node: cst.Call) -> None:
        reuse = self.reuse
        site = CallSite(
            node=node,
            scope=self.scope.key,
            func=ir.from_cst(node.func) if reuse is None else reuse.get("func", node.func, _func),
            statement=self.statement or node,
            order=self.order,
            awaited=id(node) in self.awaited,
            with_stack=tuple(self.with_stack),
            in_watch_error_handler=self.watch_error_depth > 0,
            seq=self.seq,
            blocks=self.blocks,
            reuse=reuse,
        )
        self.seq += 1
        self.order += 1
        self.facts.calls.append(site)
        self.scope.calls.append(site)
        self.walk_children(node)

    # definitions ----------------------------------------------------------------
    def on_FunctionDef(self, node: cst.FunctionDef) -> None:
        decorators = [ir.from_cst(d.decorator) for d in node.decorators]
        for decorator in node.decorators:
            self.walk(decorator)
        self._walk_param_defaults(node.params)
        if node.returns is not None:
            self.walk(node.returns)
        scope = self._new_scope("function", node.name.value, node)
        scope.is_async = node.asynchronous is not None
        scope.decorators = decorators
        scope.params = _params(node.params)
        if node.returns is not None:
            scope.returns_annotation = _annotation(node.returns)
        self.bind(node.name.value, Binding("def", self.scope.key, target=scope.key))
        self._enter(scope, node.body)

    def on_Lambda(self, node: cst.Lambda) -> None:
        self._walk_param_defaults(node.params)
        scope = self._new_scope("lambda", "<lambda>", node)
        scope.params = _params(node.params)
        self.scope_stack.append(scope)
        saved_with, saved_blocks = self.with_stack, self.blocks
        self.with_stack, self.blocks = [], ()
        self.walk(node.body)
        scope.return_nodes.append(node.body)
        scope.return_positions.append(Position(self.seq, ()))
        self.seq += 1
        self.with_stack, self.blocks = saved_with, saved_blocks
        self.scope_stack.pop()

    def on_ClassDef(self, node: cst.ClassDef) -> None:
        for decorator in node.decorators:
            self.walk(decorator)
        for arg in node.bases:
            self.walk(arg.value)
        scope = self._new_scope("class", node.name.value, node)
        scope.bases = [ir.from_cst(arg.value) for arg in node.bases]
        self.bind(node.name.value, Binding("class", self.scope.key, target=scope.key))
        self._enter(scope, node.body)

    def _enter(self, scope: Scope, body: cst.CSTNode) -> None:
        self.scope_stack.append(scope)
        for param in scope.params:
            scope.bind(param.name, Binding("unknown", scope.key, target="param"))
        saved_with, saved_watch, saved_blocks = self.with_stack, self.watch_error_depth, self.blocks
        self.with_stack, self.watch_error_depth, self.blocks = [], 0, ()
        saved_loops, self.loops = self.loops, 0
        self.walk(body)
        self.loops = saved_loops
        self.with_stack, self.watch_error_depth, self.blocks = saved_with, saved_watch, saved_blocks
        self.scope_stack.pop()

    def _walk_param_defaults(self, params: cst.Parameters) -> None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                self.walk(param.default)


def _func(node: cst.BaseExpression) -> ir.IR:
    return ir.from_cst(node)


def _terminates(body: cst.BaseSuite) -> bool:
    """Whether a block always leaves the function (ends with `return` or `raise`)."""
    if isinstance(body, cst.IndentedBlock):
        if not body.body:
            return False
        last = body.body[-1]
        if not isinstance(last, cst.SimpleStatementLine) or not last.body:
            return False
        return isinstance(last.body[-1], cst.Return | cst.Raise)
    if isinstance(body, cst.SimpleStatementSuite) and body.body:
        return isinstance(body.body[-1], cst.Return | cst.Raise)
    return False


def _names_watch_error(node: cst.BaseExpression | None) -> bool:
    if node is None:
        return False
    if isinstance(node, cst.Name):
        return node.value == "WatchError"
    if isinstance(node, cst.Attribute):
        return node.attr.value == "WatchError"
    if isinstance(node, cst.Tuple):
        return any(_names_watch_error(e.value) for e in node.elements)
    return False


def _names_import_error(node: cst.BaseExpression | None) -> bool:
    if isinstance(node, cst.Name):
        return node.value in ("ImportError", "ModuleNotFoundError")
    if isinstance(node, cst.Tuple):
        return any(_names_import_error(e.value) for e in node.elements)
    return False


def _dotted_cst(node: cst.BaseExpression) -> str:
    value = ir.dotted(ir.from_cst(node))
    return value or ""


def _annotation(node: cst.Annotation) -> ir.IR:
    expr = node.annotation
    if isinstance(expr, cst.SimpleString):
        text = ir.from_cst(expr)
        if isinstance(text, ir.Str):
            return ir.from_annotation_string(text.value)
    return ir.from_cst(expr)


def _params(params: cst.Parameters) -> list[Param]:
    result: list[Param] = []
    for index, param in enumerate((*params.posonly_params, *params.params)):
        result.append(
            Param(
                param.name.value,
                index,
                _annotation(param.annotation) if param.annotation else None,
                ir.from_cst(param.default) if param.default is not None else None,
            )
        )
    for param in params.kwonly_params:
        result.append(
            Param(
                param.name.value,
                -1,
                _annotation(param.annotation) if param.annotation else None,
                ir.from_cst(param.default) if param.default is not None else None,
            )
        )
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            result.append(Param(star.name.value, -1, None, None, star=True))
    return result


def collect(
    module: cst.Module,
    path: str,
    module_name: str = "",
    is_package: bool = False,
    hooks: dict[str, list[Hook]] | None = None,
    leave_hooks: dict[str, list[Hook]] | None = None,
    reuse: NodeMemo | None = None,
) -> ModuleFacts:
    """Run the single traversal over `module` and return what it found. With `reuse`
    (the language server's, `semantics/reuse.py`), the IR of a call that the previous
    check of the buffer converted is taken over."""
    collector = _Collector(path, module_name, is_package, hooks or {}, leave_hooks or {}, reuse)
    collector.walk(module)
    collector.facts.module = module
    return collector.facts
