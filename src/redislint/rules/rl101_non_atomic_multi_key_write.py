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
  is not atomic, so its queued writes form a group of their own.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.clients import ProjectModule
from redislint.semantics.keys import KeyPattern
from redislint.semantics.model import RedisCall
from redislint.semantics.scopes import ModuleFacts

# Roles whose keys may be left half-updated on purpose (rules.md "Roles").
EXEMPT_ROLES = frozenset({"cache", "ephemeral"})
# Commands the table flags as writes that only write when given a destination.
READ_UNLESS_STORED: dict[str, tuple[str, ...]] = {
    "SORT": ("store",),
    "GEORADIUS": ("store", "store_dist"),
    "GEORADIUSBYMEMBER": ("store", "store_dist"),
}
# How many alias hops (`other = alias = r`) are followed to find one client's identity.
_MAX_ALIAS_DEPTH = 8


@dataclass(frozen=True)
class _Key:
    """One key written: its pattern, and the variables its wildcards come from."""

    pattern: KeyPattern
    variables: frozenset[str] | None  # None: not known, never matched


@dataclass
class _Group:
    """The non-atomic writes made on one client in one function body."""

    writes: list[RedisCall] = field(default_factory=list)
    keys: list[_Key] = field(default_factory=list)  # distinct keys, first seen first
    pipeline: bool = False

    def add(self, key: _Key) -> None:
        if not any(_same_key(key, seen) for seen in self.keys):
            self.keys.append(key)


def _same_key(a: _Key, b: _Key) -> bool:
    """Whether two keys may be one key, so that writing both proves nothing.

    Equal identities are the same key (rules.md). Two spellings of one key over the
    same variables (`acct_key(uid)` and `f"acct:{uid}"`) have different identities
    but the same glob and variables: they are not proven different either, so they
    are not counted twice. `acct:{src}` and `acct:{dst}` differ in their variables.
    """
    if a.pattern.identity == b.pattern.identity:
        return True
    return (
        a.pattern.glob == b.pattern.glob
        and a.variables is not None
        and bool(a.variables)
        and a.variables == b.variables
    )


