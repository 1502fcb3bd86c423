"""A tiny, hashable expression form that the semantic model reasons about.

libcst nodes carry whitespace and compare by identity, so two spellings of the same
expression (`f"a:{x}"` on two lines) are different objects. The model converts only
the expressions it needs (assigned values, receivers, key arguments, annotations) to
this frozen form: equal IR means "the same expression over the same variables", which
is exactly the "same key" test of rules.md, and IR values are picklable facts that can
be cached per module.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import libcst as cst


class IR:
    """Base of all expression forms."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Name(IR):
    id: str


@dataclass(frozen=True, slots=True)
class Attr(IR):
    value: IR
    attr: str


@dataclass(frozen=True, slots=True)
class Str(IR):
    value: str


@dataclass(frozen=True, slots=True)
class Num(IR):
    value: int | float


@dataclass(frozen=True, slots=True)
class Const(IR):
    """True, False or None."""

    value: bool | None


@dataclass(frozen=True, slots=True)
class FStr(IR):
    parts: tuple[str | IR, ...]


@dataclass(frozen=True, slots=True)
class BinOp(IR):
    op: str
    left: IR
    right: IR


@dataclass(frozen=True, slots=True)
class Call(IR):
    func: IR
    args: tuple[IR, ...]
    kwargs: tuple[tuple[str, IR], ...]
    star: bool = False  # *args or **kwargs present: positions are unknown
    # the unpacked arguments: ("*", value, positional args before it) or ("**", value, -1)
    stars: tuple[tuple[str, IR, int], ...] = ()

    def kwarg(self, name: str) -> IR | None:
        for key, value in self.kwargs:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class IfExp(IR):
    body: IR
    orelse: IR


@dataclass(frozen=True, slots=True)
class Await(IR):
    value: IR


@dataclass(frozen=True, slots=True)
class Seq(IR):
    """A list or tuple display."""

    items: tuple[IR, ...]


@dataclass(frozen=True, slots=True)
class Subscript(IR):
    value: IR
    index: tuple[IR, ...]


@dataclass(frozen=True, slots=True)
class Dict(IR):
    keys: tuple[IR | None, ...]  # None for a ** unpacking
    values: tuple[IR, ...] = ()  # the values, one per key (the unpacked mapping for **)


@dataclass(frozen=True, slots=True)
class Other(IR):
    """Anything the model does not reason about. Never equal to another Other."""

    token: int


_OTHER_COUNTER = iter(range(1, 1 << 62))


def other() -> Other:
    return Other(next(_OTHER_COUNTER))


def _string_value(node: cst.SimpleString) -> str | None:
    raw = node.value
    quote = raw[-1]
    # Fast path: a plain '...' or "..." without escapes (ast.literal_eval is slow).
    if raw[0] == quote and "\\" not in raw and len(raw) >= 2:
        if raw.startswith(quote * 3) and len(raw) >= 6:
            return raw[3:-3]
        return raw[1:-1]
    try:
        value = node.evaluated_value
    except Exception:  # malformed escapes: treat as opaque
        return None
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def from_cst(node: cst.BaseExpression | None) -> IR:
    """Convert a libcst expression. Unknown shapes become a unique `Other`.

    Dispatches on the exact type: libcst node classes use ABCMeta, which makes every
    `isinstance` check against them slow, and this runs for every recorded call.
    """
    if node is None:
        return other()
    converter = _CONVERTERS.get(type(node))
    if converter is None:
        return other()
    return converter(node)


def _name(node: cst.Name) -> IR:
    if node.value in ("True", "False"):
        return Const(node.value == "True")
    if node.value == "None":
        return Const(None)
    return Name(node.value)


def _attribute(node: cst.Attribute) -> IR:
    return Attr(from_cst(node.value), node.attr.value)


def _call(node: cst.Call) -> IR:
    args: list[IR] = []
    kwargs: list[tuple[str, IR]] = []
    star = False
    stars: list[tuple[str, IR, int]] = []
    for arg in node.args:
        if arg.star:
            star = True
            stars.append((arg.star, from_cst(arg.value), len(args) if arg.star == "*" else -1))
            continue
        if arg.keyword is not None:
            kwargs.append((arg.keyword.value, from_cst(arg.value)))
        else:
            args.append(from_cst(arg.value))
    return Call(from_cst(node.func), tuple(args), tuple(kwargs), star, tuple(stars))


def _simple_string(node: cst.SimpleString) -> IR:
    value = _string_value(node)
    return Str(value) if value is not None else other()


def _concatenated(node: cst.ConcatenatedString) -> IR:
    return _concat(from_cst(node.left), from_cst(node.right))


