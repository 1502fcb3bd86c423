"""RL104 lock-release-without-owner-check: a lock key deleted without checking its token.

A lock taken with `SET key token NX PX ttl` must be released only by its holder. A
plain DEL (or UNLINK) removes whoever holds it now: when the first holder ran past the
TTL, the lock expired, a second worker took it, and the first worker's DEL releases the
second worker's lock, so a third one gets in while the second is still working. A GET
that compares the token before the DEL does not help: the lock can expire and change
hands between the two commands. The owner check has to be atomic: a Lua
compare-and-delete (redis-py's `Lock.release()` does exactly that), or WATCH/MULTI.

A key is a lock key when its pattern is written with NX (SET nx=True, SETNX) or is the
name of a redis-py Lock *anywhere in the project* (`semantics/locks.py`, the "lock-key"
project fact): acquire and release usually live in different functions or modules. A
DEL in this file of a key that is NX-written in this file by the same expression
(`self.name` in both methods of a lock class) is decided here; any other DEL of a key
with a known pattern is deferred to the project stage (`semantics/deferred.py`,
`lock_key_deletes`). A DEL queued on a pipeline that is WATCHed in the same function is
the WATCH/MULTI check-and-delete: not reported.
"""

from __future__ import annotations

from collections.abc import Hashable

from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.globs import has_text
from redislint.semantics.key_index import KeyIndex
from redislint.semantics.locks import DELETE_COMMANDS, lock_objects, nx_keys
from redislint.semantics.model import KeyArg, RedisCall

_HINT = (
    "release with an atomic owner check: redis-py's `r.lock(name, timeout=...)` "
    "(Lock.release() runs a Lua compare-and-delete), or a Lua script "
    "`if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end`"
)


class LockReleaseWithoutOwnerCheck(Rule):
    CODE = "RL104"

    def check(self) -> None:
        # the file's lock keys filed by key: each deleted key meets only its own locks
        # (issue 12: every DEL against every lock was quadratic)
        local: KeyIndex[tuple[str, KeyArg]] = KeyIndex()
        for where, lock in self._local_lock_keys():
            local.add(lock, (where, lock))
        self._by_scope = self.model.calls_by_scope()
        self._get_index: dict[str, KeyIndex[RedisCall]] = {}
        self._watched_in: dict[str, set[Hashable]] = {}
        for call in self.model.redis_calls:
            if call.command not in DELETE_COMMANDS or self._watched(call):
                continue
            for key in call.keys:
                if any(
                    _same_key(key, lock) and self._near(call.site.scope, where, lock)
                    for where, lock in local.candidates(key)
                ):
                    self.report_call(call, self._message(call, key), hint=_HINT)
                    break
                if key.pattern is not None and has_text(key.pattern.glob):
                    message = self._message(call, key)
                    self.report_call(call, message, hint=_HINT, deferred=(key.pattern.glob,))
                    break

    # -- helpers ---------------------------------------------------------------------
    def _local_lock_keys(self) -> list[tuple[str, KeyArg]]:
        """(scope, key) of the locks this file takes."""
        keys = [(call.site.scope, key) for call, key in nx_keys(self.model)]
        keys += [
            (lock.site.scope, KeyArg(None, lock.name, lock.pattern))
            for lock in lock_objects(self.model)
            if lock.name is not None
        ]
        return keys

    def _near(self, scope: str, lock_scope: str, lock: KeyArg) -> bool:
        """A key with literal text is one family wherever it is used; the object's own
        attribute (`self.name`) is the same lock within its class; a local variable
        (`key`) only within one function (two methods' `key` are unrelated values)."""
        if lock.pattern is not None and has_text(lock.pattern.glob):
            return True
        here = self.model.enclosing_function(scope).key
        there = self.model.enclosing_function(lock_scope).key
        if here == there:
            return True
        own = isinstance(lock.expr, ir.Attr) and lock.expr.value == ir.Name("self")
        return own and _owner(here) == _owner(there)

    def _watched(self, call: RedisCall) -> bool:
        """A DEL queued on a pipeline WATCHed in the same function: WATCH/GET/MULTI/DEL
        aborts when the lock changed hands, which is an atomic owner check."""
        if call.client.kind != "pipeline" or call.site.receiver is None:
            return False
        resolver, facts = self.model.resolver, self.model.facts
        target: Hashable = resolver.identity(facts, call.site.scope, call.site.receiver)
        scope = self.model.enclosing_function(call.site.scope)
        watched = self._watched_in.get(scope.key)
        if watched is None:  # once per function, not per DEL (issue 12)
            watched = self._watched_in[scope.key] = {
                resolver.identity(facts, site.scope, site.receiver)
                for site in scope.calls
                if site.method == "watch" and site.receiver is not None
            }
        return target in watched

    def _message(self, call: RedisCall, key: KeyArg) -> str:
        shown = key.pattern.glob if key.pattern is not None else ir.render(key.expr)
        message = (
            f"{call.command} of lock key '{shown}' without an atomic owner check: "
            "after the lock expires and another worker takes it, this deletes the other "
            "worker's lock"
        )
        if self._read_before(call, key):
            message += " (the GET before it does not help: the lock can change hands in between)"
        return message

    def _read_before(self, call: RedisCall, key: KeyArg) -> bool:
        return any(
            other.site.order < call.site.order
            for other in self._gets(call.site.scope).candidates(key)
        )

    def _gets(self, scope_key: str) -> KeyIndex[RedisCall]:
        """The GETs of one body filed by key, built once per body: each DEL looks up its
        own key instead of scanning the body (issue 12: quadratic in DELs)."""
        index = self._get_index.get(scope_key)
        if index is None:
            index = self._get_index[scope_key] = KeyIndex()
            for other in self._by_scope.get(scope_key, []):
                if other.command == "GET":
                    for read in other.keys:
                        index.add(read, other)
        return index


def _owner(function_key: str) -> str:
    """The class a method belongs to (its scope key's prefix), else the function."""
    return function_key.rpartition(".")[0] or function_key


def _same_key(a: KeyArg, b: KeyArg) -> bool:
    """The same key: same pattern identity, or the same unresolved expression."""
    if a.pattern is not None and b.pattern is not None:
        return a.pattern.same_key(b.pattern)
    return a.expr == b.expr and not isinstance(a.expr, ir.Other)
