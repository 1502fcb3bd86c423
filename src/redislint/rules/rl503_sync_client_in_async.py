"""RL503 sync-client-in-async: a blocking (sync) client command inside `async def`.

A sync redis-py client blocks the thread on every command: inside a coroutine it stalls
the event loop, and every other task, for the round trip (or for a whole BLPOP timeout).
Reported: a command sent through a proven sync client, and `execute()` of a sync
pipeline, made directly in an `async def` (commands queued on a sync pipeline only
buffer and are not reported). An awaited call is never a blocking call, whatever the
receiver's annotation says: the code is then using an async client.
"""

from __future__ import annotations

from redislint.rules._base import Rule
from redislint.semantics.scopes import CallSite


class SyncClientInAsync(Rule):
    CODE = "RL503"

    def check(self) -> None:
        for call in self.model.redis_calls:
            client = call.client
            if client.is_async or client.kind != "client" or call.site.awaited:
                continue
            self._judge(call.site, f"{call.method}()", call.command)
        for site in self.model.facts.calls:
            if site.method != "execute" or site.awaited or site.receiver is None:
                continue
            pipe = self.model.client_of(site.scope, site.receiver)
            if pipe is not None and pipe.kind == "pipeline" and not pipe.is_async:
                self._judge(site, "execute()", "the pipeline")

    def _judge(self, site: CallSite, what: str, command: str) -> None:
        scope = self.model.scope(site.scope)
        if scope.kind != "function" or not scope.is_async:
            return
        self.report(
            site.node,
            f"{what} on a sync redis-py client blocks the event loop in async def"
            f" '{scope.name}' until {command} returns",
            statement=site.statement,
            hint="use redis.asyncio (and await the command), or run it in a thread"
            " (await asyncio.to_thread(...))",
        )
