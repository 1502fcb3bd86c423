"""Key expressions as glob patterns, and which declared namespace a pattern belongs to.

A key argument becomes a `KeyPattern` when every part of it is understood: literals,
f-strings, `%`, `.format`, `+`, `":".join([...])`, constants (module, class, imported),
`self.attr` set in the class, and simple key-builder functions (`return f"order:{i}"`).
Variable parts become `*`. Anything else is unknown (None): an unknown key never
matches a namespace, so no rule guesses about it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from redislint.config import KeyspaceEntry
from redislint.semantics import ir
from redislint.semantics.clients import Class, Function, Instance, ProjectModule, Resolver
from redislint.semantics.scopes import Binding, ModuleFacts

WILDCARD = "*"
_PERCENT_SPEC = re.compile(
    r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]"
)
_FORMAT_FIELD = re.compile(r"\{\{|\}\}|\{[^{}]*\}")


@dataclass(frozen=True)
class KeyPattern:
    """A key as a glob (`order:*`) plus an identity for "the same key" comparisons.

    Two keys are the same key when their identity is equal: for a fully literal key
    the literal itself, otherwise the expression over its variables (so `acct:{src}`
    and `acct:{dst}` are different keys with the same glob).
    """

    glob: str
    identity: str
    # The non-constant names the key is built from (None: not known).
    variables: frozenset[str] | None = field(default=None, compare=False)

    @property
    def is_literal(self) -> bool:
        return WILDCARD not in self.glob

    def same_key(self, other: KeyPattern) -> bool:
        """Whether the two may be one key (rules.md "Same key, different keys").

        Equal identities are the same key. Two spellings of one key over the same
        variables (`acct_key(uid)` and `f"acct:{uid}"`) have different identities but the
        same glob and variables: they are not proven different. `acct:{src}` and
        `acct:{dst}` differ in their variables, so they are different keys.
        """
        if self.identity == other.identity:
            return True
        return (
            self.glob == other.glob and bool(self.variables) and self.variables == other.variables
        )


def _escape(text: str) -> str:
    # Literal `*`, `?` and `[` in a key would read as glob syntax; Redis keys with
    # those characters are rare, and a bracket class keeps them literal.
    return re.sub(r"([*?\[])", r"[\1]", text)


class KeyResolver:
    """Turns key expressions into patterns, memoised per (module, scope, expression)."""

    def __init__(
        self, resolver: Resolver, facts_by_path: Callable[[str], ModuleFacts | None]
    ) -> None:
        self.resolver = resolver
        self._facts_by_path = facts_by_path
        self._memo: dict[tuple[str, str, ir.IR], str | None] = {}
        self._busy: set[tuple[str, str, ir.IR]] = set()

    def pattern(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> KeyPattern | None:
        glob = self.glob(facts, scope, expr, whole=True)
        if glob is None:
            return None
        identity = glob if WILDCARD not in glob else f"{glob}|{ir.render(expr)}"
        return KeyPattern(glob, identity, self.variables(facts, scope, expr))

    def variables(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> frozenset[str] | None:
        """The non-constant names and attributes a key expression is built from."""
        if isinstance(expr, ir.Str | ir.Num | ir.Const):
            return frozenset()
        if isinstance(expr, ir.Name | ir.Attr):
            if self.constant(facts, scope, expr) is not None:
                return frozenset()
            name = ir.dotted(expr)
            return frozenset({name}) if name is not None else None
        parts: list[ir.IR]
        if isinstance(expr, ir.FStr):
            parts = [p for p in expr.parts if isinstance(p, ir.IR)]
        elif isinstance(expr, ir.BinOp):
            parts = [expr.left, expr.right]
        elif isinstance(expr, ir.Call):  # a key builder, str(), "...".format()
            parts = list(expr.args) + [value for _, value in expr.kwargs]
            if isinstance(expr.func, ir.Attr) and expr.func.attr in ("format", "join"):
                parts.append(expr.func.value)
        elif isinstance(expr, ir.Seq):
            parts = list(expr.items)
        else:
            return None
        found: set[str] = set()
        for part in parts:
            names = self.variables(facts, scope, part)
            if names is None:
                return None
            found |= names
        return frozenset(found)

    def constant(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> str | None:
        """The string value of an expression when it is a constant, else None."""
        glob = self.glob(facts, scope, expr, whole=True)
        if glob is None or "*" in glob.replace("[*]", ""):
            return None
        return glob.replace("[*]", "*").replace("[?]", "?").replace("[[]", "[")

    def glob(self, facts: ModuleFacts, scope: str, expr: ir.IR, *, whole: bool) -> str | None:
        """The glob of `expr`; `whole` is False for a part inside a larger key, where an
        unknown value is a wildcard rather than "unknown"."""
        memo_key = (facts.path, scope, expr)
        if whole and memo_key in self._memo:
            return self._memo[memo_key]
        if memo_key in self._busy:
            return None
        self._busy.add(memo_key)
        try:
            result = self._glob(facts, scope, expr)
        finally:
            self._busy.discard(memo_key)
        if whole:
            self._memo[memo_key] = result
            return result
        return WILDCARD if result is None else result

    def _part(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> str:
        return self.glob(facts, scope, expr, whole=False) or WILDCARD

    def _glob(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> str | None:
        if isinstance(expr, ir.Str):
            return _escape(expr.value)
        if isinstance(expr, ir.Num) and isinstance(expr.value, int):
            return str(expr.value)
        if isinstance(expr, ir.FStr):
            return _squash(
                "".join(
                    _escape(p) if isinstance(p, str) else self._part(facts, scope, p)
                    for p in expr.parts
                )
            )
        if isinstance(expr, ir.BinOp):
            if expr.op == "Add":
                left = self.glob(facts, scope, expr.left, whole=True)
                right = self.glob(facts, scope, expr.right, whole=True)
                if left is None and right is None:
                    return None
                return _squash((left or WILDCARD) + (right or WILDCARD))
            if expr.op == "Modulo":
                template = self.glob(facts, scope, expr.left, whole=True)
                if template is None or not isinstance(expr.left, ir.Str | ir.Name | ir.Attr):
                    return None
                values = expr.right.items if isinstance(expr.right, ir.Seq) else (expr.right,)
                parts = iter([self._part(facts, scope, v) for v in values])
                return _squash(
                    _PERCENT_SPEC.sub(
                        lambda m: "%" if m.group() == "%%" else next(parts, "*"), template
                    )
                )
            return None
        if isinstance(expr, ir.Call):
            return self._call(facts, scope, expr)
        if isinstance(expr, ir.Name | ir.Attr):
            return self._reference(facts, scope, expr)
        return None

    def _call(self, facts: ModuleFacts, scope: str, call: ir.Call) -> str | None:
        func = call.func
        if isinstance(func, ir.Attr) and func.attr == "format":
            template = self.glob(facts, scope, func.value, whole=True)
            if template is None:
                return None
            positional = iter([self._part(facts, scope, a) for a in call.args])

            def field(match: re.Match[str]) -> str:
                text = match.group()
                if text in ("{{", "}}"):
                    return text[0]
                name = text[1:-1].split("!")[0].split(":")[0]
                if name and not name.isdigit():
                    value = call.kwarg(name)
                    return self._part(facts, scope, value) if value is not None else WILDCARD
                return next(positional, WILDCARD)

            return _squash(_FORMAT_FIELD.sub(field, template))
        if isinstance(func, ir.Attr) and func.attr == "join" and len(call.args) == 1:
            separator = self.glob(facts, scope, func.value, whole=True)
            items = call.args[0]
            if separator is None or not isinstance(items, ir.Seq):
                return None
            return _squash(separator.join(self._part(facts, scope, i) for i in items.items))
        if isinstance(func, ir.Name) and func.id == "str" and len(call.args) == 1:
            return self.glob(facts, scope, call.args[0], whole=True)
        target = self.resolver.value(facts, scope, func)
        if isinstance(target, Function):
            return self._builder(target)
        return None

    def _builder(self, function: Function) -> str | None:
        """A simple key builder: every return is a key over its parameters."""
        target = self._facts_by_path(function.path)
        if target is None:
            return None
        builder = target.scopes[function.key]
        if (
            not builder.returns
            or builder.is_generator
            or (
                builder.decorators
                and not all(
                    ir.dotted(d)
                    in ("staticmethod", "classmethod", "lru_cache", "functools.lru_cache")
                    for d in builder.decorators
                )
            )
        ):
            return None
        globs = {self.glob(target, function.key, r, whole=True) for r in builder.returns}
        if len(globs) != 1:
            return None
        return globs.pop()

    def _reference(self, facts: ModuleFacts, scope: str, expr: ir.Name | ir.Attr) -> str | None:
        if isinstance(expr, ir.Name):
            found = self.resolver.lookup(facts, scope, expr.id)
            if found is None:
                return None
            owner, bindings = found
            return self._from_bindings(facts, owner.key, bindings, expr.id)
        # attributes: class constants, module constants, self.attr set in the class
        if isinstance(expr.value, ir.Name):
            cls = self.resolver.self_class(facts, scope, expr.value.id)
            if cls is not None:
                bindings = list(cls.self_attrs.get(expr.attr, ())) + list(
                    cls.bindings.get(expr.attr, ())
                )
                return self._from_bindings(facts, cls.key, bindings, expr.attr)
        base = self.resolver.value(facts, scope, expr.value)
        if isinstance(base, Class | Instance):
            target = self._facts_by_path(base.path)
            if target is None:
                return None
            cls_scope = target.scopes[base.key]
            bindings = list(cls_scope.bindings.get(expr.attr, ()))
            if isinstance(base, Instance):
                bindings += cls_scope.self_attrs.get(expr.attr, [])
            return self._from_bindings(target, base.key, bindings, expr.attr)
        if isinstance(base, ProjectModule):
            target = self._facts_by_path(base.path)
            if target is None:
                return None
            return self.glob(target, "", ir.Name(expr.attr), whole=True)
        return None

    def _from_bindings(
        self, facts: ModuleFacts, owner: str, bindings: Iterable[Binding], name: str
    ) -> str | None:
        globs: set[str | None] = set()
        for binding in bindings:
            if binding.kind == "assign" and binding.value is not None:
                globs.add(self.glob(facts, binding.scope, binding.value, whole=True))
            elif binding.kind == "import" and binding.qualname:
                globs.add(self._imported(binding.qualname, facts))
            elif binding.kind == "annotated":
                continue
            else:
                return None
        if len(globs) != 1:
            return None
        return globs.pop()

    def _imported(self, qualname: str, near: ModuleFacts) -> str | None:
        module_name, _, name = qualname.rpartition(".")
        target = self.resolver.load_module(module_name, near.path) if module_name else None
        if target is None:
            return None
        return self.glob(target, "", ir.Name(name), whole=True)


def _squash(glob: str) -> str:
    while "**" in glob:
        glob = glob.replace("**", "*")
    return glob


def _tokens(glob: str) -> list[str]:
    """Split a glob into tokens: '*', '?', a bracket class, or a literal character."""
    tokens: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "[":
            end = glob.find("]", i + 2)
            if end != -1:
                tokens.append(glob[i : end + 1])
                i = end + 1
                continue
        tokens.append(char)
        i += 1
    return tokens


def _char_matches(token: str, char_token: str) -> bool:
    """Does namespace token (literal, ?, class) accept the key's literal character token?"""
    literal = char_token[1] if char_token.startswith("[") and len(char_token) == 3 else char_token
    if char_token in ("*", "?"):
        return False
    if token == "?":
        return True
    if token.startswith("[") and len(token) > 2:
        body = token[1:-1]
        negate = body.startswith(("!", "^"))
        if negate:
            body = body[1:]
        inside = False
        j = 0
        while j < len(body):
            if j + 2 < len(body) and body[j + 1] == "-":
                inside |= body[j] <= literal <= body[j + 2]
                j += 3
            else:
                inside |= body[j] == literal
                j += 1
        return inside != negate
    return token == literal


