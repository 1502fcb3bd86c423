"""The TTL values a command is given, read statically: literals, constants, timedeltas.

RL203 (invalid-ttl) needs the *number* an expiry argument sends, after redis-py has
converted it, because that is what the server sees: `expire(k, timedelta(milliseconds=
500))` sends `EXPIRE k 0` (redis-py truncates with `int(total_seconds())`), which
deletes the key. The value is read through the same resolvers as key patterns:

- numeric literals and simple arithmetic over them (`60 * 60`, `-1`);
- names bound once to such a value: locals, module constants, constants imported from
  project modules, class constants (`Config.TTL`);
- `datetime.timedelta(...)` with literal arguments, and `int(...)` / `float(...)` of a
  known value.

Anything else (parameters, names bound more than once, function results) is unknown
and the rules stay silent: a TTL that *might* be zero is not a finding.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import libcst as cst

from redislint.semantics import ir
from redislint.semantics.clients import Class, ProjectModule

if TYPE_CHECKING:
    from redislint.semantics.model import FileModel, RedisCall
    from redislint.semantics.scopes import Binding, ModuleFacts

Unit = Literal["s", "ms"]

# Relative expiries: command -> (redis-py parameter, unit). Absolute ones (EXPIREAT,
# exat=, pxat=) are timestamps, not durations, and are not judged.
TTL_PARAMS: dict[str, tuple[tuple[str, Unit], ...]] = {
    "SET": (("ex", "s"), ("px", "ms")),
    "GETEX": (("ex", "s"), ("px", "ms")),
    "EXPIRE": (("time", "s"),),
    "PEXPIRE": (("time", "ms"),),
    "SETEX": (("time", "s"),),
    "PSETEX": (("time_ms", "ms"),),
}
# execute_command: where the TTL is (index after the command word), or the option
# words that precede it.
_TTL_POSITION: dict[str, tuple[int, Unit]] = {
    "EXPIRE": (2, "s"),
    "PEXPIRE": (2, "ms"),
    "SETEX": (2, "s"),
    "PSETEX": (2, "ms"),
}
_TTL_TOKENS: dict[str, Unit] = {"EX": "s", "PX": "ms"}
_TOKEN_COMMANDS = {"SET": 3, "GETEX": 2}  # where the option words start
# Commands whose non-positive TTL deletes the key (the others reject it with an error).
DELETES_WHEN_NOT_POSITIVE = frozenset({"EXPIRE", "PEXPIRE"})

_TIMEDELTA_ARGS = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
_TIMEDELTA_NAMES = frozenset({"datetime.timedelta"})
_ARITHMETIC = frozenset({"Add", "Subtract", "Multiply", "Divide", "FloorDivide"})
_MAX_DEPTH = 20


@dataclass(frozen=True)
class Number:
    """A statically known number, or a timedelta (seconds in `value`)."""

    value: int | float
    timedelta: bool = False


@dataclass(frozen=True)
class TtlArg:
    """One relative TTL a call passes: the argument, its unit, what it evaluates to, and
    the integer redis-py sends for it (None when redis-py sends it unconverted)."""

    param: str  # "ex", "px", "time", or the option word for execute_command ("EX")
    unit: Unit
    number: Number
    text: str  # the argument as written, for messages

    @property
    def sent(self) -> int | float:
        """What the server receives: redis-py truncates timedeltas to whole units."""
        if self.number.timedelta:
            scale = 1000 if self.unit == "ms" else 1
            return int(self.number.value * scale)
        return self.number.value

    @property
    def is_float(self) -> bool:
        """A float where redis-py and the server want an integer (timedeltas are converted)."""
        return not self.number.timedelta and isinstance(self.number.value, float)


def ttl_args(model: FileModel, call: RedisCall) -> list[TtlArg]:
    """The relative TTLs `call` passes whose value is statically known."""
    scope = call.site.scope
    found: list[TtlArg] = []
    if call.method == "execute_command":
        args = call.site.ir.args
        if call.site.ir.star:
            return []
        position = _TTL_POSITION.get(call.command)
        if position is not None:
            index, unit = position
            if index < len(args):
                found += _arg(model, scope, "time", unit, args[index], call.node.args[index].value)
        elif call.command in _TOKEN_COMMANDS:
            start = _TOKEN_COMMANDS[call.command]
            for index, argument in enumerate(args[start:-1], start=start):
                word = (model.constant(scope, argument) or "").upper()
                if word in _TTL_TOKENS:
                    node = call.node.args[index + 1].value
                    found += _arg(model, scope, word, _TTL_TOKENS[word], args[index + 1], node)
        return found
    if any(argument.star for argument in call.node.args):
        return []
    for param, unit in TTL_PARAMS.get(call.command, ()):
        bound = call.param(param)
        if bound is None:
            continue
        found += _arg(model, scope, param, unit, ir.from_cst(bound.value), bound.value)
    return found


def _arg(
    model: FileModel,
    scope: str,
    param: str,
    unit: Unit,
    expr: ir.IR,
    node: cst.BaseExpression,
) -> list[TtlArg]:
    number = number_of(model, model.facts, scope, expr)
    if number is None:
        return []
    module = model.facts.module
    text = module.code_for_node(node) if module is not None else ir.render(expr)
    return [TtlArg(param, unit, number, text)]


def number_of(
    model: FileModel, facts: ModuleFacts, scope: str, expr: ir.IR, depth: int = 0
) -> Number | None:
    """The value of `expr` when it is a statically known number or timedelta."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(expr, ir.Num):
        return Number(expr.value)
    if isinstance(expr, ir.BinOp) and expr.op in _ARITHMETIC:
        return _arithmetic(model, facts, scope, expr, depth)
    if isinstance(expr, ir.Name):
        found = model.resolver.lookup(facts, scope, expr.id)
        if found is None:
            return None
        return _from_bindings(model, facts, found[1], expr.id, depth)
    if isinstance(expr, ir.Attr):
        return _attribute(model, facts, scope, expr, depth)
    if isinstance(expr, ir.Call):
        return _call(model, facts, scope, expr, depth)
    return None


