"""Value flow inside one function: which command replies reach which written values.

RL102 (read-modify-write) and RL405 (stale replica read) both ask the same question:
does the value a read command returned end up in the value a later write sends? A
read that only decides *whether* to write (`if r.get(k) is None: r.set(k, 1)`) is not
a flow: rules.md says a guard is not enough, so conditions never carry a value here.

A value travels through:
- local names (assignments, augmented assignments, `for` targets, `with ... as`,
  walrus), followed to a fixpoint, flow-insensitively (a name carries every value
  ever assigned to it in the function; a read must still come before the write);
- arithmetic, boolean `or`/`and` (`r.get(k) or 0`), conditional expressions (their
  branches, not their test), f-strings, containers and comprehensions, attribute
  access and subscripts of the value (`data["n"]`);
- conversions that keep the data: `int()`, `float()`, `str()`, `bytes()`, `Decimal()`,
  `round()`, `abs()`, `min()`/`max()`/`sum()`, `json.loads`/`json.dumps` (and
  orjson, ujson, pickle, msgpack), and method calls on the value (`raw.decode()`,
  `data.get("n")`) or on a string literal (`":".join(...)`, `"{}".format(...)`).

Any other call (a project or library function) is opaque: whether its result depends
on its arguments is unknown, and unknown means silent. The analysis is run only for
functions that hold a candidate read/write pair, and is linear in the function's size
(each read's value spreads over the local-name graph once).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from redislint.semantics import ir
from redislint.semantics.model import FileModel, RedisCall

# Builtins whose result carries their argument's data.
_BUILTIN_TRANSFORMS = frozenset(
    {"int", "float", "str", "bytes", "round", "abs", "min", "max", "sum", "list", "dict", "set"}
)
# Library functions (qualified names) whose result carries their argument's data.
_LIBRARY_TRANSFORMS = frozenset(
    {
        "json.loads",
        "json.dumps",
        "orjson.loads",
        "orjson.dumps",
        "ujson.loads",
        "ujson.dumps",
        "pickle.loads",
        "pickle.dumps",
        "msgpack.loads",
        "msgpack.dumps",
        "msgpack.packb",
        "msgpack.unpackb",
        "decimal.Decimal",
    }
)
# Write options that are not the written value (expiry, conditions, reply shape).
_OPTION_PARAMS = frozenset(
    {
        "ex",
        "px",
        "exat",
        "pxat",
        "nx",
        "xx",
        "keepttl",
        "get",
        "ifeq",
        "ifne",
        "ifdeq",
        "ifdne",
        "ch",
        "incr",
        "gt",
        "lt",
    }
)
# SET's compare-and-set options (Redis 8.4): the write applies only if the value is
# still the one that was read, which makes read-then-SET atomic.
CAS_PARAMS = ("ifeq", "ifne", "ifdeq", "ifdne")
_NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_STRING_NODES = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)


@dataclass(frozen=True)
class Flow:
    """The reply of `read` reaches `argument`, a value argument of `write`."""

    read: RedisCall
    write: RedisCall
    argument: cst.BaseExpression


def written_values(call: RedisCall) -> list[cst.BaseExpression]:
    """The arguments of a write that are written data: not keys, not options.

    For `execute_command` every argument after the command word that is not a key
    (option words are literals and carry no read value anyway).
    """
    node = call.node
    key_nodes = {id(key.node) for key in call.keys if key.node is not None}
    if call.method == "execute_command":
        return [a.value for a in node.args[1:] if id(a.value) not in key_nodes]
    if call.method_info is None:
        return []
    params = call.method_info.params
    values: list[cst.BaseExpression] = []
    positional = 0
    for argument in node.args:
        if argument.keyword is not None:
            name = argument.keyword.value
        elif argument.star:
            name = None
        else:
            name = params[positional] if positional < len(params) else None
            positional += 1
        if id(argument.value) in key_nodes or name in _OPTION_PARAMS:
            continue
        values.append(argument.value)
    return values


class FunctionFlow:
    """Where the replies of `reads` go inside the function (or module body) `scope_key`."""

    def __init__(self, model: FileModel, scope_key: str, reads: Sequence[RedisCall]) -> None:
        self.model = model
        self.scope_key = scope_key
        self._reads = {id(read.node): read for read in reads}
        self._carried: dict[str, set[int]] = {}
        body = self._body()
        if body is not None:
            self._spread(self._assignments(body))

    def sources(self, expr: cst.BaseExpression) -> list[tuple[RedisCall, bool]]:
        """The reads whose reply reaches `expr`, each with True when the read is written
        inside `expr` itself (so it runs before whatever consumes `expr`)."""
        direct, names = self._atoms(expr)
        found = [(self._reads[i], True) for i in direct]
        seen = set(direct)
        for name in names:
            for read_id in self._carried.get(name, ()):
                if read_id not in seen:
                    seen.add(read_id)
                    found.append((self._reads[read_id], False))
        return found

    def flows_into(self, write: RedisCall) -> Iterator[Flow]:
        """Each read whose reply reaches one of the write's value arguments (a read
        reached through a local name must come earlier in the source)."""
        reported: set[int] = set()
        for argument in written_values(write):
            for read, direct in self.sources(argument):
                if id(read) in reported or read is write:
                    continue
                if direct or read.site.order < write.site.order:
                    reported.add(id(read))
                    yield Flow(read, write, argument)

    # -- the function body ------------------------------------------------------------
    def _body(self) -> cst.CSTNode | None:
        scope = self.model.facts.scopes.get(self.scope_key)
        if scope is None:
            return None
        if scope.kind == "module":
            return self.model.facts.module
        if isinstance(scope.node, cst.FunctionDef):
            return scope.node.body
        return None  # class bodies and lambdas: only direct flows

    def _assignments(self, body: cst.CSTNode) -> dict[str, list[cst.BaseExpression]]:
        """name -> the expressions whose value the name may hold, in this body only."""
        sources: dict[str, list[cst.BaseExpression]] = {}

        def bind(target: cst.BaseExpression, value: cst.BaseExpression) -> None:
            if isinstance(target, cst.Name):
                sources.setdefault(target.value, []).append(value)
            elif isinstance(target, cst.Tuple | cst.List):
                for element in target.elements:
                    bind(element.value, value)
            elif isinstance(target, cst.StarredElement):
                bind(target.value, value)

        stack: list[cst.CSTNode] = [body]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    bind(target.target, node.value)
            elif isinstance(node, cst.AnnAssign) and node.value is not None:
                bind(node.target, node.value)
            elif isinstance(node, cst.AugAssign):
                bind(node.target, node.value)  # the name keeps its old value's sources too
            elif isinstance(node, cst.NamedExpr):
                bind(node.target, node.value)
            elif isinstance(node, cst.For):
                bind(node.target, node.iter)
            elif isinstance(node, cst.WithItem) and node.asname is not None:
                bind(node.asname.name, node.item)
            stack.extend(child for child in node.children if not isinstance(child, _NESTED_SCOPES))
        return sources

    def _spread(self, assignments: dict[str, list[cst.BaseExpression]]) -> None:
        """Give every local name the reads it may carry: a worklist over the graph
        "name <- names it is assigned from", seeded with the reads assigned directly."""
        feeds: dict[str, set[str]] = {}
        for name, values in assignments.items():
            carried = self._carried.setdefault(name, set())
            for value in values:
                direct, names = self._atoms(value)
                carried.update(direct)
                for source in names:
                    if source in assignments and source != name:
                        feeds.setdefault(source, set()).add(name)
        work = [name for name, carried in self._carried.items() if carried]
        while work:
            name = work.pop()
            carried = self._carried[name]
            for target in feeds.get(name, ()):
                into = self._carried[target]
                if not carried <= into:
                    into |= carried
                    work.append(target)

    # -- expressions ------------------------------------------------------------------
    def _atoms(self, expr: cst.BaseExpression) -> tuple[list[int], set[str]]:
        """The reads written inside `expr` whose value it carries, and the names it
        carries the value of."""
        reads: list[int] = []
        names: set[str] = set()
        stack: list[cst.CSTNode] = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Name):
                names.add(node.value)
            elif isinstance(node, cst.Call):
                if id(node) in self._reads:
                    reads.append(id(node))
                else:
                    stack.extend(self._call_operands(node))
            elif isinstance(node, cst.Attribute | cst.Subscript):
                stack.append(node.value)
            elif isinstance(node, cst.BinaryOperation | cst.BooleanOperation):
                stack += [node.left, node.right]
            elif isinstance(node, cst.UnaryOperation):
                if not isinstance(node.operator, cst.Not):
                    stack.append(node.expression)
            elif isinstance(node, cst.IfExp):
                stack += [node.body, node.orelse]
            elif isinstance(node, cst.Await):
                stack.append(node.expression)
            elif isinstance(node, cst.NamedExpr):
                stack.append(node.value)
            elif isinstance(node, cst.FormattedString):
                stack += [
                    part.expression
                    for part in node.parts
                    if isinstance(part, cst.FormattedStringExpression)
                ]
            elif isinstance(node, cst.ConcatenatedString):
                stack += [node.left, node.right]
            elif isinstance(node, cst.List | cst.Tuple | cst.Set):
                stack += [element.value for element in node.elements]
            elif isinstance(node, cst.Dict):
                for element in node.elements:
                    if isinstance(element, cst.DictElement):
                        stack += [element.key, element.value]
                    else:
                        stack.append(element.value)
            elif isinstance(node, cst.ListComp | cst.SetComp | cst.GeneratorExp):
                stack.append(node.elt)
                stack += list(_comprehension_iters(node.for_in))
            elif isinstance(node, cst.DictComp):
                stack += [node.key, node.value, *_comprehension_iters(node.for_in)]
            # comparisons, lambdas and literals carry no read value
        return reads, names

    def _call_operands(self, node: cst.Call) -> list[cst.CSTNode]:
        """The parts of a call whose value its result carries (see the module docs)."""
        func = node.func
        arguments: list[cst.CSTNode] = [a.value for a in node.args]
        if isinstance(func, cst.Name):
            if func.value in _BUILTIN_TRANSFORMS and not self._bound(func.value):
                return arguments
            return self._library(func, arguments)
        if isinstance(func, cst.Attribute):
            if isinstance(func.value, _STRING_NODES):
                return arguments  # ":".join(parts), "{}".format(x)
            library = self._library(func, arguments)
            if library:
                return library
            return [func.value]  # a method of the value: raw.decode(), data.get("n")
        return []

    def _library(self, func: cst.BaseExpression, arguments: list[cst.CSTNode]) -> list[cst.CSTNode]:
        name = self.model.resolver.qualified(self.model.facts, self.scope_key, ir.from_cst(func))
        return arguments if name in _LIBRARY_TRANSFORMS else []

    def _bound(self, name: str) -> bool:
        """Whether a builtin's name is rebound (imported, assigned, defined) in reach."""
        return self.model.resolver.lookup(self.model.facts, self.scope_key, name) is not None


def _comprehension_iters(for_in: cst.CompFor) -> Iterable[cst.BaseExpression]:
    current: cst.CompFor | None = for_in
    while current is not None:
        yield current.iter
        current = current.inner_for_in
