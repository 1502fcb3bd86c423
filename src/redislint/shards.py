"""The work of one worker process: check a shard of files, compute the project facts of
files outside the run, or build semantic models for `redislint keys`.

Each worker owns its shard and its own `ProjectIndex`, so a module is parsed once per
worker that needs it. The run's parent (`runner.py`) names these functions through
`parallel.Task` and never imports this module itself: it imports libcst and the rules,
which a warm run answered from the cache never needs, and which a standby worker
(`parallel.Standby`) imports while the parent plans the run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from redislint.cache import ResultCache
from redislint.catalogue import load_catalogue
from redislint.config import Config
from redislint.engine import (
    FileAnalysis,
    FileResult,
    InternalError,
    SourceError,
    analysis_settings,
    analyze_file,
    check_file,
    facts_of_file,
)
from redislint.errors import cannot_read
from redislint.jobs import Job, ModelsOutcome
from redislint.outcome import RunOutcome
from redislint.rules import all_rules
from redislint.semantics.commands import CommandTable
from redislint.semantics.deprecations import Deprecations
from redislint.semantics.facts_types import FileFacts
from redislint.semantics.import_scan import ImportScan, ScanRoles
from redislint.semantics.project import ProjectIndex
from redislint.walk_memo import WalkMemo

_T = TypeVar("_T")


def prepare() -> None:
    """Load what any check loads once per process, before a file is given: the rules
    (a module each), the rule catalogue (what a check knows of every code), the command
    and deprecation tables (JSON) and the pattern matcher of `test-paths` (pathspec,
    imported on the first match). A standby worker (`parallel.Standby`) does it while
    the run is planned."""
    all_rules()
    load_catalogue()
    CommandTable.load()
    Deprecations.load()
    Config().is_test_path("prepare.py")


@analysis_settings()
def check_shard(
    config: Config,
    jobs: list[Job],
    selected: frozenset[str],
    keep_sources: bool,
    cache: ResultCache | None,
    report_blind: bool = False,
    explain: bool = False,
    first: Path | None = None,
    last: Path | None = None,
    scanned: ImportScan | None = None,
) -> RunOutcome:
    """Check one shard of a group's files. Every worker scans the imports of the
    projects its files are in; of the group's `first` and `last` files, the workers
    holding them store what those scans read (`ScanRoles`; `parallel.balanced_shards`
    puts the two files in different workers). Without them the shard stores it all.
    `scanned`: the import graph the run's parent scanned for this worker, if any."""
    jobs, unreadable = _loaded(jobs)
    paths = {job.path for job in jobs}
    roles = None
    if first is not None and last is not None:
        roles = ScanRoles(first, last, first in paths, last in paths)
    memo = WalkMemo(cache, "scan") if cache is not None else None
    with ProjectIndex(
        config, walk_memo=memo, scan_store=cache, scan_roles=roles, scanned=scanned
    ) as index:
        outcome = _check_jobs(
            config, jobs, selected, keep_sources, cache, report_blind, index, explain
        )
    outcome.errors += unreadable
    return outcome


def _loaded(jobs: list[Job]) -> tuple[list[Job], list[str]]:
    """The jobs with their bytes (`Job.loaded`: a worker of another process reads the
    files it was sent without them), and an error for each file that cannot be read
    now, as the parent would have reported it."""
    loaded: list[Job] = []
    errors: list[str] = []
    for job in jobs:
        try:
            loaded.append(job.loaded())
        except OSError as exc:
            errors.append(cannot_read(job.rel_path, exc))
    return loaded, errors


def _check_jobs(
    config: Config,
    jobs: list[Job],
    selected: frozenset[str],
    keep_sources: bool,
    cache: ResultCache | None,
    report_blind: bool,
    index: ProjectIndex,
    explain: bool = False,
) -> RunOutcome:
    """Check `jobs` one source root after another, each root's files in the order that
    keeps the fewest syntax trees alive at a time (`ProjectIndex.memory_order`, which
    reads the root's import graph, so it is asked when the root's turn comes); the
    outcome lists them in the given order, as if they had been checked in it (the
    findings never depend on the order)."""
    outcome = RunOutcome()
    paths = [job.path for job in jobs]
    groups = index.by_source_root(paths)
    # Trees are freed once no later file may read them, in the order actually checked.
    index.check_in_order([paths[position] for group in groups for position in group])
    results: dict[int, FileResult | str] = {}  # by position in `jobs`: a result or an error
    start = 0
    for group in groups:
        now = [group[i] for i in index.memory_order([paths[position] for position in group])]
        if now != group:
            index.reorder(start, [paths[position] for position in now])
        start += len(group)
        for position in now:
            job = jobs[position]
            result = results[position] = _check_job(
                config, job, selected, report_blind, index, explain
            )
            if cache is None or isinstance(result, str):
                continue
            dependencies = index.dependencies(job.path)
            problem = cache.store(
                job.rel_path,
                job.data,
                result.findings,
                dependencies,
                result.facts,
                index.dependency_shapes(dependencies),
            )
            if problem is not None:
                outcome.cache_problem(problem)
                cache = None
    for position, job in enumerate(jobs):
        _add_result(outcome, config, job, results[position], keep_sources, explain)
    outcome.cache_problem(cache.finish() if cache is not None else None)
    return outcome


