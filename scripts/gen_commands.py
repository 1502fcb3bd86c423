#!/usr/bin/env python3
"""Regenerate `src/redislint/data/commands.json`: the command table.

Why generated: the facts rules depend on (is EXPIRE a write? which argument of SET is
the key? is CONFIG SET an admin command?) belong to the Redis server and to redis-py.
Typing them by hand drifts and hides mistakes, so this script asks both:

* the server: `COMMAND INFO` (arity, flags, first/last key, ACL categories, key specs,
  subcommands such as CONFIG SET) and `COMMAND DOCS` (group, summary);
* redis-py: every public method of `redis.Redis`, `redis.cluster.RedisCluster` and
  `redis.asyncio.Redis`, which command it sends and which of its parameters hold keys.

How a method is mapped:

* Its command is the first string literal in its source (`inspect.getsource`) that names
  a command: the first argument of `execute_command("SET", ...)`, the head of an argument
  list (`pieces = ["ZRANGEBYLEX", ...]`) or the first argument of a private helper
  (`self._zaggregate("ZUNIONSTORE", ...)`). Methods with no such literal (`scan_iter`,
  `sort_ro`) take the command that a probe call (below) actually sends.
* Its key parameters come from a probe call: the method runs on a stand-in client whose
  `execute_command` records the arguments instead of sending them, with each parameter
  bound to a marker string. The recorded argv goes to the server's `COMMAND GETKEYS`,
  which applies the command's key specs (and its own key-extraction code for SORT,
  EVAL, ...). The markers it returns name the key parameters, `*args` and the dict keys
  of a mapping (MSET). When that is impossible the fallbacks are, in order: the `keys=`
  hint redis-py passes to `execute_command` (commands the server does not know, such as
  HEXPIRE on 7.0), a sibling method sending the same command with the same parameters,
  the server's first/last key positions laid onto the parameters, and redis-py's `KeyT`
  type hints. `key_source` records which one decided; "unmapped" means none could.

Output is deterministic (sorted keys, no ports or timestamps): rerunning with the same
redis-server and redis-py gives the same bytes, which a test checks.

Usage: python scripts/gen_commands.py [--url redis://host:port] [--output PATH] [--check]
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import importlib.util
import inspect
import json
import re
import sys
import textwrap
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import redis.asyncio
import redis.cluster
from redis.commands import READ_COMMANDS

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "src" / "redislint" / "data" / "commands.json"

# The classes whose methods users call; earlier ones win when several define a method.
CLIENT_CLASSES: tuple[tuple[str, type], ...] = (
    ("redis.Redis", redis.Redis),
    ("redis.cluster.RedisCluster", redis.cluster.RedisCluster),
    ("redis.asyncio.Redis", redis.asyncio.Redis),
)

# redis-py's type aliases for key arguments (used when the server cannot tell).
_KEY_ANNOTATION = re.compile(r"\b(KeyT|KeysT|AnyKeyT)\b")

# Looks like a Redis command name ("SET", "CONFIG SET", "FT.SEARCH", "EVALSHA_RO").
_COMMAND_RE = re.compile(r"^[A-Z][A-Z0-9_.\-]*( [A-Z][A-Z0-9_\-]*)?$")


# --------------------------------------------------------------------------- server


def load_server_helper() -> types.ModuleType:
    """Import `tests/redis_server.py` (shared with the test suite) by path."""
    name = "redis_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "tests" / "redis_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while it executes
    spec.loader.exec_module(module)
    return module


def newer_commands() -> dict[str, dict[str, Any]]:
    """The override table `scripts/newer_commands.py` (imported by path, like the
    server helper, so the script runs from anywhere)."""
    name = "newer_commands"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    table: dict[str, dict[str, Any]] = sys.modules[name].NEWER_COMMANDS
    return table


class RawClient:
    """Sends commands on one connection and returns raw replies, bypassing the
    response callbacks redis-py would apply to COMMAND (which reshape its reply)."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url, protocol=3, decode_responses=True)
        self._conn = self._client.connection_pool.get_connection()

    def call(self, *args: Any) -> Any:
        self._conn.send_command(*args)
        return self._conn.read_response()

    def close(self) -> None:
        self._client.connection_pool.release(self._conn)
        self._client.close()


