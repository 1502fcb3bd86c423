"""RL405 stale-replica-read: a value read from a replica is written to the master.

Replication is asynchronous: a replica answers with whatever it has applied so far,
which may be seconds (or, during a partition, much longer) behind the master. Reading
a balance, a counter or a document from a replica and writing a value computed from it
back to the master overwrites the master's newer data with a stale one.

A read is on a replica when its client comes from `Sentinel.slave_for(...)`, is a
cluster client built with `read_from_replicas=True` (or a `load_balancing_strategy`;
its writes still go to the primaries), or is declared in `[clients] replicas`. The
value's path to the write is `semantics/flow.py`'s (locals, arithmetic, conversions,
f-strings, method calls on the value). The finding points at the write; writes on a
`slave_for` client are not "on the master" (the replica refuses them: READONLY).
"""

from __future__ import annotations

from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.flow import FunctionFlow
from redislint.semantics.model import RedisCall


class StaleReplicaRead(Rule):
    CODE = "RL405"

    def check(self) -> None:
        for scope_key, calls in self.model.calls_by_scope().items():
            reads = [call for call in calls if _replica_read(call)]
            if not reads:
                continue
            writes = [call for call in calls if _master_write(call)]
            if not writes:
                continue
            flow = FunctionFlow(self.model, scope_key, reads)
            for write in writes:
                for found in flow.flows_into(write):
                    self._report(found.read, write)
                    break

    def _report(self, read: RedisCall, write: RedisCall) -> None:
        read_key = _glob(read)
        write_key = _glob(write)
        message = (
            f"{read.command} of '{read_key}' is read from a replica and flows into "
            f"{write.command} of '{write_key}' on the master: replication lags, so the "
            "value may be stale and the write overwrites newer data"
        )
        hint = (
            "read the value from the master (`sentinel.master_for(...)`, a client without "
            "`read_from_replicas`) when it feeds a write, or do the update atomically on "
            "the master (INCRBY, a transaction, a Lua script)"
        )
        self.report_call(write, message, hint=hint)


def _replica_read(call: RedisCall) -> bool:
    return (
        call.client.replica
        and call.client.kind == "client"
        and call.info is not None
        and call.info.is_readonly
        and not call.info.is_write
    )


def _master_write(call: RedisCall) -> bool:
    if not call.is_write or call.client.kind not in ("client", "pipeline"):
        return False
    # a slave_for client refuses writes; a read_from_replicas cluster client sends them
    # to the primaries
    return not call.client.replica or call.client.cluster


def _glob(call: RedisCall) -> str:
    for key in call.keys:
        if key.pattern is not None:
            return key.pattern.glob
        return ir.render(key.expr)
    return "?"
