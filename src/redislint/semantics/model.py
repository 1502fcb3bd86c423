"""The per-file semantic model the rules read: Redis command calls with their client,
command facts, keys and namespaces.

Everything here is derived once, lazily, from the single traversal (`collect.py`) and
the shared resolvers. A rule never re-derives any of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from redislint.config import Config, KeyspaceEntry
from redislint.semantics import ir
from redislint.semantics.clients import Client, Resolver
from redislint.semantics.commands import CommandInfo, CommandTable, MethodInfo
from redislint.semantics.connections import Connection, connections_of
from redislint.semantics.expiry import Expiry, expiry_of
from redislint.semantics.keys import KeyPattern, KeyResolver, role_of
from redislint.semantics.reuse import NodeMemo
from redislint.semantics.scopes import CallSite, ModuleFacts, Position, Scope
from redislint.semantics.slots import SlotKeys
from redislint.semantics.usage import Usage

if TYPE_CHECKING:
    from redislint.semantics.lua import ScriptUse
    from redislint.semantics.pipelines import LocalPipeline

# Commands the server flags as writes that write only when given a destination
# (redis-py's `sort_ro` also sends SORT, without one).
READ_UNLESS_STORED: dict[str, tuple[str, ...]] = {
    "SORT": ("store",),
    "GEORADIUS": ("store", "store_dist"),
    "GEORADIUSBYMEMBER": ("store", "store_dist"),
}


@dataclass(frozen=True)
class KeyArg:
    """One key a command touches: the argument node (None when implicit) and its pattern."""

    node: cst.BaseExpression | None
    expr: ir.IR
    pattern: KeyPattern | None


@dataclass(eq=False)
class RedisCall:
    """A command sent (or queued) through a proven client, pipeline or script."""

    site: CallSite
    client: Client
    method: str  # the redis-py method, "execute_command", or "<script>"
    command: str  # upper-case Redis command ("SET", "CONFIG SET")
    info: CommandInfo | None
    method_info: MethodInfo | None
    keys: tuple[KeyArg, ...]

    @property
    def node(self) -> cst.Call:
        return self.site.node

    @property
    def is_write(self) -> bool:
        """A command that writes here: SORT / GEORADIUS* write only with a destination."""
        if self.info is None or not self.info.is_write:
            return False
        if self.command in READ_UNLESS_STORED:
            return bool(self.written_keys)
        return True

    @property
    def written_keys(self) -> tuple[KeyArg, ...]:
        """The keys the command writes: all its keys, or only the destination of
        commands that read unless told to store (`sort(..., store=k)`)."""
        stored_in = READ_UNLESS_STORED.get(self.command)
        if stored_in is None:
            return self.keys
        if self.method == "execute_command":
            return ()  # the STORE token's position is not modelled: not proven a write
        targets = {id(arg.value) for name in stored_in if (arg := self.param(name)) is not None}
        return tuple(key for key in self.keys if id(key.node) in targets)

    @property
    def in_transaction(self) -> bool:
        """Queued in MULTI/EXEC: a transactional pipeline (incl. transaction() callbacks)."""
        return self.client.kind == "pipeline" and self.client.transactional is True

    @property
    def is_atomic_unit(self) -> bool:
        """Runs atomically on the server whatever surrounds it (a script, EVAL, FCALL)."""
        return self.command in ("EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO")

    def arg(self, name: str, position: int | None = None) -> cst.Arg | None:
        """The call's argument for parameter `name` (keyword, or positional at `position`)."""
        positional = 0
        for argument in self.node.args:
            if argument.star:
                continue
            if argument.keyword is not None:
                if argument.keyword.value == name:
                    return argument
            else:
                if position is not None and positional == position:
                    return argument
                positional += 1
        return None

    def param(self, name: str) -> cst.Arg | None:
        """The argument bound to redis-py parameter `name` of this method."""
        position = None
        if self.method_info is not None and name in self.method_info.params:
            position = self.method_info.params.index(name)
        return self.arg(name, position)


