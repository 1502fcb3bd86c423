"""Render the keyspace inventory (`redislint keys`) as text, JSON or TOML.

Pure functions of an `Inventory`, like the finding reporters: the CLI decides where
the text goes. The formats serve three readers:
- text: a person reviewing the keyspace, grouped by role, riskiest first;
- json: tools (stable, versioned like `check --format json`);
- toml: a config to start from, `[[tool.redislint.keyspace]]` blocks with the role left
  empty so the user must choose it (an empty role is a config error, so a pasted
  block cannot silently do nothing), and comments saying what the code does with each
  pattern so the choice can be made without reading the code.
"""

from __future__ import annotations

import json
from typing import Any

from redislint import __version__
from redislint.config import DEFAULT_CACHE_PATTERNS, ROLES
from redislint.inventory import (
    TTL_NEVER,
    TTL_SETS,
    TTL_UNSEEN,
    Inventory,
    Location,
    PatternEntry,
    UnresolvedKey,
)

FORMATS = ("text", "json", "toml")
JSON_VERSION = 1
# Text output shows this many locations per pattern; JSON always has them all.
TEXT_LOCATIONS = 5

_ROLE_MEANING = {
    "critical": "the primary database is the source of truth; Redis holds a copy",
    "primary": "Redis itself is the source of truth",
    "ephemeral": "short-lived operational state",
    "cache": "may expire, may be lost",
}


def render_inventory(fmt: str, inventory: Inventory) -> str:
    """`inventory` in format `fmt` (one of `FORMATS`), ending with a newline."""
    if fmt == "text":
        return render_text(inventory)
    if fmt == "json":
        return render_json(inventory)
    if fmt == "toml":
        return render_toml(inventory)
    raise ValueError(f"unknown inventory format {fmt!r}; expected one of {', '.join(FORMATS)}")


# -- shared wording ---------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _namespace_note(entry: PatternEntry) -> str:
    if entry.namespace is None:
        return "no declared namespace"
    if entry.default_namespace:
        return f"default cache pattern '{entry.namespace.pattern}'"
    declared_type = f", type {entry.namespace.type}" if entry.namespace.type else ""
    # quoted as the findings quote a namespace ('cache:*'), so the two read alike
    return f"declared as '{entry.namespace.pattern}'{declared_type}"


def _usage(entry: PatternEntry) -> str:
    """`HGET, HSET on hash; 1 read, 2 writes; never sets a TTL`."""
    on = f" on {', '.join(entry.types)}" if entry.types else ""
    counts = f"{_plural(entry.reads, 'read')}, {_plural(entry.writes, 'write')}"
    basis = f" ({entry.basis})" if entry.basis else ""
    return f"{', '.join(entry.commands)}{on}; {counts}; {entry.ttl}{basis}"


def _notes(entry: PatternEntry) -> list[str]:
    """What a reviewer should look at: a role and a TTL behaviour that disagree, or
    types that cannot all be right. The rules report these at each call; the inventory
    shows them once per pattern."""
    notes: list[str] = []
    if entry.role in ("critical", "primary") and entry.ttl == TTL_SETS:
        notes.append(f"{entry.role} keys given a TTL: Redis will delete them (RL202)")
    if entry.role == "cache" and entry.ttl == TTL_NEVER:
        notes.append("cache keys that never expire: they stay until evicted (RL201)")
    if entry.role == "cache" and entry.ttl == TTL_UNSEEN:
        notes.append("cache keys with no TTL seen: unless an unresolved key expires them (RL201)")
    declared_type = entry.namespace.type if entry.namespace is not None else None
    if len(entry.types) > 1:
        notes.append(f"used as {' and '.join(entry.types)}: WRONGTYPE errors (RL306)")
    elif declared_type and entry.types and entry.types[0] != declared_type:
        notes.append(f"declared {declared_type}, used as {entry.types[0]} (RL306)")
    if entry.too_broad:
        notes.append("no literal part: it cannot be declared; give these keys a prefix")
    return notes


