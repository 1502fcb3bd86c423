"""RL501 pipeline-not-executed: commands queued on a pipeline that no path executes.

A pipeline buffers its commands until `execute()`; nothing reaches the server before
that. Leaving `with r.pipeline() as p:` calls `reset()`, which throws the buffer away: it
does not execute. So the rule reports a pipeline created and bound in one function
(`p = r.pipeline()`, `with r.pipeline() as p:`) that has commands queued on it and no
`execute()` anywhere in the function (inside the `with` block, for a `with` pipeline), and
a chain `r.pipeline().set(...)` that ends without `execute()`.

A pipeline that leaves the function (returned, yielded, passed to a call, stored in an
attribute or container, used by a nested function) may be executed elsewhere and is not
judged. After `watch()` and before `multi()` a pipeline runs commands immediately, so a
watched pipeline without `multi()` queues nothing.
"""

from __future__ import annotations

import libcst as cst

from redislint.rules._base import Rule
from redislint.semantics.model import RedisCall
from redislint.semantics.pipelines import LocalPipeline


class PipelineNotExecuted(Rule):
    CODE = "RL501"

    def check(self) -> None:
        for local in self.model.pipelines:
            self._judge(local)
        self._chains()

    def _judge(self, local: LocalPipeline) -> None:
        if local.escapes or local.executed():
            return
        queued = [c for c in local.queued if not local.immediate_at(c.site.order)]
        if not queued:
            return
        first = queued[0]
        commands = sorted({c.command for c in queued})
        listed = ", ".join(commands[:4]) + (", ..." if len(commands) > 4 else "")
        if local.with_node is not None and local.executes:
            message = (
                f"pipeline '{local.name}' queues {len(queued)} command(s) ({listed}) but"
                " execute() runs only after the `with` block, which has already reset it:"
                " nothing is sent"
            )
            hint = f"call {local.name}.execute() inside the `with` block"
        elif local.with_node is not None:
            message = (
                f"pipeline '{local.name}' queues {len(queued)} command(s) ({listed}) and is"
                " never executed: leaving the `with` block resets it, nothing is sent"
            )
            hint = f"call {local.name}.execute() as the last statement of the `with` block"
        else:
            message = (
                f"pipeline '{local.name}' queues {len(queued)} command(s) ({listed}) and is"
                " never executed: nothing is sent"
            )
            hint = f"call {local.name}.execute() after queuing the commands"
        del first
        self.report(local.create.node, message, statement=local.create.statement, hint=hint)

    def _chains(self) -> None:
        """`r.pipeline().set(k, v)` as a statement: queued on a pipeline nobody can execute."""
        calls = {id(call.node): call for call in self.model.redis_calls}
        for site in self.model.facts.calls:
            if site.method != "pipeline" or site.receiver is None:
                continue
            receiver = self.model.client_of(site.scope, site.receiver)
            if receiver is None or receiver.kind != "client":
                continue
            body = self.model.usage.body(site.scope, site.statement)
            node: cst.CSTNode = site.node
            queued: list[RedisCall] = []
            while True:
                consumer = body.consumer(node)
                if consumer.kind != "method" or consumer.awaited or consumer.node is None:
                    break
                if consumer.name == "execute" or id(consumer.node) not in calls:
                    queued = []
                    break
                queued.append(calls[id(consumer.node)])
                node = consumer.node
            if queued and body.consumer(node).kind == "discarded":
                listed = ", ".join(sorted({c.command for c in queued}))
                self.report(
                    site.node,
                    f"a pipeline queues {listed} and is dropped without execute(): nothing is sent",
                    statement=site.statement,
                    hint="end the chain with .execute(), or call the command on the client",
                )
