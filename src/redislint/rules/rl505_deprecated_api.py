"""RL505 deprecated-api: redis-py APIs that are deprecated or removed.

Two sources:

- what the installed redis-py deprecates itself (`data/deprecations.json`, generated
  from its source): methods such as `hmset`, `setex`, the asyncio `close()`, a client's
  `watch()`, and constructor arguments such as `retry_on_timeout`;
- the catalogue's list: `StrictRedis` (an alias kept for 2.x code), and the 2.x argument
  orders `zadd(name, score, member)` and `lrem(name, value, num)`, which redis-py 3+
  reads differently.

Safe fixes: `hmset(name, mapping)` -> `hset(name, mapping=mapping)` (never
`hset(name, d)`: the second parameter of `hset` is a field), `setex(name, time, value)`
-> `set(name, value, ex=time)`, and `StrictRedis` -> `Redis` (the import and every
reference in one fix).
"""

from __future__ import annotations

import re

import libcst as cst

from redislint.rules._base import NodeEdit, NodeFix, Rule
from redislint.semantics import ir
from redislint.semantics.clients import CONSTRUCTORS, External
from redislint.semantics.deprecations import Deprecation, Deprecations
from redislint.semantics.model import RedisCall
from redislint.semantics.pipelines import queued_on_local
from redislint.semantics.scopes import CallSite
from redislint.semantics.usage import BodyIndex

_STRICT = "StrictRedis"
# `x.StrictRedis` as Python may write it: spaces, line continuations and comments may
# stand between the dot and the name inside brackets.
_STRICT_ATTRIBUTE = re.compile(r"\.(?:\s|\\|#[^\n]*)*StrictRedis\b")
# Modules that export StrictRedis next to Redis.
_STRICT_MODULES = frozenset({"redis", "redis.client", "redis.asyncio", "redis.asyncio.client"})


