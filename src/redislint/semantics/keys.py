"""Key expressions as glob patterns, and which declared namespace a pattern belongs to.

A key argument becomes a `KeyPattern` when its literal parts are understood: literals
(str and bytes), f-strings, `%` (tuples, dicts), `.format` (also `*a`/`**kw`), `+`,
`"sep".join` over lists and tuples, `str()`/`.encode()`, constants (module, class,
imported, through project base classes), instance attributes assigned in the class,
`@property`/`cached_property` key builders, and key-builder functions, methods, static
and class methods (also on other project classes and imported), evaluated with the
arguments of the call (`namespace("stats")` -> `saq:stats`). Local variables are read
flow-sensitively: the value a name has where it is read (`k = prefix; k += ":" + id`).
Parts that cannot be resolved become `*` (`f"{self.key}:allowed"` -> `*:allowed`), and
several possible values become their common pattern (`a:1` | `a:2` -> `a:*`), so every
pattern contains every key the code can build. A key with no literal part, or one of
whose whole values is unknown, is unknown (None): it never matches a namespace, so no
rule guesses about it; `KeyResolver.reason` says which part was not followed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from redislint.config import KeyspaceEntry
from redislint.semantics import ir
from redislint.semantics.clients import (
    BoundMethod,
    Class,
    Client,
    External,
    Function,
    Instance,
    ProjectModule,
    Resolver,
    argument,
)
from redislint.semantics.globs import WILDCARD, subsumes
from redislint.semantics.globs import tokens as glob_tokens
from redislint.semantics.scopes import Binding, ModuleFacts, Position, Scope

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
    if "*" not in text and "?" not in text and "[" not in text:
        return text  # the usual case, without the regular expression machinery
    return re.sub(r"([*?\[])", r"[\1]", text)


_ENVIRONMENT_GETTERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault"})
_BUILDER_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "lru_cache",
        "functools.lru_cache",
        "cache",
        "functools.cache",
        "property",
        "cached_property",
        "functools.cached_property",
    }
)
_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "functools.cached_property"})
_SAME_TEXT_METHODS = frozenset({"encode", "decode"})
# str methods evaluated on constants with constant arguments (`PREFIX.replace("{", "{{")`)
_CONSTANT_METHODS = frozenset({"replace", "lower", "upper", "strip", "lstrip", "rstrip"})
# How many plain aliases (`k = key`) the identity of a key follows.
_MAX_SPELLING_DEPTH = 8


@dataclass(frozen=True)
class _Ctx:
    """What an evaluation knows beyond the expression: where names are read (`at`, for
    flow-sensitive lookups in that scope), which class `self`/`cls` stand for (`this`),
    and the arguments a key builder was called with (`env`, for scope `env_scope`)."""

    at: Position | None = None
    this: Class | None = None
    env: tuple[tuple[str, str | None], ...] | None = None
    env_scope: str | None = None
    # `os.environ.get(NAME, "d")` counts as "d" for keys (a miss at worst); a credential
    # or host read from the environment is never a literal (rules.md RL401-RL403).
    environment_defaults: bool = True

    def __hash__(self) -> int:
        """The hash of the fields, computed once: a context is part of every memo key
        the evaluation of one key touches (several dictionary operations each)."""
        known: int | None = self.__dict__.get("_hash")
        if known is None:
            known = hash((self.at, self.this, self.env, self.env_scope, self.environment_defaults))
            object.__setattr__(self, "_hash", known)
        return known

    def reading_at(self, at: Position | None) -> _Ctx:
        """This context with names read at `at` (`dataclasses.replace`, without its
        introspection: it runs for every assignment a key is traced through)."""
        return _Ctx(at, self.this, self.env, self.env_scope, self.environment_defaults)


_ROOT = _Ctx()
_NO_ENVIRONMENT_DEFAULTS = _Ctx(environment_defaults=False)
_Memo = tuple[str, str, ir.IR, _Ctx]
_MISSING: Any = object()  # not in the memo
_BUSY: Any = object()  # being evaluated


class KeyResolver:
    """Turns key expressions into patterns, memoised per (module, scope, expression,
    context); records why a key could not be resolved (`reason`)."""

    def __init__(
        self, resolver: Resolver, facts_by_path: Callable[[str], ModuleFacts | None]
    ) -> None:
        self.resolver = resolver
        self._facts_by_path = facts_by_path
        # a glob, None (unknown), or _BUSY while its evaluation runs (a cycle)
        self._memo: dict[_Memo, Any] = {}
        self._why: dict[_Memo, str] = {}
        self._last_why: str | None = None
        self._subclasses: dict[Class, list[Class]] = {}
        self._roles: dict[tuple[KeyspaceEntry, ...], dict[str, KeyspaceEntry | None]] = {}

    # -- public ---------------------------------------------------------------------
    def invalidate(self, path: str) -> None:
        """The facts of module `path` changed: a key resolved anywhere may have read
        them (a key builder, a constant), so none is kept."""
        del path
        self._memo.clear()
        self._why.clear()
        self._subclasses.clear()

    def namespaces(self, keyspace: tuple[KeyspaceEntry, ...]) -> dict[str, KeyspaceEntry | None]:
        """Glob -> the namespace `role_of` finds for it under `keyspace`, as far as asked.
        A function of the glob and the keyspace alone, so it outlives `invalidate`: the
        language server's checks of a buffer ask about the same globs each time."""
        found = self._roles.get(keyspace)
        if found is None:
            found = self._roles[keyspace] = {}
        return found

    def pattern(
        self, facts: ModuleFacts, scope: str, expr: ir.IR, at: Position | None = None
    ) -> KeyPattern | None:
        literal = _literal_glob(expr)
        if literal is not None:  # the same pattern as below, read off the expression
            if not _has_literal(literal):
                return None
            identity = literal if WILDCARD not in literal else f"{literal}|{ir.render(expr)}"
            return KeyPattern(literal, identity, frozenset())
        ctx = _Ctx(at) if at is not None else _ROOT
        glob = self.glob(facts, scope, expr, whole=True, ctx=ctx)
        if glob is None or not _has_literal(glob):
            return None
        spelled, spelled_scope = self._spelled(facts, scope, expr, ctx)
        identity = glob if WILDCARD not in glob else f"{glob}|{ir.render(spelled)}"
        return KeyPattern(glob, identity, self.variables(facts, spelled_scope, spelled))

    def reason(
        self, facts: ModuleFacts, scope: str, expr: ir.IR, at: Position | None = None
    ) -> str | None:
        """Why `pattern` is None for this key: the part the model could not follow."""
        ctx = _Ctx(at) if at is not None else _ROOT
        glob = self.glob(facts, scope, expr, whole=True, ctx=ctx)
        if glob is not None:
            if _has_literal(glob):
                return None
            return f"`{ir.render(expr)}` has no literal part (it could be any key)"
        return self._why.get((facts.path, scope, expr, ctx)) or (
            f"`{ir.render(expr)}` is an expression the model does not follow"
        )

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

    def constant(
        self, facts: ModuleFacts, scope: str, expr: ir.IR, *, environment_defaults: bool = True
    ) -> str | None:
        """The string value of an expression when it is a constant, else None. Without
        `environment_defaults`, a value read from the environment is never a constant,
        whatever default it names (passwords and hosts)."""
        ctx = _ROOT if environment_defaults else _NO_ENVIRONMENT_DEFAULTS
        glob = self.glob(facts, scope, expr, whole=True, ctx=ctx)
        if glob is None or "*" in glob.replace("[*]", ""):
            return None
        return glob.replace("[*]", "*").replace("[?]", "?").replace("[[]", "[")

    def glob(
        self,
        facts: ModuleFacts,
        scope: str,
        expr: ir.IR,
        *,
        whole: bool,
        ctx: _Ctx = _ROOT,
    ) -> str | None:
        """The glob of `expr`; `whole` is False for a part inside a larger key, where an
        unknown value is a wildcard rather than "unknown"."""
        memo_key = (facts.path, scope, expr, ctx)
        memo = self._memo
        # One lookup, and the evaluation in progress marked in the memo itself: the key
        # is hashed once per dictionary operation, and most keys are evaluated once.
        result = memo.get(memo_key, _MISSING)
        if result is _BUSY:
            return self._fail(f"`{ir.render(expr)}` is defined in terms of itself")
        if result is _MISSING:
            memo[memo_key] = _BUSY
            self._last_why = None
            try:
                result = self._glob(facts, scope, expr, ctx)
            except BaseException:
                del memo[memo_key]
                raise
            memo[memo_key] = result
            if result is None and self._last_why is not None:
                self._why[memo_key] = self._last_why
        elif result is None:
            self._last_why = self._why.get(memo_key)
        if whole:
            return result
        return WILDCARD if result is None else result

    # -- evaluation -----------------------------------------------------------------
    def _fail(self, why: str) -> Any:
        """Record why the current evaluation is unknown; returns None (typed Any so that
        every evaluator can `return self._fail(...)`)."""
        self._last_why = why
        return None

    def _whole(self, facts: ModuleFacts, scope: str, expr: ir.IR, ctx: _Ctx) -> str | None:
        return self.glob(facts, scope, expr, whole=True, ctx=ctx)

    def _part(self, facts: ModuleFacts, scope: str, expr: ir.IR, ctx: _Ctx = _ROOT) -> str:
        return self.glob(facts, scope, expr, whole=False, ctx=ctx) or WILDCARD

    def _glob(self, facts: ModuleFacts, scope: str, expr: ir.IR, ctx: _Ctx) -> str | None:
        if isinstance(expr, ir.Str):
            return _escape(expr.value)
        if isinstance(expr, ir.Num) and isinstance(expr.value, int):
            return str(expr.value)
        if isinstance(expr, ir.FStr):
            return _squash(
                "".join(
                    _escape(p) if isinstance(p, str) else self._part(facts, scope, p, ctx)
                    for p in expr.parts
                )
            )
        if isinstance(expr, ir.BinOp):
            return self._binop(facts, scope, expr, ctx)
        if isinstance(expr, ir.IfExp):
            body = self._whole(facts, scope, expr.body, ctx)
            orelse = self._whole(facts, scope, expr.orelse, ctx)
            return _common(body, orelse)
        if isinstance(expr, ir.Call):
            return self._call(facts, scope, expr, ctx)
        if isinstance(expr, ir.Name):
            return self._name(facts, scope, expr.id, ctx)
        if isinstance(expr, ir.Attr):
            return self._attribute(facts, scope, expr, ctx)
        if isinstance(expr, ir.Subscript):
            return self._fail(f"`{ir.render(expr.value)}[…]` is an item of a container")
        if isinstance(expr, ir.Await):
            return self._fail(f"`{ir.render(expr)}` is the result of an awaited call")
        return self._fail("an expression the model does not follow (a comprehension, …)")

    def _binop(self, facts: ModuleFacts, scope: str, expr: ir.BinOp, ctx: _Ctx) -> str | None:
        if expr.op == "Add":
            left = self._whole(facts, scope, expr.left, ctx)
            why = self._last_why
            right = self._whole(facts, scope, expr.right, ctx)
            if left is None and right is None:
                return self._fail(why or self._last_why or "")
            return _squash((left or WILDCARD) + (right or WILDCARD))
        if expr.op == "Modulo":
            template = self._whole(facts, scope, expr.left, ctx)
            if template is None:
                return None
            named: dict[str, str] = {}
            values: list[str] = []
            found = self._sequence(facts, scope, expr.right, ctx)
            if found is not None:
                items, item_scope, item_ctx = found
                values = [self._part(facts, item_scope, v, item_ctx) for v in items]
            elif isinstance(expr.right, ir.Dict):
                for key, value in zip(expr.right.keys, expr.right.values, strict=False):
                    if isinstance(key, ir.Str):
                        named[key.value] = self._part(facts, scope, value, ctx)
            else:
                values = [self._part(facts, scope, expr.right, ctx)]
            parts = iter(values)

            def spec(match: re.Match[str]) -> str:
                text = match.group()
                if text == "%%":
                    return "%"
                if text.startswith("%("):
                    return named.get(text[2 : text.index(")")], WILDCARD)
                return next(parts, WILDCARD)

            return _squash(_PERCENT_SPEC.sub(spec, template))
        if expr.op == "Or":
            return _common(
                self._whole(facts, scope, expr.left, ctx),
                self._whole(facts, scope, expr.right, ctx),
            )
        return self._fail(f"`{ir.render(expr)}` is arithmetic, not a key")

    def _sequence(
        self, facts: ModuleFacts, scope: str, expr: ir.IR, ctx: _Ctx
    ) -> tuple[tuple[ir.IR, ...], str, _Ctx] | None:
        """The items of a list/tuple display, or of a local name assigned one."""
        if isinstance(expr, ir.Seq):
            return expr.items, scope, ctx
        if isinstance(expr, ir.Name):
            found = self.resolver.lookup(facts, scope, expr.id)
            if found is None:
                return None
            owner, bindings = found
            if ctx.at is not None and owner.key == scope and owner.kind != "class":
                bindings = _reaching(bindings, ctx.at, expr.id in owner.comprehension_names)
            values = [b for b in bindings if b.kind != "annotated"]
            if len(values) == 1 and values[0].kind == "assign":
                value = values[0].value
                if isinstance(value, ir.Seq):
                    return value.items, values[0].scope, ctx.reading_at(values[0].position)
        return None

    def _mapping(
        self, facts: ModuleFacts, scope: str, expr: ir.Name, ctx: _Ctx
    ) -> dict[str, str] | None:
        """The string-keyed items of a local name assigned a dict display."""
        found = self.resolver.lookup(facts, scope, expr.id)
        if found is None:
            return None
        owner, bindings = found
        if ctx.at is not None and owner.key == scope and owner.kind != "class":
            bindings = _reaching(bindings, ctx.at, expr.id in owner.comprehension_names)
        values = [b for b in bindings if b.kind != "annotated"]
        if len(values) != 1 or values[0].kind != "assign":
            return None
        value = values[0].value
        if not isinstance(value, ir.Dict):
            return None
        inner = ctx.reading_at(values[0].position)
        return {
            key.value: self._part(facts, values[0].scope, item, inner)
            for key, item in zip(value.keys, value.values, strict=False)
            if isinstance(key, ir.Str)
        }

    def _call(self, facts: ModuleFacts, scope: str, call: ir.Call, ctx: _Ctx) -> str | None:
        func = call.func
        if isinstance(func, ir.Attr) and func.attr == "format":
            return self._format(facts, scope, call, ctx)
        if isinstance(func, ir.Attr) and func.attr == "join" and len(call.args) == 1:
            separator = self._whole(facts, scope, func.value, ctx)
            if separator is None:
                return None
            found = self._sequence(facts, scope, call.args[0], ctx)
            if found is None:
                return self._fail(
                    f"`{ir.render(call)}` joins `{ir.render(call.args[0])}`, "
                    "which is not a list or tuple display"
                )
            items, item_scope, item_ctx = found
            return _squash(
                separator.join(self._part(facts, item_scope, i, item_ctx) for i in items)
            )
        if isinstance(func, ir.Name) and func.id in ("str", "bytes") and call.args:
            return self._whole(facts, scope, call.args[0], ctx)
        if isinstance(func, ir.Attr) and func.attr in _SAME_TEXT_METHODS:
            return self._whole(facts, scope, func.value, ctx)
        if isinstance(func, ir.Attr) and func.attr in _CONSTANT_METHODS:
            return self._string_method(facts, scope, call, func, ctx)
        qualified = self.resolver.qualified(facts, scope, func)
        if qualified in _ENVIRONMENT_GETTERS:
            # the value in a deployment that does not override it (a miss at worst:
            # an overridden prefix is not in the namespaces declared for the default)
            default = call.args[1] if len(call.args) > 1 else call.kwarg("default")
            if default is None or not ctx.environment_defaults:
                return self._fail(f"`{ir.render(call)}` is read from the environment")
            return self._whole(facts, scope, default, ctx)
        callees = self._callees(facts, scope, func, ctx)
        if callees is None:
            return None
        globs = [self._invoke(facts, scope, call, ctx, *callee) for callee in callees]
        return _common(*globs)

    def _string_method(
        self, facts: ModuleFacts, scope: str, call: ir.Call, func: ir.Attr, ctx: _Ctx
    ) -> str | None:
        text = _unescape(self._whole(facts, scope, func.value, ctx))
        args = [_unescape(self._whole(facts, scope, a, ctx)) for a in call.args]
        if text is None or call.kwargs or call.star or any(a is None for a in args):
            return self._fail(f"`{ir.render(call)}` changes a text that is not a constant")
        try:
            result = getattr(text, func.attr)(*args)
        except (TypeError, ValueError):
            return self._fail(f"`{ir.render(call)}` is not a str method call")
        return _escape(result) if isinstance(result, str) else None

    def _format(self, facts: ModuleFacts, scope: str, call: ir.Call, ctx: _Ctx) -> str | None:
        assert isinstance(call.func, ir.Attr)
        template = self._whole(facts, scope, call.func.value, ctx)
        if template is None:
            return None
        positional = [self._part(facts, scope, a, ctx) for a in call.args]
        named = {key: self._part(facts, scope, value, ctx) for key, value in call.kwargs}
        unpacked = [(value, before) for star, value, before in call.stars if star == "*"]
        if unpacked:
            value, before = unpacked[0]
            found = self._sequence(facts, scope, value, ctx) if len(unpacked) == 1 else None
            if found is None:
                positional = positional[:before]  # fields from the unpacking on: unknown
            else:
                items, item_scope, item_ctx = found
                expanded = [self._part(facts, item_scope, i, item_ctx) for i in items]
                positional = positional[:before] + expanded + positional[before:]
        for star, value, _ in call.stars:
            if star == "**" and isinstance(value, ir.Dict):
                for key, item in zip(value.keys, value.values, strict=False):
                    if isinstance(key, ir.Str):
                        named[key.value] = self._part(facts, scope, item, ctx)
            elif star == "**" and isinstance(value, ir.Name):
                mapping = self._mapping(facts, scope, value, ctx)
                if mapping is not None:
                    named.update(mapping)
        fields = iter(positional)

        def field(match: re.Match[str]) -> str:
            text = match.group()
            if text in ("{{", "}}"):
                return text[0]
            name = text[1:-1].split("!")[0].split(":")[0]
            if name and not name.isdigit():
                return named.get(name.split(".")[0].split("[")[0], WILDCARD)
            if name.isdigit():
                index = int(name)
                return positional[index] if index < len(positional) else WILDCARD
            return next(fields, WILDCARD)

        return _squash(_FORMAT_FIELD.sub(field, template))

    # -- key builders -----------------------------------------------------------------
    def _callees(
        self, facts: ModuleFacts, scope: str, func: ir.IR, ctx: _Ctx
    ) -> list[tuple[Function, Class | None, int]] | None:
        """The project functions a call may run: (function, class for `self`/`cls`,
        how many leading parameters the call binds implicitly)."""
        if isinstance(func, ir.Attr):
            owner: tuple[Class, bool] | None = None
            if isinstance(func.value, ir.Name):
                owner = self._self_class(facts, scope, func.value.id, ctx)
            if owner is None:
                value = self.resolver.value(facts, scope, func.value)
                if isinstance(value, Class):
                    owner = (value, False)
                elif isinstance(value, Instance):
                    owner = (value_class(value), True)
                elif isinstance(value, Client | BoundMethod):
                    return self._fail(f"`{ir.render(func)}(…)` is a value read from Redis")
            if owner is not None:
                cls, instance = owner
                found: list[tuple[Function, Class | None, int]] = []
                for klass in [cls, *self._subclasses_of(cls)]:
                    method = self._method(klass, func.attr, own=klass is not cls)
                    if method is None:
                        continue
                    function, decorators = method
                    if "staticmethod" in decorators:
                        found.append((function, None, 0))
                    elif "classmethod" in decorators or instance:
                        found.append((function, klass, 1))
                    else:
                        found.append((function, None, 0))
                if not found:
                    return self._fail(
                        f"`{ir.render(func)}` is not a method defined in {cls.key} "
                        "or its project base classes"
                    )
                return found
        target = self.resolver.value(facts, scope, func)
        if isinstance(target, Function):
            return [(target, None, 0)]
        if isinstance(target, External):
            return self._fail(
                f"`{ir.render(func)}(…)` is a call into the library {target.qualname}"
            )
        if isinstance(target, Client | BoundMethod):
            return self._fail(f"`{ir.render(func)}(…)` is a value read from Redis")
        if isinstance(target, Class):
            return self._fail(f"`{ir.render(func)}(…)` builds an object, not a key")
        return self._fail(f"`{ir.render(func)}(…)` calls something the model does not follow")

    def _invoke(
        self,
        facts: ModuleFacts,
        scope: str,
        call: ir.Call,
        ctx: _Ctx,
        function: Function,
        this: Class | None,
        offset: int,
    ) -> str | None:
        """The key a builder returns when called with `call`'s arguments."""
        target = self._facts_by_path(function.path)
        if target is None:
            return None
        builder = target.scopes[function.key]
        if builder.is_generator or not builder.returns:
            return self._fail(f"{function.key}() returns no key (no `return` value)")
        if any(ir.dotted(d) not in _BUILDER_DECORATORS for d in builder.decorators):
            return self._fail(f"{function.key}() is decorated: its result is not followed")
        env: list[tuple[str, str | None]] = []
        for param in builder.params[offset:] if offset else builder.params:
            if param.star:
                env.append((param.name, None))
                continue
            arg = None if call.star and param.index >= 0 else argument(call, param, offset)
            if arg is None and call.star:
                arg = call.kwarg(param.name)
            if arg is not None:
                env.append((param.name, self._whole(facts, scope, arg, ctx)))
            elif param.default is not None:
                default = self._whole(target, builder.parent or "", param.default, _ROOT)
                env.append((param.name, default))
            else:
                env.append((param.name, None))
        inner = _Ctx(
            this=this,
            env=tuple(env),
            env_scope=function.key,
            environment_defaults=ctx.environment_defaults,
        )
        globs: list[str | None] = []
        positions = builder.return_positions
        for index, returned in enumerate(builder.returns):
            at = positions[index] if index < len(positions) else None
            globs.append(self._whole(target, function.key, returned, inner.reading_at(at)))
            if globs[-1] is None:
                if isinstance(returned, ir.Const):
                    return self._fail(f"{function.key}() may return {returned.value!r}")
                return None
        return _common(*globs)

    def _method(self, cls: Class, name: str, *, own: bool) -> tuple[Function, set[str]] | None:
        """Method `name` of `cls` (through its project bases unless `own`)."""
        for klass, scope in self._mro(cls) if not own else self._own(cls):
            bindings = [b for b in scope.bindings.get(name, ()) if b.kind != "annotated"]
            if not bindings:
                continue
            defs = [b for b in bindings if b.kind == "def" and b.target]
            if len(defs) != len(bindings):
                return None
            facts = self._facts_by_path(klass.path)
            assert facts is not None
            getters = [b for b in defs if not _is_accessor(facts.scopes[b.target or ""].decorators)]
            if len(getters) != 1 or getters[0].target is None:
                return None
            decorators = {ir.dotted(d) or "" for d in facts.scopes[getters[0].target].decorators}
            return Function(klass.path, getters[0].target), decorators
        return None

    # -- names ------------------------------------------------------------------------
    def _name(self, facts: ModuleFacts, scope: str, name: str, ctx: _Ctx) -> str | None:
        found = self.resolver.lookup(facts, scope, name)
        if found is None:
            return self._fail(f"`{name}` is not defined in the module (a builtin or `*` import)")
        owner, bindings = found
        if ctx.at is not None and owner.key == scope and owner.kind != "class":
            bindings = _reaching(bindings, ctx.at, name in owner.comprehension_names)
        return self._from_bindings(facts, owner, bindings, name, ctx)

    def _from_bindings(
        self,
        facts: ModuleFacts,
        owner: Scope,
        bindings: Iterable[Binding],
        name: str,
        ctx: _Ctx,
    ) -> str | None:
        globs: list[str | None] = []
        for binding in bindings:
            if binding.kind == "assign" and binding.value is not None:
                inner = ctx.reading_at(binding.position)
                glob = self._whole(facts, binding.scope, binding.value, inner)
            elif binding.kind == "import" and binding.qualname:
                glob = self._imported(binding.qualname, facts)
            elif binding.kind == "annotated":
                continue
            elif binding.kind == "unknown" and binding.target == "param":
                glob = self._parameter(owner, name, ctx)
            else:
                return self._fail(_binding_why(binding, name, owner))
            if glob is None:
                return None
            globs.append(glob)
        if not globs:
            return self._fail(f"`{name}` is only declared, never assigned")
        return _common(*globs)

    def _parameter(self, owner: Scope, name: str, ctx: _Ctx) -> str | None:
        if ctx.env is not None and ctx.env_scope == owner.key:
            for param, glob in ctx.env:
                if param == name:
                    if glob is None:
                        return self._fail(
                            f"the argument passed for `{name}` of {owner.key}() is not resolved"
                        )
                    return glob
        return self._fail(
            f"`{name}` is a parameter of {owner.key}(): keys passed in by callers are not followed"
        )

    def _imported(self, qualname: str, near: ModuleFacts) -> str | None:
        module_name, _, name = qualname.rpartition(".")
        target = self.resolver.load_module(module_name, near.path) if module_name else None
        if target is None:
            return self._fail(f"`{name}` is imported from {qualname} (outside the project)")
        return self.glob(target, "", ir.Name(name), whole=True)

    # -- attributes -------------------------------------------------------------------
    def _attribute(self, facts: ModuleFacts, scope: str, expr: ir.Attr, ctx: _Ctx) -> str | None:
        owner: tuple[Class, bool] | None = None
        if isinstance(expr.value, ir.Name):
            owner = self._self_class(facts, scope, expr.value.id, ctx)
        if owner is None:
            base = self.resolver.value(facts, scope, expr.value)
            if isinstance(base, Class):
                owner = (base, False)
            elif isinstance(base, Instance):
                owner = (value_class(base), True)
            elif isinstance(base, ProjectModule):
                target = self._facts_by_path(base.path)
                if target is None:
                    return None
                return self.glob(target, "", ir.Name(expr.attr), whole=True)
            elif isinstance(base, External):
                return self._fail(f"`{ir.render(expr)}` comes from the library {base.qualname}")
            else:
                return self._fail(self._unknown_object(facts, scope, expr))
        cls, instance = owner
        return self._member(cls, expr.attr, instance)

    def _unknown_object(self, facts: ModuleFacts, scope: str, expr: ir.Attr) -> str:
        base = expr.value
        if isinstance(base, ir.Name):
            found = self.resolver.lookup(facts, scope, base.id)
            if found is not None and any(
                b.kind == "unknown" and b.target == "param" for b in found[1]
            ):
                return (
                    f"`{ir.render(expr)}`: `{base.id}` is a parameter of {found[0].key}() "
                    "whose type is not known"
                )
        return f"`{ir.render(expr)}`: the object `{ir.render(base)}` is not known"

    def _member(self, cls: Class, attr: str, instance: bool) -> str | None:
        """Attribute `attr` of `cls` (an instance of it when `instance`), including what
        project subclasses assign instead: `self` may be any of them."""
        globs: list[str | None] = []
        found = self._lookup(cls, attr, instance, cls, own=False)
        if found is None:
            bases = self._external_bases(cls)
            extra = f" (it may come from the library base {bases[0]})" if bases else ""
            return self._fail(
                f"`{attr}` is not assigned in {cls.key} or its project base classes{extra}"
            )
        globs += found
        for sub in self._subclasses_of(cls):
            globs += self._lookup(sub, attr, instance, sub, own=True) or []
        if any(g is None for g in globs):
            return None
        return _common(*globs)

    def _lookup(
        self, cls: Class, attr: str, instance: bool, this: Class, *, own: bool
    ) -> list[str | None] | None:
        """The values `attr` may have, looked up in `cls` (and its bases unless `own`):
        instance attributes assigned in any of their methods, then the first class-level
        definition (a constant, a property). None when it is defined nowhere."""
        classes = self._own(cls) if own else self._mro(cls)
        globs: list[str | None] = []
        defined = False
        for klass, scope in classes:
            facts = self._facts_by_path(klass.path)
            assert facts is not None
            if instance:
                for binding in scope.self_attrs.get(attr, ()):
                    defined = True
                    inner = _Ctx(at=binding.position, this=this)
                    if binding.value is None:
                        globs.append(self._fail(f"`self.{attr}` is assigned a value not followed"))
                    else:
                        globs.append(self._whole(facts, binding.scope, binding.value, inner))
        for klass, scope in classes:
            bindings = [b for b in scope.bindings.get(attr, ()) if b.kind != "annotated"]
            if not bindings:
                continue
            defined = True
            facts = self._facts_by_path(klass.path)
            assert facts is not None
            for binding in bindings:
                if (
                    binding.kind == "def"
                    and binding.target
                    and _is_accessor(facts.scopes[binding.target].decorators)
                ):
                    continue  # a property's setter / deleter: the getter decides
                globs.append(self._class_binding(facts, klass, scope, attr, binding, this))
            break
        return globs if defined else None

    def _class_binding(
        self,
        facts: ModuleFacts,
        klass: Class,
        scope: Scope,
        attr: str,
        binding: Binding,
        this: Class,
    ) -> str | None:
        if binding.kind == "assign" and binding.value is not None:
            return self._whole(facts, scope.key, binding.value, _Ctx(this=this))
        if binding.kind == "import" and binding.qualname:
            return self._imported(binding.qualname, facts)
        if binding.kind == "def" and binding.target:
            method = facts.scopes[binding.target]
            names = {ir.dotted(d) for d in method.decorators}
            if not names & _PROPERTY_DECORATORS:
                return self._fail(f"`{attr}` is a method of {klass.key}, not a key")
            call = ir.Call(ir.Attr(ir.Name("self"), attr), (), ())
            return self._invoke(
                facts, scope.key, call, _ROOT, Function(klass.path, binding.target), this, 1
            )
        return self._fail(_binding_why(binding, attr, scope))

    def _self_class(
        self, facts: ModuleFacts, scope_key: str, name: str, ctx: _Ctx
    ) -> tuple[Class, bool] | None:
        """(class, is an instance) when `name` is the `self` or `cls` of a method; the
        class is the one the evaluation runs for (`ctx.this`) when there is one."""
        scope = facts.scopes.get(scope_key)
        while scope is not None and scope.kind in ("function", "lambda"):
            first = scope.params[0].name if scope.params else None
            if first == name:
                if scope.parent_kind != "class" or scope.parent is None:
                    return None
                bindings = scope.bindings.get(name, [])
                if len(bindings) != 1:
                    return None  # `self` rebound in the method
                decorators = {ir.dotted(d) for d in scope.decorators}
                if "staticmethod" in decorators:
                    return None
                own = Class(facts.path, scope.parent)
                cls = ctx.this if ctx.this is not None else own
                return cls, "classmethod" not in decorators
            if name in scope.bindings:
                return None
            scope = facts.scopes.get(scope.parent) if scope.parent is not None else None
        return None

    # -- classes ----------------------------------------------------------------------
    def _own(self, cls: Class) -> list[tuple[Class, Scope]]:
        facts = self._facts_by_path(cls.path)
        if facts is None or cls.key not in facts.scopes:
            return []
        return [(cls, facts.scopes[cls.key])]

    def _mro(self, cls: Class) -> list[tuple[Class, Scope]]:
        """`cls` and its project base classes, depth first (also in other modules)."""
        order: list[tuple[Class, Scope]] = []
        pending = [cls]
        seen: set[Class] = set()
        while pending and len(order) < 32:
            klass = pending.pop(0)
            if klass in seen:
                continue
            seen.add(klass)
            own = self._own(klass)
            if not own:
                continue
            order += own
            scope = own[0][1]
            facts = self._facts_by_path(klass.path)
            assert facts is not None
            bases = [self.resolver.value(facts, scope.parent or "", b) for b in scope.bases]
            pending = [b for b in bases if isinstance(b, Class)] + pending
        return order

    def _external_bases(self, cls: Class) -> list[str]:
        found: list[str] = []
        for klass, scope in self._mro(cls):
            facts = self._facts_by_path(klass.path)
            assert facts is not None
            for base in scope.bases:
                value = self.resolver.value(facts, scope.parent or "", base)
                if isinstance(value, External):
                    found.append(value.qualname)
        return found

    def _subclasses_of(self, cls: Class) -> list[Class]:
        """Project subclasses of `cls` defined in its own module (transitively)."""
        known = self._subclasses.get(cls)
        if known is not None:
            return known
        facts = self._facts_by_path(cls.path)
        found: list[Class] = []
        if facts is not None:
            wanted = {cls}
            changed = True
            while changed:
                changed = False
                for scope in facts.scopes.values():
                    klass = Class(facts.path, scope.key)
                    if scope.kind != "class" or klass in wanted:
                        continue
                    for base in scope.bases:
                        if self.resolver.value(facts, scope.parent or "", base) in wanted:
                            wanted.add(klass)
                            found.append(klass)
                            changed = True
                            break
        self._subclasses[cls] = found
        return found

    # -- spelling (identity) ------------------------------------------------------------
    def _spelled(self, facts: ModuleFacts, scope: str, expr: ir.IR, ctx: _Ctx) -> tuple[ir.IR, str]:
        """The expression a local alias stands for where it is read (`k` assigned once
        before `r.set(k)` is spelled as its value), so that two keys held in one
        variable at different times are told apart."""
        at = ctx.at
        for _ in range(_MAX_SPELLING_DEPTH):
            if not isinstance(expr, ir.Name) or at is None:
                break
            found = self.resolver.lookup(facts, scope, expr.id)
            if found is None or found[0].key != scope or found[0].kind == "class":
                break
            comprehension = expr.id in found[0].comprehension_names
            reaching = [b for b in _reaching(found[1], at, comprehension) if b.kind != "annotated"]
            if len(reaching) != 1 or reaching[0].kind != "assign" or reaching[0].value is None:
                break
            expr, at = reaching[0].value, reaching[0].position
        return expr, scope


