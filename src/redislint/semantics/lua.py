"""Lua script literals: which commands a script sends and where its keys come from.

Redis wants every key a script touches passed in `KEYS` (a cluster routes the script
by them, and since 7.0 refuses undeclared keys of another slot), and `numkeys` must
match what the script reads. This module finds the script literals a file runs
(`eval` / `eval_ro` / `register_script` on a proven client, with the text given as a
literal or reached through module and class constants), parses them with a real Lua
parser (`luaparser`, imported only when a literal is found) and records each
`redis.call` / `redis.pcall`: its command and the origin of each key argument.

Key origins follow `local k = KEYS[1]` and `..` concatenations inside the script:
- "keys": `KEYS[n]`, a local alias of it, an element of `ipairs(KEYS)`, `unpack(KEYS)`;
- "argv" / "literal": `ARGV[n]` or a literal, alone or joined with other text
  (`prefix .. job_id`, where the prefix is ARGV or a literal);
- "derived": `KEYS[n]` concatenated with other text (a key that is not in KEYS);
- "unknown": anything else (function results, parameters): never reported.

Scripts assembled at run time (f-strings with interpolation, `str.format`, `%`,
concatenation with non-constants) and scripts read from files are not analysed
(rules.md "Decisions from real code"), and a script the parser rejects is skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import libcst as cst

from redislint.semantics import ir
from redislint.semantics.clients import Class, Client, Instance, ProjectModule
from redislint.semantics.commands import CommandTable
from redislint.semantics.scopes import Binding, CallSite, ModuleFacts

if TYPE_CHECKING:
    from redislint.semantics.model import FileModel

Origin = Literal["keys", "argv", "literal", "derived", "unknown"]
UNDECLARED: frozenset[str] = frozenset({"argv", "literal", "derived"})

# redis-py methods that take a script's text as their first argument
SCRIPT_METHODS = frozenset({"eval", "eval_ro", "register_script"})
_MAX_DEPTH = 8


@dataclass(frozen=True)
class LuaCall:
    """One `redis.call(...)` / `redis.pcall(...)` inside a script."""

    function: str  # "call" | "pcall"
    command: str | None  # upper-case command when written as a literal
    keys: tuple[Origin, ...]  # the origin of each key argument, in order
    line: int  # 1-based line within the script


@dataclass(frozen=True)
class LuaScript:
    """What a parsed script does."""

    calls: tuple[LuaCall, ...]
    max_key_index: int  # the highest literal n of `KEYS[n]` read (0: none)

    def calls_of(self, command: str) -> list[LuaCall]:
        wanted = command.upper()
        return [c for c in self.calls if c.command == wanted]

    def undeclared(self) -> Iterator[tuple[LuaCall, Origin]]:
        """Calls on a key that is not taken from KEYS, with that key's origin."""
        for call in self.calls:
            for origin in call.keys:
                if origin in UNDECLARED:
                    yield call, origin
                    break


@dataclass(eq=False)
class ScriptUse:
    """A script literal run by an `eval` / `eval_ro` / `register_script` call."""

    site: CallSite
    method: str  # "eval", "eval_ro" or "register_script"
    client: Client  # the receiver
    text: str
    script: LuaScript

    @property
    def node(self) -> cst.Call:
        return self.site.node


# -- finding script literals in Python ----------------------------------------------


def script_uses(model: FileModel) -> list[ScriptUse]:
    """Every script literal the file runs, parsed once per distinct text."""
    parsed: dict[str, LuaScript | None] = {}
    uses: list[ScriptUse] = []
    for site in model.facts.calls:
        method = site.method
        if method not in SCRIPT_METHODS or site.receiver is None:
            continue
        script_arg = site.ir.kwarg("script")
        if script_arg is None and site.ir.args and not site.ir.star:
            script_arg = site.ir.args[0]
        if script_arg is None:
            continue
        client = model.client_of(site.scope, site.receiver)
        if client is None or not client.sends_commands:
            continue
        if method == "register_script" and client.kind != "client":
            continue
        text = script_text(model, model.facts, site.scope, script_arg)
        if text is None:
            continue
        if text not in parsed:
            parsed[text] = parse_script(text)
        script = parsed[text]
        if script is not None:
            uses.append(ScriptUse(site, method, client, text, script))
    return uses


def keys_calls(model: FileModel) -> list[tuple[ScriptUse, LuaCall]]:
    """The `redis.call('KEYS', ...)` calls of the file's script literals (for RL303,
    which reports them at the `eval` / `register_script` call)."""
    return [(use, call) for use in model.lua_scripts for call in use.script.calls_of("KEYS")]


