"""A memo of the last warm run's answer, so that a re-run on an unchanged tree reads one
row instead of one cache entry per file (issue 13: a warm run of a 4,240-file tree spent
half its time looking each file up and decoding its entry).

A run that the results cache answers completely (`warm.plan_run`) depends on: the files
the walk lists, each file's bytes, the bytes of every project module their entries
depend on, the configuration governing each file, the tool, the selection and the
arguments. The key covers the last three (the base configuration's cache salt, the
working directory, the paths). The memo records the answer (findings, files checked)
with the stat of every file and dependency and, when configurations are looked up per
folder, the stat of every folder that lookup read and of every configuration file in
them (a `pyproject.toml` that gains a `[tool.redislint]` table changes no folder). It
is used only when the walk itself was answered by its memo (no walked folder changed)
and every recorded stat still matches.

Stats are taken when the answer is recorded, after the files were read, so a file that
changed in between would be recorded with a stat newer than its answer: a stat changed
since `RACY_SECONDS` before the run began leaves the run unmemoized. So do an error, a
warning or a deferred finding. The memo is one row of the walk store; `outcome.facts`
is empty in an answer from it (nothing after the plan reads the facts of a complete
run). This module must not import libcst.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from redislint import walk_memo
from redislint.cache import ResultCache, finding_from_json
from redislint.config import CONFIG_FILE_NAMES, ConfigSet
from redislint.outcome import RunOutcome
from redislint.walk_memo import WalkMemo, walk_key


def memo_key(cache: ResultCache, cwd: Path, tops: Sequence[str], force_exclude: bool) -> str:
    """The key of a run: the base configuration's cache salt (tool, configuration,
    selection), the working directory and the arguments."""
    return walk_key(WalkMemo(cache, "outcome"), str(cwd), list(tops), force_exclude)


def replay(cache: ResultCache, key: str, files: Sequence[Path]) -> RunOutcome | None:
    """The recorded answer of the run with `key` when `files` (the walk's list) and
    every recorded stat are unchanged, else None."""
    payload = cache.load_walk(key)
    if payload is None:
        return None
    try:
        document = json.loads(zlib.decompress(payload))
        if document["files"] != [str(path) for path in files]:
            return None
        for path, stat in zip(document["files"], document["stats"], strict=True):
            if _stat(path) != stat:
                return None
        for path, stat in document["others"]:
            if _stat(path) != stat:
                return None
        outcome = RunOutcome()
        outcome.findings = [finding_from_json(item) for item in document["findings"]]
        outcome.files_checked = int(document["files_checked"])
        outcome.checked_paths = [str(path) for path in document["checked_paths"]]
    except (ValueError, KeyError, TypeError, zlib.error):
        return None  # a damaged memo is no memo
    return outcome


def record(
    caches: Sequence[ResultCache],
    key: str,
    files: Sequence[Path],
    configs: ConfigSet,
    outcome: RunOutcome,
    started: float,
) -> None:
    """Write the memo of a run the cache answered completely, which began at `started`
    (see the module docstring)."""
    if outcome.errors or outcome.warnings or any(f.deferred is not None for f in outcome.findings):
        return
    settled = (started - walk_memo.RACY_SECONDS) * 1e9
    stats: list[list[int] | None] = []
    for path in files:
        stat = _stat(str(path))
        if stat is None or max(stat[1], stat[2]) >= settled:
            return
        stats.append(stat)
    others: list[list[object]] = []
    needed = {path for cache in caches for path in cache.dependency_paths()}
    needed |= _configuration_reads(configs)
    for other in sorted(needed):
        stat = _stat(other)
        if stat is not None and max(stat[1], stat[2]) >= settled:
            return
        others.append([other, stat])
    document = {
        "files": [str(path) for path in files],
        "stats": stats,
        "others": others,
        "findings": [asdict(finding) for finding in outcome.findings],
        "files_checked": outcome.files_checked,
        "checked_paths": outcome.checked_paths,
    }
    payload = json.dumps(document, separators=(",", ":")).encode("utf-8", "surrogateescape")
    caches[0].save_walk(key, zlib.compress(payload, 1))


def _stat(path: str) -> list[int] | None:
    """(size, mtime, ctime, inode) as a JSON list, or None for a missing file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _configuration_reads(configs: ConfigSet) -> set[str]:
    """What the per-folder configuration look-ups read: each folder from one holding a
    file up to the configuration found (or the filesystem root), and the configuration
    file names in each (a folder's stat tells a file created in it; a file's own stat
    tells an edit)."""
    read: set[str] = set()
    for start, found in configs.lookups().items():
        folder = str(start)
        stop = str(found.parent) if found is not None else None
        while True:
            read.add(folder)
            read.update(os.path.join(folder, name) for name in CONFIG_FILE_NAMES)
            parent = os.path.dirname(folder)
            if folder == stop or parent == folder:
                break
            folder = parent
    return read
