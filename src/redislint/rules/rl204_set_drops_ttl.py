"""RL204 set-drops-ttl: a key given an expiry, later overwritten by SET without keepttl.

SET replaces the value *and* discards the key's TTL unless it is given `KEEPTTL` (or a
new expiry). Code that gives a key an expiry (SET ex=, SETEX, EXPIRE, GETEX ex=...)
and later, in the same function, SETs it again without one leaves the key with no TTL
at all: a cache entry, session or token that was meant to expire now lives forever.

The later SET is excused when it cannot drop a TTL or when the TTL comes back:
- it has `nx=True` (an existing key is not overwritten) or an expiry of its own;
- a later call in the function gives the key an expiry again, or the key is deleted
  between the expiry and the SET (nothing to drop);
- the two calls are on mutually exclusive paths (`if`/`else` arms, `try`/`except`,
  `match` cases, the rest of a block after `if c: ... return`), as the traversal
  recorded them (`CallSite.blocks`, no walk of the function per pair: issue 12).
The keys must be the same key (rules.md "Same key, different keys").
"""

from __future__ import annotations

import libcst as cst

from redislint.rules._base import NodeEdit, NodeFix, Rule
from redislint.rules._edits import with_keyword
from redislint.semantics import ir
from redislint.semantics.atomicity import mutually_exclusive
from redislint.semantics.expiry import DELETE_COMMANDS, FIELD_EXPIRE, given
from redislint.semantics.key_index import KeyIndex
from redislint.semantics.model import KeyArg, RedisCall


class SetDropsTtl(Rule):
    CODE = "RL204"

    def check(self) -> None:
        for calls in self.model.calls_by_scope().values():
            expiring = [c for c in calls if self._gives_expiry(c)]
            if not expiring:
                continue
            # calls filed by the keys the searches below compare, so that each SET
            # meets only the calls of its own key (issue 12: each SET scanned the body)
            expiries: KeyIndex[RedisCall] = KeyIndex()
            for e in expiring:
                expiries.add(e.keys[0], e)
            touching: KeyIndex[RedisCall] = KeyIndex()
            for other in calls:
                for k in other.keys if other.command in DELETE_COMMANDS else other.keys[:1]:
                    touching.add(k, other)
            for call in calls:
                if not self._drops_ttl(call) or not call.keys:
                    continue
                key = call.keys[0]
                near = touching.candidates(key)
                earlier = next(
                    (
                        e
                        for e in expiries.candidates(key)
                        if e is not call
                        and _runs_after(call, e)
                        and _same_key(e.keys[0], key)
                        and not mutually_exclusive(e.site.blocks, call.site.blocks)
                        and not self._deleted_between(near, e, call, key)
                    ),
                    None,
                )
                if earlier is None:
                    continue
                if any(
                    other is not call
                    and _runs_after(other, call)
                    and self._restores(other, key)
                    and not mutually_exclusive(other.site.blocks, call.site.blocks)
                    for other in near
                ):
                    continue
                self._report(call, earlier, key)

    # -- what the calls do ----------------------------------------------------------
    def _gives_expiry(self, call: RedisCall) -> bool:
        return (
            bool(call.keys)
            and call.command not in FIELD_EXPIRE
            and self.model.expiry(call).kind == "sets"
        )

    def _drops_ttl(self, call: RedisCall) -> bool:
        """A SET that overwrites an existing key and gives it no expiry."""
        if call.command != "SET" or self.model.expiry(call).kind != "none":
            return False
        if call.method == "execute_command":
            words = [self.model.constant(call.site.scope, a) for a in call.site.ir.args[3:]]
            return not any(w is not None and w.upper() == "NX" for w in words)
        return not given(call.param("nx"), flag=True)

    def _restores(self, other: RedisCall, key: KeyArg) -> bool:
        """A later expiry or deletion of the key: its TTL is back, or it is gone."""
        if not other.keys:
            return False
        if other.command in DELETE_COMMANDS:
            return any(_same_key(k, key) for k in other.keys)
        return self.model.expiry(other).kind in ("sets", "unknown") and _same_key(
            other.keys[0], key
        )

    def _deleted_between(
        self, calls: list[RedisCall], first: RedisCall, last: RedisCall, key: KeyArg
    ) -> bool:
        return any(
            other.command in DELETE_COMMANDS
            and _runs_after(other, first)
            and _runs_after(last, other)
            and any(_same_key(k, key) for k in other.keys)
            for other in calls
        )

    # -- reporting ------------------------------------------------------------------
    def _report(self, call: RedisCall, earlier: RedisCall, key: KeyArg) -> None:
        name = key.pattern.glob if key.pattern is not None else ir.render(key.expr)
        how = self.model.expiry(earlier).description or earlier.command
        message = (
            f"SET overwrites '{name}' without keepttl and drops the expiry given earlier"
            f" by {how}: the key no longer expires"
        )
        fix = None
        if call.method == "set":
            fix = NodeFix(
                "safe",
                "Add keepttl=True to SET",
                (NodeEdit(call.node, with_keyword(call.node, "keepttl", cst.Name("True"))),),
            )
        self.report_call(
            call,
            message,
            hint="pass keepttl=True to keep the TTL (Redis >= 6.0), or give the SET its own"
            " expiry (ex=...)",
            fix=fix,
        )


def _runs_after(other: RedisCall, call: RedisCall) -> bool:
    """Whether `other` runs after `call`: later in the source, or chained onto it."""
    if other.site.order > call.site.order:
        return True
    node: cst.BaseExpression = other.node.func
    while isinstance(node, cst.Attribute | cst.Call):
        if node is call.node:
            return True
        node = node.value if isinstance(node, cst.Attribute) else node.func
    return False


def _same_key(a: KeyArg, b: KeyArg) -> bool:
    """rules.md's "same key": equal patterns over the same variables, or the same
    expression (a key the model cannot resolve, such as a parameter, named twice)."""
    if a.pattern is not None and b.pattern is not None:
        return a.pattern.same_key(b.pattern)
    return a.expr == b.expr and not isinstance(a.expr, ir.Other)