def command_name(server_name: str) -> str:
    """`config|set` (server spelling) -> `CONFIG SET` (table spelling)."""
    return server_name.upper().replace("|", " ")


def _sorted_strs(values: Iterable[Any]) -> list[str]:
    return sorted(str(v) for v in values)


def _normalize(value: Any) -> Any:
    """Make a RESP3 reply JSON-friendly and order-stable (sets become sorted lists)."""
    if isinstance(value, dict):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_normalize(v) for v in value)
    if isinstance(value, list | tuple):
        return [_normalize(v) for v in value]
    return value


def _key_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "flags": _sorted_strs(spec.get("flags", [])),
        "begin_search": _normalize(spec.get("begin_search")),
        "find_keys": _normalize(spec.get("find_keys")),
    }
    if spec.get("notes"):
        out["notes"] = spec["notes"]
    return out


def _command_entry(info: list[Any], docs: Mapping[str, Any] | None) -> dict[str, Any]:
    _name, arity, flags, first, last, step, acl, tips, key_specs, subcommands = info[:10]
    docs = docs or {}
    doc_flags = _sorted_strs(docs.get("doc_flags", []))
    entry: dict[str, Any] = {
        "known_to_server": True,
        "arity": arity,
        "flags": _sorted_strs(flags),
        "acl_categories": sorted(str(c).lstrip("@") for c in acl),
        "first_key": first,
        "last_key": last,
        "step": step,
        "key_specs": [_key_spec(s) for s in key_specs],
        "tips": _sorted_strs(tips),
        "group": docs.get("group"),
        "summary": docs.get("summary"),
        "since": docs.get("since"),
        "deprecated": "deprecated" in doc_flags,
    }
    if docs.get("replaced_by"):
        entry["replaced_by"] = docs["replaced_by"]
    if subcommands:
        entry["subcommands"] = sorted(command_name(sub[0]) for sub in subcommands)
    return entry


def fetch_server_commands(raw: RawClient) -> dict[str, dict[str, Any]]:
    """Every command and subcommand the server knows, keyed by table name."""
    infos = raw.call("COMMAND", "INFO")
    docs = raw.call("COMMAND", "DOCS")
    commands: dict[str, dict[str, Any]] = {}
    for info in infos:
        if info is None:
            continue
        doc = docs.get(info[0], {})
        commands[command_name(info[0])] = _command_entry(info, doc)
        sub_docs = doc.get("subcommands") or {}
        for sub in info[9] or []:
            commands[command_name(sub[0])] = _command_entry(sub, sub_docs.get(sub[0]))
    return commands


def unknown_command_entry() -> dict[str, Any]:
    """A command redis-py sends but this server does not know: no facts invented."""
    return {
        "known_to_server": False,
        "arity": None,
        "flags": [],
        "acl_categories": [],
        "first_key": None,
        "last_key": None,
        "step": None,
        "key_specs": [],
        "tips": [],
        "group": None,
        "summary": None,
        "since": None,
        "deprecated": False,
    }


# --------------------------------------------------------------------------- redis-py


def public_methods() -> dict[str, list[tuple[str, type, Callable[..., Any]]]]:
    """Method name -> [(client label, class, function)] in CLIENT_CLASSES order."""
    found: dict[str, list[tuple[str, type, Callable[..., Any]]]] = {}
    for label, cls in CLIENT_CLASSES:
        for name in sorted(dir(cls)):
            if name.startswith("_"):
                continue
            attr = inspect.getattr_static(cls, name)
            if isinstance(attr, staticmethod | classmethod | property):
                continue  # factories and accessors, never commands
            if inspect.isfunction(attr):
                found.setdefault(name, []).append((label, cls, attr))
    return found


def _source_tree(fn: Callable[..., Any]) -> ast.AST | None:
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None
    return ast.parse(source)


