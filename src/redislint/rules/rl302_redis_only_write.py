"""RL302 redis-only-write: a critical key written while the primary database is not.

A key whose namespace has role "critical" is a copy of data whose source of truth is
the primary database (rules.md "Roles"). A function that writes such a key but never
writes the database, neither itself nor through a project function it calls, makes
Redis the only holder of that change: a restart without persistence, a failover or an
eviction loses it for good. Keys with role "primary" are Redis's own data and exempt.

What counts as a primary-database write is shared knowledge in
`semantics/primary_db.py`. This module decides *where* to look and *where* to report:

- one finding per function, at its first write of a critical key;
- a write through a client or pipeline that the function received as a parameter is
  judged at the callers (rules.md): a caller that passes its own client to such a
  helper writes the critical key through it, and the finding lands on that call
  (or on the `transaction(fn, ...)` call for a transaction callback).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.clients import Class, Client, Function
from redislint.semantics.model import FileModel, RedisCall
from redislint.semantics.primary_db import PrimaryDbWrites
from redislint.semantics.scopes import CallSite, ModuleFacts, Scope

# What a caller passes to a helper: only the command's keys and write flag are read.
_ASSUMED_CLIENT = Client("client")
HINT = "write the source of truth first (or in the same unit of work), then Redis"
# How many helper levels a client passed as an argument is followed.
MAX_HELPER_DEPTH = 3


@dataclass(frozen=True)
class _CriticalWrite:
    """A place in a function where a critical key gets written (directly or via a helper)."""

    order: int
    glob: str
    node: cst.CSTNode
    statement: cst.CSTNode
    call: RedisCall | None = None


class RedisOnlyWrite(Rule):
    CODE = "RL302"

    def check(self) -> None:
        if not any(entry.role == "critical" for entry in self.model.keyspace):
            return
        self._writes = PrimaryDbWrites(
            self.model.resolver, self.model.keys, self.model.config.primary_db_writes
        )
        self._models: dict[str, FileModel] = {self.model.facts.path: self.model}
        self._by_scope: dict[str, dict[str, list[RedisCall]]] = {}
        self._deferred_memo: dict[tuple[str, str], dict[str, str]] = {}
        facts = self.model.facts
        for scope in facts.functions():
            if scope.kind != "function":
                continue
            first = self._first_critical_write(facts, scope)
            if first is None or self._writes.function_writes(facts, scope.key):
                continue
            message = (
                f"writes critical key '{first.glob}' to Redis only: no primary-database"
                " write in this function or its callees"
            )
            if first.call is not None:
                self.report_call(first.call, message, hint=HINT)
            else:
                self.report(first.node, message, statement=first.statement, hint=HINT)

    # -- critical writes ------------------------------------------------------------
    def _first_critical_write(self, facts: ModuleFacts, scope: Scope) -> _CriticalWrite | None:
        found: list[_CriticalWrite] = []
        for call in self._calls_in(facts, scope):
            glob = self._critical_glob(call)
            if glob is not None and self._parameter_root(facts, scope, _receiver(call)) is None:
                found.append(
                    _CriticalWrite(call.site.order, glob, call.node, call.site.statement, call)
                )
                break
        for site in scope.calls:
            for argument, glob in self._through_helper(facts, site, MAX_HELPER_DEPTH):
                if self._parameter_root(facts, scope, argument) is not None:
                    continue  # passed on from our own caller: judged there
                if self.model.resolver.client(facts, site.scope, argument) is None:
                    continue
                found.append(_CriticalWrite(site.order, glob, site.node, site.statement))
                break
        return min(found, key=lambda w: w.order) if found else None

    def _critical_glob(self, call: RedisCall) -> str | None:
        if not call.is_write:
            return None
        for key in call.written_keys:  # SORT ... STORE writes its destination only
            if key.pattern is not None and self.model.role(key.pattern) == "critical":
                return key.pattern.glob
        return None

    # -- helpers that receive the client ----------------------------------------------
    def _through_helper(
        self, facts: ModuleFacts, site: CallSite, depth: int
    ) -> list[tuple[ir.IR, str]]:
        """(argument, glob) for each client argument of `site` that a project helper uses
        to write a critical key (a `transaction(fn, ...)` call passes its receiver)."""
        if depth <= 0:
            return []
        resolver = self.model.resolver
        if site.method == "transaction" and site.receiver is not None and site.ir.args:
            if resolver.client(facts, site.scope, site.receiver) is None:
                return []
            callback = resolver.value(facts, site.scope, site.ir.args[0])
            if not isinstance(callback, Function):
                return []
            deferred = self._deferred(callback, depth - 1)
            target = resolver.module_facts(callback.path)
            if target is None:
                return []
            params = target.scopes[callback.key].params
            if params and params[0].name in deferred:
                return [(site.receiver, deferred[params[0].name])]
            return []
        callee = resolver.value(facts, site.scope, site.func)
        if not isinstance(callee, Function):
            return []
        deferred = self._deferred(callee, depth - 1)
        if not deferred:
            return []
        target = resolver.module_facts(callee.path)
        if target is None:
            return []
        helper = target.scopes[callee.key]
        bound = isinstance(site.func, ir.Attr) and helper.is_method and not _is_static(helper)
        if bound and isinstance(site.func, ir.Attr) and not _is_classmethod(helper):
            # `Store.write(store, r, ...)` passes `self` explicitly
            owner = resolver.value(facts, site.scope, site.func.value)
            bound = not isinstance(owner, Class)
        offset = 1 if bound else 0
        result: list[tuple[ir.IR, str]] = []
        for param in helper.params:
            if param.name not in deferred or param.star:
                continue
            argument: ir.IR | None = None
            position = param.index - offset
            if param.index >= 0 and 0 <= position < len(site.ir.args) and not site.ir.star:
                argument = site.ir.args[position]
            else:
                argument = site.ir.kwarg(param.name)
            if argument is not None:
                result.append((argument, deferred[param.name]))
        return result

    def _deferred(self, function: Function, depth: int) -> dict[str, str]:
        """Parameters of `function` through which it writes a critical key: name -> glob."""
        memo_key = (function.path, function.key)
        if memo_key in self._deferred_memo:
            return self._deferred_memo[memo_key]
        self._deferred_memo[memo_key] = {}  # recursion guard
        facts = self.model.resolver.module_facts(function.path)
        result: dict[str, str] = {}
        if facts is not None and function.key in facts.scopes:
            scope = facts.scopes[function.key]
            model = self._model(facts)
            proven = self._calls_in(facts, scope)
            for call in proven:
                glob = self._critical_glob(call)
                if glob is None:
                    continue
                param = self._parameter_root(facts, scope, _receiver(call))
                if param is not None:
                    result.setdefault(param, glob)
            # A parameter the model could not prove (callers pass different kinds, or the
            # helper lives in another module) is a client on the path from a caller that
            # passes one: read its commands as such.
            seen = {id(call.node) for call in proven}
            for site in scope.calls:
                if id(site.node) in seen or site.receiver is None:
                    continue
                param = self._client_parameter(facts, scope, site.receiver)
                if param is None:
                    continue
                assumed = model.command_call(site, _ASSUMED_CLIENT)
                glob = self._critical_glob(assumed) if assumed is not None else None
                if glob is not None:
                    result.setdefault(param, glob)
            for site in scope.calls:
                for argument, glob in self._through_helper(facts, site, depth):
                    param = self._parameter_root(facts, scope, argument)
                    if param is not None:
                        result.setdefault(param, glob)
        self._deferred_memo[memo_key] = result
        return result

    def _parameter_root(self, facts: ModuleFacts, scope: Scope, expr: ir.IR | None) -> str | None:
        """The parameter of `scope` that `expr` is derived from (`pipe`, `r.pipeline()`,
        `ctx.redis`), or None. `self.x` is the object's own state, not a parameter."""
        resolver = self.model.resolver
        for _ in range(8):
            if expr is None:
                return None
            if isinstance(expr, ir.Await):
                expr = expr.value
            elif isinstance(expr, ir.Call):
                if not isinstance(expr.func, ir.Attr):
                    return None
                expr = expr.func.value
            elif isinstance(expr, ir.Attr):
                if isinstance(expr.value, ir.Name) and resolver._self_class(
                    facts, scope.key, expr.value.id
                ):
                    return None
                expr = expr.value
            elif isinstance(expr, ir.Name):
                if resolver._self_class(facts, scope.key, expr.id) is not None:
                    return None
                found = resolver.lookup(facts, scope.key, expr.id)
                if found is None or found[0] is not scope:
                    return None
                bindings = found[1]
                if any(b.kind == "unknown" and b.target == "param" for b in bindings):
                    return expr.id
                values = [b.value for b in bindings if b.kind in ("assign", "with")]
                if len(values) != 1:
                    return None
                expr = values[0]
            else:
                return None
        return None

    def _client_parameter(self, facts: ModuleFacts, scope: Scope, expr: ir.IR) -> str | None:
        """The parameter `expr` *is*, or whose `pipeline()` it is (`p`, `p.pipeline()`,
        `pipe` from `with p.pipeline() as pipe`). Narrower than `_parameter_root`: any
        other attribute of a parameter (`ctx.cache`) may be something else entirely."""
        resolver = self.model.resolver
        for _ in range(8):
            if isinstance(expr, ir.Await):
                expr = expr.value
            elif (
                isinstance(expr, ir.Call)
                and isinstance(expr.func, ir.Attr)
                and expr.func.attr == "pipeline"
            ):
                expr = expr.func.value
            elif isinstance(expr, ir.Name):
                if resolver._self_class(facts, scope.key, expr.id) is not None:
                    return None
                found = resolver.lookup(facts, scope.key, expr.id)
                if found is None or found[0] is not scope:
                    return None
                bindings = found[1]
                if any(b.kind == "unknown" and b.target == "param" for b in bindings):
                    return expr.id
                values = [b.value for b in bindings if b.kind in ("assign", "with")]
                if len(values) != 1 or values[0] is None:
                    return None
                expr = values[0]
            else:
                return None
        return None

    def _calls_in(self, facts: ModuleFacts, scope: Scope) -> list[RedisCall]:
        """The Redis calls made directly in `scope` (grouped once per module)."""
        grouped = self._by_scope.get(facts.path)
        if grouped is None:
            grouped = self._by_scope[facts.path] = self._model(facts).calls_by_scope()
        return grouped.get(scope.key, [])

    def _model(self, facts: ModuleFacts) -> FileModel:
        """The model of another project module (a helper's), built on the shared resolvers."""
        model = self._models.get(facts.path)
        if model is None:
            model = FileModel(
                facts,
                "",
                facts.path,
                self.model.config,
                self.model.resolver,
                self.model.keys,
                self.model.table,
            )
            self._models[facts.path] = model
        return model


def _receiver(call: RedisCall) -> ir.IR:
    return call.site.receiver or call.site.func


def _is_static(scope: Scope) -> bool:
    return any(ir.dotted(d) == "staticmethod" for d in scope.decorators)


def _is_classmethod(scope: Scope) -> bool:
    return any(ir.dotted(d) == "classmethod" for d in scope.decorators)
