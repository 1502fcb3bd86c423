"""Keyspace checks on the commands one test sent, with the server's word on TTL and TYPE.

Each finding uses the static rule's code (RL107, RL201, RL202, RL301, RL303, RL306)
and RL307 for keyspace drift, and points at the application line that sent the
command. Only commands with an application frame are judged (test code is exempt, as
in the static rules), and a `# redislint: ignore[CODE]` comment on that line
suppresses the finding (`suppressions.parse_suppressions`, the static rules' parser).

Namespaces come from the config (`role_of` / `subsumes`, the static matcher): a
concrete key is escaped into a literal glob first. Drift is only reported when the
config declares a keyspace: with none, every key would be "undeclared".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from redislint.config import Config, KeyspaceEntry
from redislint.pytest_plugin.recorder import Frame, Recorder, Sent
from redislint.semantics.argkeys import SentCommand, sent_command
from redislint.semantics.keys import KeyPattern, _escape, role_of
from redislint.semantics.slots import key_slot
from redislint.suppressions import Suppressions, parse_suppressions

FLUSH = frozenset({"FLUSHALL", "FLUSHDB"})
_NUMERIC_PART = re.compile(r"^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27})$")


@dataclass(frozen=True, slots=True)
class RuntimeFinding:
    code: str
    message: str
    path: str
    line: int
    test: str
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Observed:
    """A concrete key written at an application line (for `redislint keys --observed`)."""

    path: str
    line: int
    command: str
    key: str


def shape(key: str) -> str:
    """A key's shape for comparing types: `:`-separated parts that are numbers or UUIDs
    become `*` (`user:42:profile` -> `user:*:profile`); other parts stay as written."""
    return ":".join("*" if _NUMERIC_PART.match(p) else p for p in key.split(":"))


@dataclass
class Checker:
    """Judges each test's commands; keeps what must be compared across tests (types)."""

    config: Config
    recorder: Recorder
    codes: frozenset[str]
    findings: list[RuntimeFinding] = field(default_factory=list)
    observed: dict[Observed, None] = field(default_factory=dict)
    unchecked_clients: set[str] = field(default_factory=set)
    _types: dict[str, tuple[str, str, Frame]] = field(default_factory=dict)
    _suppressions: dict[str, Suppressions] = field(default_factory=dict)
    _reported: set[tuple[str, str, int, str | None]] = field(default_factory=set)
    _clients: dict[int, Any] = field(default_factory=dict)  # per test: one checking client each

    def check(self, test: str, sent: Iterable[Sent]) -> None:
        self._clients.clear()
        written: dict[str, tuple[Sent, SentCommand]] = {}
        for item in sent:
            if item.origin is None:
                continue
            command = sent_command(item.args)
            if command is None:
                continue
            self._command_checks(test, item, item.origin, command)
            for arg in command.keys:
                if arg.written:
                    self.observed.setdefault(
                        Observed(item.origin.path, item.origin.line, command.name, arg.key)
                    )
                    written.setdefault(arg.key, (item, command))
        for key, (item, command) in written.items():
            self._key_checks(test, key, item, command)

    def _command_checks(self, test: str, item: Sent, origin: Frame, command: SentCommand) -> None:
        if command.name in FLUSH:
            self._report("RL301", f"{command.name} sent from application code", origin, test)
        elif command.name == "KEYS":
            self._report("RL303", "KEYS sent from application code (O(N), blocks)", origin, test)
        cluster = self.config.cluster or "cluster" in item.kind
        keys = [a.key for a in command.keys]
        if cluster and len(keys) > 1:
            slots = {key_slot(k) for k in keys}
            if len(slots) > 1:
                shown = ", ".join(keys[:4])
                self._report(
                    "RL107",
                    f"{command.name} keys hash to {len(slots)} slots ({shown}): CROSSSLOT",
                    origin,
                    test,
                )

    def _key_checks(self, test: str, key: str, item: Sent, command: SentCommand) -> None:
        origin = item.origin
        assert origin is not None
        entry = self._namespace(key)
        if entry is None and self.config.keyspace:
            self._report(
                "RL307",
                f"{command.name} wrote {key!r}, which matches no declared namespace",
                origin,
                test,
                key,
            )
        facts = self._server_facts(item, key)
        if facts is None:
            return
        ttl, key_type = facts
        if ttl == -2:
            return  # gone by the end of the test (deleted, expired): nothing left to judge
        if entry is not None and entry.role == "cache" and ttl == -1:
            self._report("RL201", f"cache key {key!r} left without a TTL", origin, test, key)
        if entry is not None and entry.role in ("critical", "primary") and ttl >= 0:
            self._report(
                "RL202", f"{entry.role} key {key!r} has a TTL ({ttl} s)", origin, test, key
            )
        self._type_check(test, key, key_type, entry, origin)

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
                f"holds a {seen[0]} ({first.path}:{first.line})",
                origin,
                test,
                key,
            )

    def _namespace(self, key: str) -> KeyspaceEntry | None:
        glob = _escape(key)
        return role_of(KeyPattern(glob, glob), self.config.effective_keyspace())

    def _server_facts(self, item: Sent, key: str) -> tuple[int, str] | None:
        """TTL and TYPE of `key`, asked through a client on the recorded client's pool
        (the recorder paused); None when no such client can be built."""
        if id(item.client) not in self._clients:
            self._clients[id(item.client)] = _checking_client(item)
        client = self._clients[id(item.client)]
        if client is None:
            self.unchecked_clients.add(
                type(item.client).__module__ + "." + type(item.client).__name__
            )
            return None
        with self.recorder.paused():
            try:
                ttl = int(client.ttl(key))
                key_type = client.type(key)
            except Exception:  # the server went away, an auth change: skip, never crash a suite
                return None
        if isinstance(key_type, bytes):
            key_type = key_type.decode()
        return ttl, str(key_type)

    def _report(
        self, code: str, message: str, origin: Frame, test: str, key: str | None = None
    ) -> None:
        if code not in self.codes or code in self.config.ignored_for_path(origin.path, self.codes):
            return
        if self._suppressed(code, origin):
            return
        identity = (code, origin.path, origin.line, key if code != "RL307" else _pattern(key))
        if identity in self._reported:
            return
        self._reported.add(identity)
        self.findings.append(RuntimeFinding(code, message, origin.path, origin.line, test, key))

    def _suppressed(self, code: str, origin: Frame) -> bool:
        found = self._suppressions.get(origin.path)
        if found is None:
            try:
                text = (self.config.root / origin.path).read_text("utf-8", errors="replace")
            except OSError:
                text = ""
            found = self._suppressions[origin.path] = parse_suppressions(text)
        return found.match(code, [origin.line]) is not None