def _string_value(node: ast.AST, fn: Callable[..., Any]) -> str | None:
    """A string literal, or a module-level string constant such as `HIMPORT_SET`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        value = getattr(inspect.unwrap(fn), "__globals__", {}).get(node.id)
        if isinstance(value, str):
            return value
    return None


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _join_subcommand(head: str, following: list[str], server: Mapping[str, Any]) -> str:
    """The table name of a command given as `head` plus the arguments that follow.

    `"CLIENT", "KILL"` -> `CLIENT KILL` when the server has that subcommand. A name
    written as one string (`"CLIENT SETINFO"`) is kept even if the server lacks it, unless
    its first word is a plain command there: `"LOLWUT VERSION"` and `"DEBUG OBJECT"` send
    LOLWUT and DEBUG with an argument, and take their facts.
    """
    words = head.upper().split()
    if len(words) > 1:
        full = " ".join(words)
        first = server.get(words[0])
        if full in server or first is None or first.get("subcommands"):
            return full
        return words[0]
    if following and f"{words[0]} {following[0].upper()}" in server:
        return f"{words[0]} {following[0].upper()}"
    return words[0]


def _is_execute_command(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _call_name(node) == "execute_command"


def static_command(fn: Callable[..., Any], server: Mapping[str, Any]) -> str | None:
    """The first string literal in the method's source that names the command it sends.

    Candidates, in source order: the first argument of `execute_command("SET", ...)`;
    the head of a list literal assigned to a variable that is later splatted into it
    (`pieces = ["ZRANGEBYLEX", ...]; execute_command(*pieces)`); the first argument of
    a private helper (`self._zaggregate("ZUNIONSTORE", ...)`). The first two may name
    commands the server does not know (newer than it); a helper's argument must be known
    to the server. Option tokens (`pieces.append("GET")`) are never candidates.
    """
    tree = _source_tree(fn)
    if tree is None:
        return None
    splatted = {
        node.args[0].value.id
        for node in ast.walk(tree)
        if _is_execute_command(node)
        and node.args
        and isinstance(node.args[0], ast.Starred)
        and isinstance(node.args[0].value, ast.Name)
    }
    candidates: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        items: list[ast.expr] = []
        trusted = True
        if isinstance(node, ast.Call) and _call_name(node) is not None:
            call = _call_name(node)
            if call != "execute_command":
                if not call.startswith("_"):
                    continue
                trusted = False
            items = list(node.args)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = {t.id for t in targets if isinstance(t, ast.Name)}
            if named & splatted and isinstance(node.value, ast.List | ast.Tuple):
                items = list(node.value.elts)
        values = [_string_value(item, fn) for item in items]
        head = values[0] if values else None
        if head is None or not _COMMAND_RE.match(head):
            continue
        following = [v for v in values[1:2] if v is not None]
        name = _join_subcommand(head, following, server)
        if not trusted and name not in server:
            continue
        candidates.append((node.lineno, node.col_offset, name))
    return min(candidates)[2] if candidates else None


class Probe(str):
    """A marker argument: a string naming the parameter it was passed for.

    It also behaves as a one-element list of itself (`list(keys)`, `len(keys)`) and as a
    one-item mapping (`mapping.items()`), so that list and dict parameters pass through
    redis-py's argument building and still show up, recognisably, in the argv.
    """

    origin: str

    def __new__(cls, origin: str) -> Probe:
        obj = super().__new__(cls, f"<{origin}>")
        obj.origin = origin
        return obj

    def __iter__(self) -> Iterator[str]:
        return iter((self,))

    def __len__(self) -> int:
        return 1

    def items(self) -> list[tuple[Probe, Probe]]:
        return [(Probe(f"{self.origin}.key"), Probe(f"{self.origin}.value"))]

    def keys(self) -> list[Probe]:
        return [Probe(f"{self.origin}.key")]

    def values(self) -> list[Probe]:
        return [Probe(f"{self.origin}.value")]


class _Sent(Exception):  # a signal, not an error
    """Raised by the stand-in client's execute_command: carries what would be sent."""

    def __init__(self, argv: tuple[Any, ...], options: dict[str, Any]) -> None:
        super().__init__("sent")
        self.argv = argv
        self.options = options


class _StandIn:
    """A client that runs redis-py's real method bodies but sends nothing.

    Methods of the real class are bound to it, so helpers and delegation (`sort_ro` ->
    `sort`) work; any other attribute (connection pools, nodes) is unavailable, which
    stops methods that would do I/O.
    """

    def __init__(self, cls: type) -> None:
        object.__setattr__(self, "_cls", cls)

    def execute_command(self, *args: Any, **options: Any) -> Any:
        raise _Sent(args, options)

    def __getattr__(self, name: str) -> Any:
        attr = inspect.getattr_static(self._cls, name)
        if inspect.isfunction(attr):
            return types.MethodType(attr, self)
        raise AttributeError(f"stand-in client has no {name!r}")


