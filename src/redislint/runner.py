"""Many files: discovery, the textual prefilter's project names, parallel workers, order.

Each worker owns a shard of the files and its own `ProjectIndex` (`shards.py`), so a
module is parsed once per worker that needs it; results are merged and sorted, so
output never depends on which worker finished first. This module hands the work out by
name (`parallel.Task`) and imports neither libcst nor the rules: a warm run whose few
misses a standby worker checks (`parallel.Standby`) never imports them in the parent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from redislint.cache import ResultCache, file_hash
from redislint.catalogue import load_catalogue, selected_codes
from redislint.config import Config, ConfigSet
from redislint.deploy.kinds import configured_kind, is_deploy_file, relevant_files
from redislint.discovery import check_weight, discover, is_python_file, prefilter
from redislint.errors import cannot_read
from redislint.findings import Finding
from redislint.jobs import CHECK_SHARD, FACTS_SHARD, MODEL_SHARD, Job, ModelsOutcome
from redislint.outcome import RunOutcome
from redislint.parallel import PARALLEL_THRESHOLD, Standby, run_sharded
from redislint.semantics.facts_types import FileFacts
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

if TYPE_CHECKING:
    from redislint.deploy.model import DeploymentSet
    from redislint.engine import FileAnalysis
    from redislint.semantics.import_scan import ImportScan

_T = TypeVar("_T")


PARSER_CRASHED = "the parser crashed on this file (the process checking it died); analysis skipped"


def _crashed_check(selected: frozenset[str], job: Job) -> RunOutcome:
    """What a file that kills its worker process gets: RL001, and the run goes on."""
    outcome = RunOutcome(files_checked=1, checked_paths=[job.rel_path])
    if "RL001" in selected:
        doc = load_catalogue()["RL001"]
        outcome.findings.append(
            Finding(doc.code, doc.name, doc.severity, PARSER_CRASHED, job.rel_path, 1, 1, 1, 1)
        )
    return outcome


def _no_facts(job: Job) -> dict[str, FileFacts]:
    return {}


def _add_outside_facts(
    outcome: RunOutcome,
    configs: ConfigSet,
    paths: Sequence[str],
    cwd: Path,
    jobs: int | None,
    use_cache: bool,
    standby: Standby | None = None,
) -> None:
    """Facts of the project's files that the run did not check: from the cache, else
    computed (and cached) by the workers (`warm.add_cached_outside_facts`)."""
    left = add_cached_outside_facts(outcome, configs, paths, cwd, use_cache)
    for group_config, cache, misses in left:
        work = [Job(path, rel, data) for path, rel, data in misses]
        for part in run_sharded(
            FACTS_SHARD,
            group_config,
            work,
            jobs,
            cache,
            crashed=_no_facts,
            standby=standby,
            ship=Job.shipped,
        ):
            outcome.facts.update(part)


def _resolve_project_stage(
    outcome: RunOutcome,
    configs: ConfigSet,
    paths: Sequence[str],
    cwd: Path,
    jobs: int | None,
    use_cache: bool,
    standby: Standby | None = None,
) -> None:
    """Decide the deferred findings (rules that need the whole project's facts)."""
    if not any(f.deferred is not None for f in outcome.findings):
        return
    _add_outside_facts(outcome, configs, paths, cwd, jobs, use_cache, standby)
    decide_deferred(outcome, configs, cwd)


def _read_jobs(
    paths: Sequence[str],
    config: Config,
    cwd: Path,
    force_exclude: bool,
    errors: list[str],
    deploy: bool = False,
    notes: list[tuple[str, Path | None, str]] | None = None,
) -> list[Job]:
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
    work: list[Job] = []
    for path in found.files:
        rel = display_path(path, cwd)
        try:
            work.append(Job(path, rel, path.read_bytes()))
        except OSError as exc:
            errors.append(cannot_read(rel, exc))
    return work


def _by_config(
    work: list[Job], configs: ConfigSet, paths: Sequence[str], cwd: Path
) -> list[tuple[Config, list[Job]]]:
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
    standby: Standby | None = None,
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
    every file up already), only its misses are checked and its hits are kept. A
    `standby` worker (`parallel.Standby`) does the first work small enough for one
    process.
    """
    cwd = cwd or Path.cwd()
    configs = config if isinstance(config, ConfigSet) else ConfigSet(config, hierarchical=False)
    base = configs.base
    outcome = RunOutcome()
    work: list[Job] = []
    if planned is not None:
        outcome = planned.outcome
        given = stdin is None  # else the plan's one miss is the text on stdin
        work = [Job(path, rel, data, from_disk=given) for path, rel, data in planned.misses]
        work += _reopen_imported_hits(outcome, work, base, cwd, planned.real_paths)
    elif stdin is not None:
        name, data = stdin
        path = (cwd / name).absolute()
        if not (force_exclude and base.is_excluded(base.relative_path(path))):
            work.append(Job(path, display_path(path, cwd), data, from_disk=False))
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
            standby=standby,
        )
    _resolve_project_stage(outcome, configs, paths, cwd, jobs, use_cache, standby)
    outcome.findings.sort(key=lambda f: f.sort_key)
    outcome.checked_paths.sort()
    outcome.blind_files.sort()
    outcome.notes.sort(key=lambda note: note[0])
    return outcome


def _reopen_imported_hits(
    outcome: RunOutcome,
    work: list[Job],
    config: Config,
    cwd: Path,
    real_paths: dict[str, str] | None = None,
) -> list[Job]:
    """The cache hits that a changed file's import lines name, taken back out of
    `outcome` to be checked again (not looked up).

    A module that never mentions Redis is analysed only while a Redis-using file
    imports it (a helper): a changed file that starts importing it changes that verdict,
    which the module's own entry cannot know (its bytes did not change). Import targets
    are real paths: a hit's is discovery's (`real_paths`) or resolved, and only once a
    changed file uses Redis (most edits do not: then nothing is resolved)."""
    if not work or not outcome.facts:
        return []
    importers = []  # only a Redis-using importer makes a helper
    for job in work:
        text = job.data.decode("utf-8", errors="replace")
        if is_python_file(job.path.name) and prefilter(text, config):
            importers.append((job, text))
    if not importers:
        return []
    known = real_paths or {}
    hits = {
        known[path] if path in known else str(Path(path).resolve()): path for path in outcome.facts
    }
    reopened: dict[str, bytes] = {}
    from redislint.semantics.modules import ModuleFinder  # only once an edit uses Redis

    modules = ModuleFinder(config)
    for job, text in importers:
        for target in modules.imported_files(text, job.path):
            original = hits.get(str(target))
            if original is None or original in reopened:
                continue
            try:
                data = target.read_bytes()
            except OSError:
                continue  # unreadable now: its cached result stands
            if not prefilter(data.decode("utf-8", errors="replace"), config):
                reopened[original] = data  # its verdict depends on its importers
    jobs: list[Job] = []
    for original, data in reopened.items():
        path = Path(original)
        rel = display_path(path, cwd)
        outcome.findings = [f for f in outcome.findings if f.path != rel]
        del outcome.facts[original]
        if rel in outcome.checked_paths:
            outcome.checked_paths.remove(rel)
            outcome.files_checked -= 1
        jobs.append(Job(path, rel, data))
    return jobs


def _note_nested_excludes(
    outcome: RunOutcome, work: list[Job], configs: ConfigSet, paths: Sequence[str], cwd: Path
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
    work: list[Job],
    jobs: int | None,
    keep_sources: bool,
    use_cache: bool,
    cwd: Path | None = None,
    report_blind: bool = False,
    explain: bool = False,
    looked_up: bool = False,
    standby: Standby | None = None,
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
    scanned = None
    one_worker = 0 < len(work) < PARALLEL_THRESHOLD  # then the standby checks it all
    if cache is not None and standby is not None and standby.ready and one_worker:
        scanned = _scan_for_the_standby(config, work, cache)
        outcome.cache_problem(cache.finish())  # what the scan read, kept as a worker keeps it
    for part in run_sharded(
        CHECK_SHARD,
        config,
        work,
        jobs,
        selected,
        keep_sources,
        cache,
        report_blind,
        explain,
        work[0].path if work else None,
        work[-1].path if len(work) > 1 else None,
        scanned,
        crashed=crashed,
        standby=standby,
        weigh=partial(_job_weight, config),
        ship=Job.shipped,
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


def _scan_for_the_standby(config: Config, work: list[Job], cache: ResultCache) -> ImportScan:
    """The import graph of the projects of a small check's Python files, scanned here
    while the standby worker still imports libcst and the rules, for the standby to start
    its check with (issue 13). The scan is libcst-free and this process only waits for
    the worker's answer: after an edit of a helper module (a file that never mentions
    Redis, analysed because a Redis-using file imports it), the worker's first question
    is who imports it, and scanning a 2,800-file project from its memos took the worker
    a third of such a run. A project the worker's check does not ask about costs this
    process's idle time only."""
    from redislint.semantics.import_scan import ImportScan
    from redislint.semantics.modules import ModuleFinder
    from redislint.walk_memo import WalkMemo

    memo = WalkMemo(cache, "scan")
    scan = ImportScan(config, ModuleFinder(config), walk_memo=memo, scan_store=cache)
    for job in work:
        if is_python_file(job.path.name):
            scan.scan(job.path)
    return scan


