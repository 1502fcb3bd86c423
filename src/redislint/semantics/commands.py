"""The command table: which Redis command a redis-py method sends, and what it does.

INTERFACE (stable; the data comes from `scripts/gen_commands.py`, never typed by hand):

- `CommandInfo`: one Redis command as the server describes it (COMMAND INFO / DOCS).
- `MethodInfo`: one redis-py client method: the command it sends and which of its
  parameters hold keys.
- `CommandTable.load() -> CommandTable` (cached per process, read-only, from
  `redislint/data/commands.json`, `redislint.data.read_text`).
- `table.method(name) -> MethodInfo | None` (e.g. "set", "hset", "flushall", "expire").
- `table.command(name) -> CommandInfo | None` (case-insensitive: "FLUSHALL", "config|set"
  for subcommands is spelled "CONFIG SET").
- `table.command_for_method(name) -> CommandInfo | None`: `command(method(name).command)`.

Rules ask facts ("is this a write?", "which argument is the key?") rather than keeping
their own lists, so that every rule agrees and a new redis-server or redis-py release
is one regeneration away. The table is data only; it never decides whether a call's
receiver is a Redis client (that is `semantics.clients`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from redislint.data import read_text as read_data_file

__all__ = ["CommandInfo", "CommandTable", "MethodInfo"]

# ACL category -> the data type a key must hold (WRONGTYPE otherwise). Bitmaps and
# HyperLogLogs are strings; geo indexes are sorted sets.
_DATA_TYPE_BY_ACL_CATEGORY: Mapping[str, str] = MappingProxyType(
    {
        "string": "string",
        "bitmap": "string",
        "hyperloglog": "string",
        "hash": "hash",
        "list": "list",
        "set": "set",
        "sortedset": "zset",
        "geo": "zset",
        "stream": "stream",
    }
)


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """One Redis command (or subcommand, named "CONFIG SET") as the server reports it.

    `known_to_server` is False for commands redis-py sends but the generating server did
    not know (newer commands such as HEXPIRE on 7.0); those carry no flags, categories or
    key positions (`first_key` etc. are None), because none may be invented.
    """

    name: str
    flags: frozenset[str]  # COMMAND INFO flags: "write", "readonly", "admin", ...
    acl_categories: frozenset[str]  # without the "@": "write", "string", "dangerous", ...
    group: str | None  # COMMAND DOCS group: "string", "generic", "server", ...
    first_key: int | None  # legacy key positions (0 = no keys); None if unknown
    last_key: int | None
    step: int | None
    key_spec_flags: frozenset[str]  # union over key specs: "RW", "OW", "delete", ...
    known_to_server: bool = True
    subcommands: frozenset[str] = frozenset()  # of a container: {"CONFIG SET", ...}
    summary: str = ""  # COMMAND DOCS summary, for messages ("Set configuration parameters ...")

    @property
    def is_write(self) -> bool:
        """The command may modify data (includes DEL, EXPIRE, FLUSHALL)."""
        return "write" in self.flags

    @property
    def is_readonly(self) -> bool:
        return "readonly" in self.flags

    @property
    def is_admin(self) -> bool:
        return "admin" in self.flags

    @property
    def is_dangerous(self) -> bool:
        """In Redis's @dangerous ACL category (FLUSHALL, CONFIG SET, KEYS, DEBUG, ...)."""
        return "dangerous" in self.acl_categories

    @property
    def data_type(self) -> str | None:
        """The type the command's keys must hold: "string", "hash", "list", "set",
        "zset" or "stream"; None for type-agnostic commands (DEL, EXPIRE) and for
        commands that accept several types (SORT)."""
        types = {
            _DATA_TYPE_BY_ACL_CATEGORY[c]
            for c in self.acl_categories
            if c in _DATA_TYPE_BY_ACL_CATEGORY
        }
        return types.pop() if len(types) == 1 else None

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> CommandInfo:
        return cls(
            name=name,
            flags=frozenset(data.get("flags", ())),
            acl_categories=frozenset(data.get("acl_categories", ())),
            group=data.get("group"),
            first_key=data.get("first_key"),
            last_key=data.get("last_key"),
            step=data.get("step"),
            key_spec_flags=frozenset(
                flag for spec in data.get("key_specs", ()) for flag in spec.get("flags", ())
            ),
            known_to_server=bool(data.get("known_to_server", True)),
            subcommands=frozenset(data.get("subcommands", ())),
            summary=data.get("summary") or "",
        )


