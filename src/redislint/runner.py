"""Many files: discovery, the textual prefilter's project names, parallel workers, order.

Each worker owns a shard of the files and its own `ProjectIndex`, so a module is parsed
once per worker that needs it; results are merged and sorted, so output never depends
on which worker finished first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from redislint.config import Config
from redislint.discovery import discover, prefilter
from redislint.engine import InternalError, check_file, selected_codes
from redislint.findings import Finding
from redislint.semantics.project import ProjectIndex, module_name_for

# Below this many files a process pool costs more than it saves.
_PARALLEL_THRESHOLD = 24


@dataclass
class RunOutcome:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    checked_paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "path: message", exit code 2
    sources: dict[str, str] = field(default_factory=dict)  # rel path -> text (for --fix)


@dataclass(frozen=True)
class _Job:
    path: Path
    rel_path: str
    data: bytes


def display_path(path: Path, cwd: Path) -> str:
    try:
        return os.path.relpath(path, cwd).replace(os.sep, "/")
    except ValueError:
        return str(path)


def exported_names(jobs: Sequence[_Job], config: Config) -> frozenset[str]:
    """Import spellings of project modules that mention Redis.

    A file that never says "redis" can still use a client imported from one of these
    modules (`from app.db import r`), so the prefilter must let it through.
    """
    names: set[str] = set()
    for job in jobs:
        try:
            text = job.data.decode("utf-8", errors="replace")
        except Exception:  # pragma: no cover - decode with replace does not fail
            continue
        if prefilter(text, config):
            dotted, _, _ = module_name_for(job.path)
            if not dotted:
                continue
            stem = dotted.rpartition(".")[2]
            names.update({dotted, f".{stem} import", f"import {stem}"})
    return frozenset(names)


def _check_shard(
    config: Config,
    jobs: list[_Job],
    selected: frozenset[str],
    exported: frozenset[str],
    keep_sources: bool,
) -> RunOutcome:
    index = ProjectIndex(config)
    outcome = RunOutcome()
    for job in jobs:
        try:
            result = check_file(
                job.path,
                job.rel_path,
                config,
                index,
                data=job.data,
                selected=selected,
                exported_names=exported,
            )
        except InternalError as exc:
            outcome.errors.append(str(exc))
            continue
        except RecursionError:
            outcome.errors.append(f"{job.rel_path}: internal error: nesting too deep to analyse")
            continue
        outcome.files_checked += 1
        outcome.checked_paths.append(job.rel_path)
        outcome.findings.extend(result.findings)
        if keep_sources and result.source is not None:
            outcome.sources[job.rel_path] = result.source
    return outcome


def check_paths(
    paths: Sequence[str],
    config: Config,
    *,
    cwd: Path | None = None,
    jobs: int | None = None,
    stdin: tuple[str, bytes] | None = None,
    keep_sources: bool = False,
) -> RunOutcome:
    """Check files and directories (or one stdin text named `stdin[0]`)."""
    cwd = cwd or Path.cwd()
    outcome = RunOutcome()
    work: list[_Job] = []
    if stdin is not None:
        name, data = stdin
        path = (cwd / name).absolute()
        work.append(_Job(path, display_path(path, cwd), data))
    else:
        found = discover(paths, config, cwd)
        outcome.errors += [f"{p}: {message}" for p, message in found.errors]
        for path in found.files:
            rel = display_path(path, cwd)
            try:
                work.append(_Job(path, rel, path.read_bytes()))
            except OSError as exc:
                outcome.errors.append(f"{rel}: cannot read: {exc.strerror or exc}")
    selected = selected_codes(config)
    exported = exported_names(work, config)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(work) < _PARALLEL_THRESHOLD:
        parts = [_check_shard(config, work, selected, exported, keep_sources)]
    else:
        shards = [work[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_check_shard, config, shard, selected, exported, keep_sources)
                for shard in shards
                if shard
            ]
            parts = [f.result() for f in futures]
    for part in parts:
        outcome.findings += part.findings
        outcome.files_checked += part.files_checked
        outcome.checked_paths += part.checked_paths
        outcome.errors += part.errors
        outcome.sources.update(part.sources)
    outcome.findings.sort(key=lambda f: f.sort_key)
    outcome.checked_paths.sort()
    return outcome


def progress_enabled() -> bool:
    return sys.stderr.isatty()
