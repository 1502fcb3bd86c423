"""RL103 non-atomic-expire: a key created by one command and given its expiry by another.

`SET k v` then `EXPIRE k 60` are two commands: if the process dies, times out or is
killed by a deploy between them, the key exists with no TTL, forever (for a SETNX
lock: a lock held forever, for an INCR rate-limit counter: a user blocked forever).
The model's expiry semantics (`semantics/expiry.py`) say which commands create a key
without a TTL; "the same key" is rules.md's test (`KeyPattern.same_key`, or the same
expression when the key cannot be resolved).

Silent when the pair cannot be split by a crash or is not proven: either command is
queued on a transactional pipeline (MULTI/EXEC) or a pipeline of unknown kind, or on a
`pipeline(transaction=False)` switched into MULTI with `multi()`; the two are on
mutually exclusive paths (`if`/`else`, two `match` cases, `try` and its handler).
A `pipeline(transaction=False)` is not atomic, so a pair queued on it is reported.

The finding points at the write that creates the key (rules.md). Safe fix when the two
are adjacent statements whose results are unused, on one client: SET / SETNX + EXPIRE
(PEXPIRE, EXPIREAT, PEXPIREAT) -> one `set(k, v, [nx=True,] ex=ttl)` (px= / exat= /
pxat=).
"""

from __future__ import annotations

from collections.abc import Hashable

import libcst as cst

from redislint.rules._base import NodeEdit, NodeFix, Rule
from redislint.semantics import ir
from redislint.semantics.dialect import transaction_block
from redislint.semantics.expiry import (
    CREATES_WITHOUT_TTL,
    EXPIRE_COMMANDS,
    OVERWRITES_TTL,
    may_not_create,
)
from redislint.semantics.key_index import KeyIndex
from redislint.semantics.model import KeyArg, RedisCall
from redislint.semantics.order import StatementPaths, runs_after

# EXPIRE-family method -> the SET option that sets the same expiry.
_SET_OPTION = {"expire": "ex", "pexpire": "px", "expireat": "exat", "pexpireat": "pxat"}
# SET options that change what the fix would have to keep.
_SET_BLOCKERS = ("ex", "px", "exat", "pxat", "keepttl", "get")


