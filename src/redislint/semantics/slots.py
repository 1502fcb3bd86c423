"""Redis Cluster key slots: CRC16 (XMODEM) with hash tags, and proofs that keys share one.

A cluster routes every key to one of 16384 slots and refuses (CROSSSLOT) a command,
transaction or script whose keys live in different slots. The slot of a key is
`CRC16(k) mod 16384`, where `k` is the key's *hash tag* when it has one: the text
between the first `{` and the first `}` after it, if that text is not empty
(`{user1}:a` and `{user1}:b` share a slot; `{}x` hashes the whole key). `key_slot`
follows Redis's `keyHashSlot` byte for byte, and a test compares it with `CLUSTER
KEYSLOT` of a real server.

Statically, a key is a sequence of literal text and variable parts (`Var`). Two keys
are *proven* to share a slot when both are literal and hash alike, when their hash
tags are made of the same text and the same variables (`{{{uid}}}:a` and
`{{{uid}}}:b`), or when one identical prefix of both holds a whole tag. Variable parts
are assumed to hold no braces (and not to be empty) except at the very start of a key,
where an application's configurable prefix (`"{app}"`) may carry the tag: a key that
starts with a variable is *opaque*, and rules stay silent about it.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from redislint.semantics import ir
from redislint.semantics.clients import Function, Resolver
from redislint.semantics.keys import _FORMAT_FIELD, _PERCENT_SPEC, KeyResolver
from redislint.semantics.scopes import ModuleFacts

SLOTS = 16384


def _crc16_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC16_TABLE = _crc16_table()


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as in Redis's crc16.c."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16_TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def hashed_part(key: bytes) -> bytes:
    """The bytes Redis hashes: the hash tag when there is a non-empty one, else the key."""
    start = key.find(b"{")
    if start == -1:
        return key
    end = key.find(b"}", start + 1)
    if end == -1 or end == start + 1:
        return key
    return key[start + 1 : end]


def key_slot(key: str | bytes) -> int:
    """The cluster slot of a key. `str` keys are UTF-8 encoded, as redis-py sends them."""
    data = key.encode("utf-8") if isinstance(key, str) else key
    return crc16(hashed_part(data)) % SLOTS


# -- static keys --------------------------------------------------------------------


@dataclass(frozen=True)
class Var:
    """A part of a key whose value is not known statically. Two `Var`s with equal
    `identity` hold the same value (the same variable or expression over the same
    variables); `text` is for messages."""

    identity: Hashable
    text: str


Segment = str | Var


@dataclass(frozen=True)
class SlotKey:
    """A key as literal text and variable parts, adjacent texts merged."""

    segments: tuple[Segment, ...]

    @staticmethod
    def of(parts: Sequence[Segment]) -> SlotKey:
        merged: list[Segment] = []
        for part in parts:
            if isinstance(part, str):
                if not part:
                    continue
                if merged and isinstance(merged[-1], str):
                    merged[-1] = merged[-1] + part
                    continue
            merged.append(part)
        return SlotKey(tuple(merged))

    @property
    def literal(self) -> str | None:
        if all(isinstance(s, str) for s in self.segments):
            return "".join(s for s in self.segments if isinstance(s, str))
        return None

    @property
    def opaque(self) -> bool:
        """Starts with a variable (or is nothing but variables): the variable may carry
        the application's hash tag, so nothing can be said about the slot."""
        return not self.segments or isinstance(self.segments[0], Var)

    def tag(self) -> tuple[Segment, ...] | None:
        """The segments of the hash tag; () when the whole key is hashed; None when it
        cannot be told (a variable before the first literal `{`, or no closing brace
        but variables that might hold one)."""
        chars = _chars(self.segments)
        start = None
        for index, item in enumerate(chars):
            if isinstance(item, Var):
                if index == 0:
                    return None  # a leading variable may open the tag itself
                continue  # other variables are assumed to hold no braces
            if item == "{":
                start = index
                break
        if start is None:
            return ()
        for index in range(start + 1, len(chars)):
            if chars[index] == "}":
                if index == start + 1:
                    return ()  # `{}`: the whole key is hashed
                return SlotKey.of(chars[start + 1 : index]).segments
        # no literal `}` after the `{`: the whole key, unless a variable might close it
        return None if any(isinstance(c, Var) for c in chars[start + 1 :]) else ()

    def render(self) -> str:
        return "".join(s if isinstance(s, str) else "{" + s.text + "}" for s in self.segments)