def subsumes(namespace: str, key: str) -> bool:
    """True when every key the `key` glob can stand for matches the `namespace` glob.

    A wildcard in the key can only be absorbed by a wildcard of the namespace, so
    `order:*` is in `order:*` and in `*`, but `*:x` is not in `cache:*` (the unknown
    prefix might not be `cache`). That is what keeps namespace matching sound.
    """
    ns, k = _tokens(namespace), _tokens(key)
    # dp[i][j]: ns[:i] subsumes k[:j]
    previous = [True] + [False] * len(k)
    for i in range(1, len(ns) + 1):
        token = ns[i - 1]
        current = [False] * (len(k) + 1)
        if token == "*":
            current[0] = previous[0]
            for j in range(1, len(k) + 1):
                current[j] = previous[j] or current[j - 1]
        else:
            for j in range(1, len(k) + 1):
                current[j] = previous[j - 1] and _char_matches(token, k[j - 1])
        previous = current
    return previous[len(k)]


def role_of(
    pattern: KeyPattern | None, keyspace: tuple[KeyspaceEntry, ...]
) -> KeyspaceEntry | None:
    """The first declared namespace that contains every key of the pattern."""
    if pattern is None:
        return None
    for entry in keyspace:
        if subsumes(entry.pattern, pattern.glob):
            return entry
    return None