def script_text(
    model: FileModel, facts: ModuleFacts, scope: str, expr: ir.IR, depth: int = 0
) -> str | None:
    """The text of a script given as a literal, or through constants; None when it is
    assembled at run time or not known."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(expr, ir.Str):
        return expr.value
    if isinstance(expr, ir.FStr):  # an f-string without interpolation
        if all(isinstance(p, str) for p in expr.parts):
            return "".join(p for p in expr.parts if isinstance(p, str))
        return None
    if isinstance(expr, ir.BinOp) and expr.op == "Add":
        left = script_text(model, facts, scope, expr.left, depth + 1)
        right = script_text(model, facts, scope, expr.right, depth + 1) if left else None
        return left + right if left is not None and right is not None else None
    if isinstance(expr, ir.Name):
        found = model.resolver.lookup(facts, scope, expr.id)
        if found is None:
            return None
        return _from_bindings(model, facts, found[1], depth)
    if isinstance(expr, ir.Attr):
        return _attribute(model, facts, scope, expr, depth)
    return None


def _attribute(
    model: FileModel, facts: ModuleFacts, scope: str, expr: ir.Attr, depth: int
) -> str | None:
    resolver = model.resolver
    if isinstance(expr.value, ir.Name):
        cls = resolver.self_class(facts, scope, expr.value.id)
        if cls is not None:
            bindings = list(cls.bindings.get(expr.attr, ())) + list(
                cls.self_attrs.get(expr.attr, ())
            )
            return _from_bindings(model, facts, bindings, depth)
    base = resolver.value(facts, scope, expr.value)
    if isinstance(base, Class | Instance | ProjectModule):
        target = resolver.module_facts(base.path)
        if target is None:
            return None
        if isinstance(base, ProjectModule):
            return script_text(model, target, "", ir.Name(expr.attr), depth + 1)
        cls_scope = target.scopes[base.key]
        return _from_bindings(model, target, list(cls_scope.bindings.get(expr.attr, ())), depth)
    return None


def _from_bindings(
    model: FileModel, facts: ModuleFacts, bindings: list[Binding], depth: int
) -> str | None:
    texts: set[str | None] = set()
    for binding in bindings:
        if binding.kind == "assign" and binding.value is not None:
            texts.add(script_text(model, facts, binding.scope, binding.value, depth + 1))
        elif binding.kind == "import" and binding.qualname:
            module_name, _, name = binding.qualname.rpartition(".")
            target = model.resolver.load_module(module_name, facts.path) if module_name else None
            if target is None:
                return None
            texts.add(script_text(model, target, "", ir.Name(name), depth + 1))
        elif binding.kind != "annotated":
            return None
    if len(texts) != 1:
        return None
    return texts.pop()


# -- parsing Lua ----------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def parse_script(text: str) -> LuaScript | None:
    """Parse a script with luaparser; None when it cannot be parsed.

    Cached by text (a `LuaScript` is immutable): luaparser takes ~10-30 ms per script,
    and a warm `redislint server` would otherwise parse the same literals on every
    keystroke (bench/lsp.py)."""
    try:
        from luaparser import ast as lua_ast
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        tree = lua_ast.parse(text)
        return _Analysis(lua_ast).run(tree)
    except Exception:  # luaparser raises its own and ANTLR's errors on bad input
        return None
    except RecursionError:  # pragma: no cover
        return None


@dataclass
class _Analysis:
    """Two passes over a script: the origins of its local names, then its calls."""

    lua_ast: Any
    env: dict[str, Origin] = field(default_factory=dict)

    def run(self, tree: Any) -> LuaScript:
        from luaparser import astnodes as nodes

        self.nodes = nodes
        all_nodes = list(self.lua_ast.walk(tree))
        for node in all_nodes:  # names first (flow-insensitive: conflicts are unknown)
            if isinstance(node, nodes.LocalAssign | nodes.Assign):
                for target, value in zip(node.targets, node.values, strict=False):
                    if isinstance(target, nodes.Name):
                        self._bind(target.id, self.origin(value))
            elif isinstance(node, nodes.Forin):
                keys_loop = any(
                    isinstance(e, nodes.Call)
                    and isinstance(e.func, nodes.Name)
                    and e.func.id in ("ipairs", "pairs")
                    and len(e.args) == 1
                    and _is_name(e.args[0], "KEYS", nodes)
                    for e in node.iter
                )
                for index, target in enumerate(node.targets):
                    if isinstance(target, nodes.Name):
                        origin: Origin = "keys" if keys_loop and index == 1 else "unknown"
                        self._bind(target.id, origin)
            elif isinstance(node, nodes.Function | nodes.LocalFunction | nodes.Method):
                for arg in node.args:
                    if isinstance(arg, nodes.Name):
                        self._bind(arg.id, "unknown")
        calls: list[LuaCall] = []
        max_index = 0
        for node in all_nodes:
            if (
                isinstance(node, nodes.Index)
                and _is_name(node.value, "KEYS", nodes)
                and isinstance(node.idx, nodes.Number)
                and isinstance(node.idx.n, int)
            ):
                max_index = max(max_index, node.idx.n)
            elif isinstance(node, nodes.Call):
                call = self._redis_call(node)
                if call is not None:
                    calls.append(call)
        return LuaScript(tuple(calls), max_index)

    def _bind(self, name: str, origin: Origin) -> None:
        seen = self.env.get(name)
        self.env[name] = origin if seen is None or seen == origin else "unknown"

    def origin(self, node: Any) -> Origin:
        nodes = self.nodes
        if isinstance(node, nodes.Index) and node.notation == nodes.IndexNotation.SQUARE:
            if _is_name(node.value, "KEYS", nodes):
                return "keys"
            if _is_name(node.value, "ARGV", nodes):
                return "argv"
            return "unknown"
        if isinstance(node, nodes.String | nodes.Number):
            return "literal"
        if isinstance(node, nodes.Concat):
            # text joined to anything is a name built at run time, not a KEYS entry
            parts = {self.origin(node.left), self.origin(node.right)}
            if parts & {"keys", "derived"}:
                return "derived"
            if "argv" in parts:
                return "argv"
            return "literal" if "literal" in parts else "unknown"
        if isinstance(node, nodes.Name):
            return self.env.get(node.id, "unknown")
        if isinstance(node, nodes.Call) and _is_unpack(node.func, nodes) and len(node.args) == 1:
            return "keys" if _is_name(node.args[0], "KEYS", nodes) else "unknown"
        return "unknown"

    def _redis_call(self, node: Any) -> LuaCall | None:
        nodes = self.nodes
        func = node.func
        if not (
            isinstance(func, nodes.Index)
            and func.notation == nodes.IndexNotation.DOT
            and _is_name(func.value, "redis", nodes)
            and isinstance(func.idx, nodes.Name)
            and func.idx.id in ("call", "pcall")
        ):
            return None
        args = list(node.args)
        command = _string(args[0], nodes) if args else None
        keys: list[Origin] = []
        if command is not None:
            keys = self._key_origins(command.upper(), args[1:])
        line = getattr(node, "line", None) or 0
        return LuaCall(func.idx.id, command.upper() if command else None, tuple(keys), line)

    def _key_origins(self, command: str, rest: list[Any]) -> list[Origin]:
        table = CommandTable.load()
        info = table.command(command)
        offset = 0
        if info is not None and info.subcommands and rest:
            sub = _string(rest[0], self.nodes)
            found = table.command(f"{command} {sub}") if sub else None
            if found is None:
                return []
            info, rest, offset = found, rest[1:], 1
        if info is None or not info.first_key or info.last_key is None:
            return []
        last = info.last_key if info.last_key >= 0 else len(rest) + 1 + info.last_key
        origins: list[Origin] = []
        for position in range(info.first_key - offset, last - offset + 1, max(info.step or 1, 1)):
            index = position - 1
            if not 0 <= index < len(rest):
                break
            argument = rest[index]
            if any(isinstance(a, self.nodes.Call | self.nodes.Varargs) for a in rest[:index]):
                break  # an earlier unpack(...) moves the positions: unknown from here
            origins.append(self.origin(argument))
        return origins


def _is_name(node: Any, name: str, nodes: Any) -> bool:
    return isinstance(node, nodes.Name) and node.id == name


def _is_unpack(func: Any, nodes: Any) -> bool:
    if isinstance(func, nodes.Name):
        return bool(func.id == "unpack")
    return (
        isinstance(func, nodes.Index)
        and _is_name(func.value, "table", nodes)
        and isinstance(func.idx, nodes.Name)
        and func.idx.id == "unpack"
    )


def _string(node: Any, nodes: Any) -> str | None:
    if isinstance(node, nodes.String):
        value = node.s
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return None
