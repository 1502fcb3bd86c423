"""RL202 ttl-on-critical-key: an expiry put on a key whose data must not vanish.

A key in a `critical` namespace mirrors records of the primary database, and a key
in a `primary` namespace is the only copy of its data. An expiry on either makes
Redis delete it on a timer, with no error anywhere: readers simply find nothing.

Expiries are recognised from the command table's redis-py parameters, so keyword
and positional spellings (`set(k, v, ex=60)`, `set(k, v, 60)`) agree, and from
`execute_command` tokens. A literal `ex=None` is no expiry. Only keys whose
namespace is declared count; unknown keys never match a namespace.
"""

from __future__ import annotations

import libcst as cst

from redislint.rules._base import NodeEdit, NodeFix, Rule
from redislint.semantics.expiry import FIELD_EXPIRE
from redislint.semantics.keys import KeyPattern
from redislint.semantics.model import RedisCall

PROTECTED_ROLES = ("critical", "primary")

_CONSEQUENCE = {
    "critical": "critical keys must live as long as the records they copy",
    "primary": "Redis holds the only copy of this data",
}


class TtlOnCriticalKey(Rule):
    CODE = "RL202"

    def check(self) -> None:
        for call in self.model.redis_calls:
            expiry = self.model.expiry(call)
            if not expiry.sets:
                continue
            protected = self._protected_key(call)
            if protected is None:
                continue
            pattern, role, namespace = protected
            target = "its fields" if call.command in FIELD_EXPIRE else "it"
            message = (
                f"expiry on {role} key '{pattern.glob}' (namespace '{namespace}'): "
                f"{expiry.description} makes Redis delete {target} when the TTL runs out; "
                f"{_CONSEQUENCE[role]}"
            )
            hint = (
                "drop the expiry (PERSIST keys that already have one), or declare the "
                "namespace as cache/ephemeral if its data may really expire"
            )
            self.report_call(call, message, hint=hint, fix=self._fix(call, list(expiry.args)))

    # -- which key ------------------------------------------------------------------------
    def _protected_key(self, call: RedisCall) -> tuple[KeyPattern, str, str] | None:
        """The first key of the call in a critical or primary namespace."""
        patterns = [key.pattern for key in call.keys]
        if (
            not patterns
            and call.method == "execute_command"
            and call.command in FIELD_EXPIRE
            and len(call.site.ir.args) > 1
        ):
            # Commands newer than the generating server (HEXPIRE, HSETEX, ...) carry
            # no key positions; all of those this rule knows take the key first.
            patterns = [
                self.model.key_pattern(call.site.scope, call.site.ir.args[1], call.site.position)
            ]
        for pattern in patterns:
            entry = self.model.namespace(pattern)
            if pattern is not None and entry is not None and entry.role in PROTECTED_ROLES:
                return pattern, entry.role, entry.pattern
        return None

    # -- the fix --------------------------------------------------------------------------
    def _fix(self, call: RedisCall, args: list[cst.Arg]) -> NodeFix | None:
        """Drop SET's expiry arguments (unsafe: the key then never expires).

        Only SET has a fix: without its expiry it is still the same write, whereas
        SETEX or EXPIRE would need rewriting into another command, which is the
        author's decision. A positional expiry followed by more positional
        arguments becomes `None` so that the later arguments keep their places.
        """
        if call.method != "set" or not args:
            return None
        node = call.node
        removed = {id(a) for a in args}
        positional_after: set[int] = set()
        seen_positional = False
        for argument in reversed(node.args):
            if argument.keyword is None and not argument.star:
                if seen_positional:
                    positional_after.add(id(argument))
                seen_positional = True
        new_args: list[cst.Arg] = []
        for argument in node.args:
            if id(argument) not in removed:
                new_args.append(argument)
            elif id(argument) in positional_after:
                new_args.append(argument.with_changes(value=cst.Name("None")))
        if new_args and id(node.args[-1]) in removed:
            new_args[-1] = _new_last(new_args[-1], node.args[-1])
        edit = NodeEdit(node, node.with_changes(args=new_args))
        return NodeFix("unsafe", "Remove the expiry from SET", (edit,))


def _new_last(kept: cst.Arg, removed: cst.Arg) -> cst.Arg:
    """`kept` made the last argument in place of `removed`.

    It takes over the layout before the closing bracket (a trailing comma or none,
    the bracket's own line) but keeps its own end-of-line comment; the removed
    argument's comment goes with it.
    """
    own = kept.comma.whitespace_after if isinstance(kept.comma, cst.Comma) else None
    if not isinstance(removed.comma, cst.Comma) or not isinstance(kept.comma, cst.Comma):
        closing = removed.whitespace_after_arg
        if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(
            own, cst.ParenthesizedWhitespace
        ):
            closing = closing.with_changes(first_line=own.first_line)
        return kept.with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=closing)
    after = removed.comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace) and isinstance(
        own, cst.ParenthesizedWhitespace
    ):
        after = after.with_changes(first_line=own.first_line)
    return kept.with_changes(
        comma=kept.comma.with_changes(whitespace_after=after),
        whitespace_after_arg=removed.whitespace_after_arg,
    )
