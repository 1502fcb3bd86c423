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
from redislint.semantics.clients import Client, Function
from redislint.semantics.clients import argument as argument_for
from redislint.semantics.model import RedisCall
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
        resolver = self.model.resolver
        found: list[_CriticalWrite] = []
        for call in self._calls_in(facts, scope):
            glob = self._critical_glob(call)
            if (
                glob is not None
                and resolver.parameter_root(facts, scope.key, _receiver(call)) is None
            ):
                found.append(
                    _CriticalWrite(call.site.order, glob, call.node, call.site.statement, call)
                )
                break
        for site in scope.calls:
            for argument, glob in self._through_helper(facts, site, MAX_HELPER_DEPTH):
                if resolver.parameter_root(facts, scope.key, argument) is not None:
                    continue  # passed on from our own caller: judged there
                if resolver.client(facts, site.scope, argument) is None:
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
        offset = resolver.bound_offset(facts, site, helper)
        result: list[tuple[ir.IR, str]] = []
        for param in helper.params:
            if param.name not in deferred:
                continue
            passed = argument_for(site.ir, param, offset)
            if passed is not None:
                result.append((passed, deferred[param.name]))
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
            model = self.model.model_of(facts)
            proven = self._calls_in(facts, scope)
            for call in proven:
                glob = self._critical_glob(call)
                if glob is None:
                    continue
                param = self.model.resolver.parameter_root(facts, scope.key, _receiver(call))
                if param is not None:
                    result.setdefault(param, glob)
            # A parameter the model could not prove (callers pass different kinds, or the
            # helper lives in another module) is a client on the path from a caller that
            # passes one: read its commands as such.
            seen = {id(call.node) for call in proven}
            for site in scope.calls:
                if id(site.node) in seen or site.receiver is None:
                    continue
                param = self.model.resolver.parameter_root(
                    facts, scope.key, site.receiver, through=False
                )
                if param is None:
                    continue
                assumed = model.command_call(site, _ASSUMED_CLIENT)
                glob = self._critical_glob(assumed) if assumed is not None else None
                if glob is not None:
                    result.setdefault(param, glob)
            for site in scope.calls:
                for argument, glob in self._through_helper(facts, site, depth):
                    param = self.model.resolver.parameter_root(facts, scope.key, argument)
                    if param is not None:
                        result.setdefault(param, glob)
        self._deferred_memo[memo_key] = result
        return result

    def _calls_in(self, facts: ModuleFacts, scope: Scope) -> list[RedisCall]:
        """The Redis calls made directly in `scope` (grouped once per module)."""
        grouped = self._by_scope.get(facts.path)
        if grouped is None:
            grouped = self._by_scope[facts.path] = self.model.model_of(facts).calls_by_scope()
        return grouped.get(scope.key, [])


def _receiver(call: RedisCall) -> ir.IR:
    return call.site.receiver or call.site.func