class NonAtomicExpire(Rule):
    CODE = "RL103"

    # Scope key -> its statement paths (see `_paths`).
    _statement_paths: dict[str, StatementPaths | None]

    def check(self) -> None:
        self._statement_paths = {}
        for scope_key, calls in self.model.calls_by_scope().items():
            multi = self._explicit_multi(scope_key)
            # The separate expiries of this body filed by their key, in source order:
            # each create looks up its own keys' expiries instead of scanning the body.
            expiries: KeyIndex[RedisCall] = KeyIndex()
            for expire in calls:
                separate = expire.command in EXPIRE_COMMANDS and expire.keys
                if separate and self._separate(expire, multi):
                    expiries.add(expire.keys[0], expire)
            position = {id(call): index for index, call in enumerate(calls)}
            for create in calls:
                keys = self._created_keys(create, multi)
                if not keys:
                    continue
                found = [expiries.candidates(key) for key in keys]
                for expire in _in_order(position, found):
                    if not runs_after(expire, create):
                        continue
                    if not self._exclusive(scope_key, create, expire):
                        self._report(scope_key, create, expire)
                        break

    # -- which calls count ---------------------------------------------------------------
    def _created_keys(self, call: RedisCall, multi: set[Hashable]) -> tuple[KeyArg, ...]:
        """The keys `call` may create without a TTL, when it is sent on its own."""
        if not self._separate(call, multi):
            return ()
        command = call.command
        if command in OVERWRITES_TTL:
            if self.model.expiry(call).kind != "none":
                return ()  # SET with an expiry (or keepttl, or unreadable options)
            return call.written_keys if command in ("MSET", "MSETNX") else call.keys[:1]
        if command in CREATES_WITHOUT_TTL and not may_not_create(self.model, call):
            return call.keys[:1]
        return ()

    def _separate(self, call: RedisCall, multi: set[Hashable]) -> bool:
        """Sent as its own command: on a client, or on a pipeline proven non-transactional
        (and not switched into MULTI by hand)."""
        if call.is_atomic_unit or call.in_transaction:
            return False
        client = call.client
        if client.kind == "pipeline":
            if client.transactional is not False:
                return False
            receiver = call.site.receiver
            if receiver is not None and self._identity(call, receiver) in multi:
                return False
        return client.kind in ("client", "pipeline")

    def _identity(self, call: RedisCall, receiver: ir.IR) -> Hashable:
        return self.model.resolver.identity(self.model.facts, call.site.scope, receiver)

    def _explicit_multi(self, scope_key: str) -> set[Hashable]:
        resolver, facts = self.model.resolver, self.model.facts
        return {
            resolver.identity(facts, site.scope, site.receiver)
            for site in self.model.scope(scope_key).calls
            if site.method == "multi" and site.receiver is not None
        }

    def _paths(self, scope_key: str) -> StatementPaths | None:
        """The body's statement paths, built once per body (one walk, not one per pair)."""
        if scope_key not in self._statement_paths:
            root = self.model.scope(scope_key).node or self.model.facts.module
            self._statement_paths[scope_key] = None if root is None else StatementPaths(root)
        return self._statement_paths[scope_key]

    def _exclusive(self, scope_key: str, create: RedisCall, expire: RedisCall) -> bool:
        if create.site.statement is expire.site.statement:
            return False
        paths = self._paths(scope_key)
        if paths is None:
            return False
        return paths.mutually_exclusive(create.site.statement, expire.site.statement)

    # -- reporting -----------------------------------------------------------------------
    def _report(self, scope_key: str, create: RedisCall, expire: RedisCall) -> None:
        key = expire.keys[0]
        name = key.pattern.glob if key.pattern is not None else ir.render(key.expr)
        command = create.command
        consequence = {
            "SETNX": "a lock (or claim) held forever",
            "INCR": "a counter (a rate limit) that never resets",
            "INCRBY": "a counter (a rate limit) that never resets",
        }.get(command, "a key that never expires")
        where = (
            "on a non-transactional pipeline"
            if create.client.kind == "pipeline"
            else "as a separate command"
        )
        message = (
            f"{command} creates '{name}' and its {expire.command} follows {where}: a crash"
            f" between the two leaves {consequence}"
        )
        fix = self._fix(scope_key, create, expire)
        if command in ("SET", "SETNX"):
            option = _SET_OPTION.get(expire.method, "ex")
            nx = "nx=True, " if command == "SETNX" else ""
            hint = f"set the value and the expiry in one command: set(key, value, {nx}{option}=ttl)"
        else:
            hint = (
                f"queue the {command} and the {expire.command} on one transactional pipeline"
                f" ({transaction_block('r', create.client.is_async)}, MULTI/EXEC) or run"
                " both in a Lua script"
            )
        self.report_call(create, message, hint=hint, fix=fix)

    # -- the fix -------------------------------------------------------------------------
    def _fix(self, scope_key: str, create: RedisCall, expire: RedisCall) -> NodeFix | None:
        option = _SET_OPTION.get(expire.method)
        if (
            option is None
            or create.method not in ("set", "setnx")
            or create.client.kind != "client"
            or create.site.awaited != expire.site.awaited
        ):
            return None
        receivers = (create.site.receiver, expire.site.receiver)
        if receivers[0] is None or receivers[1] is None:
            return None
        if self._identity(create, receivers[0]) != self._identity(expire, receivers[1]):
            return None
        if any(a.star for a in (*create.node.args, *expire.node.args)):
            return None
        if create.method == "set" and any(create.param(p) is not None for p in _SET_BLOCKERS):
            return None
        create_key, expire_key = create.keys[0], expire.keys[0]
        if create_key.expr != expire_key.expr or isinstance(create_key.expr, ir.Other):
            return None
        ttl = _ttl_argument(expire)
        if ttl is None:
            return None
        statements = self._adjacent(scope_key, create, expire)
        if statements is None:
            return None
        new_call = _with_expiry(create, option, ttl)
        if new_call is None:
            return None
        title = f"Merge the {expire.command} into the SET ({option}=)"
        return NodeFix(
            "safe",
            title,
            (
                NodeEdit(create.node, new_call),
                NodeEdit(statements[1], "", whole_lines=True),
            ),
        )

    def _adjacent(
        self, scope_key: str, create: RedisCall, expire: RedisCall
    ) -> tuple[cst.SimpleStatementLine, cst.SimpleStatementLine] | None:
        """The two statement lines, when each is just the call (result unused) and the
        EXPIRE's line comes right after the create's in one block."""
        first, second = create.site.statement, expire.site.statement
        if not (_bare_call(first, create) and _bare_call(second, expire)):
            return None
        assert isinstance(first, cst.SimpleStatementLine)
        assert isinstance(second, cst.SimpleStatementLine)
        if second.trailing_whitespace.comment is not None:
            return None  # deleting the line would delete the comment
        paths = self._paths(scope_key)
        if paths is None:
            return None
        place_a, place_b = paths.block_of(first), paths.block_of(second)
        if place_a is None or place_b is None:
            return None
        if place_a[0] is not place_b[0] or place_b[1] != place_a[1] + 1:
            return None
        return first, second


