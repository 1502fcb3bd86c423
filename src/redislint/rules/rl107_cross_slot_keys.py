"""RL107 cross-slot-keys: keys that must share a cluster slot and are not proven to.

In Redis Cluster a multi-key command (MGET, RENAME, SINTERSTORE, ...), a MULTI/EXEC
transaction and a script may only touch keys of one hash slot; otherwise the server
(or redis-py's cluster client, before sending) refuses it with CROSSSLOT. The slot
question is answered by `semantics/slots.py` (Redis's CRC16 and hash-tag rules).

What keeps the rule quiet where it cannot be sure:
- only in cluster mode: config `cluster = true`, or a proven `RedisCluster` client;
- only proven clients, pipelines and registered scripts (the model's `redis_calls`);
- a key that cannot be resolved, or that starts with an unknown value (an
  application prefix such as `{app}` may carry the hash tag), is not judged;
- redis-py's `RedisCluster` splits DEL, EXISTS, TOUCH and UNLINK by slot itself, so
  those are judged only on plain clients (a cluster configured with `cluster = true`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.commands import CommandTable
from redislint.semantics.model import KeyArg, RedisCall
from redislint.semantics.slots import SlotKey, same_slot, slot_of

# redis-py's RedisCluster sends these per slot (`_split_command_across_slots`).
_SPLIT_BY_CLUSTER_CLIENT = frozenset({"DEL", "EXISTS", "TOUCH", "UNLINK"})
# Pipeline methods that end (or restart) the queued transaction.
_ENDS_TRANSACTION = frozenset({"execute", "reset", "discard", "multi"})

_VERDICT = {
    False: "hash to different cluster slots",
    None: "cannot be proven to hash to one cluster slot",
}
HINT = "add a shared hash tag to the keys (`{user:42}:profile`, `{user:42}:friends`)"


@dataclass
class _Transaction:
    """The queued commands of one transactional pipeline, until `execute()`."""

    first: tuple[KeyArg, SlotKey] | None = None
    settled: bool = False  # reported, or its first key cannot be judged
    immediate: bool = False  # after watch(), before multi(): commands run at once


class CrossSlotKeys(Rule):
    CODE = "RL107"

    def check(self) -> None:
        model = self.model
        in_cluster = [c for c in model.redis_calls if model.config.cluster or c.client.cluster]
        if not in_cluster:
            return
        for call in in_cluster:
            self._multi_key(call)
        self._transactions({id(c.node): c for c in in_cluster})

    # -- one command ----------------------------------------------------------------
    def _keys(self, call: RedisCall) -> tuple[KeyArg, ...]:
        return call.keys + self.model.numkeys_keys(call)

    def _multi_key(self, call: RedisCall) -> None:
        if (
            call.client.kind == "client"
            and call.client.cluster
            and call.method != "execute_command"
            and call.command in _SPLIT_BY_CLUSTER_CLIENT
        ):
            return
        keys = self._keys(call)
        if len(keys) < 2:
            return
        shapes = self._shapes(call, keys)
        if shapes is None:
            return
        first = shapes[0]
        for other in shapes[1:]:
            verdict = same_slot(first[1], other[1])
            if verdict is not True:
                what = "script" if call.is_atomic_unit else call.command
                self.report_call(
                    call,
                    f"{what} keys {self._pair(first, other)} {_VERDICT[verdict]}: "
                    "CROSSSLOT at run time",
                    hint=HINT,
                )
                return

    def _shapes(
        self, call: RedisCall, keys: tuple[KeyArg, ...]
    ) -> list[tuple[KeyArg, SlotKey]] | None:
        """The keys as slot shapes; None when one cannot be judged."""
        shapes = []
        for key in keys:
            shape = self._shape(call, key)
            if shape is None:
                return None
            shapes.append((key, shape))
        return shapes

    def _shape(self, call: RedisCall, key: KeyArg) -> SlotKey | None:
        if key.pattern is None:
            return None
        shape = self.model.slot_keys.key(self.model.facts, call.site.scope, key.expr)
        return None if shape.opaque else shape

    def _pair(self, first: tuple[KeyArg, SlotKey], other: tuple[KeyArg, SlotKey]) -> str:
        text = f"{self._text(first[0])} and {self._text(other[0])}"
        slots = (slot_of(first[1]), slot_of(other[1]))
        if slots[0] is not None and slots[1] is not None:
            text += f" (slots {slots[0]} and {slots[1]})"
        return text

    def _text(self, key: KeyArg) -> str:
        if key.node is not None:
            return "`" + " ".join(self.code_for(key.node).split()) + "`"
        return f"`{ir.render(key.expr)}`"

    # -- transactions ---------------------------------------------------------------
    def _transactions(self, calls: dict[int, RedisCall]) -> None:
        model, resolver = self.model, self.model.resolver
        for scope in model.facts.scopes.values():
            open_: dict[Hashable, _Transaction] = {}
            for site in scope.calls:
                receiver = _pipeline_root(site.receiver)
                if receiver is None:
                    continue
                identity = resolver.identity(model.facts, site.scope, receiver)
                if site.method in _ENDS_TRANSACTION:
                    open_.pop(identity, None)
                    continue
                if site.method == "watch":
                    open_[identity] = _Transaction(immediate=True)
                    continue
                call = calls.get(id(site.node))
                if call is None or not call.in_transaction:
                    continue
                state = open_.setdefault(identity, _Transaction())
                if state.settled or state.immediate:
                    continue
                self._queued(call, state)

    def _queued(self, call: RedisCall, state: _Transaction) -> None:
        for key in self._keys(call):
            shape = self._shape(call, key)
            if state.first is None:
                if shape is None:
                    state.settled = True  # the slot of the transaction is unknown
                    return
                state.first = (key, shape)
                continue
            if shape is None:
                continue
            verdict = same_slot(state.first[1], shape)
            if verdict is not True:
                self.report_call(
                    call,
                    f"transaction keys {self._pair(state.first, (key, shape))} "
                    f"{_VERDICT[verdict]}: the MULTI/EXEC fails with CROSSSLOT",
                    hint=HINT,
                )
                state.settled = True
                return


def _pipeline_root(receiver: ir.IR | None) -> ir.IR | None:
    """`pipe` for `pipe.set(a).set(b)`: chained queued commands return the pipeline."""
    table = CommandTable.load()
    while (
        isinstance(receiver, ir.Call)
        and isinstance(receiver.func, ir.Attr)
        and (receiver.func.attr == "execute_command" or table.method(receiver.func.attr))
    ):
        receiver = receiver.func.value
    return receiver
