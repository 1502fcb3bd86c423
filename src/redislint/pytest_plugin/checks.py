"""Keyspace checks on the commands one test sent, with the server's word on TTL and TYPE.

Each finding uses the static rule's code (RL107, RL201, RL202, RL301, RL303, RL306)
and RL307 for keyspace drift, and points at the application line that sent the
command. Only commands with an application frame are judged (a command sent by a
test, a fixture or a conftest.py is exempt, as the static rules exempt test paths),
and a `# redislint: ignore[CODE]` comment on that line suppresses the finding
(`suppressions.parse_suppressions`, the static rules' parser; per-file-ignores too).

Namespaces come from the config (`role_of` / `subsumes`, the static matcher): a
concrete key is escaped into a literal glob first. Drift is only reported when the
config declares a keyspace: with none, every key would be "undeclared" (RL201 then
uses the default cache patterns, as `redislint check` does).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from redislint.config import Config, KeyspaceEntry
from redislint.pytest_plugin.recorder import Frame, Recorder, Sent
from redislint.pytest_plugin.server import Facts, server_facts
from redislint.semantics.argkeys import SentCommand, sent_command
from redislint.semantics.keys import KeyPattern, _escape, role_of
from redislint.semantics.slots import key_slot
from redislint.suppressions import Suppressions, parse_suppressions

FLUSH = frozenset({"FLUSHALL", "FLUSHDB"})
# Commands that give a key a TTL; SET and GETEX do with one of `_TTL_OPTIONS`.
_TTL_COMMANDS = frozenset({"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "SETEX", "PSETEX"})
_TTL_OPTIONS = frozenset({"EX", "PX", "EXAT", "PXAT"})
_NUMERIC_PART = re.compile(r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27})$")


@dataclass(frozen=True, slots=True)
class RuntimeFinding:
    """One report. `path` is relative to the invocation directory (as pytest and
    `redislint check` show paths)."""

    code: str
    message: str
    path: str
    line: int
    test: str
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Observed:
    """A concrete key sent from an application line (for `redislint keys --observed`)."""

    path: str
    line: int
    command: str
    key: str
    written: bool


@dataclass(slots=True)
class _Writes:
    """The writes of one key during one test: the first (drift is reported where the
    key appeared), the last (RL201: the write that left it as it is) and the last that
    gave it a TTL (RL202: the expiry is the mistake, as the static rule reports it)."""

    first: tuple[Sent, SentCommand]
    last: tuple[Sent, SentCommand]
    expiry: tuple[Sent, SentCommand] | None = None


def sets_ttl(command: SentCommand, args: tuple[object, ...]) -> bool:
    """Whether the command as sent gives its key a TTL."""
    if command.name in _TTL_COMMANDS:
        return True
    if command.name in ("SET", "GETEX"):
        words = {a.upper() for a in args[2:] if isinstance(a, str)}
        words |= {a.upper().decode("ascii", "replace") for a in args[2:] if isinstance(a, bytes)}
        return bool(words & _TTL_OPTIONS)
    return False


def shape(key: str) -> str:
    """A key's shape for comparing types: `:`-separated parts that are numbers or UUIDs
    become `*` (`user:42:profile` -> `user:*:profile`); other parts stay as written, so
    two keys only share a shape when they differ by an id."""
    return ":".join("*" if _NUMERIC_PART.match(p) else p for p in key.split(":"))


@dataclass
class Checker:
    """Judges each test's commands; keeps what must be compared across tests (types)."""

    config: Config
    recorder: Recorder
    codes: frozenset[str]
    invocation_dir: Path = field(default_factory=Path.cwd)
    findings: list[RuntimeFinding] = field(default_factory=list)
    observed: dict[Observed, None] = field(default_factory=dict)
    unchecked_clients: set[str] = field(default_factory=set)
    _types: dict[str, tuple[str, str, Frame]] = field(default_factory=dict)
    _suppressions: dict[str, Suppressions] = field(default_factory=dict)
    _reported: set[tuple[str, str, int, str | None]] = field(default_factory=set)
    _shown: dict[str, str] = field(default_factory=dict)

    def check(self, test: str, sent: Iterable[Sent]) -> None:
        written: dict[str, _Writes] = {}
        transactions: dict[int, list[tuple[Sent, SentCommand]]] = {}
        for item in sent:
            if item.origin is None:
                continue
            command = sent_command(item.args)
            if command is None:
                continue
            self._command_checks(test, item, item.origin, command)
            if item.transaction and item.batch:
                transactions.setdefault(item.batch, []).append((item, command))
            for arg in command.keys:
                shown = self.show(item.origin.path)
                self.observed.setdefault(
                    Observed(shown, item.origin.line, command.name, arg.key, arg.written)
                )
                if arg.written:
                    sent_now = (item, command)
                    writes = written.setdefault(arg.key, _Writes(sent_now, sent_now))
                    writes.last = sent_now
                    if sets_ttl(command, item.args):
                        writes.expiry = sent_now
        for queued in transactions.values():
            self._transaction_slots(test, queued)
        self._key_checks(test, written)

    def show(self, rel: str) -> str:
        """A root-relative path as the user reads it (relative to where pytest ran)."""
        shown = self._shown.get(rel)
        if shown is None:
            absolute = os.path.join(self.config.root, rel)
            shown = os.path.relpath(absolute, self.invocation_dir).replace(os.sep, "/")
            if shown.startswith("../../"):
                shown = absolute
            self._shown[rel] = shown
        return shown

    def _is_cluster(self, item: Sent) -> bool:
        return self.config.cluster or "cluster" in item.kind

    def _command_checks(self, test: str, item: Sent, origin: Frame, command: SentCommand) -> None:
        if command.name in FLUSH:
            scope = "the server" if command.name == "FLUSHALL" else "the database"
            self._report(
                "RL301",
                f"{command.name} sent from application code deletes every key of {scope}",
                origin,
                test,
            )
        elif command.name == "KEYS":
            self._report(
                "RL303", "KEYS sent from application code (O(N), blocks the server)", origin, test
            )
        keys = [a.key for a in command.keys]
        if self._is_cluster(item) and len(keys) > 1:
            slots = {key_slot(k) for k in keys}
            if len(slots) > 1:
                shown = ", ".join(repr(k) for k in keys[:4])
                self._report(
                    "RL107",
                    f"{command.name} keys hash to {len(slots)} slots ({shown}): CROSSSLOT",
                    origin,
                    test,
                )

    def _transaction_slots(self, test: str, queued: list[tuple[Sent, SentCommand]]) -> None:
        """A cluster transaction (MULTI/EXEC) must stay in one slot: reported at the
        first queued command whose key hashes elsewhere than the first key."""
        first: tuple[str, int] | None = None
        for item, command in queued:
            if not self._is_cluster(item) or item.origin is None:
                return
            for arg in command.keys:
                slot = key_slot(arg.key)
                if first is None:
                    first = (arg.key, slot)
                elif slot != first[1]:
                    self._report(
                        "RL107",
                        f"transaction queues {command.name} {arg.key!r} (slot {slot}) after "
                        f"{first[0]!r} (slot {first[1]}): CROSSSLOT",
                        item.origin,
                        test,
                    )
                    return

    def _key_checks(self, test: str, written: dict[str, _Writes]) -> None:
        by_client: dict[int, list[str]] = {}
        for key, writes in written.items():
            item, command = writes.first
            assert item.origin is not None
            entry = self._namespace(key)
            if entry is None and self.config.keyspace:
                self._report(
                    "RL307",
                    f"{command.name} wrote {key!r}, which matches no declared namespace",
                    item.origin,
                    test,
                    key,
                )
            by_client.setdefault(id(writes.last[0].client), []).append(key)
        facts: Facts = {}
        for keys in by_client.values():
            item = written[keys[0]].last[0]
            found = server_facts(item.client, item.kind, keys, self.recorder.paused)
            if found is None:
                self.unchecked_clients.add(
                    type(item.client).__module__ + "." + type(item.client).__name__
                )
            else:
                facts.update(found)
        for key, writes in written.items():
            if key in facts:
                self._judge(test, key, facts[key], writes)

    def _judge(self, test: str, key: str, facts: tuple[int, str], writes: _Writes) -> None:
        ttl, key_type = facts
        if ttl == -2:
            return  # gone by the end of the test (deleted, expired): nothing left to judge
        entry = self._namespace(key)
        last = writes.last[0].origin
        assert last is not None
        if entry is not None and entry.role == "cache" and ttl == -1:
            self._report(
                "RL201",
                f"{writes.last[1].name} left cache key {key!r} (namespace {entry.pattern!r}) "
                "without a TTL",
                last,
                test,
                key,
            )
        if entry is not None and entry.role in ("critical", "primary") and ttl >= 0:
            expiry = (writes.expiry or writes.last)[0].origin
            assert expiry is not None
            self._report(
                "RL202",
                f"{entry.role} key {key!r} (namespace {entry.pattern!r}) has a TTL ({ttl} s): "
                "Redis will delete it",
                expiry,
                test,
                key,
            )
        self._type_check(test, key, key_type, entry, last)

    def _type_check(
        self, test: str, key: str, key_type: str, entry: KeyspaceEntry | None, origin: Frame
    ) -> None:
        if entry is not None and entry.type is not None and entry.type != key_type:
            self._report(
                "RL306",
                f"{key!r} holds a {key_type}; namespace {entry.pattern!r} is declared {entry.type}",
                origin,
                test,
                key,
            )
            return
        pattern = shape(key)
        seen = self._types.setdefault(pattern, (key_type, key, origin))
        if seen[0] != key_type:
            first = seen[2]
            self._report(
                "RL306",
                f"{key!r} holds a {key_type}; {seen[1]!r} of the same pattern {pattern!r} "
                f"holds a {seen[0]} ({self.show(first.path)}:{first.line})",
                origin,
                test,
                key,
            )

    def _namespace(self, key: str) -> KeyspaceEntry | None:
        glob = _escape(key)
        return role_of(KeyPattern(glob, glob), self.config.effective_keyspace())

    def _report(
        self, code: str, message: str, origin: Frame, test: str, key: str | None = None
    ) -> None:
        if code not in self.codes or code in self.config.ignored_for_path(origin.path, self.codes):
            return
        if self._suppressed(code, origin):
            return
        # Once per code, line and key pattern: a loop over 1000 ids is one finding.
        identity = (code, origin.path, origin.line, None if key is None else shape(key))
        if identity in self._reported:
            return
        self._reported.add(identity)
        shown = self.show(origin.path)
        self.findings.append(RuntimeFinding(code, message, shown, origin.line, test, key))

    def _suppressed(self, code: str, origin: Frame) -> bool:
        found = self._suppressions.get(origin.path)
        if found is None:
            try:
                text = (self.config.root / origin.path).read_text("utf-8", errors="replace")
            except OSError:
                text = ""
            found = self._suppressions[origin.path] = parse_suppressions(text)
        return found.skip_file or found.match(code, [origin.line]) is not None
