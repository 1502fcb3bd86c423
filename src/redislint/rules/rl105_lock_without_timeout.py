"""RL105 lock-without-timeout: a lock that never expires.

A Redis lock held by a process that crashes (OOM kill, deploy, lost host) is released
only by its expiry. `r.lock(name)` without `timeout`, and a lock key written with
`SET NX` (or SETNX) and no expiry, stay locked forever: every later worker waits or
gives up until someone deletes the key by hand.

The rule is syntactic, as rules.md decides: an expiry argument that is present (even a
variable that may be None) satisfies it; only an absent one or a literal None is
reported. A SETNX followed in the same function by an EXPIRE of the key does get an
expiry (the gap between the two is RL103's finding). A key written with NX is a lock
when its name says so (`lock`, `mutex`, `semaphore`, `leader`) or when the project
releases it: a DEL/UNLINK/GETDEL, or a script given the key (the "released-key"
project fact, decided in the project stage: `semantics/deferred.py`,
`released_nx_keys`). An NX key that is never released is a "first writer wins" marker,
not a lock.
"""

from __future__ import annotations

from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.expiry import EXPIRE_COMMANDS, given
from redislint.semantics.globs import has_text, matches_lock
from redislint.semantics.locks import lock_objects, named_like_lock, nx_keys, released_globs
from redislint.semantics.model import KeyArg, RedisCall

_LOCK_HINT = (
    "pass `timeout=<seconds>` (longer than the work it guards; extend it with "
    "`lock.extend()` for long work): a crashed holder then frees the lock by itself"
)
_NX_HINT = "give the lock an expiry in the same command: `set(key, token, nx=True, ex=<seconds>)`"


class LockWithoutTimeout(Rule):
    CODE = "RL105"

    def check(self) -> None:
        for lock in lock_objects(self.model):
            if lock.unknown or given(lock.timeout):
                continue
            name = ir.render(lock.name) if lock.name is not None else "the lock"
            shown = lock.pattern.glob if lock.pattern is not None else name
            message = (
                f"lock '{shown}' has no timeout: if its holder crashes, the lock is never "
                "released and every later acquire blocks (or fails) forever"
            )
            self.report(lock.site.node, message, statement=lock.site.statement, hint=_LOCK_HINT)
        by_scope = self.model.calls_by_scope()
        released = released_globs(self.model)
        for call, key in nx_keys(self.model):
            if self.model.expiry(call).kind != "none" or key.pattern is None:
                continue
            if self._expired_later(call, key, by_scope.get(call.site.scope, [])):
                continue
            glob = key.pattern.glob
            command = "SETNX" if call.command == "SETNX" else f"{call.command} NX"
            message = (
                f"{command} of lock key '{glob}' with no expiry: if the holder "
                "crashes before releasing it, the key stays forever (TTL -1) and the lock "
                "is never free again"
            )
            if named_like_lock(glob) or any(matches_lock(r, glob) for r in released):
                self.report_call(call, message, hint=_NX_HINT)
            elif has_text(glob):
                self.report_call(call, message, hint=_NX_HINT, deferred=(glob,))

    def _expired_later(self, call: RedisCall, key: KeyArg, calls: list[RedisCall]) -> bool:
        """An EXPIRE of the key later in the function (non-atomic: RL103's finding)."""
        for other in calls:
            if other.command not in EXPIRE_COMMANDS or other.site.order <= call.site.order:
                continue
            for target in other.keys[:1]:
                if target.pattern is not None and key.pattern is not None:
                    if target.pattern.same_key(key.pattern):
                        return True
                elif target.expr == key.expr:
                    return True
        return False
