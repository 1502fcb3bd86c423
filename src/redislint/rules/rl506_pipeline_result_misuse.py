"""RL506 pipeline-result-misuse: a queued command's return value used as the reply.

On a pipeline, `p.get(k)` queues GET and returns the pipeline itself; the reply comes
later, in the list `execute()` returns. Code that tests, compares, indexes, iterates,
formats or converts that return value works on the pipeline object: `if p.exists(k):` is
always true, `p.get(k) == b"x"` always false.

Judged only on pipelines the function creates itself (`semantics/pipelines.py`), because
after `watch()` (and before `multi()`) a pipeline executes immediately and returns real
replies, and a pipeline received from elsewhere (a `transaction()` callback) may be in
that mode. The finding points at the first use of the return value.
"""

from __future__ import annotations

import libcst as cst

from redislint.rules._base import Rule
from redislint.semantics.pipelines import queued_on_local
from redislint.semantics.usage import BodyIndex, Consumer

# Uses of a value that treat it as data.
_REPLY_USES = frozenset({"compared", "tested", "arithmetic", "formatted", "iterated", "subscript"})
# Builtins and converters that read a reply.
_READERS = frozenset(
    {
        "int",
        "float",
        "str",
        "bool",
        "len",
        "list",
        "dict",
        "set",
        "tuple",
        "sorted",
        "sum",
        "json.loads",
        "loads",
        "pickle.loads",
    }
)


class PipelineResultMisuse(Rule):
    CODE = "RL506"

    def check(self) -> None:
        locals_by_call = queued_on_local(self.model)
        for call in self.model.redis_calls:
            local = locals_by_call.get(id(call))
            if local is None or local.immediate_at(call.site.order):
                continue
            body = local.body
            consumer = body.consumer(call.node)
            use = self._misuse(consumer, body)
            if use is None and consumer.kind == "assigned" and consumer.name is not None:
                use = self._misused_name(consumer.name, call.node, body)
            if use is None:
                continue
            self.report(
                use,
                f"{call.method}() on pipeline '{local.name}' returns the pipeline, not the"
                f" {call.command} reply: this use reads the pipeline object",
                hint="read the reply from the list that execute() returns",
            )

    def _misuse(self, consumer: Consumer, body: BodyIndex) -> cst.CSTNode | None:
        if consumer.awaited:
            return None
        if consumer.kind in _REPLY_USES:
            if consumer.kind == "compared" and _identity(consumer.node):
                return None
            return consumer.value
        if consumer.kind == "argument" and isinstance(consumer.node, cst.Call):
            func = consumer.node.func
            name = _dotted(func)
            if name in _READERS:
                return consumer.value
        if consumer.kind == "method" and consumer.name in ("decode", "items", "keys", "values"):
            return consumer.value
        return None

    def _misused_name(self, name: str, call: cst.Call, body: BodyIndex) -> cst.CSTNode | None:
        if len([n for n in body.names.get(name, []) if _is_store(n, body)]) != 1:
            return None  # rebound: the use may read another value
        for use in body.names.get(name, []):
            if _is_store(use, body):
                continue
            found = self._misuse(body.consumer(use), body)
            if found is not None:
                return found
        return None


def _is_store(name: cst.Name, body: BodyIndex) -> bool:
    parent = body.parent_of(name)
    return isinstance(parent, cst.AssignTarget | cst.AsName | cst.AugAssign) or (
        isinstance(parent, cst.AnnAssign | cst.For | cst.CompFor)
        and getattr(parent, "target", None) is name
    )


def _identity(comparison: cst.CSTNode | None) -> bool:
    """`p.set(...) is p`: comparing identities is about the object, not a reply."""
    if not isinstance(comparison, cst.Comparison):
        return False
    return all(isinstance(t.operator, cst.Is | cst.IsNot) for t in comparison.comparisons)


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None
