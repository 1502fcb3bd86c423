"""Pipelines a function creates and keeps to itself: what is queued, executed, watched.

RL501 (never executed), RL506 (a queued command's return value used as a reply) and
RL505's fix (whether a pipeline's replies are read) ask the same questions about one
pipeline: where it is created, which name holds it, which commands are queued on it,
whether `execute()` is called, whether `watch()` put it in immediate mode, and whether
it leaves the function (returned, passed to a call, stored, captured by a closure). A
pipeline that leaves the function is somebody else's business: it is not judged.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from redislint.semantics import ir
from redislint.semantics.clients import Client
from redislint.semantics.scopes import CallSite
from redislint.semantics.usage import BodyIndex

if TYPE_CHECKING:
    from redislint.semantics.model import FileModel, RedisCall

# Pipeline methods that neither queue a command nor let the pipeline escape.
_CONTROL = frozenset({"execute", "watch", "unwatch", "multi", "reset", "discard"})


@dataclass(eq=False)
class LocalPipeline:
    """A pipeline created by `client.pipeline()` in one function and bound to a name
    there (`p = r.pipeline()` or `with r.pipeline() as p:`)."""

    create: CallSite
    client: Client
    name: str
    with_node: cst.With | None  # the block that resets it on exit
    body: BodyIndex
    queued: list[RedisCall] = field(default_factory=list)
    executes: list[CallSite] = field(default_factory=list)
    watches: list[CallSite] = field(default_factory=list)
    multis: list[CallSite] = field(default_factory=list)
    escapes: bool = False
    # (sizes of watches and multis, their sorted positions): `immediate_at`'s index
    _orders: tuple[tuple[int, int], list[int], list[int]] | None = field(
        default=None, repr=False, compare=False
    )

    def executed(self) -> bool:
        """Some path calls `execute()` while the commands are still queued (inside the
        `with` block when there is one: leaving it resets the pipeline)."""
        if self.with_node is None:
            return bool(self.executes)
        return any(self.body.inside(site.node, self.with_node.body) for site in self.executes)

    def immediate_at(self, order: int) -> bool:
        """Whether a command at source position `order` runs immediately: after
        `watch()` and before `multi()` a pipeline sends commands as it gets them."""
        # sorted positions and bisection: a pipeline with N commands and N watch() calls
        # stays N log N (issue 12), where a scan per command was quadratic
        if self._orders is None or self._orders[0] != (len(self.watches), len(self.multis)):
            watches = sorted(w.order for w in self.watches)
            multis = sorted(m.order for m in self.multis)
            self._orders = ((len(self.watches), len(self.multis)), watches, multis)
        _, watches, multis = self._orders
        before = bisect_left(watches, order)
        if before == 0:
            return False
        last_watch = watches[before - 1]
        after = bisect_right(multis, last_watch)
        return not (after < len(multis) and multis[after] < order)

    def replies_used(self) -> bool:
        """Whether the list `execute()` returns is read anywhere."""
        return any(self.body.consumer(site.node).kind != "discarded" for site in self.executes)


def local_pipelines(model: FileModel) -> list[LocalPipeline]:
    """Every pipeline that a function creates and binds to a local name, in source order."""
    found: list[LocalPipeline] = []
    calls_by_node: dict[int, RedisCall] | None = None
    sites_by_scope: dict[str, dict[int, CallSite]] = {}
    for site in model.facts.calls:
        if site.method != "pipeline" or site.receiver is None:
            continue
        scope = model.facts.scopes.get(site.scope)
        if scope is None or scope.kind != "function":
            continue  # module level: other modules may import and execute it
        receiver = model.client_of(site.scope, site.receiver)
        if receiver is None or receiver.kind != "client":
            continue
        pipeline = model.client_of(site.scope, site.ir)
        if pipeline is None:
            continue
        body = model.usage.body(site.scope, site.statement)
        bound = _bound_name(site, body)
        if bound is None:
            continue
        name, with_node = bound
        bindings = scope.bindings.get(name, [])
        if len(bindings) != 1:
            continue  # rebound: which pipeline a use refers to is not proven
        local = LocalPipeline(site, pipeline, name, with_node, body)
        if calls_by_node is None:
            calls_by_node = {id(call.node): call for call in model.redis_calls}
        sites_by_node = sites_by_scope.get(site.scope)
        if sites_by_node is None:
            sites_by_node = {id(s.node): s for s in model.scope(site.scope).calls}
            sites_by_scope[site.scope] = sites_by_node
        _collect_uses(local, calls_by_node, sites_by_node)
        found.append(local)
    return found


def _bound_name(site: CallSite, body: BodyIndex) -> tuple[str, cst.With | None] | None:
    parent = body.parent_of(site.node)
    if isinstance(parent, cst.Await):  # `async with await ...` is not a pipeline shape
        return None
    if isinstance(parent, cst.WithItem) and parent.item is site.node:
        target = parent.asname.name if parent.asname is not None else None
        with_node = body.parent_of(parent)
        if isinstance(target, cst.Name) and isinstance(with_node, cst.With):
            return target.value, with_node
        return None
    consumer = body.consumer(site.node)
    if consumer.kind == "assigned" and consumer.name is not None and not consumer.awaited:
        return consumer.name, None
    return None


def _collect_uses(
    local: LocalPipeline,
    calls_by_node: dict[int, RedisCall],
    sites_by_node: dict[int, CallSite],
) -> None:
    """The uses of the pipeline's name. The two indexes are built once per file and per
    function by `local_pipelines` (one per pipeline made N pipelines quadratic)."""
    body = local.body
    for use in body.names.get(local.name, []):
        parent = body.parent_of(use)
        if _is_binding_target(use, parent, body):
            continue
        consumer = body.consumer(use)
        if consumer.kind != "method" or consumer.awaited:
            local.escapes = True
            continue
        chain = _chain(consumer.node, body)
        for call_node, method in chain:
            site = sites_by_node.get(id(call_node))
            if site is None:
                local.escapes = True  # in a nested function: it leaves this body
                break
            if method == "execute":
                local.executes.append(site)
            elif method == "watch":
                local.watches.append(site)
            elif method == "multi":
                local.multis.append(site)
            elif method in _CONTROL:
                pass
            elif id(call_node) in calls_by_node:
                local.queued.append(calls_by_node[id(call_node)])
            else:
                local.escapes = True  # an unknown method: not judged
                break


def _chain(call: cst.CSTNode | None, body: BodyIndex) -> list[tuple[cst.Call, str]]:
    """`p.set(...).expire(...).execute()`: each call of the chain with its method."""
    chain: list[tuple[cst.Call, str]] = []
    while isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
        chain.append((call, call.func.attr.value))
        consumer = body.consumer(call)
        if consumer.kind != "method" or consumer.awaited:
            break
        call = consumer.node
    return chain


def _is_binding_target(name: cst.Name, parent: cst.CSTNode | None, body: BodyIndex) -> bool:
    if isinstance(parent, cst.AsName):
        return True
    if isinstance(parent, cst.AssignTarget) and parent.target is name:
        return True
    return isinstance(parent, cst.AnnAssign) and parent.target is name


def queued_on_local(model: FileModel) -> dict[int, LocalPipeline]:
    """id(RedisCall) -> the local pipeline it is queued on."""
    return {id(call): local for local in model.pipelines for call in local.queued}


def receiver_name(call: RedisCall) -> str | None:
    """The plain name a command is called on (`p` in `p.set(...)`)."""
    receiver = call.site.receiver
    return receiver.id if isinstance(receiver, ir.Name) else None
