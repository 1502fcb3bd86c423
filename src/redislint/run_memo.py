"""A memo of the last complete warm answer, file by file, so that a re-run reads one
row instead of one cache entry per file (issue 13: a warm run of a 4,240-file tree spent
half its time looking each file up and decoding its entry).

A run that the results cache answers file by file (`warm.plan_run`) depends on: the files
the walk lists, each file's bytes, the bytes of every project module each entry depends
on, the configuration governing each file, the tool, the selection and the arguments.
The key covers the last three (the base configuration's cache salt, the working
directory, the paths). The memo records each file's answer (findings, facts, whether it
counts as checked) with the stat of the file and of its entry's dependencies, and, when
configurations are looked up per folder, the stat of every folder those look-ups read
and of every configuration file name in them (a `pyproject.toml` that gains a
`[tool.redislint]` table changes no folder).

It is used only when the walk itself was answered by its memo (no walked folder changed
what the walk lists) and lists the same files, and the configuration reads are
unchanged. Then a file whose own stat and whose dependencies' stats are unchanged takes
its recorded answer, and the others are looked up in the cache as before (after an edit:
the edited file and its importers). Deployment files are answered together or not at all
(their findings depend on all of them). When every file is answered the run is complete
without a look-up.

Stats are taken when the answer is recorded, after the files were read, so a file that
changed in between would be recorded with a stat newer than its answer: a stat changed
since `RACY_SECONDS` before the run began leaves the run unmemoized, and so do an error
or a warning. Deferred findings are recorded as the plan has them, with each file's
facts: the project stage decides them after the plan, as after look-ups. The memo is one
row of the walk store. This module must not import libcst.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from redislint.cache import ResultCache, finding_from_json
from redislint.config import CONFIG_FILE_NAMES, ConfigSet
from redislint.findings import Finding
from redislint.outcome import RunOutcome
from redislint.semantics.facts_types import FileFacts
from redislint.walk_memo import WalkMemo, pack, settled, unpack, walk_key


@dataclass(frozen=True)
class Answer:
    """One file's recorded answer (its findings and facts as stored: decoded only for
    a file the plan takes the answer of, `decoded`)."""

    stored_findings: list[Any]
    stored_facts: Any  # None: not a Python file the cache answered
    checked: bool  # counted in `files_checked` and listed in `checked_paths`
    dependencies: tuple[str, ...]  # absolute paths, as recorded
    token: int | None  # `ResultCache.row_token` of the entry it was taken from

    def decoded(self) -> tuple[list[Finding], FileFacts | None]:
        """(findings, facts); ValueError, KeyError or TypeError for a damaged memo."""
        if not isinstance(self.stored_findings, list):
            raise TypeError("findings")
        findings = [finding_from_json(item) for item in self.stored_findings]
        facts = self.stored_facts
        if facts is None:
            return findings, None
        return findings, FileFacts.from_json(facts) if facts else FileFacts()


def memo_key(cache: ResultCache, cwd: Path, tops: Sequence[str], force_exclude: bool) -> str:
    """The key of a run: the base configuration's cache salt (tool, configuration,
    selection), the working directory and the arguments."""
    return walk_key(WalkMemo(cache, "outcome"), str(cwd), list(tops), force_exclude)


def replay(
    cache: ResultCache, key: str, files: Sequence[str]
) -> tuple[dict[int, Answer], dict[str, int]]:
    """The recorded answers still valid as to stats, by position in `files` (the walk's
    list), and the `ResultCache.entries_written` of each selection's database when they
    were recorded (while it is unchanged, every entry is the one an answer was taken
    from): nothing when there is no memo, it lists other files or a configuration read
    changed."""
    payload = cache.load_walk(key)
    if payload is None:
        return {}, {}
    try:
        document = unpack(payload)
        if document["files"] != list(files):
            return {}, {}
        others = [_stat(path) == stat for path, stat in document["others"]]
        if not all(others[i] for i in document["config_reads"]):
            return {}, {}
        generations = {str(salt): int(written) for salt, written in document["generations"].items()}
        answers: dict[int, Answer] = {}
        deploy_valid = True
        for position, (path, row) in enumerate(
            zip(document["files"], document["rows"], strict=True)
        ):
            stat, dependencies, findings, facts, checked, deploy, token = row
            valid = _stat(path) == stat and all(others[i] for i in dependencies)
            if deploy:
                deploy_valid = deploy_valid and valid
            if not valid:
                continue
            answers[position] = Answer(
                findings,
                facts,
                bool(checked),
                tuple(document["others"][i][0] for i in dependencies),
                token if isinstance(token, int) else None,
            )
        if not deploy_valid:
            for position, row in enumerate(document["rows"]):
                if row[5]:
                    answers.pop(position, None)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, zlib.error):
        return {}, {}  # a damaged memo is no memo
    return answers, generations


def record(
    store: ResultCache,
    key: str,
    files: Sequence[str],
    rel_paths: Sequence[str],
    configs: ConfigSet,
    outcome: RunOutcome,
    *,
    deploy: Collection[str],
    carried: Mapping[int, Answer],
    members: Sequence[tuple[ResultCache, Mapping[int, str]]],
    tokens: Mapping[int, int | None],
    started: float,
) -> None:
    """Write the memo of a run the cache answered every file of, which began at `started`,
    into `store` (see the module docstring). `rel_paths` are the files as reported; `deploy` the
    deployment files; `carried` the answers this run took from the memo; `members` each
    selection's cache with the entry each of its files (by position) was answered from;
    `tokens` the `ResultCache.row_token` of those entries as the plan read them.

    The tokens are read again with each database's `entries_written`, in one transaction:
    an entry another run rewrote since the plan read it leaves the run unmemoized, and
    one rewritten after that transaction changes the count."""
    if outcome.errors or outcome.warnings:
        return
    generations: dict[str, int] = {}
    for cache, entries in members:
        snapshot = cache.snapshot_tokens(entries.values())
        if snapshot is None:
            return
        written, now = snapshot
        if any(now.get(rel) != tokens.get(position) for position, rel in entries.items()):
            return
        generations[cache.salt] = written
    looked_up: dict[str, tuple[str, ...]] = {}
    for cache, _ in members:
        looked_up.update(cache.entry_dependencies())
    by_path: dict[str, list[dict[str, Any]]] = {}
    for finding in outcome.findings:
        by_path.setdefault(finding.path, []).append(asdict(finding))
    if not set(by_path) <= set(rel_paths):
        return  # a finding in a file the walk did not list: not kept file by file
    checked = set(outcome.checked_paths)
    index: dict[str, int] = {}
    others: list[list[Any]] = []

    def other(path: str) -> int | None:
        if path not in index:
            stat = _stat(path)
            if stat is not None and not settled(stat[1], stat[2], started):
                return None
            index[path] = len(others)
            others.append([path, stat])
        return index[path]

    rows: list[list[Any]] = []
    for position, (path, rel) in enumerate(zip(files, rel_paths, strict=True)):
        stat = _stat(path)
        if stat is None or not settled(stat[1], stat[2], started):
            return
        answer = carried.get(position)
        dependencies = answer.dependencies if answer is not None else looked_up.get(rel, ())
        positions = [other(dependency) for dependency in dependencies]
        if None in positions:
            return
        facts = outcome.facts.get(path)
        rows.append(
            [
                stat,
                positions,
                by_path.get(rel, []),
                None if facts is None else facts.to_json(),
                rel in checked,
                path in deploy,
                tokens.get(position),
            ]
        )
    config_reads = [other(path) for path in sorted(_configuration_reads(configs))]
    if None in config_reads:
        return
    document = {
        "files": list(files),
        "rows": rows,
        "others": others,
        "config_reads": config_reads,
        "generations": generations,
    }
    store.save_walk(key, pack(document))


def _stat(path: str) -> list[int] | None:
    """(size, mtime, ctime, inode) as a JSON list, or None for a missing file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def _configuration_reads(configs: ConfigSet) -> set[str]:
    """What the per-folder configuration look-ups read: the configuration file names in
    each folder from one holding a file up to the configuration found (or the
    filesystem root). Each name's stat, recorded also when it is missing, tells a file
    created, removed or edited; the folders' own stats are not needed, so a file saved
    beside them (an editor's atomic save, a log) keeps the memo."""
    read: set[str] = set()
    for start, found in configs.lookups().items():
        folder = str(start)
        stop = str(found.parent) if found is not None else None
        while True:
            read.update(os.path.join(folder, name) for name in CONFIG_FILE_NAMES)
            parent = os.path.dirname(folder)
            if folder == stop or parent == folder:
                break
            folder = parent
    return read