def _check_job(
    config: Config,
    job: Job,
    selected: frozenset[str],
    report_blind: bool,
    index: ProjectIndex,
    explain: bool,
) -> FileResult | str:
    """One file's result, or the internal error that stopped its check; then the index
    frees the trees no later file needs."""
    try:
        return check_file(
            job.path,
            job.rel_path,
            config,
            index,
            data=job.data,
            selected=selected,
            report_blind=report_blind,
            explain=explain,
        )
    except InternalError as exc:
        return str(exc)
    except RecursionError:
        return f"{job.rel_path}: internal error: nesting too deep to analyse"
    finally:
        index.finished(job.path)


def _add_result(
    outcome: RunOutcome,
    config: Config,
    job: Job,
    result: FileResult | str,
    keep_sources: bool,
    explain: bool,
) -> None:
    """One file's result (or the internal error that stopped its check) into `outcome`."""
    if isinstance(result, str):
        outcome.errors.append(result)
        return
    outcome.files_checked += 1
    outcome.checked_paths.append(job.rel_path)
    outcome.findings.extend(result.findings)
    outcome.facts[str(job.path)] = result.facts
    if result.blind:
        outcome.blind_files.append(job.rel_path)
    if explain:
        outcome.notes.append((job.rel_path, config.config_path, _check_note(result)))
    if keep_sources and result.source is not None:
        outcome.sources[job.rel_path] = result.source


def _check_note(result: FileResult) -> str:
    if result.skipped is not None:
        return result.skipped
    if not result.parsed:
        return "checked: it does not parse or decode (RL001)"
    return "checked"


@analysis_settings()
def facts_shard(config: Config, jobs: list[Job], cache: ResultCache | None) -> dict[str, FileFacts]:
    """Project facts of files the run does not check (no rule runs on them)."""
    jobs = _loaded(jobs)[0]  # an unreadable file has no facts, as one that fails below
    with ProjectIndex(config) as index:
        facts: dict[str, FileFacts] = {}
        index.check_in_order([job.path for job in jobs])
        for job in jobs:
            cached = cache.lookup(job.rel_path, job.data) if cache is not None else None
            if cached is not None:
                facts[str(job.path)] = cached[1]
                continue
            try:
                found = facts_of_file(job.path, job.rel_path, config, index, data=job.data)
            except Exception:  # a file outside the run must never fail the run
                continue
            finally:
                index.finished(job.path)
            facts[str(job.path)] = found
            if cache is not None:
                dependencies = index.dependencies(job.path)
                shapes = index.dependency_shapes(dependencies)
                cache.store(job.rel_path, job.data, [], dependencies, found, shapes)
        if cache is not None:
            cache.finish()
        return facts


@analysis_settings()
def model_shard(
    config: Config, jobs: list[Job], visit: Callable[[FileAnalysis], _T]
) -> ModelsOutcome[_T]:
    jobs, unreadable = _loaded(jobs)
    with ProjectIndex(config) as index:
        outcome: ModelsOutcome[_T] = ModelsOutcome(errors=unreadable)
        for job in jobs:
            try:
                analysis = analyze_file(job.path, job.rel_path, config, index, data=job.data)
                if analysis is None:
                    continue
                outcome.results.append((job.rel_path, visit(analysis)))
            except SourceError as exc:
                outcome.unparsed.append(f"{job.rel_path}:{exc}")
            except RecursionError:
                outcome.errors.append(
                    f"{job.rel_path}: internal error: nesting too deep to analyse"
                )
            except Exception as exc:  # a bug must name the file, never leak a traceback
                outcome.errors.append(f"{job.rel_path}: internal error: {exc!r}")
        return outcome
