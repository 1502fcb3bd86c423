"""RL201 cache-key-without-ttl: a write that leaves a cache key with no expiry.

A cache key is one whose pattern falls in a namespace with role "cache" (the default
patterns `cache:*`, `*:cache:*`, `*_cache:*` when no keyspace is declared). Such a key
must expire, or it lives until eviction (or forever, under `noeviction`) and serves
stale data. Two shapes leave it without expiry:

- the SET family, which replaces the value *and discards any TTL*: SET without
  ex/px/exat/pxat/keepttl, GETSET, SETNX, MSET, MSETNX;
- commands that create a missing key with no TTL (HSET, SADD, RPUSH, ZADD, INCR, ...).

Either is excused when something later in the same function (in or out of a pipeline)
gives the key an expiry (EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT, or a SET / SETEX /
GETEX with one) or deletes it (DEL / UNLINK / GETDEL): the key is then not left without
expiry. For the SET family the crash window between the two commands is RL103's
finding, not this one; reporting it here as well would offer two conflicting fixes.
"""

from __future__ import annotations

import libcst as cst

from redislint.rules._base import NodeEdit, NodeFix, Rule
from redislint.semantics import ir
from redislint.semantics.expiry import (
    CREATES_WITHOUT_TTL,
    DELETE_COMMANDS,
    EXPIRE_COMMANDS,
    FIELD_EXPIRE,
    OVERWRITES_TTL,
    may_not_create,
)
from redislint.semantics.model import KeyArg, RedisCall

_HINTS = {
    "SET": "pass an expiry: set(key, value, ex=<seconds>)",
    "GETSET": "use set(key, value, ex=<seconds>, get=True) instead of GETSET",
    "SETNX": "use set(key, value, nx=True, ex=<seconds>) instead of SETNX",
    "MSET": "MSET cannot set expiries: SET each key with ex=<seconds> in a pipeline",
    "MSETNX": "MSETNX cannot set expiries: SET each key with nx=True, ex=<seconds>",
}


class CacheKeyWithoutTtl(Rule):
    CODE = "RL201"

    def check(self) -> None:
        if not any(entry.role == "cache" for entry in self.model.keyspace):
            return
        found: list[tuple[RedisCall, str, str]] = []
        for calls in self.model.calls_by_scope().values():
            for call in calls:
                if call.command in OVERWRITES_TTL or call.command in CREATES_WITHOUT_TTL:
                    later = [other for other in calls if _runs_after(other, call)]
                    problem = self._check_write(call, later)
                    if problem is not None:
                        found.append((call, *problem))
        for call, glob, namespace in found:
            self._report(call, glob, namespace)

    def _check_write(self, call: RedisCall, later: list[RedisCall]) -> tuple[str, str] | None:
        """(key glob, cache namespace) of the first cache key the call leaves unexpired."""
        if call.command == "SET":
            if self.model.expiry(call).kind != "none":
                return None
        elif self._may_not_create(call):
            return None
        for key in call.keys:
            namespace = self.model.namespace(key.pattern)
            if namespace is None or namespace.role != "cache" or key.pattern is None:
                continue
            if any(self._expires(other, key) for other in later):
                continue
            return key.pattern.glob, namespace.pattern
        return None

    # -- what a call does to expiry -------------------------------------------------
    def _may_not_create(self, call: RedisCall) -> bool:
        return may_not_create(self.model, call)

    def _expires(self, other: RedisCall, key: KeyArg) -> bool:
        """Whether a later call gives `key` an expiry or deletes it (an expiry option that
        cannot be read counts: the rule stays quiet rather than guess)."""
        if other.command in EXPIRE_COMMANDS:
            targets = other.keys[:1]
        elif other.command in DELETE_COMMANDS:
            targets = other.keys  # a temporary key removed before returning is not left
        elif other.command not in FIELD_EXPIRE and self.model.expiry(other).kind in (
            "sets",
            "unknown",
        ):
            targets = other.keys  # hash-field expiries leave the key itself without one
        else:
            return False
        return any(_same_key(target, key) for target in targets)

    # -- reporting ------------------------------------------------------------------
    def _report(self, call: RedisCall, glob: str, namespace: str) -> None:
        command = call.command
        message = f"{command} leaves cache key '{glob}' (namespace '{namespace}') without an expiry"
        if command in CREATES_WITHOUT_TTL:
            message += ": nothing later in this function expires it"
            hint = (
                f"EXPIRE the key after the {command}, in the same function (queue both on"
                " one transactional pipeline so they apply together)"
            )
        else:
            hint = _HINTS[command]
        fix = None
        ttl = self.model.config.cache_ttl
        if ttl is not None and _fixable(call):
            fix = self._add_ex(call, ttl)
        elif command == "SET" and ttl is None:
            hint += " (set `cache-ttl` in the config to get an automatic fix)"
        self.report_call(call, message, hint=hint, fix=fix)

    def _add_ex(self, call: RedisCall, ttl: int) -> NodeFix | None:
        """`r.set(k, v)` -> `r.set(k, v, ex=<ttl>)`, keeping the call's layout.

        A literal `ex=None` (keyword or positional) gets the TTL as its value; otherwise
        a keyword is appended after the last argument, taking over that argument's
        trailing comma and line break so multi-line calls stay well formed.
        """
        node = call.node
        value = cst.Integer(str(ttl))
        given = call.param("ex")
        args = list(node.args)
        if given is not None:
            args = [a.with_changes(value=value) if a is given else a for a in args]
        elif not args:
            return None
        else:
            last = args[-1]
            separator: cst.Comma | cst.MaybeSentinel = cst.Comma(
                whitespace_after=cst.SimpleWhitespace(" ")
            )
            if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
                separator = _without_comment(args[-2].comma)
            added = cst.Arg(
                value=value,
                keyword=cst.Name("ex"),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
                comma=last.comma,
                whitespace_after_arg=last.whitespace_after_arg,
            )
            args[-1] = last.with_changes(
                comma=separator, whitespace_after_arg=cst.SimpleWhitespace("")
            )
            args.append(added)
        edit = NodeEdit(node, node.with_changes(args=args))
        return NodeFix("safe", f"Add ex={ttl} to SET", (edit,))


def _without_comment(comma: cst.Comma) -> cst.Comma:
    """A copy of a separating comma for a new argument, minus any trailing comment (the
    comment belongs to the line it was written on)."""
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace) and after.first_line.comment is not None:
        return comma.with_changes(
            whitespace_after=after.with_changes(first_line=cst.TrailingWhitespace())
        )
    return comma


def _fixable(call: RedisCall) -> bool:
    """Only a `set(...)` method call gets the automatic fix (see the catalogue)."""
    return call.command == "SET" and call.method == "set"


def _runs_after(other: RedisCall, call: RedisCall) -> bool:
    """Whether `other` runs after `call`: later in the source, or chained onto it
    (`pipe.hset(k, ...).expire(k, 60)`: the outer call comes first in source order)."""
    if other.site.order > call.site.order:
        return True
    node: cst.BaseExpression = other.node.func
    while isinstance(node, cst.Attribute | cst.Call):
        if node is call.node:
            return True
        node = node.value if isinstance(node, cst.Attribute) else node.func
    return False


def _same_key(a: KeyArg, b: KeyArg) -> bool:
    """The same key pattern (`cache:user:*` either way) or the same expression."""
    if a.pattern is not None and b.pattern is not None and a.pattern.glob == b.pattern.glob:
        return True
    return a.expr == b.expr and not isinstance(a.expr, ir.Other)