class FileModel:
    """What the rules see of one file."""

    def __init__(
        self,
        facts: ModuleFacts,
        source: str,
        rel_path: str,
        config: Config,
        resolver: Resolver,
        key_resolver: KeyResolver,
        table: CommandTable,
        reuse: NodeMemo | None = None,
    ) -> None:
        self.facts = facts
        self.source = source
        self.path = rel_path
        self.config = config
        self.resolver = resolver
        self.keys = key_resolver
        self.table = table
        # what the previous check of this buffer derived from nodes it shares (the
        # language server's), else this check's own
        self.reuse = reuse if reuse is not None else NodeMemo()
        self._expiries: dict[int, Expiry] = {}
        self._others: dict[str, FileModel] = {}
        # The declared namespace of each key glob: asked for every call by several rules.
        self._namespaces = key_resolver.namespaces(self.keyspace)

    @cached_property
    def is_test_path(self) -> bool:
        # test-paths are relative to the config root, as the engine matches them (the
        # display path is relative to the working directory)
        return self.config.is_test_path(self.config.relative_path(self.facts.path))

    @cached_property
    def keyspace(self) -> tuple[KeyspaceEntry, ...]:
        return self.config.effective_keyspace()

    def role(self, pattern: KeyPattern | None) -> str | None:
        entry = self.namespace(pattern)
        return entry.role if entry is not None else None

    def namespace(self, pattern: KeyPattern | None) -> KeyspaceEntry | None:
        if pattern is None:
            return None
        glob = pattern.glob
        if glob not in self._namespaces:
            self._namespaces[glob] = role_of(pattern, self.keyspace)
        return self._namespaces[glob]

    def client_of(self, scope: str, expr: ir.IR) -> Client | None:
        return self.resolver.client(self.facts, scope, expr)

    def key_pattern(self, scope: str, expr: ir.IR, at: Position | None = None) -> KeyPattern | None:
        """The key's pattern; `at` (a call site's position) reads local names where the
        call stands (flow-sensitive), not over all their assignments."""
        return self.keys.pattern(self.facts, scope, expr, at)

    def constant(self, scope: str, expr: ir.IR) -> str | None:
        return self.keys.constant(self.facts, scope, expr)

    def scope(self, key: str) -> Scope:
        return self.facts.scopes[key]

    def enclosing_function(self, scope_key: str) -> Scope:
        """The innermost function (or the module) a scope belongs to."""
        scope = self.facts.scopes[scope_key]
        while scope.kind == "class" and scope.parent is not None:
            scope = self.facts.scopes[scope.parent]
        return scope

    def model_of(self, facts: ModuleFacts) -> FileModel:
        """The model of another project module (a helper's), on the same resolvers."""
        if facts.path == self.facts.path:
            return self
        model = self._others.get(facts.path)
        if model is None:
            model = self._others[facts.path] = FileModel(
                facts,
                "",
                facts.path,
                self.config,
                self.resolver,
                self.keys,
                self.table,
                self.reuse,  # node-derived values are the same whichever module asks
            )
        return model

    def expiry(self, call: RedisCall) -> Expiry:
        """What `call` does to its key's expiry (see `semantics/expiry.py`)."""
        found = self._expiries.get(id(call))
        if found is None:
            found = self._expiries[id(call)] = expiry_of(self, call)
        return found

    @cached_property
    def redis_calls(self) -> list[RedisCall]:
        calls: list[RedisCall] = []
        for site in self.facts.calls:
            call = self._redis_call(site)
            if call is not None:
                calls.append(call)
        return calls

    def calls_by_scope(self) -> dict[str, list[RedisCall]]:
        """Redis calls grouped by the function (or module body) that makes them."""
        grouped: dict[str, list[RedisCall]] = {}
        for call in self.redis_calls:
            grouped.setdefault(call.site.scope, []).append(call)
        return grouped

    def iter_calls(self, *commands: str) -> Iterator[RedisCall]:
        wanted = {c.upper() for c in commands}
        for call in self.redis_calls:
            if call.command in wanted:
                yield call

    def key_reason(self, call: RedisCall, key: KeyArg) -> str | None:
        """Why `key` of `call` has no pattern (None when it has one): the part the
        model could not follow, for `redislint keys`."""
        if key.pattern is not None:
            return None
        return self.keys.reason(self.facts, call.site.scope, key.expr, call.site.position)

    # -- building RedisCall -----------------------------------------------------------
    def _redis_call(self, site: CallSite) -> RedisCall | None:
        func = site.func
        if _passes_script_arguments(site.node):
            script = self._script_call(site)
            if script is not None:
                return script
        if isinstance(func, ir.Attr):
            if func.attr != "execute_command" and self.table.method(func.attr) is None:
                return None  # not a command method: no need to resolve the receiver
            client = self.client_of(site.scope, func.value)
            if client is None:
                return None
            return self.command_call(site, client)
        return None

    def command_call(self, site: CallSite, client: Client) -> RedisCall | None:
        """The command `site` sends when its receiver is `client`.

        `redis_calls` uses it with the proven receiver; a rule that judges a helper at a
        caller (rules.md: "a helper whose client comes from a parameter may be judged at
        its callers") uses it with the client the caller passes in.
        """
        func = site.func
        if isinstance(func, ir.Attr) and client.sends_commands:
            method = func.attr
            if method != "execute_command" and self.table.method(method) is None:
                return None
            if method == "execute_command":
                return self._execute_command(site, client)
            method_info = self.table.method(method)
            assert method_info is not None
            info = self.table.command(method_info.command)
            keys = self._method_keys(site, method_info)
            return RedisCall(
                site, client, method, method_info.command.upper(), info, method_info, keys
            )
        return None

    def _script_call(self, site: CallSite) -> RedisCall | None:
        client = self.client_of(site.scope, site.func)
        if client is None or client.kind != "script":
            return None
        keys_arg = site.ir.kwarg("keys")
        if keys_arg is None and site.ir.args:
            keys_arg = site.ir.args[0]
        keys: tuple[KeyArg, ...] = ()
        if isinstance(keys_arg, ir.Seq):
            keys = tuple(
                KeyArg(None, k, self.key_pattern(site.scope, k, site.position))
                for k in keys_arg.items
            )
        return RedisCall(
            site, client, "<script>", "EVALSHA", self.table.command("EVALSHA"), None, keys
        )

    def _execute_command(self, site: CallSite, client: Client) -> RedisCall | None:
        args = site.ir.args
        if not args:
            return None
        first = self.constant(site.scope, args[0])
        if first is None:
            return None
        words = first.upper().split()
        rest = list(zip(site.node.args[1:], args[1:], strict=False))
        name = words[0]
        if len(words) == 1 and rest:
            sub = self.constant(site.scope, rest[0][1])
            candidate = f"{name} {sub.upper()}" if sub is not None else ""
            found = self.table.command(candidate) if candidate else None
            if found is not None and found.name == candidate:
                name = candidate
                rest = rest[1:]
        elif len(words) > 1:
            name = " ".join(words[:2])
        info = self.table.command(name)
        if info is not None:
            name = info.name
        keys: list[KeyArg] = []
        # Commands the generating server did not know carry no key positions (None):
        # their keys stay unknown rather than invented.
        if info is not None and info.first_key and info.last_key is not None:
            # a negative last key counts from the end: -1 is the last argument
            last = info.last_key if info.last_key >= 0 else len(rest) + 1 + info.last_key
            step = max(info.step or 1, 1)
            offset = 1 if " " in name else 0
            for position in range(info.first_key - offset, last - offset + 1, step):
                index = position - 1
                if 0 <= index < len(rest):
                    arg_node, expr = rest[index]
                    keys.append(
                        KeyArg(
                            arg_node.value, expr, self.key_pattern(site.scope, expr, site.position)
                        )
                    )
        return RedisCall(site, client, "execute_command", name, info, None, tuple(keys))

    def _method_keys(self, site: CallSite, info: MethodInfo) -> tuple[KeyArg, ...]:
        call_ir = site.ir
        positional: list[tuple[cst.BaseExpression, ir.IR]] = []
        keyword: dict[str, tuple[cst.BaseExpression, ir.IR]] = {}
        ir_positional = iter(call_ir.args)
        ir_keywords = dict(call_ir.kwargs) if call_ir.kwargs else {}
        for argument in site.node.args:
            if argument.star:
                continue
            if argument.keyword is not None:
                name = argument.keyword.value
                value = ir_keywords.get(name)
                keyword[name] = (argument.value, value if value is not None else ir.other())
            else:
                value = next(ir_positional, None)
                positional.append((argument.value, value if value is not None else ir.other()))
        found: list[KeyArg] = []
        named = info.params
        for param in info.key_params:
            bound: tuple[cst.BaseExpression, ir.IR] | None = keyword.get(param)
            if bound is None and param in named and named.index(param) < len(positional):
                bound = positional[named.index(param)]
            if bound is None:
                continue
            node, expr = bound
            if isinstance(expr, ir.Seq):
                for item, item_node in zip(expr.items, _elements(node), strict=False):
                    found.append(
                        KeyArg(item_node, item, self.key_pattern(site.scope, item, site.position))
                    )
            else:
                found.append(KeyArg(node, expr, self.key_pattern(site.scope, expr, site.position)))
        if info.varargs is not None and info.varargs_are_keys:
            extra = positional[len(named) :]
            if info.numkeys_param is not None:
                extra = []  # keys counted by an argument: not positional varargs
            for node, expr in extra:
                found.append(KeyArg(node, expr, self.key_pattern(site.scope, expr, site.position)))
        if info.mapping_keys_param is not None:
            mapping = keyword.get(info.mapping_keys_param)
            if mapping is None and info.mapping_keys_param in named:
                index = named.index(info.mapping_keys_param)
                if index < len(positional):
                    mapping = positional[index]
            if mapping is not None and isinstance(mapping[1], ir.Dict):
                for key_expr, key_node in zip(
                    mapping[1].keys, _dict_keys(mapping[0]), strict=False
                ):
                    if key_expr is not None:
                        found.append(
                            KeyArg(
                                key_node,
                                key_expr,
                                self.key_pattern(site.scope, key_expr, site.position),
                            )
                        )
        return tuple(found)

    @cached_property
    def slot_keys(self) -> SlotKeys:
        """Key expressions as hash-slot shapes (`semantics/slots.py`), for RL107."""
        return SlotKeys(self.resolver, self.keys)

    @cached_property
    def lua_scripts(self) -> list[ScriptUse]:
        """The Lua script literals this file runs (`semantics/lua.py`): each `eval` /
        `eval_ro` / `register_script` call on a proven client whose script is a literal,
        with its parsed calls. The Lua parser is imported only when one exists."""
        from redislint.semantics.lua import script_uses

        return script_uses(self)

    def numkeys_keys(self, call: RedisCall) -> tuple[KeyArg, ...]:
        """The keys of a command whose keys are counted by an argument (EVAL, EVALSHA,
        FCALL, LMPOP, ...): the first `numkeys` of the extra positional arguments, when
        `numkeys` is a literal. `call.keys` leaves them out (their count is data)."""
        info = call.method_info
        if info is None or info.numkeys_param is None or call.site.ir.star:
            return ()
        numkeys = call.param(info.numkeys_param)
        if numkeys is None or numkeys.keyword is not None:
            return ()
        count = ir.from_cst(numkeys.value)
        if not isinstance(count, ir.Num) or not isinstance(count.value, int):
            return ()
        positional = [a for a in call.node.args if a.keyword is None]
        extra = positional[len(info.params) : len(info.params) + max(count.value, 0)]
        keys = []
        for argument in extra:
            expr = ir.from_cst(argument.value)
            keys.append(KeyArg(argument.value, expr, self.key_pattern(call.site.scope, expr)))
        return tuple(keys)

    @cached_property
    def connections(self) -> list[Connection]:
        """The file's client constructions and Redis settings literals, with their
        connection settings (`semantics/connections.py`), in source order."""
        return connections_of(self)

    # -- value uses and local pipelines (the client-bug rules, RL5xx) ---------------------
    @cached_property
    def usage(self) -> Usage:
        """Parents of nodes and uses of names, computed per function on demand."""
        return Usage(self.facts, self.reuse)

    @cached_property
    def pipelines(self) -> list[LocalPipeline]:
        """Pipelines created and bound to a name inside one function (`semantics/pipelines.py`)."""
        from redislint.semantics.pipelines import local_pipelines  # it imports this module

        return local_pipelines(self)

    @cached_property
    def lock_acquiring_scopes(self) -> frozenset[str]:
        """Scopes that call `<lock>.acquire()` (`semantics/locks.py: holds_lock`), found
        once per file: a scan per asking call was quadratic in a function's size."""
        from redislint.semantics.locks import acquiring_scopes  # it imports this module

        return acquiring_scopes(self)


def _passes_script_arguments(node: cst.Call) -> bool:
    """`keys=` or `args=` among the arguments: maybe a registered script's call (a plain
    loop: it runs for every call of the file)."""
    for argument in node.args:
        keyword = argument.keyword
        if keyword is not None and keyword.value in ("keys", "args"):
            return True
    return False


def _elements(node: cst.BaseExpression) -> list[cst.BaseExpression | None]:
    if isinstance(node, cst.List | cst.Tuple):
        return [e.value for e in node.elements]
    return []


def _dict_keys(node: cst.BaseExpression) -> list[cst.BaseExpression | None]:
    if isinstance(node, cst.Dict):
        return [e.key if isinstance(e, cst.DictElement) else None for e in node.elements]
    return []