def _bare_call(statement: cst.CSTNode, call: RedisCall) -> bool:
    """`r.set(...)` or `await r.set(...)` alone on its line: the result is unused."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if not isinstance(small, cst.Expr):
        return False
    value = small.value
    if isinstance(value, cst.Await):
        value = value.expression
    return value is call.node


def _ttl_argument(expire: RedisCall) -> cst.BaseExpression | None:
    """The EXPIRE's time argument, when the call has nothing else (no NX/XX/GT/LT) and
    the time is not a literal that SET would reject (0 or negative: RL203's finding)."""
    node = expire.node
    params = expire.method_info.params if expire.method_info is not None else ()
    allowed = set(params[:2])
    positional = [a for a in node.args if a.keyword is None]
    keywords = [a for a in node.args if a.keyword is not None]
    if len(positional) + len(keywords) != 2 or any(
        a.keyword is not None and a.keyword.value not in allowed for a in keywords
    ):
        return None
    time_param = params[1] if len(params) > 1 else "time"
    argument = expire.param(time_param)
    if argument is None:
        return None
    value = ir.from_cst(argument.value)
    if isinstance(value, ir.Num) and value.value <= 0:
        return None
    return argument.value


def _with_expiry(
    create: RedisCall, option: str, ttl: cst.BaseExpression
) -> cst.BaseExpression | None:
    """`set(k, v)` + `ex=ttl`, or `setnx(k, v)` -> `set(k, v, nx=True, ex=ttl)`."""
    node = create.node
    added: list[tuple[str, cst.BaseExpression]] = []
    func = node.func
    if create.method == "setnx":
        if not isinstance(func, cst.Attribute):
            return None
        func = func.with_changes(attr=cst.Name("set"))
        added.append(("nx", cst.Name("True")))
    added.append((option, ttl))
    args = list(node.args)
    if len(args) < 2:
        return None
    for name, value in added:
        last = args[-1]
        separator = (
            args[-2].comma
            if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma)
            else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
        if isinstance(separator, cst.Comma):
            separator = _without_comment(separator)
        new = cst.Arg(
            value=value,
            keyword=cst.Name(name),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
            comma=last.comma,
            whitespace_after_arg=last.whitespace_after_arg,
        )
        args[-1] = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
        args.append(new)
    return node.with_changes(func=func, args=args)


def _without_comment(comma: cst.Comma) -> cst.Comma:
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace) and after.first_line.comment is not None:
        return comma.with_changes(
            whitespace_after=after.with_changes(first_line=cst.TrailingWhitespace())
        )
    return comma


def _same_key(a: KeyArg, b: KeyArg) -> bool:
    """rules.md "same key": equal patterns by `same_key`, or the same expression."""
    if a.pattern is not None and b.pattern is not None:
        return a.pattern.same_key(b.pattern)
    return a.expr == b.expr and not isinstance(a.expr, ir.Other)


def _in_order(position: dict[int, int], groups: list[list[RedisCall]]) -> list[RedisCall]:
    """The calls of several candidate lists once each, in the body's order."""
    if len(groups) == 1:
        return groups[0]
    unique = {id(call): call for group in groups for call in group}
    return sorted(unique.values(), key=lambda call: position[id(call)])