def value_class(value: Instance) -> Class:
    return Class(value.path, value.key)


def _is_accessor(decorators: list[ir.IR]) -> bool:
    """`@x.setter` / `@x.deleter`: not the getter of property `x`."""
    return any(isinstance(d, ir.Attr) and d.attr in ("setter", "deleter") for d in decorators)


def _binding_why(binding: Binding, name: str, owner: Scope) -> str:
    where = f" in {owner.key}()" if owner.kind in ("function", "lambda") else ""
    if binding.kind == "unknown":
        if binding.target == "loop":
            return f"`{name}` is a loop variable{where}"
        if binding.target == "comp":
            return f"`{name}` is a comprehension variable{where}"
        return f"`{name}` is bound by an unpacking or `except ... as`{where}"
    if binding.kind == "with":
        return f"`{name}` is bound by a `with` statement{where}"
    if binding.kind == "def":
        return f"`{name}` is a function, not a key"
    if binding.kind == "class":
        return f"`{name}` is a class, not a key"
    return f"`{name}` has a value the model does not follow{where}"


def _reaching(bindings: list[Binding], at: Position, comprehension: bool) -> list[Binding]:
    """The bindings of a local name that may reach the read at `at`.

    The last binding before the read in a block around it (or in the same block)
    dominates the read; bindings after it in branches may reach too, and so may
    bindings later in a loop around the read when the dominating one is outside that
    loop. Without a dominating binding (or for comprehension variables) all bindings
    count: flow-insensitive, as before. So do all bindings of a name some comprehension
    binds (`comprehension`: the scope's `comprehension_names`, not a scan per read).
    """
    if comprehension:
        return bindings
    # A name's bindings are in walk order (`seq` grows as they are made), so the ones
    # before the read are a prefix found by bisection, and the search for the
    # dominating one starts at the read: N reads of a name rebound N times stay
    # linear (issue 12), where filtering the whole list for each read was quadratic.
    cut = bisect_left(bindings, at.seq, key=_seq)
    dominating = -1
    for index in range(cut - 1, -1, -1):
        blocks = bindings[index].blocks
        if at.blocks[: len(blocks)] == blocks:
            dominating = index
            break
    if dominating < 0:
        return bindings
    reach = bindings[dominating:cut]
    outer = bindings[dominating].blocks
    loops = [block for block in at.blocks if block[2] == "loop" and block not in outer]
    if loops:
        for binding in bindings:
            if binding.seq > at.seq and any(loop in binding.blocks for loop in loops):
                reach.append(binding)
    return reach


