"""RL502 unawaited-async-command: a `redis.asyncio` command whose coroutine is never awaited.

A `redis.asyncio` command method returns a coroutine; the command is sent only when the
coroutine runs. A call whose coroutine is dropped (a bare statement), only tested or
compared (`if r.exists(k):` is always true), or stored in a local name that is never
awaited, passed on or returned, sends nothing. Awaited, gathered, scheduled
(`create_task`, `ensure_future`, `TaskGroup.create_task`), passed to any call (which may
await it), returned, yielded or stored elsewhere: not reported. Commands queued on an
async pipeline return the pipeline, not a coroutine: not reported (an unawaited
`execute()` of an async pipeline is).
"""

from __future__ import annotations

import libcst as cst

from redislint.rules._base import NodeEdit, NodeFix, Rule
from redislint.semantics.commands import ASYNC_ITERATOR_METHODS
from redislint.semantics.scopes import CallSite
from redislint.semantics.usage import BodyIndex, Consumer

# Uses that never run a coroutine (a coroutine has no reply's attributes, and
# `send`/`throw`/`close`/`__await__` are the only methods that drive it).
_DEAD = frozenset(
    {"discarded", "tested", "compared", "formatted", "arithmetic", "subscript", "iterated"}
)
_DRIVERS = frozenset({"send", "throw", "close", "__await__"})
# Parents where `await x` needs parentheses: x is the base of an attribute, call, subscript.
_PRIMARY = (cst.Attribute, cst.Subscript, cst.Call)


class UnawaitedAsyncCommand(Rule):
    CODE = "RL502"

    def check(self) -> None:
        for call in self.model.redis_calls:
            client = call.client
            if not client.is_async or client.kind == "pipeline" or call.site.awaited:
                continue
            if call.method in ASYNC_ITERATOR_METHODS:
                continue  # an async generator (`async for`), not a coroutine
            self._judge(call.site, f"{call.method}()", call.command)
        for site in self.model.facts.calls:
            if site.method != "execute" or site.awaited or site.receiver is None:
                continue
            pipe = self.model.client_of(site.scope, site.receiver)
            if pipe is not None and pipe.kind == "pipeline" and pipe.is_async:
                self._judge(site, "execute()", "the pipeline")

    def _judge(self, site: CallSite, what: str, command: str) -> None:
        body = self.model.usage.body(site.scope, site.statement)
        consumer = body.consumer(site.node)
        if consumer.awaited:
            return
        if consumer.kind == "assigned" and consumer.name is not None:
            if not self._never_run(consumer.name, body):
                return
        elif not _dead(consumer):
            return
        scope = self.model.enclosing_function(site.scope)
        in_async = scope.kind == "function" and scope.is_async
        message = (
            f"{what} on a redis.asyncio client returns a coroutine that is never awaited:"
            f" {command} is never sent"
        )
        fix = None
        if in_async:
            hint = f"await it: await {self.code_for(site.node.func)}(...)"
            fix = self._await_fix(site.node, consumer, body)
        else:
            hint = "call it from an async def and await it, or use the sync client here"
        self.report(site.node, message, statement=site.statement, hint=hint, fix=fix)

    def _never_run(self, name: str, body: BodyIndex) -> bool:
        """A local name holding the coroutine whose every use leaves it unrun."""
        uses = body.names.get(name, [])
        stores = [n for n in uses if isinstance(body.parent_of(n), cst.AssignTarget)]
        if len(stores) != 1:
            return False
        for use in uses:
            if use in stores:
                continue
            consumer = body.consumer(use)
            if consumer.awaited or not _dead(consumer):
                return False
        return True

    @staticmethod
    def _await_fix(node: cst.Call, consumer: Consumer, body: BodyIndex) -> NodeFix:
        parent = body.parent_of(node)
        awaited: cst.BaseExpression = cst.Await(expression=node)
        if isinstance(parent, _PRIMARY) and getattr(parent, "value", None) is node:
            awaited = cst.Await(expression=node, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        del consumer
        return NodeFix("safe", "Add await", (NodeEdit(node, awaited),))


def _dead(consumer: Consumer) -> bool:
    if consumer.kind in ("method", "attribute"):
        return consumer.name not in _DRIVERS
    return consumer.kind in _DEAD