def _where(key: UnresolvedKey) -> str:
    inside = f" in {key.function}()" if key.function else ""
    return f"{key.location}{inside}"


def _summary(inventory: Inventory) -> str:
    text = (
        f"{_plural(len(inventory.patterns), 'key pattern')}, "
        f"{_plural(len(inventory.unresolved), 'unresolved key')} "
        f"in {_plural(inventory.files, 'file')}"
    )
    if inventory.tests_excluded:
        text += f" ({_plural(inventory.tests_excluded, 'test file')} not included: --include-tests)"
    return text


# -- text -------------------------------------------------------------------------------


def render_text(inventory: Inventory) -> str:
    lines: list[str] = []
    for role, entries in inventory.by_role():
        meaning = _ROLE_MEANING.get(role, "no role: the rules cannot judge these keys")
        lines.append(f"{role} ({meaning})")
        for entry in entries:
            lines.append(f"  {entry.pattern}  [{_namespace_note(entry)}]")
            lines.append(f"    {_usage(entry)}")
            lines += [f"    ! {note}" for note in _notes(entry)]
            shown = entry.locations[:TEXT_LOCATIONS]
            width = max((len(str(location)) for location in shown), default=0)
            for index, location in enumerate(shown):
                label = "used at" if index == 0 else "       "
                lines.append(f"    {label} {location!s:<{width}}  {location.command}")
            hidden = entry.uses - len(shown)
            if hidden:
                lines.append(f"            … and {hidden} more (--format json lists all)")
        lines.append("")
    if inventory.unresolved:
        lines.append("unresolved (the model could not follow these keys; they match no namespace)")
        # long key expressions (a comprehension) do not push every column right
        width = min(max(len(k.key) for k in inventory.unresolved), 40)
        for key in inventory.unresolved:
            lines.append(f"  {key.key:<{width}}  {key.command:<8} {_where(key)}")
            if key.reason:
                lines.append(f"  {'':<{width}}  why: {key.reason}")
        lines.append("")
    if inventory.blind_files:
        lines.append(
            "no client proven (these files import redis, but the model proves no client "
            "in them: their keys are not listed)"
        )
        lines += [f"  {path}" for path in inventory.blind_files]
        lines.append("")
    lines.append(_summary(inventory))
    return "\n".join(lines) + "\n"


# -- json -------------------------------------------------------------------------------


def _location_json(location: Location) -> dict[str, Any]:
    return {
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "command": location.command,
    }


def _pattern_json(entry: PatternEntry) -> dict[str, Any]:
    namespace = None
    if entry.namespace is not None:
        namespace = {
            "pattern": entry.namespace.pattern,
            "role": entry.namespace.role,
            "type": entry.namespace.type,
            "default": entry.default_namespace,
        }
    return {
        "pattern": entry.pattern,
        "role": entry.role,
        "namespace": namespace,
        "commands": list(entry.commands),
        "types": list(entry.types),
        "reads": entry.reads,
        "writes": entry.writes,
        "ttl": entry.ttl,
        "basis": entry.basis,
        "uses": entry.uses,
        "locations": [_location_json(location) for location in entry.locations],
    }


def render_json(inventory: Inventory) -> str:
    document = {
        "version": JSON_VERSION,
        "tool": "redislint",
        "tool_version": __version__,
        "files": inventory.files,
        "tests_excluded": inventory.tests_excluded,
        "patterns": [_pattern_json(entry) for entry in inventory.patterns],
        "unresolved": [
            {
                "key": key.key,
                "command": key.command,
                "function": key.function,
                "path": key.location.path,
                "line": key.location.line,
                "column": key.location.column,
                "reason": key.reason,
            }
            for key in inventory.unresolved
        ],
        "blind_files": list(inventory.blind_files),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# -- toml -------------------------------------------------------------------------------


def toml_string(text: str) -> str:
    """A TOML basic string. Not `json.dumps`: TOML also forbids a raw DEL (U+007F)."""
    out = ['"']
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\t" or (char >= " " and char != "\x7f"):
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}")
    out.append('"')
    return "".join(out)