def _seq(binding: Binding) -> int:
    return binding.seq


def _unescape(glob: str | None) -> str | None:
    """The text of a glob without wildcards, else None."""
    if glob is None or WILDCARD in glob.replace("[*]", "") or "?" in glob.replace("[?]", ""):
        return None
    return glob.replace("[*]", "*").replace("[?]", "?").replace("[[]", "[")


def _literal_glob(expr: ir.IR) -> str | None:
    """The glob of a key written out in full (a string, an f-string without a value in
    it, an int), as `KeyResolver.glob` gives it; None for anything else. Such a key
    reads nothing of the module, so it needs none of the evaluation's lookups and memos
    (a third to a half of the keys of ordinary code)."""
    if isinstance(expr, ir.Str):
        return _escape(expr.value)
    if isinstance(expr, ir.FStr):
        texts = [part for part in expr.parts if isinstance(part, str)]
        if len(texts) == len(expr.parts):
            return _squash("".join(_escape(text) for text in texts))
        return None
    if isinstance(expr, ir.Num) and isinstance(expr.value, int):
        return str(expr.value)
    return None


def _has_literal(glob: str) -> bool:
    """Whether some token is not the wildcard (a literal character, `?` or a class):
    whether anything but `*` is left in the text."""
    return bool(glob.replace(WILDCARD, ""))


def _common(*globs: str | None) -> str | None:
    """One pattern containing every glob: the common literal start and end around a
    `*` (`a:1`, `a:2` -> `a:*`). None when one of them is unknown or nothing is common."""
    if not globs or any(g is None for g in globs):
        return None
    distinct = list(dict.fromkeys(g for g in globs if g is not None))
    if len(distinct) == 1:
        return distinct[0]
    tokens = [glob_tokens(g) for g in distinct]
    shortest = min(len(t) for t in tokens)
    prefix = 0
    while prefix < shortest and all(t[prefix] == tokens[0][prefix] for t in tokens):
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix and all(
        t[-1 - suffix] == tokens[0][-1 - suffix] for t in tokens
    ):
        suffix += 1
    head = "".join(tokens[0][:prefix])
    tail = "".join(tokens[0][len(tokens[0]) - suffix :]) if suffix else ""
    return _squash(head + WILDCARD + tail)


def _squash(glob: str) -> str:
    while "**" in glob:
        glob = glob.replace("**", "*")
    return glob


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