class DeprecatedApi(Rule):
    CODE = "RL505"

    def check(self) -> None:
        self.data = Deprecations.load()
        self.calls = {id(call.node): call for call in self.model.redis_calls}
        names = self.data.method_names()
        source = self.model.source
        # Deprecated keywords the text never spells cannot be passed: most files skip
        # the look at every call's arguments.
        arguments = {a for table in self.data.arguments.values() for a in table if a in source}
        for site in self.model.facts.calls:
            method = site.method
            if method in names:
                self._method(site, method)
            elif method in ("zadd", "lrem"):
                call = self.calls.get(id(site.node))
                if call is not None:
                    self._old_order(call)
            # keywords read from the node: `site.ir` would convert every call of the file
            if arguments and any(
                a.keyword is not None and a.keyword.value in arguments for a in site.node.args
            ):
                self._constructor(site)
        if _STRICT in self.model.source:
            self._strict_redis()

    # -- redis-py's own deprecations --------------------------------------------------
    def _method(self, site: CallSite, method: str) -> None:
        assert site.receiver is not None
        client = self.model.client_of(site.scope, site.receiver)
        if client is None:
            return
        found = self.data.method(client, method)
        if found is None or self._fallback_of_probe(site, method):
            return
        message = f"{method}() is deprecated: {_said(found, self.data)}"
        call = self.calls.get(id(site.node))
        if method == "hmset" and call is not None:
            self.report(
                site.node,
                message,
                statement=site.statement,
                hint="use hset(name, mapping=...): hset's second parameter is a field, not"
                " a mapping",
                fix=self._hmset_fix(call),
            )
        elif method == "setex" and call is not None:
            self._setex(call, message)
        else:
            self.report(site.node, message, statement=site.statement, hint=_hint(found))

    def _fallback_of_probe(self, site: CallSite, method: str) -> bool:
        """Whether the call runs only where its receiver lacks another method: the else
        branch of `if hasattr(r, "aclose"):` or the body of `if not hasattr(r, ...)`.
        That is code supporting several redis-py versions, falling back to the old name
        where the new one does not exist (saq's `close()`); it is not a use to migrate."""
        func = site.node.func
        if not isinstance(func, cst.Attribute):
            return False
        body = self.model.usage.body(site.scope, site.statement)
        child: cst.CSTNode = site.node
        parent = body.parent_of(child)
        while parent is not None:
            if isinstance(parent, cst.If) and child is not parent.test:
                probe = _hasattr_probe(parent.test)
                if probe is not None:
                    negated, target, name = probe
                    in_fallback = (child is parent.body) if negated else (child is parent.orelse)
                    if in_fallback and name != method and target.deep_equals(func.value):
                        return True
            child, parent = parent, body.parent_of(parent)
        return False

    def _constructor(self, site: CallSite) -> None:
        made = self.model.resolver.value(self.model.facts, site.scope, site.func)
        if not isinstance(made, External) or made.qualname not in CONSTRUCTORS:
            return
        client = CONSTRUCTORS[made.qualname]
        kind = Deprecations.kind_of(client)
        table = self.data.arguments.get(kind or "", {})
        for argument in site.node.args:
            if argument.keyword is None or argument.keyword.value not in table:
                continue
            found = table[argument.keyword.value]
            self.report(
                argument,
                f"the {argument.keyword.value}= argument of {made.qualname.split('.')[-1]}()"
                f" is deprecated: {_said(found, self.data)}",
                statement=site.statement,
                hint=_hint(found),
            )

    # -- hmset -> hset(name, mapping=...) ---------------------------------------------
    def _hmset_fix(self, call: RedisCall) -> NodeFix | None:
        node = call.node
        if any(a.star for a in node.args) or len(node.args) != 2:
            return None
        name, mapping = call.param("name"), call.param("mapping")
        if name is None or mapping is None or not self._reply_unread(call):
            return None
        func = node.func
        assert isinstance(func, cst.Attribute)
        args = [
            name.with_changes(comma=_comma(name.comma)),
            _keyword("mapping", mapping.value, mapping.comma),
        ]
        if node.args[0] is mapping:
            return None  # mapping= given before name=: leave the rewrite to a person
        new = node.with_changes(func=func.with_changes(attr=cst.Name("hset")), args=args)
        return NodeFix(
            "safe",
            "Replace hmset(name, mapping) with hset(name, mapping=mapping)",
            (NodeEdit(node, new),),
        )

    def _reply_unread(self, call: RedisCall) -> bool:
        """hmset replies True, hset the number of new fields: the fix is safe only where
        nobody reads the reply (a pipeline's: nobody reads what `execute()` returns)."""
        if call.client.kind == "pipeline":
            local = queued_on_local(self.model).get(id(call))
            return local is not None and not local.replies_used()
        body = self.model.usage.body(call.site.scope, call.site.statement)
        return body.consumer(call.node).kind == "discarded"

    # -- setex -> set(name, value, ex=time) -------------------------------------------
    def _setex(self, call: RedisCall, message: str) -> None:
        node = call.node
        name, time, value = call.param("name"), call.param("time"), call.param("value")
        hint = "use set(name, value, ex=time)"
        fix = None
        if (
            name is None
            or time is None
            or value is None
            or any(a.star for a in node.args)
            or len(node.args) != 3
        ):
            pass
        elif _is_number(value.value) and not _is_number(time.value) and _is_literal(time.value):
            hint = (
                "the arguments look like the redis-py 2.x order setex(name, value, time);"
                " redis-py 3+ takes setex(name, time, value): use set(name, value, ex=time)"
            )
        else:  # SETEX and SET EX both reply OK (True): any use of the reply is unchanged
            func = node.func
            assert isinstance(func, cst.Attribute)
            args = [
                _positional(name.value),
                _positional(value.value),
                _keyword("ex", time.value, cst.MaybeSentinel.DEFAULT),
            ]
            new = node.with_changes(func=func.with_changes(attr=cst.Name("set")), args=args)
            title = "Replace setex(name, time, value) with set(name, value, ex=time)"
            if _int_or_timedelta(time.value):
                fix = NodeFix("safe", title, (NodeEdit(node, new),))
            else:  # setex sends any value; set() raises DataError unless ex is one of those
                title += " (set() accepts only an int, a timedelta or a digit string as ex)"
                fix = NodeFix("unsafe", title, (NodeEdit(node, new),))
        self.report_call(call, message, hint=hint, fix=fix)

    # -- 2.x argument orders -----------------------------------------------------------
    def _old_order(self, call: RedisCall) -> None:
        node = call.node
        if any(a.star for a in node.args):
            return
        positional = [a.value for a in node.args if a.keyword is None]
        if call.method == "zadd" and len(positional) >= 3 and _is_number(positional[1]):
            self.report_call(
                call,
                "zadd(name, score, member) is the redis-py 2.x argument order: redis-py 3+"
                " takes zadd(name, mapping) and fails on a score in the mapping's place",
                hint="pass the members as a mapping: zadd(name, {member: score})",
            )
        elif (
            call.method == "lrem"
            and len(positional) == 3
            and isinstance(positional[2], cst.Integer)
            and not _is_number(positional[1])
        ):
            self.report_call(
                call,
                "lrem(name, value, num) is the redis-py 2.x argument order: redis-py 3+"
                " takes lrem(name, count, value), so the count is sent as the value",
                hint="swap them: lrem(name, count, value)",
            )

    # -- StrictRedis --------------------------------------------------------------------
    def _strict_redis(self) -> None:
        module = self.model.facts.module
        assert module is not None
        facts = self.model.facts
        if any(_STRICT in s.bindings for key, s in facts.scopes.items() if key):
            return  # rebound in a function or class: which one a name means is unproven
        found: list[tuple[cst.CSTNode, cst.CSTNode]] = []  # (reported node, node to rename)
        imports: list[tuple[cst.ImportFrom, cst.ImportAlias]] = []
        bound = facts.scopes[""].bindings.get(_STRICT, [])
        from_redis = bool(bound) and all(
            b.kind == "import" and (b.qualname or "").rpartition(".")[0] in _STRICT_MODULES
            for b in bound
        )
        # A module that lists the name in `__all__` re-exports the alias for its users
        # (redis-py's own `redis/__init__.py`): the import is an export, not a use.
        exported = "__all__" in facts.scopes[""].bindings and any(
            f"{quote}{_STRICT}{quote}" in self.model.source for quote in ("'", '"')
        )
        for statement in module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
                    continue
                dotted = ir.dotted(ir.from_cst(small.module)) if small.module else None
                if small.relative or dotted not in _STRICT_MODULES:
                    continue
                for alias in small.names:
                    if isinstance(alias.name, cst.Name) and alias.name.value == _STRICT:
                        imports.append((small, alias))
                        if not exported:
                            found.append((alias, alias.name))
        aliased = any(alias.asname is not None for _, alias in imports)
        uses_name = from_redis and not aliased
        # The module-wide index is a second walk of the module: built only when a use
        # can exist (the imported name, or `something.StrictRedis` in the text) or a
        # fix needs it, not for every file whose text merely says StrictRedis.
        if not (uses_name or found or _STRICT_ATTRIBUTE.search(self.model.source)):
            return
        index = BodyIndex.build(module)
        if uses_name:
            for name in index.names.get(_STRICT, []):
                if not isinstance(index.parent_of(name), cst.ImportAlias):
                    found.append((name, name))
        for attribute in index.attributes.get(_STRICT, []):
            value = self.model.resolver.value(facts, "", ir.from_cst(attribute.value))
            if isinstance(value, External) and value.qualname in _STRICT_MODULES:
                found.append((attribute, attribute.attr))
        if not found:
            return
        fix = self._strict_fix(found, imports, index)
        for reported, _ in found:
            self.report(
                reported,
                "StrictRedis is a legacy alias of Redis, kept only so that redis-py 2.x code runs"
                " (since redis-py 3.0 Redis is the strict client)",
                hint="use Redis",
                fix=fix,
            )

    def _strict_fix(
        self,
        found: list[tuple[cst.CSTNode, cst.CSTNode]],
        imports: list[tuple[cst.ImportFrom, cst.ImportAlias]],
        index: BodyIndex,
    ) -> NodeFix | None:
        facts = self.model.facts
        module_scope = facts.scopes[""]
        if "__all__" in module_scope.bindings or facts.is_package:
            return None  # the name may be exported: other modules would lose it
        for key, scope in facts.scopes.items():
            for binding in scope.bindings.get("Redis", []):
                if key or binding.kind != "import":
                    return None  # `Redis` means something else here
                if (binding.qualname or "").rpartition(".")[0] not in _STRICT_MODULES:
                    return None
        edits: list[NodeEdit] = []
        rewritten: set[int] = set()
        for statement, _alias in imports:
            if id(statement) in rewritten:
                continue
            rewritten.add(id(statement))
            edits.append(NodeEdit(statement, _import_without_strict(statement)))
        for reported, target in found:
            if isinstance(reported, cst.ImportAlias):
                continue
            edits.append(NodeEdit(target, "Redis"))
        return NodeFix("safe", "Replace StrictRedis with Redis", tuple(edits))


