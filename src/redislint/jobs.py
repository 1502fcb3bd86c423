"""What a run's parent process and its workers exchange besides `RunOutcome`: a file to
check (`Job`) and what the `keys` inventory's workers bring back (`ModelsOutcome`).

Apart from the workers' code (`shards.py`) so that the parent can hand work out without
importing libcst and the rules (`parallel.Task`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Generic, TypeVar

from redislint.parallel import Task

_T = TypeVar("_T")

# The workers' functions (`shards.py`), named so that the run's process need not import
# them: what a standby worker does while the run is planned (`parallel.Standby`), and
# the work of a shard.
PREPARE_WORKER = Task("redislint.shards", "prepare")
CHECK_SHARD = Task("redislint.shards", "check_shard")
FACTS_SHARD = Task("redislint.shards", "facts_shard")
MODEL_SHARD = Task("redislint.shards", "model_shard")


@dataclass(frozen=True)
class Job:
    """One file of the run: its path, as reported, and its bytes (read in the parent,
    which needs them to plan the run and share the work out)."""

    path: Path
    rel_path: str
    data: bytes
    from_disk: bool = True  # False: a text given on stdin, not the file's
    unread: bool = False  # sent without its bytes (`shipped`): `loaded` reads them

    def shipped(self) -> Job:
        """The job as sent to a worker of another process: without the bytes of a file
        on disk, which the worker reads again. Through the pipes to the standby and its
        children the sparse tree's 42 MB took 0.15 s of a cold run before any worker
        began; read again from the page cache, in parallel, they cost each worker
        about 0.01 s."""
        return replace(self, data=b"", unread=True) if self.from_disk else self

    def loaded(self) -> Job:
        """The job with its bytes (OSError when a shipped file cannot be read now)."""
        return replace(self, data=self.path.read_bytes(), unread=False) if self.unread else self


@dataclass
class ModelsOutcome(Generic[_T]):
    """What `collect_models` gathered: one `visit` result per analysed file."""

    results: list[tuple[str, _T]] = field(default_factory=list)  # (rel path, result), by path
    files_seen: int = 0  # files discovered and not excluded as tests
    tests_excluded: int = 0  # files left out because they are in test paths
    errors: list[str] = field(default_factory=list)  # "path: message", exit code 2
    unparsed: list[str] = field(default_factory=list)  # "path:line:col: message"