def _comment(text: str, indent: int = 0) -> str:
    """One comment line; key text comes from user code, so no line break gets through."""
    return "# " + " " * indent + " ".join(text.replace("\x7f", " ").split())


def _split_declared(inventory: Inventory) -> tuple[list[PatternEntry], list[PatternEntry]]:
    """(patterns the config does not declare, patterns it declares). A pattern that
    only matched a default cache pattern is undeclared: a config that declares anything
    loses the defaults, so it needs its own block."""
    undeclared: list[PatternEntry] = []
    declared: list[PatternEntry] = []
    for entry in inventory.patterns:
        if entry.namespace is None or entry.default_namespace:
            undeclared.append(entry)
        else:
            declared.append(entry)
    return undeclared, declared


def render_toml(inventory: Inventory) -> str:
    choose = " | ".join(ROLES)
    lines = [
        "# Keyspace declarations started by `redislint keys --format toml`.",
        "# Paste into pyproject.toml (in redislint.toml, write [[keyspace]] instead),",
        "# then give every block a role:",
    ]
    lines += [f"#   {role:<9} {meaning}" for role, meaning in _ROLE_MEANING.items()]
    if not inventory.declared:
        lines.append(
            "# Declaring any keyspace replaces the default cache patterns "
            f"({', '.join(DEFAULT_CACHE_PATTERNS)}):"
        )
        lines.append("# the cache blocks below keep today's checks of those keys.")
    undeclared, declared = _split_declared(inventory)
    for entry in undeclared:
        lines.append("")
        if entry.too_broad:
            lines.append(_comment(f"{entry.pattern}: {_usage(entry)}"))
            lines.append(
                _comment(
                    "not declared: a pattern with no literal part would give every key "
                    "this role; build these keys with a prefix"
                )
            )
            continue
        lines.append("[[tool.redislint.keyspace]]")
        lines.append(f"pattern = {toml_string(entry.pattern)}")
        if entry.default_namespace:
            # What redislint already assumes: keeping it keeps today's RL201 checks.
            lines.append(
                f'role = "cache"  # matched the default pattern {entry.namespace.pattern}'  # type: ignore[union-attr]
                f"; choose: {choose}"
            )
        else:
            lines.append(f'role = ""  # choose: {choose}')
        if len(entry.types) == 1:
            lines.append(f'# type = "{entry.types[0]}"  # optional: RL306 checks every use')
        lines.append(_comment(f"code: {_usage(entry)}"))
        lines.append(
            _comment(
                f"{_plural(entry.uses, 'use')}, first at {entry.locations[0]} "
                f"({entry.locations[0].command})"
            )
        )
    if declared:
        lines.append("")
        lines.append("# Already declared:")
        for entry in declared:
            namespace = entry.namespace
            assert namespace is not None
            lines.append(
                _comment(
                    f"{entry.pattern} -> {namespace.role} ('{namespace.pattern}'): "
                    f"{_usage(entry)}; {_plural(entry.uses, 'use')}",
                    indent=2,
                )
            )
    if inventory.unresolved:
        lines.append("")
        lines.append(
            _comment(
                f"{_plural(len(inventory.unresolved), 'key')} could not be resolved and "
                "match no namespace (`redislint keys` lists them):"
            )
        )
        for key in inventory.unresolved:
            lines.append(_comment(f"{key.key} ({key.command}) at {_where(key)}", indent=2))
            if key.reason:
                lines.append(_comment(f"why: {key.reason}", indent=4))
    if inventory.blind_files:
        lines.append("")
        lines.append(
            _comment(
                f"{_plural(len(inventory.blind_files), 'file')} import redis but no client "
                "was proven there (declare a factory or a client name to see their keys):"
            )
        )
        lines += [_comment(path, indent=2) for path in inventory.blind_files]
    if not undeclared:
        lines.append("")
        lines.append("# Every key pattern found is already declared.")
    return "\n".join(lines) + "\n"