def _pattern(key: str | None) -> str | None:
    return None if key is None else shape(key)


def _checking_client(item: Sent) -> Any:
    """A sync client that reaches the same server (and database) as the recorded one."""
    import redis

    client = item.client
    if item.kind == "sync":
        pool = getattr(client, "connection_pool", None)
        return None if pool is None else redis.Redis(connection_pool=pool)
    if item.kind == "cluster":
        return client
    if item.kind == "async":
        pool = getattr(client, "connection_pool", None)
        kwargs = dict(getattr(pool, "connection_kwargs", {}))
        if "host" not in kwargs and "path" not in kwargs:
            return None  # fakeredis.aioredis and other in-process servers
        allowed = {
            "host", "port", "path", "db", "username", "password", "ssl",
            "ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile",
        }  # fmt: skip
        kwargs = {k: v for k, v in kwargs.items() if k in allowed}
        uses_ssl = "ssl" in type(pool).__dict__ or "SSL" in getattr(
            getattr(pool, "connection_class", None), "__name__", ""
        )
        if "path" in kwargs:
            return redis.Redis(unix_socket_path=kwargs.pop("path"), **kwargs)
        return redis.Redis(ssl=uses_ssl, **kwargs)
    if item.kind == "async-cluster":
        node = next(iter(getattr(client, "get_nodes", list)()), None)
        if node is None:
            return None
        from redis.cluster import RedisCluster

        return RedisCluster(host=node.host, port=node.port)
    return None