def _chars(segments: Sequence[Segment]) -> list[str | Var]:
    out: list[str | Var] = []
    for segment in segments:
        if isinstance(segment, str):
            out.extend(segment)
        else:
            out.append(segment)
    return out


def _common_prefix_holds_tag(a: SlotKey, b: SlotKey) -> bool:
    """Whether an identical prefix of both keys holds a whole literal-bounded tag:
    then the first `{` and the `}` after it are in that prefix in both keys, whatever
    the variables hold, so the tags are the same text."""
    left, right = _chars(a.segments), _chars(b.segments)
    opened = None
    for index, (x, y) in enumerate(zip(left, right, strict=False)):
        if x != y:
            return False
        if opened is None and x == "{":
            opened = index
        elif opened is not None and x == "}" and index > opened + 1:
            return True
    return False


def same_slot(a: SlotKey, b: SlotKey) -> bool | None:
    """True when the two keys are proven to share a slot, False when both are known
    and differ, None when it cannot be proven either way."""
    if a == b:
        return True
    literal_a, literal_b = a.literal, b.literal
    if literal_a is not None and literal_b is not None:
        return key_slot(literal_a) == key_slot(literal_b)
    if _common_prefix_holds_tag(a, b):
        return True
    tag_a, tag_b = a.tag(), b.tag()
    if tag_a is None or tag_b is None:
        return None
    hashed_a = tag_a or a.segments
    hashed_b = tag_b or b.segments
    if hashed_a == hashed_b:
        return True
    text_a, text_b = SlotKey(tuple(hashed_a)).literal, SlotKey(tuple(hashed_b)).literal
    if text_a is not None and text_b is not None:
        return key_slot(text_a) == key_slot(text_b)
    return None


def slot_of(key: SlotKey) -> int | None:
    """The slot when it is known statically (a literal key or a literal hash tag)."""
    literal = key.literal
    if literal is not None:
        return key_slot(literal)
    tag = key.tag()
    if tag:
        text = SlotKey(tuple(tag)).literal
        if text is not None:
            return key_slot(text)
    return None