@dataclass(frozen=True, slots=True)
class MethodInfo:
    """One redis-py client method: the command it sends and where its keys are.

    To find the keys of a call, bind its arguments to `params` (positional, in order)
    and `kwonly_params`; then the keys are the values of `key_params` (each a key or a
    list of keys), the extra positional arguments if `varargs_are_keys`, and the dict
    keys of the `mapping_keys_param` argument (MSET). When `numkeys_param` is set, the
    server reads that argument as the number of keys: the first that many `varargs` are
    keys (EVAL, FCALL, LMPOP) and the rest are not.

    `key_source` says who decided: "server" (COMMAND GETKEYS on the traced call),
    "redis-py" (its `keys=` hint), "same-as:<method>", "position" (COMMAND INFO's key
    positions), "annotation" (redis-py's `KeyT` type hints), or "unmapped" (nobody
    could tell; treat the keys as unknown, not as absent).
    """

    method: str
    command: str
    params: tuple[str, ...]
    key_params: tuple[str, ...]
    varargs: str | None
    varargs_are_keys: bool
    mapping_keys_param: str | None
    kwonly_params: tuple[str, ...] = ()
    numkeys_param: str | None = None
    key_source: str = "server"

    @property
    def keys_known(self) -> bool:
        """False when the generator could not tell which parameters hold keys."""
        return self.key_source != "unmapped"

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> MethodInfo:
        return cls(
            method=name,
            command=data["command"],
            params=tuple(data.get("params", ())),
            key_params=tuple(data.get("key_params", ())),
            varargs=data.get("varargs"),
            varargs_are_keys=bool(data.get("varargs_are_keys", False)),
            mapping_keys_param=data.get("mapping_keys_param"),
            kwonly_params=tuple(data.get("kwonly_params", ())),
            numkeys_param=data.get("numkeys_param"),
            key_source=data.get("key_source", "server"),
        )


def normalize_command_name(name: str) -> str:
    """ "config|set", "config  set", "CONFIG SET" -> "CONFIG SET"."""
    return " ".join(name.replace("|", " ").split()).upper()


@dataclass(frozen=True, slots=True, eq=False)
class CommandTable:
    """Read-only lookup of commands and methods. Get the shipped one with `load()`."""

    commands: Mapping[str, CommandInfo]
    methods: Mapping[str, MethodInfo]
    redis_server_version: str | None = None
    redis_py_version: str | None = None

    @classmethod
    def load(cls) -> CommandTable:
        """The table shipped in `redislint/data/commands.json`, parsed once per process."""
        return _load_shipped()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CommandTable:
        """Build a table from the JSON document (tests can pass a small one)."""
        header = data.get("generated_from", {})
        return cls(
            commands=MappingProxyType(
                {
                    normalize_command_name(name): CommandInfo.from_json(
                        normalize_command_name(name), info
                    )
                    for name, info in data.get("commands", {}).items()
                }
            ),
            methods=MappingProxyType(
                {name: MethodInfo.from_json(name, m) for name, m in data.get("methods", {}).items()}
            ),
            redis_server_version=header.get("redis_server"),
            redis_py_version=header.get("redis_py"),
        )

    def method(self, name: str) -> MethodInfo | None:
        """The redis-py method `name` ("set", "config_set"), or None if it sends no
        command. Method names are case-sensitive, as in Python."""
        return self.methods.get(name)

    def command(self, name: str) -> CommandInfo | None:
        """The command `name`, case-insensitively; subcommands as "CONFIG SET" or
        "config|set".

        A two-word name whose first word is a plain command (not a container such as
        CONFIG) resolves to that command: `execute_command("DEBUG OBJECT", key)` sends
        DEBUG with the argument OBJECT.
        """
        normalized = normalize_command_name(name)
        found = self.commands.get(normalized)
        if found is not None or " " not in normalized:
            return found
        head = self.commands.get(normalized.split(" ", 1)[0])
        if head is not None and head.known_to_server and not head.subcommands:
            return head
        return None

    def command_for_method(self, name: str) -> CommandInfo | None:
        """The command the redis-py method `name` sends, or None."""
        method = self.method(name)
        return None if method is None else self.command(method.command)


@functools.cache
def _load_shipped() -> CommandTable:
    text = read_data_file("commands.json")
    return CommandTable.from_json(json.loads(text))


# redis.asyncio methods that return an async iterator to drive with `async for`, not a
# coroutine to await (`scan_iter` and its kin are async generators).
ASYNC_ITERATOR_METHODS = frozenset({"scan_iter", "sscan_iter", "hscan_iter", "zscan_iter"})
