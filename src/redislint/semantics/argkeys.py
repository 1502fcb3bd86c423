"""Which arguments of a command *as sent* are keys, and which of those it writes.

The static rules bind a redis-py method's parameters (`MethodInfo`); the pytest plugin
sees the command's wire arguments instead (`("SET", "cache:a", "1", "EX", "60")`).
Both read the same generated table (`data/commands.json`): here the server's own key
specifications (COMMAND INFO key specs: where the search for keys begins, how many
follow, and what the command does to them), so no key position is ever typed by hand.

A key counts as *written* when its key spec says the command inserts, updates or
overwrites it (`insert`, `update`, `OW`) and the command has the `write` flag (scripts,
whose specs "assume the worst", are not counted as writes); a key the command only deletes (DEL, the
source of RENAME) or reads is not a write: it leaves nothing behind to check.
Commands whose keys the table cannot locate (`unknown` specs, modules) give no keys,
so the checks stay silent about them rather than guess.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redislint.data import read_text as read_data_file
from redislint.semantics.commands import normalize_command_name

_WRITE_FLAGS = frozenset({"insert", "update", "OW"})


@dataclass(frozen=True, slots=True)
class ArgKey:
    """One key argument of a sent command."""

    key: str
    written: bool


@dataclass(frozen=True, slots=True)
class SentCommand:
    """A command's name (subcommands as "CONFIG SET"), its command-table entry's
    flags, and its keys."""

    name: str
    flags: frozenset[str]
    keys: tuple[ArgKey, ...]

    @property
    def is_write(self) -> bool:
        return "write" in self.flags


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


@functools.cache
def _specs() -> Mapping[str, Any]:
    text = read_data_file("commands.json")
    commands: dict[str, Any] = json.loads(text)["commands"]
    return {normalize_command_name(name): info for name, info in commands.items()}


def _begin(spec: Mapping[str, Any], args: Sequence[str]) -> int | None:
    kind = spec.get("type")
    detail = spec.get("spec", {})
    if kind == "index":
        return int(detail["index"])
    if kind == "keyword":
        word = str(detail["keyword"]).upper()
        start = int(detail.get("startfrom", 1))
        if start >= 0:
            for i in range(start, len(args)):
                if args[i].upper() == word:
                    return i + 1
        else:
            for i in range(len(args) + start, 0, -1):
                if args[i].upper() == word:
                    return i + 1
    return None


def _find(spec: Mapping[str, Any], begin: int, args: Sequence[str]) -> list[int]:
    kind = spec.get("type")
    detail = spec.get("spec", {})
    if kind == "range":
        last = int(detail.get("lastkey", 0))
        step = max(int(detail.get("keystep", 1)), 1)
        limit = int(detail.get("limit", 0))
        if last >= 0:
            end = begin + last
        else:
            end = len(args) + last
            if limit > 1:  # "the keys are 1/limit of what is left" (XREAD STREAMS k1 k2 id1 id2)
                end = begin + (len(args) - begin) // limit - 1
        return list(range(begin, min(end, len(args) - 1) + 1, step))
    if kind == "keynum":
        try:
            count = int(args[begin + int(detail.get("keynumidx", 0))])
        except (IndexError, ValueError):
            return []
        first = begin + int(detail.get("firstkey", 1))
        step = max(int(detail.get("keystep", 1)), 1)
        return [i for i in range(first, first + count * step, step) if i < len(args)]
    return []


def sent_command(raw_args: Sequence[object]) -> SentCommand | None:
    """The command `raw_args` sends (its first element is the command name, which redis-py
    may pass as "CONFIG SET" in one string), or None for an empty or unknown command."""
    if not raw_args:
        return None
    head = normalize_command_name(_text(raw_args[0])).split(" ")
    args = [*head, *(_text(a) for a in raw_args[1:])]
    specs = _specs()
    info = None
    if len(args) > 1:
        info = specs.get(f"{args[0].upper()} {args[1].upper()}")
    name = f"{args[0].upper()} {args[1].upper()}" if info is not None else args[0].upper()
    if info is None:
        info = specs.get(name)
    if info is None:
        return None
    flags = frozenset(info.get("flags", ()))
    keys: list[ArgKey] = []
    for spec in info.get("key_specs", ()):
        if "begin_search" not in spec or "find_keys" not in spec:
            continue
        begin = _begin(spec["begin_search"], args)
        if begin is None or begin >= len(args):
            continue
        written = "write" in flags and bool(_WRITE_FLAGS & set(spec.get("flags", ())))
        keys.extend(ArgKey(args[i], written) for i in _find(spec["find_keys"], begin, args))
    return SentCommand(name, flags, tuple(keys))