def _import_without_strict(statement: cst.ImportFrom) -> cst.ImportFrom:
    """`from redis import StrictRedis` -> `from redis import Redis`; when Redis is
    imported by the same statement, StrictRedis is dropped instead."""
    assert not isinstance(statement.names, cst.ImportStar)
    names = list(statement.names)
    has_redis = any(
        isinstance(a.name, cst.Name) and a.name.value == "Redis" and a.asname is None for a in names
    )
    result: list[cst.ImportAlias] = []
    for alias in names:
        if isinstance(alias.name, cst.Name) and alias.name.value == _STRICT:
            if has_redis and alias.asname is None:
                continue
            alias = alias.with_changes(name=cst.Name("Redis"))
        result.append(alias)
    if result and len(result) < len(names):
        result[-1] = result[-1].with_changes(comma=names[-1].comma)
    return statement.with_changes(names=result)


def _said(found: Deprecation, data: Deprecations) -> str:
    since = f" since {found.version}" if found.version else ""
    return f'redis-py {data.redis_py_version} says "{found.reason.rstrip(".")}"{since}'


def _hint(found: Deprecation) -> str:
    return found.reason or "see redis-py's changelog"


def _unsigned(node: cst.BaseExpression) -> cst.BaseExpression:
    """`node` without a leading minus sign (`-5` -> `5`)."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return node.expression
    return node


def _is_number(node: cst.BaseExpression) -> bool:
    return isinstance(_unsigned(node), cst.Integer | cst.Float)


def _int_or_timedelta(node: cst.BaseExpression) -> bool:
    """An int literal or a `timedelta(...)` call: what both setex and set(ex=) send alike
    (a float, bytes or a NumPy integer reaches the server from setex, but set() refuses
    it before sending)."""
    node = _unsigned(node)
    if isinstance(node, cst.Integer):
        return True
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    if isinstance(func, cst.Attribute):  # datetime.timedelta(...)
        return func.attr.value == "timedelta"
    return isinstance(func, cst.Name) and func.value == "timedelta"


def _is_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString)


def _comma(comma: cst.Comma | cst.MaybeSentinel) -> cst.Comma:
    return (
        comma
        if isinstance(comma, cst.Comma)
        else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    )


def _positional(value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(value=value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))


def _keyword(name: str, value: cst.BaseExpression, comma: cst.Comma | cst.MaybeSentinel) -> cst.Arg:
    return cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
        comma=comma,
    )


def _hasattr_probe(test: cst.BaseExpression) -> tuple[bool, cst.BaseExpression, str] | None:
    """(negated, object, attribute name) of `hasattr(object, "name")` or
    `not hasattr(object, "name")`; None for any other test."""
    negated = False
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        negated, test = True, test.expression
    if not (
        isinstance(test, cst.Call)
        and isinstance(test.func, cst.Name)
        and test.func.value == "hasattr"
        and len(test.args) == 2
        and all(a.keyword is None and not a.star for a in test.args)
    ):
        return None
    name = test.args[1].value
    if not isinstance(name, cst.SimpleString):
        return None
    value = name.evaluated_value
    return (negated, test.args[0].value, value) if isinstance(value, str) else None
