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

from dataclasses import dataclass

import libcst as cst
from libcst._nodes.internal import CodegenState

from redislint.rules._base import NodeEdit, NodeFix, Rule
from redislint.semantics import ir
from redislint.semantics.keys import KeyPattern
from redislint.semantics.model import RedisCall

PROTECTED_ROLES = ("critical", "primary")
EXPIRY_PARAMS = ("ex", "px", "exat", "pxat")
EXPIRY_TOKENS = frozenset(p.upper() for p in EXPIRY_PARAMS)

# Commands that always set an expiry (on the key, or on hash fields for the H* ones).
ALWAYS_EXPIRE = frozenset(
    {
        "SETEX",
        "PSETEX",
        "EXPIRE",
        "PEXPIRE",
        "EXPIREAT",
        "PEXPIREAT",
        "HEXPIRE",
        "HPEXPIRE",
        "HEXPIREAT",
        "HPEXPIREAT",
    }
)
# Commands that set an expiry only when given one of EXPIRY_PARAMS / EXPIRY_TOKENS.
OPTIONAL_EXPIRE = frozenset({"SET", "GETEX", "HSETEX", "HGETEX", "MSETEX", "INCREX"})
# Hash-field commands: the expiry deletes fields, not the whole key.
FIELD_EXPIRE = frozenset({"HEXPIRE", "HPEXPIRE", "HEXPIREAT", "HPEXPIREAT", "HSETEX", "HGETEX"})
# execute_command: where the options start, and where they stop (field lists may hold
# any word, including "EX"). Commands whose option layout we do not parse are absent.
_TOKEN_SPAN: dict[str, tuple[int, str | None]] = {
    "SET": (2, None),
    "GETEX": (1, None),
    "HSETEX": (1, "FIELDS"),
    "HGETEX": (1, "FIELDS"),
}

_CONSEQUENCE = {
    "critical": "critical keys must live as long as the records they copy",
    "primary": "Redis holds the only copy of this data",
}


class TtlOnCriticalKey(Rule):
    CODE = "RL202"

    def check(self) -> None:
        for call in self.model.redis_calls:
            if call.command not in ALWAYS_EXPIRE and call.command not in OPTIONAL_EXPIRE:
                continue
            expiry = self._expiry(call)
            if expiry is None:
                continue
            what, args = expiry
            protected = self._protected_key(call)
            if protected is None:
                continue
            pattern, role, namespace = protected
            target = "its fields" if call.command in FIELD_EXPIRE else "it"
            message = (
                f"expiry on {role} key '{pattern.glob}' (namespace {namespace}): {what} "
                f"makes Redis delete {target} when the TTL runs out; {_CONSEQUENCE[role]}"
            )
            hint = (
                "drop the expiry (PERSIST keys that already have one), or declare the "
                "namespace as cache/ephemeral if its data may really expire"
            )
            self.report_call(call, message, hint=hint, fix=self._fix(call, args))

    # -- what is an expiry --------------------------------------------------------------
    def _expiry(self, call: RedisCall) -> tuple[str, list[cst.Arg]] | None:
        """(how the expiry is written, the expiry arguments of a method call) or None."""
        if call.method == "execute_command":
            return self._command_expiry(call)
        if call.command in ALWAYS_EXPIRE:
            return call.command, []
        args = []
        names = []
        for name in EXPIRY_PARAMS:
            arg = call.param(name)
            if arg is None or _is_none(arg.value):
                continue
            if arg.keyword is None and any(a.star == "*" for a in call.node.args):
                continue  # positions after *args are unknown
            args.append(arg)
            names.append(f"{name}=" if arg.keyword is not None else f"{name} (positional)")
        if not args:
            return None
        return f"{call.command} with {', '.join(names)}", args

    def _command_expiry(self, call: RedisCall) -> tuple[str, list[cst.Arg]] | None:
        """An expiry sent with `execute_command("SET", k, v, "EX", 60)` and kin."""
        if call.command in ALWAYS_EXPIRE:
            return call.command, []
        span = _TOKEN_SPAN.get(call.command)
        if span is None:
            return None
        start, stop = span
        for argument in call.site.ir.args[1 + start :]:
            token = self.model.constant(call.site.scope, argument)
            if token is None:
                continue
            token = token.upper()
            if token == stop:
                break
            if token in EXPIRY_TOKENS:
                return f"{call.command} {token}", []
        return None

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
            patterns = [self.model.key_pattern(call.site.scope, call.site.ir.args[1])]
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
        new_call = node.with_changes(args=new_args)
        edit = NodeEdit(node, self._code_in_place(node, new_call))
        return NodeFix("unsafe", "Remove the expiry from SET", (edit,))

    def _code_in_place(self, old: cst.CSTNode, new: cst.CSTNode) -> str:
        """`new`'s source as it would be written where `old` stands.

        `Module.code_for_node` renders a node at indentation zero, so the continuation
        lines of a multi-line call would lose the enclosing block's indentation. For
        those, one code-generation pass over the module finds the indentation in force
        at `old`, and `new` is rendered with it.
        """
        text = self.code_for(new)
        module = self.model.facts.module
        if "\n" not in text or module is None:
            return text
        probe = _IndentProbe(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            target=id(old),
        )
        module._codegen(probe)
        state = CodegenState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            indent_tokens=list(probe.found or ()),
        )
        new._codegen(state)
        return "".join(state.tokens)


@dataclass
class _IndentProbe(CodegenState):
    """A code generator that only notes the indentation in force at one node."""

    target: int = 0
    found: list[str] | None = None

    def before_codegen(self, node: cst.CSTNode) -> None:
        if self.found is None and id(node) == self.target:
            self.found = list(self.indent_tokens)


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


def _is_none(node: cst.BaseExpression) -> bool:
    return ir.from_cst(node) == ir.Const(None)
