"""Facts about the whole project's keyspace, gathered one file at a time.

Some verdicts cannot be reached inside one file: a key is a lock key when *any* file
sets it with NX (RL104), a list is a work queue when *any* file pops it (RL305), the
first use of a pattern anywhere decides its type (RL306). Each analysed file yields a
small `FileFacts` (kind -> key globs) computed from its model by the `PRODUCERS`; the
runner merges them into one `ProjectFacts` over every Python file of the project and
hands it to the project stage (`semantics/deferred.py`), which decides the deferred
findings.

Facts are plain, sorted tuples of strings so they cross worker processes and are
stored in the results cache with the file's findings. Producers read the shared model
only; a rule never gathers project facts itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from redislint.semantics import data_facts, locks
from redislint.semantics.facts_types import FileFacts, ProjectFacts

__all__ = ["PRODUCERS", "FileFacts", "Producer", "ProjectFacts", "file_facts"]

if TYPE_CHECKING:
    from redislint.semantics.model import FileModel

Producer = Callable[["FileModel"], Iterable[str]]

# (fact kind, producer): each producer returns the key globs of its kind in one file.
# A rule that needs a new kind of project fact adds one function and one entry here.
PRODUCERS: tuple[tuple[str, Producer], ...] = (
    # RL305 / RL306 (semantics/data_facts.py)
    ("list-consumed", data_facts.list_consumed),
    ("stream-trimmed", data_facts.stream_trimmed),
    ("key-dropped", data_facts.key_dropped),
    ("typed-use", data_facts.typed_use_records),
    ("lock-key", locks.lock_key_facts),  # RL104: keys written with NX, redis-py Lock names
    ("released-key", locks.released_key_facts),  # RL105: keys deleted or given to a script
)


def file_facts(
    model: FileModel, producers: Iterable[tuple[str, Producer]] = PRODUCERS
) -> FileFacts:
    """The project facts one file contributes, whatever rules are selected for it."""
    facts: dict[str, tuple[str, ...]] = {}
    for kind, produce in producers:
        globs = tuple(sorted(set(produce(model))))
        if globs:
            facts[kind] = globs
    return FileFacts(facts)
