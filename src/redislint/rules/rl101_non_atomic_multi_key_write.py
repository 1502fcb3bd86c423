"""RL101 non-atomic-multi-key-write: several writes to different keys outside a transaction.

Each Redis command is atomic on its own, but a function that updates `order:{id}`
and then `stock:{sku}` with two separate commands can be interrupted between them
(a crash, a timeout, a deploy), leaving one key updated and the other not. The
writes are grouped per client in one function body (or the module body): callees
are judged on their own, because the caller cannot see whether a callee is
transactional.

What keeps the rule quiet where it cannot be sure:
- only proven clients and pipelines (the model's `redis_calls`);
- a write whose key cannot be resolved is not counted: two unknown keys might be
  the same key, and "different keys" is the whole claim;
- keys in cache and ephemeral namespaces are left out, since those may be
  partially updated by design;
- commands queued on a transactional pipeline (including `transaction()` callbacks
  and pipelines handed to helpers), scripts and EVAL/FCALL are atomic; a pipeline
  whose transactional status is unknown is not judged. A `pipeline(transaction=False)`
  is not atomic, so its queued writes form a group of their own;
- writes on mutually exclusive paths (if/else arms, match cases, a try body and its
  handler) are not a group by themselves, and blocking pops never join one
  (`semantics/atomicity.py`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.atomicity import BLOCKING_POPS, mutually_exclusive, pair_runs_together
from redislint.semantics.dialect import transaction_block
from redislint.semantics.keys import KeyPattern
from redislint.semantics.model import RedisCall

# Roles whose keys may be left half-updated on purpose (rules.md "Roles").
EXEMPT_ROLES = frozenset({"cache", "ephemeral"})


@dataclass
class _Group:
    """The non-atomic writes made on one client in one function body."""

    writes: list[RedisCall] = field(default_factory=list)
    keys: list[KeyPattern] = field(default_factory=list)  # distinct keys, first seen first
    pipeline: bool = False
    written: list[list[KeyPattern]] = field(default_factory=list)  # per write, its keys

    # What `same_key` compares, for the keys seen so far: "is this key new?" is two set
    # lookups instead of a scan of every distinct key (issue 12: quadratic in writes).
    _identities: set[str] = field(default_factory=set)
    _spellings: set[tuple[str, frozenset[str]]] = field(default_factory=set)

    def add(self, key: KeyPattern) -> None:
        spelling = (key.glob, key.variables) if key.variables else None
        if key.identity in self._identities or (
            spelling is not None and spelling in self._spellings
        ):
            return
        self.keys.append(key)
        self._identities.add(key.identity)
        if spelling is not None:
            self._spellings.add(spelling)

    def runs_together(self) -> bool:
        """Two writes to different keys that can both run in one call of the function
        (writes on mutually exclusive paths are not a group by themselves)."""
        labels = _labels(self.written)
        if labels is None:
            return self._some_pair_runs_together()
        return pair_runs_together(
            zip((write.site.blocks for write in self.writes), labels, strict=True)
        )

    def _some_pair_runs_together(self) -> bool:
        """The same question asked of every pair: for keys `_labels` cannot label."""
        for i, first in enumerate(self.writes):
            for j in range(i + 1, len(self.writes)):
                second = self.writes[j]
                if mutually_exclusive(first.site.blocks, second.site.blocks):
                    continue
                keys = self.written[i] + self.written[j]
                if any(not keys[0].same_key(other) for other in keys[1:]):
                    return True
        return False


def _labels(written: list[list[KeyPattern]]) -> list[list[Hashable]] | None:
    """Per write, a label per key such that equal labels are exactly `same_key`.

    `same_key` is "equal identity, or equal glob over the same (non-empty) variables";
    labelling a key by its glob and variables when it has variables, else by its
    identity, is exact when one identity always comes with one glob and one set of
    variables. That holds for keys resolved in one function; should it not (None), the
    caller compares pairs instead of giving a different answer.
    """
    seen: dict[str, tuple[str, frozenset[str] | None]] = {}
    labels: list[list[Hashable]] = []
    for keys in written:
        labels.append([])
        for key in keys:
            spelling = (key.glob, key.variables)
            if seen.setdefault(key.identity, spelling) != spelling:
                return None
            labels[-1].append(spelling if key.variables else key.identity)
    return labels


class NonAtomicMultiKeyWrite(Rule):
    CODE = "RL101"

    def check(self) -> None:
        resolver, facts = self.model.resolver, self.model.facts
        for scope_key, calls in self.model.calls_by_scope().items():
            explicit_multi = self._explicit_multi(scope_key)
            groups: dict[Hashable, _Group] = {}
            for call in calls:
                keys = self._counted_keys(call)
                receiver = call.site.receiver
                if not keys or receiver is None:
                    continue
                client = resolver.identity(facts, call.site.scope, receiver)
                if client in explicit_multi:
                    continue
                group = groups.setdefault(client, _Group(pipeline=call.client.kind == "pipeline"))
                group.writes.append(call)
                group.written.append(keys)
                for key in keys:
                    group.add(key)
            for group in groups.values():
                if len(group.writes) >= 2 and len(group.keys) >= 2 and group.runs_together():
                    self._report(group)

    def _counted_keys(self, call: RedisCall) -> list[KeyPattern]:
        """The keys this call writes non-atomically, if any."""
        if not call.is_write or call.in_transaction or call.is_atomic_unit:
            return []
        if call.command in BLOCKING_POPS:
            return []  # consumes (waits for work); never part of a group
        if call.client.kind == "pipeline" and call.client.transactional is not False:
            return []  # unknown transactional status: not proven non-atomic
        return [
            key.pattern
            for key in call.written_keys
            if key.pattern is not None and self.model.role(key.pattern) not in EXEMPT_ROLES
        ]

    def _explicit_multi(self, scope_key: str) -> set[Hashable]:
        """Pipelines switched into MULTI by hand (`pipe.multi()`) in this body.

        `pipeline(transaction=False)` followed by `multi()` does queue a MULTI/EXEC
        block, so its writes are atomic after all.
        """
        resolver, facts = self.model.resolver, self.model.facts
        return {
            resolver.identity(facts, site.scope, site.receiver)
            for site in self.model.scope(scope_key).calls
            if site.method == "multi" and site.receiver is not None
        }

    # -- reporting ----------------------------------------------------------------------
    def _report(self, group: _Group) -> None:
        first = group.writes[0]
        globs = list(dict.fromkeys(key.glob for key in group.keys))
        quoted = ", ".join(f"'{glob}'" for glob in globs)  # as every message quotes a key
        where = "on a non-transactional pipeline" if group.pipeline else "outside a transaction"
        message = (
            f"{len(group.writes)} writes to {len(group.keys)} different keys "
            f"({quoted}) {where}: a failure between them leaves the keys "
            "partially updated"
        )
        receiver = first.site.receiver
        name = ir.render(receiver) if receiver is not None else "r"
        if group.pipeline:
            hint = (
                "make the pipeline transactional (`pipeline()` / `pipeline(transaction=True)`, "
                "MULTI/EXEC) or move the writes into a Lua script"
            )
        else:
            hint = (
                f"group them in {transaction_block(name, first.client.is_async)} (MULTI/EXEC) "
                "or a Lua script"
            )
        self.report_call(first, message, hint=hint)
