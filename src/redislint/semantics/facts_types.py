"""The plain values of project facts (`project_facts.py` computes them from a model).

Kept apart from their producers, which read libcst trees, so that the warm path (the
results cache answering a re-run, `warm.py`) handles cached facts, and decides the
deferred findings on them, without importing the parser at all. The formats of the
entries (`root \\x1f ...`, RL306's use records) are here for the same reason: producers
write them, the project stage (`semantics/deferred.py`) reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileFacts:
    """One file's project facts: fact kind -> sorted, distinct key globs."""

    facts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, list[str]]:
        return {kind: list(globs) for kind, globs in self.facts.items()}

    @classmethod
    def from_json(cls, data: object) -> FileFacts:
        """Rebuild cached facts; anything of the wrong shape raises ValueError."""
        if not isinstance(data, dict):
            raise ValueError("facts: expected an object")
        facts: dict[str, tuple[str, ...]] = {}
        for kind, globs in data.items():
            if not isinstance(kind, str) or not isinstance(globs, list):
                raise ValueError("facts: expected kind -> list of globs")
            if not all(isinstance(glob, str) for glob in globs):
                raise ValueError("facts: globs must be strings")
            facts[kind] = tuple(globs)
        return cls(facts)


class ProjectFacts:
    """Every file's facts merged: what `resolve_project` asks about."""

    def __init__(self, files: Iterable[FileFacts] = ()) -> None:
        merged: dict[str, set[str]] = {}
        for one in files:
            for kind, globs in one.facts.items():
                merged.setdefault(kind, set()).update(globs)
        self._facts = {kind: frozenset(globs) for kind, globs in merged.items()}

    def globs(self, kind: str) -> frozenset[str]:
        return self._facts.get(kind, frozenset())

    def has(self, kind: str, glob: str) -> bool:
        return glob in self._facts.get(kind, frozenset())


# Between the parts of an entry (see `data_facts.py`): a character no key glob, path or
# type name holds.
SEPARATOR = "\x1f"


def in_project(entries: Iterable[str], root: str) -> set[str]:
    """The entries of one project (configuration root), without the root prefix."""
    prefix = f"{root}{SEPARATOR}"
    return {entry[len(prefix) :] for entry in entries if entry.startswith(prefix)}


def use_record(glob: str, data_type: str, path: str, order: int) -> str:
    """RL306's `typed-use` entry (after the root): the order zero-padded, so that records
    sort in source order as text."""
    return SEPARATOR.join((glob, data_type, path, f"{order:09d}"))


def parse_use_record(record: str) -> tuple[str, str, str, int] | None:
    """(glob, data type, path, order) of a `use_record`; None when it is not one."""
    parts = record.split(SEPARATOR)
    if len(parts) != 4 or not parts[3].isdigit():
        return None
    return parts[0], parts[1], parts[2], int(parts[3])
