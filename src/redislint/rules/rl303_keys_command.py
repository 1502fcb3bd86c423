"""RL303 keys-command: KEYS walks the whole keyspace in one blocking call.

Reported on every proven client, pipeline and cluster client, by method (`keys()`) or
`execute_command("KEYS", ...)`, and for `redis.call('KEYS', ...)` inside a literal Lua
script (`semantics/lua.py: keys_calls`).

Fixes (rules.md): where the result is only iterated (`for k in r.keys(p)`, or the
iterable of a comprehension), `r.scan_iter(match=p)` yields the same keys without
blocking: safe. Anywhere else a list is expected, `list(r.scan_iter(match=p))`: unsafe,
because SCAN is not a snapshot (keys written meanwhile may or may not appear; a key
may be returned twice). `redis.asyncio` clients spell it `async for k in
r.scan_iter(...)`, pipelines queue the command and `execute_command` is untyped: those
get a hint only.
"""

from __future__ import annotations

import libcst as cst

from redislint.rules._base import NodeEdit, NodeFix, Rule
from redislint.semantics import ir
from redislint.semantics.lua import keys_calls
from redislint.semantics.model import RedisCall


class KeysCommand(Rule):
    CODE = "RL303"

    def check(self) -> None:
        for call in self.model.iter_calls("KEYS"):
            self._report(call)
        reported: set[int] = set()
        for use, lua_call in keys_calls(self.model):
            if id(use.node) in reported:
                continue  # one finding per script call, however often the script says KEYS
            reported.add(id(use.node))
            self.report(
                use.node,
                f"the Lua script ({use.method}) calls KEYS (script line {lua_call.line}): it"
                " walks the whole keyspace and blocks the server while the script runs",
                statement=use.site.statement,
                hint="pass the keys the script needs in KEYS[], or SCAN from the client",
            )

    def _report(self, call: RedisCall) -> None:
        pattern = self._pattern_text(call)
        message = (
            f"KEYS {pattern} scans every key of the database in one blocking call (O(N)):"
            " the server serves no other client meanwhile"
        )
        func = call.node.func
        name = self.code_for(func.value) if isinstance(func, cst.Attribute) else "r"
        match = f"match={pattern}" if pattern != "'*'" else ""
        fix = self._fix(call)
        if call.client.is_async and call.client.kind != "pipeline":
            hint = f"iterate with `async for key in {name}.scan_iter({match})`"
        elif call.client.kind == "pipeline":
            hint = "SCAN on the client (`scan_iter`) instead of queuing KEYS"
        else:
            hint = f"iterate with `{name}.scan_iter({match})` (SCAN, in small steps)"
        self.report_call(call, message, hint=hint, fix=fix)

    def _pattern_text(self, call: RedisCall) -> str:
        pattern = self._pattern_node(call)
        if pattern is None:
            return "'*'"
        value = self.model.constant(call.site.scope, ir.from_cst(pattern))
        return repr(value) if value is not None else self.code_for(pattern)

    def _pattern_node(self, call: RedisCall) -> cst.BaseExpression | None:
        if call.method == "execute_command":
            args = call.node.args
            return args[1].value if len(args) > 1 and not args[1].star else None
        bound = call.param("pattern")
        return bound.value if bound is not None else None

    # -- the fix ------------------------------------------------------------------------
    def _fix(self, call: RedisCall) -> NodeFix | None:
        if not _is_method(call) or call.client.kind != "client" or call.client.is_async:
            return None
        if any(a.star for a in call.node.args) or len(call.node.args) > 1:
            return None  # target_nodes= and other options have no scan_iter spelling
        if call.node.args and call.param("pattern") is None:
            return None
        func = call.node.func
        assert isinstance(func, cst.Attribute)
        args = []
        pattern = self._pattern_node(call)
        if pattern is not None:
            args.append(
                cst.Arg(
                    value=pattern,
                    keyword=cst.Name("match"),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                )
            )
        scan = call.node.with_changes(func=func.with_changes(attr=cst.Name("scan_iter")), args=args)
        if _only_iterated(call):
            return NodeFix(
                "safe", "Iterate with scan_iter instead of KEYS", (NodeEdit(call.node, scan),)
            )
        listed = cst.Call(func=cst.Name("list"), args=[cst.Arg(value=scan)])
        return NodeFix(
            "unsafe", "Replace KEYS with list(scan_iter(...))", (NodeEdit(call.node, listed),)
        )


def _is_method(call: RedisCall) -> bool:
    return call.method == "keys" and isinstance(call.node.func, cst.Attribute)


def _only_iterated(call: RedisCall) -> bool:
    """The call is the iterable of a (sync) `for` statement or of a comprehension."""
    statement = call.site.statement
    if (
        isinstance(statement, cst.For)
        and statement.asynchronous is None
        and statement.iter is call.node
    ):
        return True
    found = False

    class _Finder(cst.CSTVisitor):
        def visit_CompFor(self, node: cst.CompFor) -> None:
            nonlocal found
            if node.iter is call.node and node.asynchronous is None:
                found = True

    if not isinstance(statement, cst.For):
        statement.visit(_Finder())
    else:
        statement.iter.visit(_Finder())
    return found
