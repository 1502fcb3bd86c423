"""What redis-py deprecates, per client class: read from `data/deprecations.json`.

The file is generated from the installed redis-py's own source by
`scripts/gen_deprecations.py` (its `@deprecated_function` / `@deprecated_args`
decorators and unconditional `DeprecationWarning`s), never typed by hand; a test checks
it against the installed redis-py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from redislint.data import read_text as read_data_file
from redislint.semantics.clients import Client


@dataclass(frozen=True)
class Deprecation:
    """A deprecated method (or constructor argument) and redis-py's own words on it."""

    name: str
    reason: str
    version: str  # "" when redis-py gives none
    defined_in: str


@dataclass(frozen=True)
class Deprecations:
    redis_py_version: str
    methods: dict[str, dict[str, Deprecation]]  # class kind -> method -> deprecation
    arguments: dict[str, dict[str, Deprecation]]  # class kind -> constructor argument -> ...

    @staticmethod
    @cache
    def load() -> Deprecations:
        text = read_data_file("deprecations.json")
        data = json.loads(text)
        methods: dict[str, dict[str, Deprecation]] = {}
        arguments: dict[str, dict[str, Deprecation]] = {}
        for kind, entry in data["classes"].items():
            for name, facts in entry["methods"].items():
                where = facts["defined_in"]
                said = facts.get("deprecated")
                if said is not None:
                    methods.setdefault(kind, {})[name] = Deprecation(
                        name, said["reason"], said["version"], where
                    )
                elif "warns" in facts:
                    methods.setdefault(kind, {})[name] = Deprecation(
                        name, facts["warns"], "", where
                    )
                if name == "__init__":
                    for arg, said in facts.get("deprecated_args", {}).items():
                        arguments.setdefault(kind, {})[arg] = Deprecation(
                            arg, said["reason"], said["version"], where
                        )
        return Deprecations(data["redis_py_version"], methods, arguments)

    @staticmethod
    def kind_of(client: Client) -> str | None:
        """The generated file's class key for a proven client ("async-pipeline", ...)."""
        if client.kind not in ("client", "pipeline", "pubsub"):
            return None
        prefix = ("async-" if client.is_async else "") + ("cluster-" if client.cluster else "")
        return prefix + client.kind

    def method(self, client: Client, name: str) -> Deprecation | None:
        kind = self.kind_of(client)
        return self.methods.get(kind, {}).get(name) if kind is not None else None

    def method_names(self) -> frozenset[str]:
        return frozenset(name for table in self.methods.values() for name in table)
