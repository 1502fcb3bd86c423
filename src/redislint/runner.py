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
from redislint.discovery import discover
from redislint.engine import (
    FileAnalysis,
    InternalError,
    SourceError,
    analysis_settings,
    analyze_file,
    check_file,
    selected_codes,
)
from redislint.findings import Finding
from redislint.parallel import run_sharded
from redislint.semantics.project import ProjectIndex


@dataclass
class RunOutcome:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    checked_paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "path: message", exit code 2
    sources: dict[str, str] = field(default_factory=dict)  # rel path -> text (for --fix)
    # with `report_blind`: files that use Redis where no client was proven
    blind_files: list[str] = field(default_factory=list)


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
    report_blind: bool = False,
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
                report_blind=report_blind,
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
        if result.blind:
            outcome.blind_files.append(job.rel_path)
        if keep_sources and result.source is not None:
            outcome.sources[job.rel_path] = result.source
        if cache is not None:
            cache.store(job.rel_path, job.data, result.findings, index.dependencies(job.path))
    return outcome


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
    report_blind: bool = False,
) -> RunOutcome:
    """Check files and directories (or one stdin text named `stdin[0]`).

    With `report_blind`, `blind_files` lists the files that use Redis where no client was
    proven (the results cache is not used then: it does not record that).

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
        _check_group(
            outcome,
            group_config,
            group,
            jobs,
            keep_sources,
            use_cache and not stdin and not report_blind,
            report_blind,
        )
    outcome.findings.sort(key=lambda f: f.sort_key)
    outcome.checked_paths.sort()
    outcome.blind_files.sort()
    return outcome


def _check_group(
    outcome: RunOutcome,
    config: Config,
    work: list[_Job],
    jobs: int | None,
    keep_sources: bool,
    use_cache: bool,
    report_blind: bool = False,
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
            outcome.findings += cached
            outcome.files_checked += 1
            outcome.checked_paths.append(job.rel_path)
        work = misses
    for part in run_sharded(
        _check_shard, config, work, jobs, selected, keep_sources, cache, report_blind
    ):
        outcome.findings += part.findings
        outcome.blind_files += part.blind_files
        outcome.files_checked += part.files_checked
        outcome.checked_paths += part.checked_paths
        outcome.errors += part.errors
        outcome.sources.update(part.sources)


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