def _run(fn: Callable[..., Any], cls: type, args: list[Any], kwargs: dict[str, Any]) -> _Sent:
    """Call the method on a stand-in; return what it sent or raise why it could not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = fn(_StandIn(cls), *args, **kwargs)
            if inspect.iscoroutine(result):
                try:
                    result.send(None)
                finally:
                    result.close()
            elif inspect.isgenerator(result) or inspect.isasyncgen(result):
                step = result.__anext__() if inspect.isasyncgen(result) else result
                try:
                    step.send(None)
                finally:
                    step.close()
        except _Sent as sent:
            return sent
    raise LookupError("the method returned without sending a command")


@dataclass
class Signature:
    params: list[str]
    kwonly: list[str]
    required: list[str]
    optional: list[str]  # may hold a key (default is not a bool)
    flags: list[str]  # default is a bool
    defaults: dict[str, Any]
    annotations: dict[str, str]  # parameter (or varargs) name -> annotation as text
    varargs: str | None

    @classmethod
    def of(cls, fn: Callable[..., Any]) -> Signature:
        sig = inspect.signature(fn)
        params, kwonly, required, optional, flags = [], [], [], [], []
        defaults: dict[str, Any] = {}
        annotations: dict[str, str] = {}
        varargs = None
        for i, p in enumerate(sig.parameters.values()):
            if i == 0:
                continue  # self
            if p.annotation is not p.empty:
                annotations[p.name] = (
                    p.annotation
                    if isinstance(p.annotation, str)
                    else inspect.formatannotation(p.annotation)
                )
            if p.kind is p.VAR_POSITIONAL:
                varargs = p.name
            elif p.kind is p.VAR_KEYWORD:
                continue
            else:
                (kwonly if p.kind is p.KEYWORD_ONLY else params).append(p.name)
                if p.default is p.empty:
                    required.append(p.name)
                    continue
                defaults[p.name] = p.default
                (flags if isinstance(p.default, bool) else optional).append(p.name)
        return cls(params, kwonly, required, optional, flags, defaults, annotations, varargs)


def _call_args(sig: Signature, values: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Positional arguments up to the first parameter left out, keywords after it; when
    the method has `*args`, left-out positionals take their defaults and two markers
    follow them (two, so that a list of keys can be told from a single key)."""
    positional: list[Any] = []
    for p in sig.params:
        if p in values:
            positional.append(values[p])
        elif sig.varargs:
            positional.append(sig.defaults[p])
        else:
            break
    kwargs = {p: values[p] for p in sig.params[len(positional) :] if p in values}
    kwargs.update({p: values[p] for p in sig.kwonly if p in values})
    if sig.varargs:
        positional += [Probe(f"{sig.varargs}[0]"), Probe(f"{sig.varargs}[1]")]
    return positional, kwargs


def _variants(sig: Signature) -> Iterator[dict[str, Any]]:
    """Argument sets to try, in order, until one makes the method send something.

    All required parameters as markers; all of them shaped by their annotations (`int`
    -> 1, `list` -> [marker]); one of them at a time as an int, a real dict or a real
    list (for methods that check types before building the argv); then, for methods
    that need one of several optional arguments (HSET: `key` or `mapping`; ZMPOP: `min`
    or `max`), each optional parameter or flag in turn.
    """
    base = {p: Probe(p) for p in sig.required}
    typed = {p: _shaped(p, sig.annotations.get(p, "")) for p in sig.required}
    yield base
    yield typed
    for p in sig.required:
        yield {**base, p: 1}
        yield {**base, p: {Probe(f"{p}.key"): Probe(f"{p}.value")}}
        yield {**base, p: [Probe(p)]}
        yield {**base, p: [Probe(p)] * 3}  # GEOADD wants (lon, lat, member) triples
    for start in (base, typed):
        for p in sig.optional:
            yield {**start, p: Probe(p)}
            yield {**start, p: {Probe(f"{p}.key"): Probe(f"{p}.value")}}
        for p in sig.flags:
            yield {**start, p: True}