class NonAtomicMultiKeyWrite(Rule):
    CODE = "RL101"

    def check(self) -> None:
        for scope_key, calls in self.model.calls_by_scope().items():
            explicit_multi = self._explicit_multi(scope_key)
            groups: dict[Hashable, _Group] = {}
            for call in calls:
                identities = self._counted_keys(call)
                if not identities:
                    continue
                receiver = call.site.receiver
                if receiver is None:
                    continue
                client = self._identity(self.model.facts, call.site.scope, receiver)
                if client in explicit_multi:
                    continue
                group = groups.setdefault(client, _Group(pipeline=call.client.kind == "pipeline"))
                group.writes.append(call)
                for key in identities:
                    group.add(key)
            for group in groups.values():
                if len(group.writes) >= 2 and len(group.keys) >= 2:
                    self._report(group)

    # -- what counts --------------------------------------------------------------------
    def _counted_keys(self, call: RedisCall) -> list[_Key]:
        """The keys this call writes non-atomically, if any."""
        if not call.is_write or call.in_transaction or call.is_atomic_unit:
            return []
        if call.client.kind == "pipeline" and call.client.transactional is not False:
            return []  # unknown transactional status: not proven non-atomic
        keys = call.keys
        if call.command in READ_UNLESS_STORED:
            # Flagged as writes because they *may* store; they write only the
            # destination, and only when one is given (`sort_ro` never does).
            if call.method == "execute_command":
                return []
            stored = [call.param(name) for name in READ_UNLESS_STORED[call.command]]
            targets = {id(arg.value) for arg in stored if arg is not None}
            keys = tuple(key for key in keys if id(key.node) in targets)
        found = []
        for key in keys:
            if key.pattern is None or self.model.role(key.pattern) in EXEMPT_ROLES:
                continue
            found.append(_Key(key.pattern, self._variables(call.site.scope, key.expr)))
        return found

    def _variables(self, scope: str, expr: ir.IR) -> frozenset[str] | None:
        """The non-constant names and attributes a key expression is built from."""
        if isinstance(expr, ir.Str | ir.Num | ir.Const):
            return frozenset()
        if isinstance(expr, ir.Name | ir.Attr):
            if self.model.constant(scope, expr) is not None:
                return frozenset()
            name = ir.dotted(expr)
            return frozenset({name}) if name is not None else None
        parts: list[ir.IR]
        if isinstance(expr, ir.FStr):
            parts = [p for p in expr.parts if isinstance(p, ir.IR)]
        elif isinstance(expr, ir.BinOp):
            parts = [expr.left, expr.right]
        elif isinstance(expr, ir.Call):  # a key builder, str(), "...".format()
            parts = list(expr.args) + [value for _, value in expr.kwargs]
            if isinstance(expr.func, ir.Attr) and expr.func.attr in ("format", "join"):
                parts.append(expr.func.value)
        elif isinstance(expr, ir.Seq):
            parts = list(expr.items)
        else:
            return None
        found: set[str] = set()
        for part in parts:
            names = self._variables(scope, part)
            if names is None:
                return None
            found |= names
        return frozenset(found)

    def _explicit_multi(self, scope_key: str) -> set[Hashable]:
        """Pipelines switched into MULTI by hand (`pipe.multi()`) in this body.

        `pipeline(transaction=False)` followed by `multi()` does queue a MULTI/EXEC
        block, so its writes are atomic after all.
        """
        found: set[Hashable] = set()
        for site in self.model.scope(scope_key).calls:
            if site.method == "multi" and site.receiver is not None:
                found.add(self._identity(self.model.facts, site.scope, site.receiver))
        return found

    # -- which client ---------------------------------------------------------------------
    def _identity(self, facts: ModuleFacts, scope: str, expr: ir.IR, depth: int = 0) -> Hashable:
        """A value equal for two receivers that name the same client object.

        Plain aliases (`other = r`), imports (`from app.db import client`) and module
        attributes (`db.client`) are followed to the name they stand for, so writes
        through two names of one module-level client form one group. Anything else
        keeps its own expression: a separately built client or pipeline is another
        connection, and merging it would claim an atomicity boundary that is not there.
        """
        resolver = self.model.resolver
        fallback = ("expr", facts.path, scope, expr)
        if depth > _MAX_ALIAS_DEPTH:
            return fallback
        if isinstance(expr, ir.Name):
            found = resolver.lookup(facts, scope, expr.id)
            if found is None:
                return fallback
            owner, bindings = found
            if len(bindings) == 1:
                binding = bindings[0]
                if binding.kind == "assign" and isinstance(binding.value, ir.Name | ir.Attr):
                    return self._identity(facts, binding.scope, binding.value, depth + 1)
                if binding.kind == "import" and binding.qualname:
                    return self._imported(binding.qualname, depth)
            return ("name", facts.path, owner.key, expr.id)
        if isinstance(expr, ir.Attr):
            base = resolver.value(facts, scope, expr.value)
            if isinstance(base, ProjectModule):
                return self._imported(f"{base.name}.{expr.attr}", depth)
            return ("attr", self._identity(facts, scope, expr.value, depth + 1), expr.attr)
        return fallback

    def _imported(self, qualname: str, depth: int) -> Hashable:
        """The identity of a module-level name reached through an import."""
        module_name, _, name = qualname.rpartition(".")
        target = self.model.resolver._load_module(module_name) if module_name else None
        if target is not None and name in target.scopes[""].bindings:
            return self._identity(target, "", ir.Name(name), depth + 1)
        return ("import", qualname)

    # -- reporting ----------------------------------------------------------------------
    def _report(self, group: _Group) -> None:
        first = group.writes[0]
        globs = list(dict.fromkeys(key.pattern.glob for key in group.keys))
        where = "on a non-transactional pipeline" if group.pipeline else "outside a transaction"
        message = (
            f"{len(group.writes)} writes to {len(group.keys)} different keys "
            f"({', '.join(globs)}) {where}: a failure between them leaves the keys "
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
                f"group them in `with {name}.pipeline() as p: ...; p.execute()` (MULTI/EXEC) "
                "or a Lua script"
            )
        self.report_call(first, message, hint=hint)
