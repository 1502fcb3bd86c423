"""Many files: discovery, the textual prefilter's project names, parallel workers, order.

Each worker owns a shard of the files and its own `ProjectIndex`, so a module is parsed
once per worker that needs it; results are merged and sorted, so output never depends
on which worker finished first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

from redislint.cache import ResultCache, file_hash
from redislint.catalogue import load_catalogue
from redislint.config import Config, ConfigSet
from redislint.deploy.discover import configured_kind
from redislint.deploy.model import DeploymentSet
from redislint.deploy_engine import (
    check_deploy_files,
    is_deploy_file,
    read_deployments,
    relevant_files,
)
from redislint.discovery import discover, is_python_file, prefilter
from redislint.engine import (
    FileAnalysis,
    FileResult,
    InternalError,
    SourceError,
    analysis_settings,
    analyze_file,
    check_file,
    facts_of_file,
    selected_codes,
)
from redislint.findings import Finding
from redislint.outcome import RunOutcome
from redislint.parallel import run_sharded
from redislint.semantics.project import ProjectIndex
from redislint.semantics.project_facts import FileFacts
from redislint.walk_memo import WalkMemo
from redislint.warm import (
    DEPLOY_CACHE_ENTRY,
    Plan,
    add_cached_outside_facts,
    decide_deferred,
    deploy_cache_key,
    display_path,
    group_by_config,
    resolve_per_project,
)


@dataclass(frozen=True)
class _Job:
    path: Path
    rel_path: str
    data: bytes


@analysis_settings()
def _check_shard(
    config: Config,
    jobs: list[_Job],
    selected: frozenset[str],
    keep_sources: bool,
    cache: ResultCache | None,
    report_blind: bool = False,
    explain: bool = False,
    first: Path | None = None,
) -> RunOutcome:
    """Check one shard of a group's files. Every worker scans the project's imports;
    only the one whose shard holds the group's `first` file records what the scan read
    (the same rows, written once)."""
    memo = WalkMemo(cache, "scan") if cache is not None else None
    record = first is None or any(job.path == first for job in jobs)
    with ProjectIndex(config, walk_memo=memo, scan_store=cache, record_scan=record) as index:
        return _check_jobs(
            config, jobs, selected, keep_sources, cache, report_blind, index, explain
        )


def _check_jobs(
    config: Config,
    jobs: list[_Job],
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
    job: _Job,
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
    job: _Job,
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


PARSER_CRASHED = "the parser crashed on this file (the process checking it died); analysis skipped"


def _crashed_check(selected: frozenset[str], job: _Job) -> RunOutcome:
    """What a file that kills its worker process gets: RL001, and the run goes on."""
    outcome = RunOutcome(files_checked=1, checked_paths=[job.rel_path])
    if "RL001" in selected:
        doc = load_catalogue()["RL001"]
        outcome.findings.append(
            Finding(doc.code, doc.name, doc.severity, PARSER_CRASHED, job.rel_path, 1, 1, 1, 1)
        )
    return outcome


def _no_facts(job: _Job) -> dict[str, FileFacts]:
    return {}


@analysis_settings()
def _facts_shard(
    config: Config, jobs: list[_Job], cache: ResultCache | None
) -> dict[str, FileFacts]:
    """Project facts of files the run does not check (no rule runs on them)."""
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


def _add_outside_facts(
    outcome: RunOutcome,
    configs: ConfigSet,
    paths: Sequence[str],
    cwd: Path,
    jobs: int | None,
    use_cache: bool,
) -> None:
    """Facts of the project's files that the run did not check: from the cache, else
    computed (and cached) by the workers (`warm.add_cached_outside_facts`)."""
    left = add_cached_outside_facts(outcome, configs, paths, cwd, use_cache)
    for group_config, cache, misses in left:
        work = [_Job(path, rel, data) for path, rel, data in misses]
        for part in run_sharded(_facts_shard, group_config, work, jobs, cache, crashed=_no_facts):
            outcome.facts.update(part)


def _resolve_project_stage(
    outcome: RunOutcome,
    configs: ConfigSet,
    paths: Sequence[str],
    cwd: Path,
    jobs: int | None,
    use_cache: bool,
) -> None:
    """Decide the deferred findings (rules that need the whole project's facts)."""
    if not any(f.deferred is not None for f in outcome.findings):
        return
    _add_outside_facts(outcome, configs, paths, cwd, jobs, use_cache)
    decide_deferred(outcome, configs, cwd)


def _read_jobs(
    paths: Sequence[str],
    config: Config,
    cwd: Path,
    force_exclude: bool,
    errors: list[str],
    deploy: bool = False,
    notes: list[tuple[str, Path | None, str]] | None = None,
) -> list[_Job]:
    """Discover the files and read each once (the bytes travel to the workers).

    With `deploy`, deployment files (redis.conf, Compose, Kubernetes, Dockerfiles) are
    listed too."""
    wanted = None
    if deploy:

        def wanted(name: str, path: str) -> bool:
            return is_python_file(name) or configured_kind(Path(path), config) is not None

    found = discover(
        paths, config, cwd, force_exclude=force_exclude, wanted=wanted, explain=notes is not None
    )
    errors += [f"{p}: {message}" for p, message in found.errors]
    if notes is not None:
        notes += [
            (display_path(Path(p), cwd) + ("/" if p.endswith("/") else ""), None, f"skipped: {why}")
            for p, why in found.skipped
        ]
    work: list[_Job] = []
    for path in found.files:
        rel = display_path(path, cwd)
        try:
            work.append(_Job(path, rel, path.read_bytes()))
        except OSError as exc:
            errors.append(f"{rel}: cannot read: {exc.strerror or exc}")
    return work


def _by_config(
    work: list[_Job], configs: ConfigSet, paths: Sequence[str], cwd: Path
) -> list[tuple[Config, list[_Job]]]:
    """Group files by the configuration that governs them, in first-seen order.

    A file found by walking is dropped when its own configuration excludes it (the
    walk itself honoured only the configuration of the run); a file named on the
    command line is always checked, as discovery promises.
    """
    return group_by_config(work, lambda job: job.path, configs, paths, cwd)


def check_paths(
    paths: Sequence[str],
    config: Config | ConfigSet,
    *,
    cwd: Path | None = None,
    jobs: int | None = None,
    stdin: tuple[str, bytes] | None = None,
    keep_sources: bool = False,
    force_exclude: bool = False,
    use_cache: bool = False,
    report_blind: bool = False,
    explain: bool = False,
    planned: Plan | None = None,
) -> RunOutcome:
    """Check files and directories (or one stdin text named `stdin[0]`).

    With `report_blind`, `blind_files` lists the files that use Redis where no client was
    proven (the results cache is not used then: it does not record that). With
    `explain`, `notes` says for every file what governed it and why it was left out;
    the cache is used then (as ruff's `--verbose`), and a file answered from it is noted
    as a cache hit (no blind-file note: it was not analysed again).

    `config` is one configuration for every file, or a `ConfigSet` that gives each file
    the nearest configuration above it. With `use_cache`, files whose bytes,
    configuration and imported project modules are unchanged since an earlier run are
    not checked again (never when the sources are kept for fixing; a stdin text is
    looked up and stored by its content). With `planned` (`warm.plan_run`, which looked
    every file up already), only its misses are checked and its hits are kept.
    """
    cwd = cwd or Path.cwd()
    configs = config if isinstance(config, ConfigSet) else ConfigSet(config, hierarchical=False)
    base = configs.base
    outcome = RunOutcome()
    work: list[_Job] = []
    if planned is not None:
        outcome = planned.outcome
        work = [_Job(path, rel, data) for path, rel, data in planned.misses]
        work += _reopen_imported_hits(outcome, work, base, cwd, planned.real_paths)
    elif stdin is not None:
        name, data = stdin
        path = (cwd / name).absolute()
        if not (force_exclude and base.is_excluded(base.relative_path(path))):
            work.append(_Job(path, display_path(path, cwd), data))
    else:
        notes = outcome.notes if explain else None
        work = _read_jobs(paths, base, cwd, force_exclude, outcome.errors, True, notes)
    if explain:
        _note_nested_excludes(outcome, work, configs, paths, cwd)
    for group_config, group in _by_config(work, configs, paths, cwd):
        _check_group(
            outcome,
            group_config,
            group,
            jobs,
            keep_sources,
            use_cache and (explain or not report_blind),
            cwd,
            report_blind,
            explain,
            looked_up=planned is not None,
        )
    _resolve_project_stage(outcome, configs, paths, cwd, jobs, use_cache)
    outcome.findings.sort(key=lambda f: f.sort_key)
    outcome.checked_paths.sort()
    outcome.blind_files.sort()
    outcome.notes.sort(key=lambda note: note[0])
    return outcome


def _reopen_imported_hits(
    outcome: RunOutcome,
    work: list[_Job],
    config: Config,
    cwd: Path,
    real_paths: dict[str, str] | None = None,
) -> list[_Job]:
    """The cache hits that a changed file's import lines name, taken back out of
    `outcome` to be checked again (not looked up).

    A module that never mentions Redis is analysed only while a Redis-using file
    imports it (a helper): a changed file that starts importing it changes that verdict,
    which the module's own entry cannot know (its bytes did not change). Import targets
    are real paths: a hit's is discovery's (`real_paths`) or resolved, and only once a
    changed file uses Redis (most edits do not: then nothing is resolved)."""
    if not work or not outcome.facts:
        return []
    hits: dict[str, str] | None = None
    reopened: dict[str, bytes] = {}
    with ProjectIndex(config) as index:
        for job in work:
            text = job.data.decode("utf-8", errors="replace")
            if not is_python_file(job.path.name) or not prefilter(text, config):
                continue  # only a Redis-using importer makes a helper
            if hits is None:
                known = real_paths or {}
                hits = {
                    known[path] if path in known else str(Path(path).resolve()): path
                    for path in outcome.facts
                }
            for target in index.imported_files(text, job.path):
                original = hits.get(str(target))
                if original is None or original in reopened:
                    continue
                try:
                    data = target.read_bytes()
                except OSError:
                    continue  # unreadable now: its cached result stands
                if not prefilter(data.decode("utf-8", errors="replace"), config):
                    reopened[original] = data  # its verdict depends on its importers
    jobs: list[_Job] = []
    for original, data in reopened.items():
        path = Path(original)
        rel = display_path(path, cwd)
        outcome.findings = [f for f in outcome.findings if f.path != rel]
        del outcome.facts[original]
        if rel in outcome.checked_paths:
            outcome.checked_paths.remove(rel)
            outcome.files_checked -= 1
        jobs.append(_Job(path, rel, data))
    return jobs


def _note_nested_excludes(
    outcome: RunOutcome, work: list[_Job], configs: ConfigSet, paths: Sequence[str], cwd: Path
) -> None:
    """`--verbose`: the files `_by_config` drops because their own configuration
    excludes them (the same test, said with the pattern)."""
    named = {Path(os.path.abspath(cwd / p)) for p in paths}
    for job in work:
        config = configs.for_path(job.path)
        if config is configs.base or job.path in named:
            continue
        pattern = config.excluded_by(config.relative_path(job.path))
        if pattern is not None:
            where = display_path(config.config_path, cwd) if config.config_path else ""
            why = f"skipped: excluded by pattern {pattern!r} ({where})"
            outcome.notes.append((job.rel_path, config.config_path, why))


def list_files(
    paths: Sequence[str], configs: ConfigSet, *, cwd: Path | None = None, force_exclude: bool
) -> tuple[list[str], list[str]]:
    """`check --show-files`: the files a run would hand to the checkers (after `exclude`,
    nested configurations' own excludes and `--force-exclude`), as reported, and the
    discovery errors. The prefilter is not applied: it is part of checking a file."""
    cwd = cwd or Path.cwd()
    errors: list[str] = []

    def wanted(name: str, path: str) -> bool:
        return is_python_file(name) or configured_kind(Path(path), configs.base) is not None

    found = discover(paths, configs.base, cwd, force_exclude=force_exclude, wanted=wanted)
    errors += [f"{p}: {message}" for p, message in found.errors]
    named = {Path(os.path.abspath(cwd / p)) for p in paths}
    listed = []
    for path in found.files:
        config = configs.for_path(path)
        if (
            config is not configs.base
            and path not in named
            and config.is_excluded(config.relative_path(path))
        ):
            continue
        listed.append(display_path(path, cwd))
    return listed, errors


def _check_group(
    outcome: RunOutcome,
    config: Config,
    work: list[_Job],
    jobs: int | None,
    keep_sources: bool,
    use_cache: bool,
    cwd: Path | None = None,
    report_blind: bool = False,
    explain: bool = False,
    looked_up: bool = False,
) -> None:
    """Check the files one configuration governs, adding to `outcome` (with `looked_up`,
    `work` holds only the cache's misses: they are not looked up again)."""
    selected = selected_codes(config)
    deploy_jobs = [job for job in work if is_deploy_file(job.path, config)]
    if deploy_jobs:
        work = [job for job in work if not is_deploy_file(job.path, config)]
        before = len(outcome.checked_paths)
        _check_deployments(
            outcome, config, deploy_jobs, selected, keep_sources, use_cache, cwd or Path.cwd()
        )
        if explain:
            checked = set(outcome.checked_paths[before:])
            for job in deploy_jobs:
                note = (
                    "checked (Redis deployment file)"
                    if job.rel_path in checked
                    else "skipped: a deployment file that does not mention Redis"
                )
                outcome.notes.append((job.rel_path, config.config_path, note))
    cache = None
    if use_cache and not keep_sources:
        cache = ResultCache(config, selected)
        misses = []
        for job in [] if looked_up else work:
            cached = cache.lookup(job.rel_path, job.data)
            if cached is None:
                misses.append(job)
                continue
            outcome.add_answer(str(job.path), job.rel_path, *cached)
            if explain:
                note = "cache hit: unchanged since the last run, not analysed again"
                outcome.notes.append((job.rel_path, config.config_path, note))
        if not looked_up:
            reopened = _reopen_imported_hits(outcome, misses, config, cwd or Path.cwd())
            again = {job.rel_path for job in reopened}
            outcome.notes = [note for note in outcome.notes if note[0] not in again]
            work = misses + reopened
    crashed = partial(_crashed_check, selected)
    for part in run_sharded(
        _check_shard,
        config,
        work,
        jobs,
        selected,
        keep_sources,
        cache,
        report_blind,
        explain,
        work[0].path if work else None,
        crashed=crashed,
    ):
        outcome.findings += part.findings
        outcome.blind_files += part.blind_files
        outcome.notes += part.notes
        outcome.files_checked += part.files_checked
        outcome.checked_paths += part.checked_paths
        outcome.errors += part.errors
        outcome.sources.update(part.sources)
        outcome.facts.update(part.facts)
        outcome.warnings += [w for w in part.warnings if w not in outcome.warnings]


def _check_deployments(
    outcome: RunOutcome,
    config: Config,
    work: list[_Job],
    selected: frozenset[str],
    keep_sources: bool,
    use_cache: bool,
    cwd: Path,
) -> None:
    """The deployment files of one configuration, checked together in this process
    (they are few, and a deployment may span several of them)."""
    jobs = [(job.path, job.rel_path, job.data) for job in work]
    cache = ResultCache(config, selected) if use_cache and not keep_sources else None
    key = deploy_cache_key(jobs)
    cached = cache.lookup(DEPLOY_CACHE_ENTRY, key) if cache is not None else None
    if cached is not None:
        assert cache is not None
        cache.finish()
        checked = relevant_files(jobs, config)
        findings = cached[0]
    else:
        result = check_deploy_files(jobs, config, selected, cwd)
        checked, findings = result.checked, result.findings
        if cache is not None:
            named = {str(path.resolve()) for path, _, _ in jobs}
            dependencies = {
                path: digest
                for path in result.deployments.read
                if path not in named and (digest := file_hash(path)) is not None
            }
            problem = cache.store(DEPLOY_CACHE_ENTRY, key, findings, dependencies)
            outcome.cache_problem(cache.finish() or problem)
        if keep_sources:
            outcome.sources.update(result.sources)
            context = tuple((str(path), rel) for path, rel, _ in jobs)
            outcome.deploy_context.update((rel, context) for rel in result.sources)
    outcome.findings += findings
    outcome.files_checked += len(checked)
    outcome.checked_paths += checked


# -- semantic models without rules (`redislint keys`) ---------------------------------


def _crashed_model(job: _Job) -> ModelsOutcome[Any]:
    outcome: ModelsOutcome[Any] = ModelsOutcome()
    outcome.unparsed.append(f"{job.rel_path}:1:1: {PARSER_CRASHED}")
    return outcome


_T = TypeVar("_T")


@dataclass
class ModelsOutcome(Generic[_T]):
    """What `collect_models` gathered: one `visit` result per analysed file."""

    results: list[tuple[str, _T]] = field(default_factory=list)  # (rel path, result), by path
    files_seen: int = 0  # files discovered and not excluded as tests
    tests_excluded: int = 0  # files left out because they are in test paths
    errors: list[str] = field(default_factory=list)  # "path: message", exit code 2
    unparsed: list[str] = field(default_factory=list)  # "path:line:col: message"


@analysis_settings()
def _model_shard(
    config: Config, jobs: list[_Job], visit: Callable[[FileAnalysis], _T]
) -> ModelsOutcome[_T]:
    with ProjectIndex(config) as index:
        outcome: ModelsOutcome[_T] = ModelsOutcome()
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


def collect_models(
    paths: Sequence[str],
    config: Config | ConfigSet,
    visit: Callable[[FileAnalysis], _T],
    *,
    cwd: Path | None = None,
    jobs: int | None = None,
    include_tests: bool = True,
) -> ModelsOutcome[_T]:
    """Run `visit` on the semantic model of every file under `paths`; no rule runs.

    The same discovery, prefilter and cross-file index as `check_paths`, so a tool built
    on the model (the keyspace inventory) agrees with what the rules see. `visit` runs
    in the worker that built the model and must return picklable data (FileModels hold
    libcst trees and stay in their worker); it must be a module-level function when
    files are checked in parallel. Results come back in path order.
    """
    cwd = cwd or Path.cwd()
    configs = config if isinstance(config, ConfigSet) else ConfigSet(config, hierarchical=False)
    outcome: ModelsOutcome[_T] = ModelsOutcome()
    everything = _read_jobs(paths, configs.base, cwd, False, outcome.errors)
    for group_config, group in _by_config(everything, configs, paths, cwd):
        work = group
        if not include_tests:
            work = [
                j
                for j in group
                if not group_config.is_test_path(group_config.relative_path(j.path))
            ]
        outcome.tests_excluded += len(group) - len(work)
        outcome.files_seen += len(work)
        for part in run_sharded(
            _model_shard, group_config, work, jobs, visit, crashed=_crashed_model
        ):
            outcome.results += part.results
            outcome.errors += part.errors
            outcome.unparsed += part.unparsed
    outcome.results.sort(key=lambda item: item[0])
    outcome.unparsed.sort()
    return outcome


# -- deployments without rules (`redislint deployments`, `redislint keys`) --------------


@dataclass
class DeploymentsOutcome:
    """Every configuration's deployments, as `check` would judge them."""

    groups: list[tuple[Config, DeploymentSet]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def collect_deployments(
    paths: Sequence[str], config: Config | ConfigSet, *, cwd: Path | None = None
) -> DeploymentsOutcome:
    """The deployments under `paths`, grouped by the configuration that governs them
    (the same discovery and grouping as `check_paths`, so both see the same trees)."""
    cwd = cwd or Path.cwd()
    configs = config if isinstance(config, ConfigSet) else ConfigSet(config, hierarchical=False)
    outcome = DeploymentsOutcome()
    work = _read_jobs(paths, configs.base, cwd, False, outcome.errors, deploy=True)
    for group_config, group in _by_config(work, configs, paths, cwd):
        jobs = [
            (job.path, job.rel_path, job.data)
            for job in group
            if is_deploy_file(job.path, group_config)
        ]
        if jobs:
            outcome.groups.append((group_config, read_deployments(jobs, group_config, cwd)))
    return outcome


# -- one file against facts kept between checks (`redislint server`) -------------------


def add_project_facts(
    facts: dict[str, FileFacts], configs: ConfigSet, paths: Sequence[str], cwd: Path
) -> None:
    """Add to `facts` (absolute path -> facts) those of the project files around `paths`
    that it lacks: the same discovery and cache as a `check` run's project stage, in this
    process, for a caller (the language server) that keeps them between checks."""
    outcome = RunOutcome(facts=facts)
    _add_outside_facts(outcome, configs, paths, cwd, 1, True)


def resolve_with_facts(
    findings: list[Finding], facts: dict[str, FileFacts], configs: ConfigSet, cwd: Path
) -> list[Finding]:
    """Decide the deferred ones among `findings` on `facts`, per project, exactly as
    `check_paths` does after its files are checked (InternalError from a rule)."""
    if not any(f.deferred is not None for f in findings):
        return findings
    return resolve_per_project(list(findings), facts, configs, cwd)
