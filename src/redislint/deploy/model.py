"""What the RL6xx rules read: Redis deployments with their effective settings.

A `Deployment` is one Redis server as the checked tree defines it: a bare redis.conf,
a Compose service, a Kubernetes container or a Dockerfile, together with the config
file it runs (which may live in another file of the tree). Its `directives` are in the
order Redis applies them (the config file and its includes top to bottom, then the
command line), each with the position where it is written, so that a rule can point at
the directive that decides a setting, and at the deployment's `anchor` when a
compiled-in default decides it.

Everything here is plain frozen data: it crosses process boundaries and is rendered by
`redislint deployments` as well as read by the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["redis.conf", "compose", "kubernetes", "dockerfile"]

# Redis's compiled-in defaults (redis 7 `config.c`), used when a directive is absent.
DEFAULTS: dict[str, str] = {
    "appendonly": "no",
    "save": "3600 1 300 100 60 10000",
    "appendfsync": "everysec",
    "maxmemory": "0",
    "maxmemory-policy": "noeviction",
    "protected-mode": "yes",
    "requirepass": "",
}

# The commands RL605 asks about (each is in the @dangerous ACL category).
DANGEROUS_COMMANDS: tuple[str, ...] = ("FLUSHALL", "FLUSHDB", "KEYS", "CONFIG", "DEBUG")
# ACL categories that hold them (from `COMMAND INFO`, see data/commands.json).
COMMAND_CATEGORIES: dict[str, frozenset[str]] = {
    "FLUSHALL": frozenset({"keyspace", "write", "slow", "dangerous"}),
    "FLUSHDB": frozenset({"keyspace", "write", "slow", "dangerous"}),
    "KEYS": frozenset({"keyspace", "read", "slow", "dangerous"}),
    "CONFIG": frozenset({"admin", "slow", "dangerous"}),
    "DEBUG": frozenset({"admin", "slow", "dangerous"}),
}
EVICTING_ALL_KEYS: frozenset[str] = frozenset({"allkeys-lru", "allkeys-lfu", "allkeys-random"})


@dataclass(frozen=True, order=True)
class Location:
    """A range in one file: path as reported (relative to the working directory),
    1-based lines and columns, end column exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Directive:
    """One setting as written: `name` lower-case, `args` unquoted, where it stands.

    `source` is "config" (a config file or an include, or a ConfigMap's embedded
    config) or "command" (a `redis-server` argument). `line_text` is the whole
    config line in a redis.conf file that could be edited in place, else None.
    """

    name: str
    args: tuple[str, ...]
    location: Location
    source: Literal["config", "command"] = "config"
    editable: bool = False

    @property
    def value(self) -> str:
        return " ".join(self.args)


@dataclass(frozen=True)
class Effective:
    """A setting's effective value: `directive` decides it, or None when a default does.

    `known` is False when the value cannot be told (an include or a config file that
    could not be read, or an image whose defaults are not Redis's): rules relying on it
    stay silent.
    """

    name: str
    value: str
    directive: Directive | None
    known: bool = True


@dataclass(frozen=True)
class AclUser:
    """A `user` line: whether it can log in, has a password, and its command rules."""

    name: str
    enabled: bool
    has_password: bool
    rules: tuple[str, ...]
    directive: Directive


@dataclass(frozen=True)
class Deployment:
    """One Redis server as the tree defines it.

    `files` are every file it spans (its definition and the configs it runs), as
    reported paths; `config_files` the subset that holds redis.conf text. `service` is
    the Compose service or Kubernetes container name. `published` are the places that
    publish the Redis port beyond loopback (Compose `ports`, `hostPort`, a
    NodePort/LoadBalancer Service). `settings_known` is False when some directive may
    be missing from what was read (see `Effective.known`).
    """

    kind: Kind
    path: str
    anchor: Location
    service: str | None = None
    files: tuple[str, ...] = ()
    config_files: tuple[str, ...] = ()
    directives: tuple[Directive, ...] = ()
    published: tuple[Location, ...] = ()
    settings_known: bool = True
    notes: tuple[str, ...] = ()  # why settings are not known, for `redislint deployments`
    sentinel: bool = False  # a Sentinel, not a data server: only RL604 applies
    # Defaults that differ from Redis's own: the official images are built with
    # protected-mode off (their Dockerfile patches config.c).
    image_defaults: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.path} ({self.service})" if self.service else self.path

    def last(self, name: str) -> Directive | None:
        found = None
        for directive in self.directives:
            if directive.name == name:
                found = directive
        return found

    def effective(self, name: str) -> Effective:
        """The value Redis would run with: the last directive wins (`save` accumulates)."""
        if name == "save":
            return self._save()
        directive = self.last(name)
        if directive is not None:
            return Effective(name, directive.value, directive)
        default = dict(self.image_defaults).get(name, DEFAULTS.get(name, ""))
        return Effective(name, default, None, self.settings_known)

    def _save(self) -> Effective:
        """Redis resets the default save points at the first `save` it reads, then
        appends each line's points; `save ""` clears them."""
        points: list[str] = []
        deciding: Directive | None = None
        for directive in self.directives:
            if directive.name != "save":
                continue
            if deciding is None or directive.args in ((), ("",)):
                points = []
            if directive.args not in ((), ("",)):
                points.extend(directive.args)
            deciding = directive
        if deciding is None:
            return Effective("save", DEFAULTS["save"], None, self.settings_known)
        return Effective("save", " ".join(points), deciding)

    def renamed(self) -> dict[str, Directive]:
        """Commands renamed (to "" or another name), upper-case, by the deciding line."""
        result: dict[str, Directive] = {}
        for directive in self.directives:
            if directive.name == "rename-command" and len(directive.args) == 2:
                result[directive.args[0].upper()] = directive
        return result

    def users(self) -> list[AclUser]:
        """ACL users as the `user` lines define them (a later line for the same user
        adds to the earlier rules, as `ACL SETUSER` does)."""
        by_name: dict[str, list[Directive]] = {}
        for directive in self.directives:
            if directive.name == "user" and directive.args:
                by_name.setdefault(directive.args[0], []).append(directive)
        users = []
        for name, lines in by_name.items():
            rules = tuple(r for d in lines for r in d.args[1:])
            enabled, has_password = False, False
            for rule in rules:
                lowered = rule.lower()
                if lowered == "on":
                    enabled = True
                elif lowered == "off":
                    enabled = False
                elif rule.startswith((">", "#")):
                    has_password = True
                elif lowered in ("nopass", "resetpass", "reset"):
                    has_password = False
                    if lowered == "reset":
                        enabled = False
            users.append(AclUser(name, enabled, has_password, rules, lines[-1]))
        return users


@dataclass(frozen=True)
class DeployProblem:
    """A deployment file redislint cannot read as Redis would (RL001)."""

    location: Location
    message: str


@dataclass
class DeploymentSet:
    """Every deployment of one checked tree, with the roles each serves.

    `serves[i]` is the set of roles deployment i holds: the mapping's `serves` when a
    `[[tool.redislint.deployment]]` names it, every declared role when the tree holds
    exactly one deployment, and None (unmapped) otherwise.
    """

    deployments: list[Deployment] = field(default_factory=list)
    serves: list[frozenset[str] | None] = field(default_factory=list)
    problems: list[DeployProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every deployment file read
    declared_roles: frozenset[str] = frozenset()
    unused_mappings: list[str] = field(default_factory=list)  # entries that match nothing
    read: list[str] = field(default_factory=list)  # absolute paths of every file read

    def unmapped(self) -> list[Deployment]:
        return [d for d, roles in zip(self.deployments, self.serves, strict=True) if roles is None]