class SlotKeys:
    """Key expressions as `SlotKey`s, evaluated like `keys.py` does for globs but
    keeping *which* variable each part is, so hash tags can be compared."""

    def __init__(self, resolver: Resolver, keys: KeyResolver) -> None:
        self.resolver = resolver
        self.keys = keys
        self._unique = 0

    def key(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> SlotKey:
        return SlotKey.of(self._segments(facts, scope, expr, {}, 0))

    def _fresh(self, expr: ir.IR) -> Var:
        """A value that equals nothing else (a call result: `uuid4()` twice differs)."""
        self._unique += 1
        return Var(("unique", self._unique), ir.render(expr))

    def _segments(
        self,
        facts: ModuleFacts,
        scope: str,
        expr: ir.IR,
        env: dict[str, list[Segment]],
        depth: int,
    ) -> list[Segment]:
        if depth > 8:
            return [self._fresh(expr)]
        if isinstance(expr, ir.Str):
            return [expr.value]
        if isinstance(expr, ir.Num) and isinstance(expr.value, int):
            return [str(expr.value)]
        if isinstance(expr, ir.Name) and expr.id in env:
            return env[expr.id]
        if isinstance(expr, ir.FStr):
            out: list[Segment] = []
            for part in expr.parts:
                if isinstance(part, str):
                    out.append(part)
                else:
                    out.extend(self._segments(facts, scope, part, env, depth + 1))
            return out
        if isinstance(expr, ir.BinOp) and expr.op == "Add":
            return self._segments(facts, scope, expr.left, env, depth + 1) + self._segments(
                facts, scope, expr.right, env, depth + 1
            )
        if isinstance(expr, ir.BinOp) and expr.op == "Modulo":
            template = self._text(facts, scope, expr.left, env)
            if template is not None:
                values = expr.right.items if isinstance(expr.right, ir.Seq) else (expr.right,)
                return self._template(
                    facts, scope, template, _PERCENT_SPEC, list(values), {}, env, depth
                )
        if isinstance(expr, ir.Call):
            return self._call(facts, scope, expr, env, depth)
        if isinstance(expr, ir.Name | ir.Attr):
            return self._reference(facts, scope, expr, env, depth)
        return [self._fresh(expr)]

    def _text(
        self, facts: ModuleFacts, scope: str, expr: ir.IR, env: dict[str, list[Segment]]
    ) -> str | None:
        if isinstance(expr, ir.Name) and expr.id in env:
            parts = env[expr.id]
            return parts[0] if len(parts) == 1 and isinstance(parts[0], str) else None
        return self.keys.constant(facts, scope, expr)

    def _template(
        self,
        facts: ModuleFacts,
        scope: str,
        template: str,
        pattern: re.Pattern[str],
        positional: list[ir.IR],
        named: dict[str, ir.IR],
        env: dict[str, list[Segment]],
        depth: int,
    ) -> list[Segment]:
        out: list[Segment] = []
        values = iter(positional)
        last = 0
        for match in pattern.finditer(template):
            out.append(template[last : match.start()])
            last = match.end()
            text = match.group()
            if text in ("%%", "{{", "}}"):
                out.append(text[0])
                continue
            name = text[1:-1].split("!")[0].split(":")[0] if text.startswith("{") else ""
            value = named.get(name) if name and not name.isdigit() else next(values, None)
            if value is None:
                out.append(self._fresh(ir.Str(text)))
            else:
                out.extend(self._segments(facts, scope, value, env, depth + 1))
        out.append(template[last:])
        return out

    def _call(
        self,
        facts: ModuleFacts,
        scope: str,
        call: ir.Call,
        env: dict[str, list[Segment]],
        depth: int,
    ) -> list[Segment]:
        func = call.func
        if isinstance(func, ir.Attr) and func.attr == "format" and not call.star:
            template = self._text(facts, scope, func.value, env)
            if template is not None:
                return self._template(
                    facts,
                    scope,
                    template,
                    _FORMAT_FIELD,
                    list(call.args),
                    dict(call.kwargs),
                    env,
                    depth,
                )
        if isinstance(func, ir.Attr) and func.attr == "join" and len(call.args) == 1:
            separator = self._text(facts, scope, func.value, env)
            items = call.args[0]
            if separator is not None and isinstance(items, ir.Seq):
                out: list[Segment] = []
                for index, item in enumerate(items.items):
                    if index:
                        out.append(separator)
                    out.extend(self._segments(facts, scope, item, env, depth + 1))
                return out
        if isinstance(func, ir.Name) and func.id == "str" and len(call.args) == 1:
            return self._segments(facts, scope, call.args[0], env, depth + 1)
        target = self.resolver.value(facts, scope, func)
        if isinstance(target, Function) and not call.star:
            built = self._builder(facts, scope, target, call, env, depth)
            if built is not None:
                return built
        return [self._fresh(call)]

    def _builder(
        self,
        facts: ModuleFacts,
        scope: str,
        function: Function,
        call: ir.Call,
        env: dict[str, list[Segment]],
        depth: int,
    ) -> list[Segment] | None:
        """A key builder's return value with its parameters bound to the arguments."""
        target = self.resolver.module_facts(function.path)
        if target is None:
            return None
        builder = target.scopes[function.key]
        if len(builder.returns) != 1 or builder.is_generator:
            return None
        offset = 0
        if (
            isinstance(call.func, ir.Attr)
            and builder.is_method
            and not any(ir.dotted(d) == "staticmethod" for d in builder.decorators)
        ):
            offset = 1
        inner: dict[str, list[Segment]] = {}
        for param in builder.params:
            if param.star:
                continue
            position = param.index - offset
            value: ir.IR | None = None
            if param.index >= 0 and 0 <= position < len(call.args):
                value = call.args[position]
            else:
                value = call.kwarg(param.name)
            if value is None:
                value = param.default
            if value is not None:
                inner[param.name] = self._segments(facts, scope, value, env, depth + 1)
        return self._segments(target, function.key, builder.returns[0], inner, depth + 1)

    def _reference(
        self,
        facts: ModuleFacts,
        scope: str,
        expr: ir.Name | ir.Attr,
        env: dict[str, list[Segment]],
        depth: int,
    ) -> list[Segment]:
        constant = self.keys.constant(facts, scope, expr)
        if constant is not None:
            return [constant]
        if isinstance(expr, ir.Name):
            found = self.resolver.lookup(facts, scope, expr.id)
            if found is not None:
                owner, bindings = found
                if (
                    owner.kind in ("function", "lambda")
                    and len(bindings) == 1
                    and bindings[0].kind == "assign"
                    and bindings[0].value is not None
                ):
                    binding = bindings[0]
                    assert binding.value is not None
                    return self._segments(facts, binding.scope, binding.value, env, depth + 1)
        name = ir.dotted(expr)
        identity = self.resolver.identity(facts, scope, expr)
        return [Var(identity, name or ir.render(expr))]