def _arithmetic(
    model: FileModel, facts: ModuleFacts, scope: str, expr: ir.BinOp, depth: int
) -> Number | None:
    left = number_of(model, facts, scope, expr.left, depth + 1)
    right = number_of(model, facts, scope, expr.right, depth + 1)
    if left is None or right is None or (left.timedelta and right.timedelta):
        return None  # timedelta arithmetic beyond scaling is not modelled
    a, b = left.value, right.value
    try:
        if expr.op == "Add":
            value = a + b
        elif expr.op == "Subtract":
            value = a - b
        elif expr.op == "Multiply":
            value = a * b
        elif expr.op == "Divide":
            value = a / b
        else:
            value = a // b
    except ZeroDivisionError:
        return None
    timedelta = left.timedelta or right.timedelta
    if timedelta and expr.op in ("Add", "Subtract"):
        return None  # a timedelta plus a number is a TypeError, not a TTL
    return Number(value, timedelta)


def _from_bindings(
    model: FileModel, facts: ModuleFacts, bindings: list[Binding], name: str, depth: int
) -> Number | None:
    """A name bound exactly once, to a known number (or imported from a project module)."""
    if len(bindings) != 1:
        return None
    binding = bindings[0]
    if binding.kind == "assign" and binding.value is not None:
        return number_of(model, facts, binding.scope, binding.value, depth + 1)
    if binding.kind == "import" and binding.qualname:
        module_name, _, member = binding.qualname.rpartition(".")
        target = model.resolver.load_module(module_name, facts.path) if module_name else None
        if target is None:
            return None
        found = target.scopes[""].bindings.get(member)
        return _from_bindings(model, target, found, member, depth + 1) if found else None
    return None


def _attribute(
    model: FileModel, facts: ModuleFacts, scope: str, expr: ir.Attr, depth: int
) -> Number | None:
    """`settings.TTL` (a project module's constant) or `Config.TTL` (a class constant)."""
    base = model.resolver.value(facts, scope, expr.value)
    if isinstance(base, ProjectModule):
        target = model.resolver.module_facts(base.path)
        if target is None:
            return None
        found = target.scopes[""].bindings.get(expr.attr)
        return _from_bindings(model, target, found, expr.attr, depth + 1) if found else None
    if isinstance(base, Class):
        target = model.resolver.module_facts(base.path)
        if target is None:
            return None
        found = target.scopes[base.key].bindings.get(expr.attr)
        return _from_bindings(model, target, found, expr.attr, depth + 1) if found else None
    return None


def _call(
    model: FileModel, facts: ModuleFacts, scope: str, expr: ir.Call, depth: int
) -> Number | None:
    if expr.star:
        return None
    if isinstance(expr.func, ir.Name) and expr.func.id in ("int", "float"):
        if model.resolver.lookup(facts, scope, expr.func.id) is not None:
            return None  # shadowed builtin
        if len(expr.args) != 1 or expr.kwargs:
            return None
        inner = number_of(model, facts, scope, expr.args[0], depth + 1)
        if inner is None or inner.timedelta:
            return None
        return Number(int(inner.value) if expr.func.id == "int" else float(inner.value))
    if model.resolver.qualified(facts, scope, expr.func) not in _TIMEDELTA_NAMES:
        return None
    values: dict[str, float] = {}
    if len(expr.args) > len(_TIMEDELTA_ARGS):
        return None
    for name, argument in zip(_TIMEDELTA_ARGS, expr.args, strict=False):
        values[name] = 0.0
        found = number_of(model, facts, scope, argument, depth + 1)
        if found is None or found.timedelta:
            return None
        values[name] = found.value
    for name, argument in expr.kwargs:
        if name not in _TIMEDELTA_ARGS or name in values:
            return None
        found = number_of(model, facts, scope, argument, depth + 1)
        if found is None or found.timedelta:
            return None
        values[name] = found.value
    try:
        seconds = datetime.timedelta(**values).total_seconds()
    except (OverflowError, TypeError, ValueError):
        return None
    return Number(seconds, timedelta=True)
