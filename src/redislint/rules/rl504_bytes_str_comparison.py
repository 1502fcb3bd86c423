"""RL504 bytes-str-comparison: a reply compared with a `str` on a client that returns bytes.

Without `decode_responses=True`, redis-py returns string replies as `bytes`, and
`b"ok" == "ok"` is False: the comparison is always False (`!=` always True), and
`"x" in r.smembers(k)` never finds anything. Reported only on a client whose
configuration is proven (`semantics/clients.py: decode_responses_of`: the constructor is
visible and nothing else can turn decoding on); a client of unknown configuration (a
factory, `**kwargs`, a connection pool, a URL that is not a literal) is silent.

Shapes: the call itself, awaited or not, as an operand of `==`, `!=`, `in`, `not in`
against a str literal (or a tuple/list/set of them); and a local name assigned once from
the call, compared the same way in that function.
"""

from __future__ import annotations

import libcst as cst

from redislint.rules._base import Rule
from redislint.semantics.model import RedisCall
from redislint.semantics.replies import COLLECTION_REPLY, STRING_REPLY
from redislint.semantics.usage import BodyIndex

_EQUALITY = (cst.Equal, cst.NotEqual)
_MEMBERSHIP = (cst.In, cst.NotIn)


class BytesStrComparison(Rule):
    CODE = "RL504"

    def check(self) -> None:
        for call in self.model.redis_calls:
            if call.client.decode_responses is not False or call.client.kind != "client":
                continue
            if call.command not in STRING_REPLY and call.command not in COLLECTION_REPLY:
                continue
            body = self.model.usage.body(call.site.scope, call.site.statement)
            consumer = body.consumer(call.node)
            value: cst.CSTNode | None = consumer.value
            found = None
            if consumer.kind == "compared" and value is not None:
                found = _str_comparison(consumer.node, value, call.command)
            elif consumer.kind == "assigned" and consumer.name is not None:
                found = self._through_name(consumer.name, body, call.command)
            if found is None:
                continue
            comparison, literal = found
            self._report(call, comparison, literal)

    def _through_name(
        self, name: str, body: BodyIndex, command: str
    ) -> tuple[cst.Comparison, str] | None:
        uses = body.names.get(name, [])
        stores = [u for u in uses if isinstance(body.parent_of(u), cst.AssignTarget)]
        if len(stores) != 1:
            return None
        for use in uses:
            consumer = body.consumer(use)
            if consumer.kind == "compared":
                found = _str_comparison(consumer.node, use, command)
                if found is not None:
                    return found
        return None

    def _report(self, call: RedisCall, comparison: cst.Comparison, literal: str) -> None:
        kind = "bytes" if call.command in STRING_REPLY else "a collection of bytes"
        self.report(
            comparison,
            f"{call.command} replies {kind} on this client (no decode_responses=True):"
            f" comparing with the str {literal} is always "
            f"{'True' if _negated(comparison) else 'False'}",
            statement=call.site.statement,
            hint=f"compare with b{literal}, or create the client with decode_responses=True",
        )


def _str_comparison(
    comparison: cst.CSTNode | None, value: cst.CSTNode, command: str
) -> tuple[cst.Comparison, str] | None:
    """The comparison and the str literal when `value` is compared with a str there."""
    if not isinstance(comparison, cst.Comparison) or len(comparison.comparisons) != 1:
        return None
    target = comparison.comparisons[0]
    operator = target.operator
    left, right = comparison.left, target.comparator
    if isinstance(operator, _EQUALITY) and command in STRING_REPLY:
        other = right if left is value else left if right is value else None
        literal = _str_literal(other)
        return (comparison, literal) if literal is not None else None
    if isinstance(operator, _MEMBERSHIP) and command in COLLECTION_REPLY and right is value:
        literal = _str_literal(left)
        return (comparison, literal) if literal is not None else None
    if (
        isinstance(operator, _MEMBERSHIP)
        and command in STRING_REPLY
        and left is value
        and isinstance(right, cst.Tuple | cst.List | cst.Set)
        and right.elements
    ):
        texts = [_str_literal(e.value) for e in right.elements]
        if all(t is not None for t in texts):
            return comparison, str(texts[0])
    return None


def _str_literal(node: cst.CSTNode | None) -> str | None:
    """The source of a str (not bytes) literal."""
    if isinstance(node, cst.SimpleString):
        prefix = node.prefix.lower()
        return None if "b" in prefix else node.value
    if isinstance(node, cst.FormattedString):
        return None if "b" in node.start.lower() else '"..."'
    if isinstance(node, cst.ConcatenatedString):
        left = _str_literal(node.left)
        return left if left is not None and _str_literal(node.right) is not None else None
    return None


def _negated(comparison: cst.Comparison) -> bool:
    return isinstance(comparison.comparisons[0].operator, cst.NotEqual | cst.NotIn)