def _job_weight(config: Config, job: Job) -> int:
    """What checking `job` costs, about (`run_sharded` shares the work out by it)."""
    return check_weight(job.data, config)


def _check_deployments(
    outcome: RunOutcome,
    config: Config,
    work: list[Job],
    selected: frozenset[str],
    keep_sources: bool,
    use_cache: bool,
    cwd: Path,
) -> None:
    """The deployment files of one configuration, checked together in this process
    (they are few, and a deployment may span several of them).

    When none of them is a deployment file worth reading (YAML that never names Redis:
    a test fixture, a CI workflow), no deployment exists: nothing is found, and the
    deploy engine is not imported. Its rules would bring libcst into this process,
    about 0.4 s before the Python files of a cold run were handed out (a single Django
    fixture did). The empty result is cached as any other, so a warm run is answered."""
    jobs = [(job.path, job.rel_path, job.data) for job in work]
    cache = ResultCache(config, selected) if use_cache and not keep_sources else None
    key = deploy_cache_key(jobs)
    cached = cache.lookup(DEPLOY_CACHE_ENTRY, key) if cache is not None else None
    checked = relevant_files(jobs, config)
    if cached is not None:
        assert cache is not None
        cache.finish()
        findings = cached[0]
    elif not checked:
        findings = []
        if cache is not None:
            problem = cache.store(DEPLOY_CACHE_ENTRY, key, findings, {})
            outcome.cache_problem(cache.finish() or problem)
    else:
        from redislint.deploy_engine import check_deploy_files  # the rules

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


def _crashed_model(job: Job) -> ModelsOutcome[Any]:
    outcome: ModelsOutcome[Any] = ModelsOutcome()
    outcome.unparsed.append(f"{job.rel_path}:1:1: {PARSER_CRASHED}")
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
            MODEL_SHARD, group_config, work, jobs, visit, crashed=_crashed_model, ship=Job.shipped
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
    from redislint.deploy_engine import read_deployments

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