def _shaped(param: str, annotation: str) -> Any:
    """A marker in the shape the annotation asks for (the outermost type decides)."""
    head = annotation.replace("Optional[", "").replace("Union[", "").lower().lstrip("'\"")
    if re.match(r"(int|float)\b", head):
        return 1
    if re.match(r"(list|sequence|iterable|tuple|set)\b", head):
        return [Probe(param)]
    if re.match(r"(dict|mapping)\b", head):
        return {Probe(f"{param}.key"): Probe(f"{param}.value")}
    return Probe(param)


def trace(
    fn: Callable[..., Any], cls: type, sig: Signature, extra: str | None = None
) -> _Sent | None:
    """What the method sends when called with markers (plus `extra` as a marker)."""
    for values in _variants(sig):
        if extra is not None:
            values = {**values, extra: Probe(extra)}
        try:
            return _run(fn, cls, *_call_args(sig, values))
        except Exception:  # any failure means: try the next variant
            continue
    return None


def _argv_command(argv: tuple[Any, ...], server: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Split a recorded argv into (table command name, the argv as the server sees it).

    A command name built from an argument (`f"CLUSTER {arg}"`) keeps only its fixed
    words: the method can send several commands, and the container names them all.
    """
    first = str(argv[0])
    words: list[Any] = [*first.split(), *argv[1:]]
    fixed = []
    for word in first.split():
        if "<" in word or not _COMMAND_RE.match(word):
            break
        fixed.append(word)
    if len(fixed) < len(first.split()):
        return " ".join(fixed), words
    following = [words[1]] if len(words) > 1 and isinstance(words[1], str) else []
    return _join_subcommand(first, following, server), words


def _encodable(argv: list[Any]) -> list[Any] | None:
    """The argv as plain str/bytes/numbers for COMMAND GETKEYS, or None if it can't be."""
    out: list[Any] = []
    for arg in argv:
        if isinstance(arg, bool):
            return None
        if isinstance(arg, str | bytes | int | float):
            out.append(arg)
        elif isinstance(getattr(arg, "value", None), str | int):  # enum options
            out.append(arg.value)
        else:
            return None
    return out


def server_keys(raw: RawClient, argv: list[Any]) -> tuple[set[str], str | None] | None:
    """Ask COMMAND GETKEYS which markers in argv are keys.

    Returns (origins of the key markers, origin of the numkeys marker) or None when the
    server cannot tell. A marker where the server expects a number of keys (EVAL's
    numkeys) makes it see no keys at all, so each marker is also tried as 1: the one
    that reveals more keys is the numkeys parameter.
    """
    sendable = _encodable(argv)
    if sendable is None:
        return None
    origins = {str(a): a.origin for a in sendable if isinstance(a, Probe)}

    def getkeys(args: list[Any]) -> set[str] | None:
        try:
            keys = raw.call("COMMAND", "GETKEYS", *args)
        except redis.ResponseError as exc:
            return set() if "no key arguments" in str(exc) else None
        return {origins[k] for k in keys if k in origins}

    found = getkeys(sendable)
    for i, arg in enumerate(sendable):
        if isinstance(arg, Probe) and arg.origin not in (found or set()):
            more = getkeys([*sendable[:i], 1, *sendable[i + 1 :]])
            if more and not more <= (found or set()):
                return (found or set()) | more, arg.origin
    return None if found is None else (found, None)


@dataclass
class KeyMapping:
    """Which parameters of one method hold keys, and who said so (`source`)."""

    key_params: set[str]
    varargs_are_keys: bool
    mapping_keys_param: str | None
    numkeys_param: str | None
    source: str


def _classify(origins: set[str], sig: Signature, numkeys: str | None, source: str) -> KeyMapping:
    """Turn the origins of key markers into parameter roles."""
    names = set(sig.params) | set(sig.kwonly)
    varargs = {f"{sig.varargs}[0]", f"{sig.varargs}[1]"} if sig.varargs else set()
    mapping = sorted(o.removesuffix(".key") for o in origins if o.endswith(".key"))
    return KeyMapping(
        key_params={o for o in origins if o in names},
        varargs_are_keys=bool(varargs) and varargs <= origins,
        mapping_keys_param=mapping[0] if mapping else None,
        numkeys_param=numkeys,
        source=source,
    )


def server_mapping(
    fn: Callable[..., Any],
    cls: type,
    sig: Signature,
    command: str,
    base: _Sent,
    server: Mapping[str, Any],
    raw: RawClient,
) -> KeyMapping | None:
    """Key parameters as the server sees them: the base call, plus one call per optional
    parameter (a key that is only sent when given, such as SORT's `store`)."""
    runs = [base]
    for p in sig.optional:
        sent = trace(fn, cls, sig, extra=p)
        if sent is not None:
            runs.append(sent)
    origins: set[str] = set()
    numkeys: str | None = None
    answered = False
    for sent in runs:
        name, argv = _argv_command(sent.argv, server)
        if name != command:
            continue
        for variant in _subcommand_argvs(argv, server.get(command, {})):
            result = server_keys(raw, variant)
            if result is not None:
                answered = True
                origins |= result[0]
                numkeys = numkeys or result[1]
    return _classify(origins, sig, numkeys, "server") if answered else None


def _subcommand_argvs(argv: list[Any], info: Mapping[str, Any]) -> list[list[Any]]:
    """For a container command whose subcommand is a parameter (`object(infotype, key)`
    sends OBJECT <infotype> <key>), one argv per subcommand; else just the argv."""
    subcommands = info.get("subcommands") or []
    if not subcommands or len(argv) < 2 or not isinstance(argv[1], Probe):
        return [argv]
    return [[argv[0], sub.split()[1], *argv[2:]] for sub in subcommands]


def redis_py_mapping(sig: Signature, base: _Sent) -> KeyMapping | None:
    """The `keys=` hint redis-py passes to execute_command (used for client-side
    caching), for commands this server does not know."""
    hinted = base.options.get("keys")
    if hinted is None:
        return None
    values = [hinted] if isinstance(hinted, str) else list(hinted)
    origins = {v.origin for v in values if isinstance(v, Probe)}
    return _classify(origins, sig, None, "redis-py") if origins else None


def positional_mapping(sig: Signature, command: str, info: Mapping[str, Any]) -> KeyMapping | None:
    """The server's first/last key positions laid onto the parameters in order, for
    methods whose call could not be traced. Only for plain ranges (step 1)."""
    first, last, step = info["first_key"], info["last_key"], info["step"]
    if not first or step != 1:
        return None
    index = first - len(command.split())
    if not 0 <= index < len(sig.params):
        return None
    if last < 0:
        return KeyMapping({sig.params[index]}, bool(sig.varargs), None, None, "position")
    return KeyMapping(
        set(sig.params[index : index + last - first + 1]), False, None, None, "position"
    )


def annotation_mapping(sig: Signature) -> KeyMapping | None:
    """redis-py's own type hints: parameters annotated `KeyT`, `KeysT`, `List[KeyT]`,
    `*args: KeyT`, and `Mapping[AnyKeyT, ...]` (whose dict keys are keys). `FieldT` (hash
    fields) and plain `str` are not keys; unannotated parameters say nothing."""
    key_params: set[str] = set()
    mapping: str | None = None
    for name in sig.params + sig.kwonly:
        annotation = sig.annotations.get(name, "")
        if re.search(r"Mapping\[\s*AnyKeyT\b", annotation):
            mapping = mapping or name
        elif _KEY_ANNOTATION.search(annotation):
            key_params.add(name)
    varargs = bool(sig.varargs) and bool(
        _KEY_ANNOTATION.search(sig.annotations.get(sig.varargs or "", ""))
    )
    if not (key_params or mapping or varargs):
        return None
    return KeyMapping(key_params, varargs, mapping, None, "annotation")


@dataclass
class Traced:
    """One method after the first pass; `keys` is None until a source has decided."""

    name: str
    fn: Callable[..., Any]
    sig: Signature
    command: str
    command_source: str
    labels: list[str]
    keys: KeyMapping | None
    argv: tuple[Any, ...] | None = None  # what the probe call sent (None: another path)


def first_pass(
    name: str,
    labels: list[str],
    cls: type,
    fn: Callable[..., Any],
    server: Mapping[str, Any],
    raw: RawClient,
) -> Traced | None:
    """Command and (where the server or redis-py can tell) key parameters of a method;
    None if the method sends no command."""
    try:
        sig = Signature.of(fn)
    except (TypeError, ValueError):
        return None
    static = static_command(fn, server)
    if static is None and not fn.__module__.startswith("redis.commands."):
        return None  # client plumbing (pipeline, lock, execute_command): not traced
    base = trace(fn, cls, sig)
    traced = _argv_command(base.argv, server)[0] if base is not None else None
    command = static or traced
    if not command:
        return None
    if static and traced and static != traced:
        print(f"note: {fn.__qualname__}: source names {static}, call sends {traced}")
    if traced != command:
        base = None  # the probe call took another path; its argv says nothing here
    info = server.get(command)
    keys: KeyMapping | None = None
    if info is not None and not _may_have_keys(command, server):
        keys = KeyMapping(set(), False, None, None, "server")
    if keys is None and base is not None:
        if info is not None:
            keys = server_mapping(fn, cls, sig, command, base, server, raw)
        else:
            keys = redis_py_mapping(sig, base)
    argv = base.argv if base is not None else None
    return Traced(name, fn, sig, command, "source" if static else "call", labels, keys, argv)


def _may_have_keys(command: str, server: Mapping[str, Any]) -> bool:
    """False when the server says the command (and, for a container such as OBJECT,
    every one of its subcommands) never takes keys."""
    info = server[command]
    if info["first_key"] or info["key_specs"] or "movablekeys" in info["flags"]:
        return True
    return any(_may_have_keys(sub, server) for sub in info.get("subcommands", []))


def sibling_mapping(method: Traced, decided: Iterable[Traced]) -> KeyMapping | None:
    """Copy the roles from a method that sends the same command with the same parameter
    names and was mapped by the server (`mget_nonatomic` from `mget`)."""
    for other in decided:
        if (
            other.keys is not None
            and other.keys.source == "server"
            and other.command == method.command
            and other.sig.params == method.sig.params
            and other.sig.varargs == method.sig.varargs
        ):
            k = other.keys
            return KeyMapping(
                set(k.key_params),
                k.varargs_are_keys,
                k.mapping_keys_param,
                k.numkeys_param,
                f"same-as:{other.name}",
            )
    return None


def method_entry(method: Traced) -> dict[str, Any]:
    keys = method.keys or KeyMapping(set(), False, None, None, "unmapped")
    sig = method.sig
    return {
        "command": method.command,
        "command_source": method.command_source,
        "params": sig.params,
        "kwonly_params": sig.kwonly,
        "key_params": [p for p in sig.params + sig.kwonly if p in keys.key_params],
        "varargs": sig.varargs,
        "varargs_are_keys": keys.varargs_are_keys,
        "mapping_keys_param": keys.mapping_keys_param,
        "numkeys_param": keys.numkeys_param,
        "key_source": keys.source,
        "defined_in": f"{method.fn.__module__}.{method.fn.__qualname__}",
        "clients": method.labels,
    }


def build_methods(
    server: Mapping[str, Any], raw: RawClient, traced_out: dict[str, Traced] | None = None
) -> dict[str, Any]:
    """All command methods; the sync redis.Redis definition wins over the others.

    Key parameters are decided in order: the server (COMMAND GETKEYS on a traced call),
    redis-py's `keys=` hint (commands the server does not know), a sibling method, the
    server's first/last key positions, and redis-py's type hints (`KeyT`).
    """
    traced: dict[str, Traced] = {}
    for name, defs in sorted(public_methods().items()):
        labels = [label for label, _cls, _fn in defs]
        for _label, cls, fn in defs:
            method = first_pass(name, labels, cls, fn, server, raw)
            if method is not None:
                traced[name] = method
                break
    decided = [m for m in traced.values() if m.keys is not None]
    for method in traced.values():
        if method.keys is not None:
            continue
        info = server.get(method.command)
        method.keys = (
            sibling_mapping(method, decided)
            or (positional_mapping(method.sig, method.command, info) if info else None)
            or annotation_mapping(method.sig)
        )
    if traced_out is not None:
        traced_out.update(traced)
    return {name: method_entry(method) for name, method in traced.items()}


def redis_py_key_positions(
    methods: Iterable[Traced], server: Mapping[str, Any]
) -> tuple[int, int, int] | None:
    """(first_key, last_key, step) of a command the server does not know, from where the
    key parameters of the methods sending it land in their traced argv. Only a single
    key position, the same for every such method, is trusted."""
    found: set[tuple[int, int, int]] = set()
    for method in methods:
        keys = method.keys
        if method.argv is None or keys is None or keys.varargs_are_keys or not keys.key_params:
            continue
        if keys.mapping_keys_param or keys.numkeys_param:
            return None
        if any(
            re.search(r"\bKeyT\b", method.sig.annotations.get(p, "")) is None
            or re.search(r"List|Sequence|Iterable|KeysT", method.sig.annotations.get(p, ""))
            for p in keys.key_params
        ):
            return None  # a list of keys (`keys: List[KeyT]`) has no fixed position
        words = _argv_command(method.argv, server)[1]
        positions = [
            i for i, w in enumerate(words) if isinstance(w, Probe) and w.origin in keys.key_params
        ]
        if len(positions) != 1:
            return None
        found.add((positions[0], positions[0], 1))
    return found.pop() if len(found) == 1 else None


def newer_command_entry(
    command: str, methods: Iterable[Traced], server: Mapping[str, Any]
) -> dict[str, Any]:
    """A command redis-py sends that this server does not know: key positions and
    read-only from redis-py, the rest from `scripts/newer_commands.py`, nothing invented."""
    entry = unknown_command_entry()
    positions = redis_py_key_positions(methods, server)
    if positions is not None:
        entry["first_key"], entry["last_key"], entry["step"] = positions
        entry["key_positions_source"] = "redis-py"
    override = newer_commands().get(command)
    if override is not None:
        if "readonly" in override["flags"] and command not in READ_COMMANDS:
            raise SystemExit(f"newer_commands.py: {command} is read-only, redis-py disagrees")
        entry["flags"] = sorted(override["flags"])
        entry["acl_categories"] = sorted(override["acl_categories"])
        entry["group"] = override["group"]
        entry["since"] = override["since"]
        entry["key_specs"] = [{"flags": sorted(override["key_spec_flags"])}]
        entry["facts_source"] = "scripts/newer_commands.py"
    elif command in READ_COMMANDS:
        entry["flags"] = ["readonly"]
        entry["facts_source"] = "redis.commands.READ_COMMANDS"
    return entry


# --------------------------------------------------------------------------- output


def generate(url: str) -> dict[str, Any]:
    """The whole table, from the server at `url` and the installed redis-py."""
    raw = RawClient(url)
    try:
        found = re.search(r"redis_version:(\S+)", str(raw.call("INFO", "server")))
        server_version = found.group(1) if found else None
        commands = fetch_server_commands(raw)
        traced: dict[str, Traced] = {}
        methods = build_methods(commands, raw, traced)
    finally:
        raw.close()
    known = sorted(set(newer_commands()) & set(commands))
    if known:
        raise SystemExit(f"newer_commands.py: the server knows {', '.join(known)}: drop them")
    for command in sorted({m["command"] for m in methods.values()} - set(commands)):
        senders = [t for t in traced.values() if t.command == command]
        commands[command] = newer_command_entry(command, senders, commands)
    return {
        "generated_from": {
            "redis_server": server_version,
            "redis_py": importlib.metadata.version("redis"),
            "script": "scripts/gen_commands.py",
        },
        "commands": commands,
        "methods": methods,
    }


def render(table: Mapping[str, Any]) -> str:
    return json.dumps(table, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@contextmanager
def server_url(url: str | None) -> Iterator[str]:
    """The given URL, or a private redis-server started for the duration."""
    if url:
        yield url
        return
    with load_server_helper().running_redis_server() as server:
        yield server.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="use this server instead of starting redis-server")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if --output differs, write nothing"
    )
    opts = parser.parse_args(argv)
    with server_url(opts.url) as url:
        text = render(generate(url))
    if opts.check:
        current = opts.output.read_text("utf-8") if opts.output.exists() else ""
        if current != text:
            print(f"{opts.output} is out of date: run scripts/gen_commands.py", file=sys.stderr)
            return 1
        return 0
    opts.output.parent.mkdir(parents=True, exist_ok=True)
    opts.output.write_text(text, "utf-8")
    table = json.loads(text)
    print(
        f"wrote {opts.output}: {len(table['commands'])} commands, {len(table['methods'])} methods"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
