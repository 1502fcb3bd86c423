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
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Other(IR):
    """Anything the model does not reason about. Never equal to another Other."""

    token: int


_OTHER_COUNTER = iter(range(1, 1 << 62))


def other() -> Other:
    return Other(next(_OTHER_COUNTER))


def _string_value(node: cst.SimpleString) -> str | None:
    try:
        value = node.evaluated_value
    except Exception:  # malformed escapes: treat as opaque
        return None
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def _binop_symbol(op: cst.BaseBinaryOp) -> str:
    return type(op).__name__


def from_cst(node: cst.BaseExpression | None) -> IR:
    """Convert a libcst expression. Unknown shapes become a unique `Other`."""
    if node is None:
        return other()
    if isinstance(node, cst.Name):
        if node.value in ("True", "False"):
            return Const(node.value == "True")
        if node.value == "None":
            return Const(None)
        return Name(node.value)
    if isinstance(node, cst.Attribute):
        return Attr(from_cst(node.value), node.attr.value)
    if isinstance(node, cst.Call):
        args: list[IR] = []
        kwargs: list[tuple[str, IR]] = []
        star = False
        for arg in node.args:
            if arg.star:
                star = True
                continue
            if arg.keyword is not None:
                kwargs.append((arg.keyword.value, from_cst(arg.value)))
            else:
                args.append(from_cst(arg.value))
        return Call(from_cst(node.func), tuple(args), tuple(kwargs), star)
    if isinstance(node, cst.SimpleString):
        value = _string_value(node)
        return Str(value) if value is not None else other()
    if isinstance(node, cst.ConcatenatedString):
        return _concat(from_cst(node.left), from_cst(node.right))
    if isinstance(node, cst.FormattedString):
        parts: list[str | IR] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression):
                if part.format_spec or part.conversion:
                    parts.append(other())
                else:
                    parts.append(from_cst(part.expression))
        return FStr(tuple(parts))
    if isinstance(node, cst.Integer | cst.Float):
        try:
            return Num(ast.literal_eval(node.value))
        except (ValueError, SyntaxError):
            return other()
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = from_cst(node.expression)
        if isinstance(inner, Num):
            return Num(-inner.value)
        return other()
    if isinstance(node, cst.BinaryOperation):
        return BinOp(_binop_symbol(node.operator), from_cst(node.left), from_cst(node.right))
    if isinstance(node, cst.BooleanOperation):
        return BinOp(type(node.operator).__name__, from_cst(node.left), from_cst(node.right))
    if isinstance(node, cst.IfExp):
        return IfExp(from_cst(node.body), from_cst(node.orelse))
    if isinstance(node, cst.Await):
        return Await(from_cst(node.expression))
    if isinstance(node, cst.List | cst.Tuple):
        items = []
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                return other()
            items.append(from_cst(element.value))
        return Seq(tuple(items))
    if isinstance(node, cst.Dict):
        keys: list[IR | None] = []
        for element in node.elements:
            keys.append(from_cst(element.key) if isinstance(element, cst.DictElement) else None)
        return Dict(tuple(keys))
    if isinstance(node, cst.Subscript):
        index = []
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                index.append(from_cst(element.slice.value))
            else:
                index.append(other())
        return Subscript(from_cst(node.value), tuple(index))
    return other()


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
