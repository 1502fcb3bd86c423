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

from collections.abc import Callable

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
            later: _LaterExpiries | None = None
            for call in calls:
                if call.command in OVERWRITES_TTL or call.command in CREATES_WITHOUT_TTL:
                    later = later or _LaterExpiries(calls, self._expired_keys)
                    problem = self._check_write(call, later)
                    if problem is not None:
                        found.append((call, *problem))
        for call, glob, namespace in found:
            self._report(call, glob, namespace)

    def _check_write(self, call: RedisCall, later: _LaterExpiries) -> tuple[str, str] | None:
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
            if later.expires_after(call, key):
                continue
            return key.pattern.glob, namespace.pattern
        return None

    # -- what a call does to expiry -------------------------------------------------
    def _may_not_create(self, call: RedisCall) -> bool:
        return may_not_create(self.model, call)

    def _expired_keys(self, other: RedisCall) -> tuple[KeyArg, ...]:
        """The keys a call gives an expiry or deletes (an expiry option that cannot be
        read counts: the rule stays quiet rather than guess)."""
        if other.command in EXPIRE_COMMANDS:
            return other.keys[:1]
        if other.command in DELETE_COMMANDS:
            return other.keys  # a temporary key removed before returning is not left
        if other.command not in FIELD_EXPIRE and self.model.expiry(other).kind in (
            "sets",
            "unknown",
        ):
            return other.keys  # hash-field expiries leave the key itself without one
        return ()

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


class _LaterExpiries:
    """Which calls of one scope expire or delete each key, indexed once per scope, so
    that "does anything later expire this key?" costs O(1) per key and the rule stays
    linear in the size of a function (a 200-call pipeline chain was quadratic).

    A call runs after another when it is later in the source, or when it is chained
    onto it (`pipe.hset(k, ...).expire(k, 60)`: the outer call comes first in source
    order but runs last). "The same key": the same glob, or the same expression
    (`Other` expressions never match)."""

    def __init__(
        self, calls: list[RedisCall], expired_keys: Callable[[RedisCall], tuple[KeyArg, ...]]
    ) -> None:
        self._chain = _chains(calls)
        self._last_order: dict[object, int] = {}
        self._outermost_in_chain: dict[tuple[int, object], int] = {}
        for call in calls:
            for key in expired_keys(call):
                for index in _index_keys(key):
                    order = self._last_order.get(index, -1)
                    self._last_order[index] = max(order, call.site.order)
                    chain, position = self._chain[id(call.node)]
                    slot = (chain, index)
                    best = self._outermost_in_chain.get(slot, position)
                    self._outermost_in_chain[slot] = min(best, position)

    def expires_after(self, call: RedisCall, key: KeyArg) -> bool:
        chain, position = self._chain[id(call.node)]
        for index in _index_keys(key):
            if self._last_order.get(index, -1) > call.site.order:
                return True
            if self._outermost_in_chain.get((chain, index), position) < position:
                return True
        return False


def _index_keys(key: KeyArg) -> list[object]:
    """The ways two keys are the same key, as hashable index entries."""
    found: list[object] = []
    if key.pattern is not None:
        found.append(("glob", key.pattern.glob))
    if not isinstance(key.expr, ir.Other):
        found.append(("expr", key.expr))
    return found


def _chains(calls: list[RedisCall]) -> dict[int, tuple[int, int]]:
    """Call node id -> (chain id, position from the outermost call, 0-based).

    Each call's receiver is walked down to the first Redis call of the scope it is
    chained onto, so the walks visit every receiver node once in all."""
    by_node = {id(call.node): call for call in calls}
    inner_of: dict[int, int] = {}
    for call in calls:
        node: cst.BaseExpression = call.node.func
        while isinstance(node, cst.Attribute | cst.Call):
            node = node.value if isinstance(node, cst.Attribute) else node.func
            if isinstance(node, cst.Call) and id(node) in by_node:
                inner_of[id(call.node)] = id(node)
                break
    has_outer = set(inner_of.values())
    result: dict[int, tuple[int, int]] = {}
    for call in calls:
        top = id(call.node)
        if top in has_outer:
            continue
        current: int | None = top
        position = 0
        while current is not None:
            result[current] = (top, position)
            current = inner_of.get(current)
            position += 1
    return result
