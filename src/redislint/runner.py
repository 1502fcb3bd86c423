"""Many files: discovery, the textual prefilter's project names, parallel workers, order.

Each worker owns a shard of the files and its own `ProjectIndex`, so a module is parsed
once per worker that needs it; results are merged and sorted, so output never depends
on which worker finished first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from redislint.cache import ResultCache
from redislint.config import Config, ConfigSet
from redislint.discovery import discover, find_git_root
from redislint.engine import (
    FileAnalysis,
    InternalError,
    SourceError,
    analysis_settings,
    analyze_file,
    check_file,
    facts_of_file,
    resolve_deferred,
    selected_codes,
)
from redislint.findings import Finding
from redislint.parallel import run_sharded
from redislint.semantics.project import ProjectIndex
from redislint.semantics.project_facts import FileFacts, ProjectFacts


@dataclass
class RunOutcome:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    checked_paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "path: message", exit code 2
    sources: dict[str, str] = field(default_factory=dict)  # rel path -> text (for --fix)
    facts: dict[str, FileFacts] = field(default_factory=dict)  # absolute path -> its facts


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


@analysis_settings()
def _check_shard(
    config: Config,
    jobs: list[_Job],
    selected: frozenset[str],
    keep_sources: bool,
    cache: ResultCache | None,
) -> RunOutcome:
    index = ProjectIndex(config)
    outcome = RunOutcome()
    for job in jobs:
        try:
            result = check_file(
                job.path, job.rel_path, config, index, data=job.data, selected=selected
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
        outcome.facts[str(job.path)] = result.facts
        if keep_sources and result.source is not None:
            outcome.sources[job.rel_path] = result.source
        if cache is not None:
            dependencies = index.dependencies(job.path)
            cache.store(job.rel_path, job.data, result.findings, dependencies, result.facts)
    return outcome


# The cache salt of facts-only entries: facts do not depend on the selected rules.
_FACTS_ONLY = frozenset({"<project-facts>"})


@analysis_settings()
def _facts_shard(
    config: Config, jobs: list[_Job], cache: ResultCache | None
) -> dict[str, FileFacts]:
    """Project facts of files the run does not check (no rule runs on them)."""
    index = ProjectIndex(config)
    facts: dict[str, FileFacts] = {}
    for job in jobs:
        cached = cache.lookup(job.rel_path, job.data) if cache is not None else None
        if cached is not None:
            facts[str(job.path)] = cached[1]
            continue
        try:
            found = facts_of_file(job.path, job.rel_path, config, index, data=job.data)
        except Exception:  # a file outside the run must never fail the run
            continue
        facts[str(job.path)] = found
        if cache is not None:
            cache.store(job.rel_path, job.data, [], index.dependencies(job.path), found)
    return facts


def _project_roots(configs: ConfigSet, paths: Sequence[str], cwd: Path) -> set[Path]:
    """The tops of the projects a run's files belong to: each governing configuration's
    directory, or the git root when no configuration file exists (never a bare cwd,
    which could be the whole disk)."""
    roots: set[Path] = set()
    for arg in paths or ["."]:
        start = Path(os.path.abspath(cwd / arg))
        config = configs.for_path(start)
        if config.config_path is not None:
            roots.add(Path(config.root))
            continue
        git_root = find_git_root(str(start if start.is_dir() else start.parent))
        if git_root is not None:
            roots.add(Path(git_root))
    return roots


def _add_outside_facts(
    outcome: RunOutcome,
    configs: ConfigSet,
    paths: Sequence[str],
    cwd: Path,
    jobs: int | None,
    use_cache: bool,
) -> None:
    """Facts of the project's files that the run did not check (pre-commit and editors
    name a few files; a lock key or a consumer may live in another one)."""
    roots = sorted(_project_roots(configs, paths, cwd))
    found = discover([str(root) for root in roots], configs.base, cwd)
    outside: list[_Job] = []
    for path in found.files:
        if str(path) in outcome.facts:
            continue
        try:
            outside.append(_Job(path, display_path(path, cwd), path.read_bytes()))
        except OSError:
            continue
    for group_config, group in _by_config(outside, configs, [], cwd):
        cache = ResultCache(group_config, _FACTS_ONLY) if use_cache else None
        for part in run_sharded(_facts_shard, group_config, group, jobs, cache):
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
    try:
        outcome.findings = _resolve_per_project(outcome, configs, cwd)
    except InternalError as exc:
        outcome.errors.append(str(exc))
        outcome.findings = [f for f in outcome.findings if f.deferred is None]


def _resolve_per_project(outcome: RunOutcome, configs: ConfigSet, cwd: Path) -> list[Finding]:
    """Deferred findings decided on the facts of their own project: the files governed by
    the same configuration root (a folder with its own config is a nested project, as
    for every other setting), so one project's lock keys say nothing about another's."""
    roots: dict[str, Path] = {}

    def root_of(path: Path) -> Path:
        key = str(path)
        if key not in roots:
            roots[key] = configs.for_path(path).root.resolve()
        return roots[key]

    facts: dict[Path, list[FileFacts]] = {}
    for path, one in outcome.facts.items():
        facts.setdefault(root_of(Path(path)), []).append(one)
    by_root: dict[Path, list[Finding]] = {}
    kept: list[Finding] = []
    for finding in outcome.findings:
        if finding.deferred is None:
            kept.append(finding)
        else:
            by_root.setdefault(root_of((cwd / finding.path).resolve()), []).append(finding)
    for root, deferred in by_root.items():
        kept.extend(resolve_deferred(deferred, ProjectFacts(facts.get(root, []))))
    kept.sort(key=lambda f: f.sort_key)
    return kept


def _read_jobs(
    paths: Sequence[str], config: Config, cwd: Path, force_exclude: bool, errors: list[str]
) -> list[_Job]:
    """Discover the files and read each once (the bytes travel to the workers)."""
    found = discover(paths, config, cwd, force_exclude=force_exclude)
    errors += [f"{p}: {message}" for p, message in found.errors]
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
    named = {Path(os.path.abspath(cwd / p)) for p in paths}
    groups: dict[int, tuple[Config, list[_Job]]] = {}
    for job in work:
        config = configs.for_path(job.path)
        if (
            config is not configs.base
            and job.path not in named
            and config.is_excluded(config.relative_path(job.path))
        ):
            continue
        groups.setdefault(id(config), (config, []))[1].append(job)
    return list(groups.values())


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
) -> RunOutcome:
    """Check files and directories (or one stdin text named `stdin[0]`).

    `config` is one configuration for every file, or a `ConfigSet` that gives each file
    the nearest configuration above it. With `use_cache`, files whose bytes,
    configuration and imported project modules are unchanged since an earlier run are
    not checked again (never for stdin or when the sources are kept for fixing).
    """
    cwd = cwd or Path.cwd()
    configs = config if isinstance(config, ConfigSet) else ConfigSet(config, hierarchical=False)
    base = configs.base
    outcome = RunOutcome()
    work: list[_Job] = []
    if stdin is not None:
        name, data = stdin
        path = (cwd / name).absolute()
        if not (force_exclude and base.is_excluded(base.relative_path(path))):
            work.append(_Job(path, display_path(path, cwd), data))
    else:
        work = _read_jobs(paths, base, cwd, force_exclude, outcome.errors)
    for group_config, group in _by_config(work, configs, paths, cwd):
        _check_group(outcome, group_config, group, jobs, keep_sources, use_cache and not stdin)
    _resolve_project_stage(outcome, configs, paths, cwd, jobs, use_cache)
    outcome.findings.sort(key=lambda f: f.sort_key)
    outcome.checked_paths.sort()
    return outcome


def _check_group(
    outcome: RunOutcome,
    config: Config,
    work: list[_Job],
    jobs: int | None,
    keep_sources: bool,
    use_cache: bool,
) -> None:
    """Check the files one configuration governs, adding to `outcome`."""
    selected = selected_codes(config)
    cache = None
    if use_cache and not keep_sources:
        cache = ResultCache(config, selected)
        misses = []
        for job in work:
            cached = cache.lookup(job.rel_path, job.data)
            if cached is None:
                misses.append(job)
                continue
            outcome.findings += cached[0]
            outcome.facts[str(job.path)] = cached[1]
            outcome.files_checked += 1
            outcome.checked_paths.append(job.rel_path)
        work = misses
    for part in run_sharded(_check_shard, config, work, jobs, selected, keep_sources, cache):
        outcome.findings += part.findings
        outcome.files_checked += part.files_checked
        outcome.checked_paths += part.checked_paths
        outcome.errors += part.errors
        outcome.sources.update(part.sources)
        outcome.facts.update(part.facts)


# -- semantic models without rules (`redislint keys`) ---------------------------------

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
    index = ProjectIndex(config)
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
            outcome.errors.append(f"{job.rel_path}: internal error: nesting too deep to analyse")
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
        for part in run_sharded(_model_shard, group_config, work, jobs, visit):
            outcome.results += part.results
            outcome.errors += part.errors
            outcome.unparsed += part.unparsed
    outcome.results.sort(key=lambda item: item[0])
    outcome.unparsed.sort()
    return outcome