def _formatted(node: cst.FormattedString) -> IR:
    parts: list[str | IR] = []
    for part in node.parts:
        if type(part) is cst.FormattedStringText:
            # `{{` and `}}` are the f-string spellings of literal braces (hash tags).
            parts.append(part.value.replace("{{", "{").replace("}}", "}"))
        elif type(part) is cst.FormattedStringExpression:
            if part.format_spec or part.conversion:
                parts.append(other())
            else:
                parts.append(from_cst(part.expression))
    return FStr(tuple(parts))


def _number(node: cst.Integer | cst.Float) -> IR:
    text = node.value
    if text.isascii() and text.isdigit() and (text[0] != "0" or text == "0"):
        return Num(int(text))  # a plain decimal (`ex=3600`): literal_eval compiles it
    try:
        return Num(ast.literal_eval(text))
    except (ValueError, SyntaxError):
        return other()


def _unary(node: cst.UnaryOperation) -> IR:
    if type(node.operator) is cst.Minus:
        inner = from_cst(node.expression)
        if isinstance(inner, Num):
            return Num(-inner.value)
    return other()


def _binary(node: cst.BinaryOperation | cst.BooleanOperation) -> IR:
    return BinOp(type(node.operator).__name__, from_cst(node.left), from_cst(node.right))


def _if_exp(node: cst.IfExp) -> IR:
    return IfExp(from_cst(node.body), from_cst(node.orelse))


def _await(node: cst.Await) -> IR:
    return Await(from_cst(node.expression))


def _sequence(node: cst.List | cst.Tuple) -> IR:
    items = []
    for element in node.elements:
        if type(element) is cst.StarredElement:
            return other()
        items.append(from_cst(element.value))
    return Seq(tuple(items))


def _dict(node: cst.Dict) -> IR:
    return Dict(
        tuple(
            from_cst(element.key) if type(element) is cst.DictElement else None
            for element in node.elements
        ),
        tuple(from_cst(element.value) for element in node.elements),
    )


def _subscript(node: cst.Subscript) -> IR:
    index = []
    for element in node.slice:
        if type(element.slice) is cst.Index:
            index.append(from_cst(element.slice.value))
        else:
            index.append(other())
    return Subscript(from_cst(node.value), tuple(index))


_CONVERTERS: dict[type, Callable[[Any], IR]] = {
    cst.Name: _name,
    cst.Attribute: _attribute,
    cst.Call: _call,
    cst.SimpleString: _simple_string,
    cst.ConcatenatedString: _concatenated,
    cst.FormattedString: _formatted,
    cst.Integer: _number,
    cst.Float: _number,
    cst.UnaryOperation: _unary,
    cst.BinaryOperation: _binary,
    cst.BooleanOperation: _binary,
    cst.IfExp: _if_exp,
    cst.Await: _await,
    cst.List: _sequence,
    cst.Tuple: _sequence,
    cst.Dict: _dict,
    cst.Subscript: _subscript,
}


def _concat(left: IR, right: IR) -> IR:
    """Implicit string concatenation `"a" f"{b}"` as one f-string."""
    parts: list[str | IR] = []
    for side in (left, right):
        if isinstance(side, Str):
            parts.append(side.value)
        elif isinstance(side, FStr):
            parts.extend(side.parts)
        else:
            return other()
    if all(isinstance(p, str) for p in parts):
        return Str("".join(p for p in parts if isinstance(p, str)))
    return FStr(tuple(parts))


def from_annotation_string(text: str) -> IR:
    """A string annotation (`"redis.Redis"`) parsed as an expression."""
    try:
        return from_cst(cst.parse_expression(text))
    except Exception:
        return other()


def dotted(ir: IR) -> str | None:
    """`a.b.c` for a Name/Attr chain, else None."""
    parts: list[str] = []
    while isinstance(ir, Attr):
        parts.append(ir.attr)
        ir = ir.value
    if isinstance(ir, Name):
        parts.append(ir.id)
        return ".".join(reversed(parts))
    return None


def render(ir: IR) -> str:
    """Readable source-like text, for messages and the key inventory."""
    if isinstance(ir, Name):
        return ir.id
    if isinstance(ir, Attr):
        return f"{render(ir.value)}.{ir.attr}"
    if isinstance(ir, Str):
        return repr(ir.value)
    if isinstance(ir, Num):
        return repr(ir.value)
    if isinstance(ir, Const):
        return repr(ir.value)
    if isinstance(ir, FStr):
        inner = "".join(p if isinstance(p, str) else "{" + render(p) + "}" for p in ir.parts)
        return 'f"' + inner + '"'
    if isinstance(ir, Call):
        args = [render(a) for a in ir.args] + [f"{k}={render(v)}" for k, v in ir.kwargs]
        return f"{render(ir.func)}({', '.join(args)})"
    if isinstance(ir, BinOp):
        return f"{render(ir.left)} {ir.op} {render(ir.right)}"
    if isinstance(ir, Seq):
        return "[" + ", ".join(render(i) for i in ir.items) + "]"
    if isinstance(ir, Await):
        return f"await {render(ir.value)}"
    return "…"
