"""The warm path: a re-run that the results cache answers without the analysis engine.

`check_paths` here has the runner's signature. With the cache on, it first plans the
run (`plan_run`): discovery, the configuration of each file, and a cache look-up per
file that reads a file's bytes only when its stat changed (`ResultCache.lookup_file`).
When every file is a hit, the run is answered from the plan alone: libcst, the rules
and the worker pool are never imported, which is most of a warm run's cost. Deferred
findings (decided on every file's facts, `semantics/deferred.py`) are decided here too,
on the cached facts of the project's other files, when every one of those is a hit
(the project stage's shared steps are at the end of this module; the runner uses them
too). Otherwise the runner checks only the misses (the edited files and the files whose
imported modules changed), and the hits come from the plan, never looked up or read
twice.

Nothing here may import libcst (a test runs a warm `check` and asserts it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from redislint.cache import ResultCache
from redislint.catalogue import selected_codes
from redislint.config import Config, ConfigSet
from redislint.errors import InternalError, cannot_read
from redislint.findings import Finding
from redislint.outcome import RunOutcome
from redislint.semantics.deferred import resolve_deferred
from redislint.semantics.facts_types import FileFacts, ProjectFacts
from redislint.walk_memo import WalkMemo

if TYPE_CHECKING:
    from redislint import run_memo
    from redislint.parallel import Standby

_Item = TypeVar("_Item")

# The cache entry holding one configuration's deployment findings (they depend on every
# deployment file at once, so they are stored under one key made of all their bytes).
DEPLOY_CACHE_ENTRY = "<deployments>"
# Below this many files a look-up per row is cheaper than reading a selection's rows.
_PRELOAD_FROM = 32


@dataclass
class Plan:
    """What the cache answered (`outcome`) and what is left for the runner."""

    outcome: RunOutcome = field(default_factory=RunOutcome)
    # (absolute path, path as reported, bytes): files the cache could not answer
    misses: list[tuple[Path, str, bytes]] = field(default_factory=list)
    # False when the runner may still have to run: misses, deployment files, or
    # deferred findings (decided here when the project's other files are hits too)
    complete: bool = True
    # Discovery's real path of each file found (`DiscoveryResult.real_paths`)
    real_paths: dict[str, str] = field(default_factory=dict)


def display_path(path: str | Path, cwd: Path) -> str:
    """A path as reports show it: relative to the working directory, `/`-separated."""
    return display_paths([str(path)], cwd)[0]


def display_paths(paths: Sequence[str], cwd: Path) -> list[str]:
    """`display_path` of each of many absolute paths (the working directory's prefix is
    made once, not once per file of the tree)."""
    base = os.path.join(str(cwd), "")
    cut = len(base)
    shown: list[str] = []
    for text in paths:
        if text.startswith(base) and ".." not in text:  # relpath's common case, cheaply
            shown.append(text[cut:].replace(os.sep, "/"))
            continue
        try:
            shown.append(os.path.relpath(text, cwd).replace(os.sep, "/"))
        except ValueError:
            shown.append(text)
    return shown


def deploy_cache_key(jobs: Sequence[tuple[Path, str, bytes]]) -> bytes:
    """The "content" the deployment entry of one configuration is keyed by."""
    return b"".join(
        rel.encode("utf-8", "surrogateescape") + b"\0" + data + b"\0"
        for _, rel, data in sorted(jobs)
    )


def group_by_config(
    items: Sequence[_Item],
    path_of: Callable[[_Item], str | Path],
    configs: ConfigSet,
    paths: Sequence[str],
    cwd: Path,
) -> list[tuple[Config, list[_Item]]]:
    """Group files (absolute paths) by the configuration that governs them, in
    first-seen order.

    A file found by walking is dropped when its own configuration excludes it (the
    walk itself honoured only the configuration of the run); a file named on the
    command line is always checked, as discovery promises. Configurations are looked
    up once per directory, not once per file, and not at all when one configuration
    governs every file (`--isolated`, `--config`).
    """
    if not configs.hierarchical:
        return [(configs.base, list(items))] if items else []
    named = {os.path.abspath(cwd / p) for p in paths}
    groups: dict[int, tuple[Config, list[_Item]]] = {}
    by_folder: dict[str, Config] = {}
    for item in items:
        path = os.fspath(path_of(item))
        folder = os.path.dirname(path)
        config = by_folder.get(folder)
        if config is None:
            config = by_folder[folder] = configs.for_path(Path(path))
        if (
            config is not configs.base
            and path not in named
            and config.is_excluded(config.relative_path(path))
        ):
            continue
        groups.setdefault(id(config), (config, []))[1].append(item)
    return list(groups.values())


def plan_run(
    paths: Sequence[str],
    configs: ConfigSet,
    cwd: Path,
    *,
    force_exclude: bool = False,
    stdin: tuple[str, bytes] | None = None,
) -> Plan:
    """Answer what the cache can of a `check` run (see the module docstring).

    Files are absolute path strings here: a `Path` is made only for a file looked up
    or read, not for each of the thousands the memo answers."""
    from redislint.deploy.kinds import configured_kind, file_kind, is_deploy_file

    started = time.time()
    plan = Plan()
    outcome = plan.outcome
    base = configs.base
    # The base configuration's cache also keeps the memo of the walk (`walk_memo.py`)
    # and of the run's answer (`run_memo.py`).
    caches = {id(base): ResultCache(base, selected_codes(base))}
    run_key = None
    answers: dict[int, run_memo.Answer] = {}
    generations: dict[str, int] = {}
    found: list[str]
    if stdin is not None:
        path = (cwd / stdin[0]).absolute()
        if force_exclude and base.is_excluded(base.relative_path(path)):
            return plan
        found = [str(path)]
    else:
        from redislint import run_memo  # the memos of a walk (one stdin text has none)
        from redislint.discovery import discover, is_python_file

        def wanted(name: str, path: str) -> bool:
            # `configured_kind`, without building a Path for every file of the tree
            if is_python_file(name) or file_kind(name) is not None:
                return True
            return bool(base.deploy_paths) and configured_kind(Path(path), base) is not None

        memo = WalkMemo(caches[id(base)], "check")
        result = discover(paths, base, cwd, force_exclude=force_exclude, wanted=wanted, memo=memo)
        outcome.errors += [f"{p}: {message}" for p, message in result.errors]
        found = result.names
        plan.real_paths = result.real_paths
        if not result.errors:
            tops = [os.path.normpath(os.path.join(cwd, arg)) for arg in paths or ["."]]
            run_key = run_memo.memo_key(caches[id(base)], cwd, tops, force_exclude)
            if result.replayed:  # no walked folder changed since the walk was recorded
                answers, generations = run_memo.replay(caches[id(base)], run_key, found)
    rel_paths = display_paths(found, cwd)
    positions = {path: position for position, path in enumerate(found)}
    tokens: dict[int, int | None] = {}  # of each file's entry, for the memo
    members: list[tuple[ResultCache, dict[int, str]]] = []  # each cache's files' entries
    groups = group_by_config(found, str, configs, paths, cwd)
    if not any(config is base for config, _ in groups):
        caches[id(base)].finish()  # the walk's memo, when no file is the base's
    deploy_files: set[str] = set()
    for config, group in groups:
        cache = caches.get(id(config)) or ResultCache(config, selected_codes(config))
        caches[id(config)] = cache
        deploy = [path for path in group if stdin is None and is_deploy_file(path, config)]
        deploy_files.update(deploy)
        if run_key is not None:
            entries = {positions[path]: rel_paths[positions[path]] for path in group}
            entries.update((positions[path], DEPLOY_CACHE_ENTRY) for path in deploy)
            members.append((cache, entries))
        if answers:
            trusted = generations.get(cache.salt) == cache.entries_written()
            group, deploy = _take_answers(
                outcome, cache, group, deploy, answers, positions, rel_paths, tokens, trusted
            )
        if len(group) >= _PRELOAD_FROM:
            cache.preload()
        if deploy:
            _plan_deployments(plan, cache, config, [Path(path) for path in deploy], cwd)
            skipped = set(deploy)
            group = [path for path in group if path not in skipped]
            if run_key is not None:
                token = cache.row_token(DEPLOY_CACHE_ENTRY)
                tokens.update((positions[path], token) for path in deploy)
        for name in group:
            rel, path = rel_paths[positions[name]], Path(name)
            data: bytes | None
            if stdin is not None:
                cached, data = cache.lookup(rel, stdin[1]), stdin[1]
            else:
                cached, data = cache.lookup_file(rel, path)
            if cached is not None:
                outcome.add_answer(name, rel, *cached)
                if run_key is not None:
                    tokens[positions[name]] = cache.row_token(rel)
                continue
            try:
                plan.misses.append((path, rel, data if data is not None else path.read_bytes()))
            except OSError as exc:
                outcome.errors.append(cannot_read(rel, exc))
        outcome.cache_problem(cache.finish())  # the stats recorded on the way
    caches[id(base)].finish()  # closed, also when the memo answered every file
    plan.complete = not plan.misses and not any(f.deferred is not None for f in outcome.findings)
    # Deferred findings are kept as the plan has them: the project stage decides them
    # after the plan, from facts (the memo keeps each file's).
    if not plan.misses and run_key is not None and len(answers) < len(found):
        from redislint import run_memo

        run_memo.record(
            caches[id(base)],
            run_key,
            found,
            rel_paths,
            configs,
            outcome,
            deploy=deploy_files,
            carried=answers,
            members=members,
            tokens=tokens,
            started=started,
        )
        outcome.cache_problem(caches[id(base)].finish())
    return plan


def _take_answers(
    outcome: RunOutcome,
    cache: ResultCache,
    group: list[str],
    deploy: list[str],
    answers: dict[int, run_memo.Answer],
    positions: dict[str, int],
    rel_paths: list[str],
    tokens: dict[int, int | None],
    trusted: bool,
) -> tuple[list[str], list[str]]:
    """Add the memo's answers for one configuration's files (`run_memo.py`) whose entry
    is still the one each was taken from (`trusted`: no entry was written since the memo
    was, so each is); return the files and deployment files left to look up. Deployment
    files are answered together or not at all."""
    if not trusted:
        cache.preload()  # one query: the rows, to compare with the memo's
    deployment = set(deploy)
    taken: dict[str, tuple[list[Finding], FileFacts | None, run_memo.Answer]] = {}
    for key in group:
        answer = answers.get(positions[key])
        if answer is None or answer.token is None:
            continue
        rel = DEPLOY_CACHE_ENTRY if key in deployment else rel_paths[positions[key]]
        if not trusted and cache.row_token(rel) != answer.token:
            continue
        try:
            findings, facts = answer.decoded()
        except (ValueError, KeyError, TypeError):
            continue  # a damaged memo row: looked up instead
        taken[key] = (findings, facts, answer)
    if deployment and not deployment <= set(taken):
        for key in deployment:
            taken.pop(key, None)
    for key, (findings, facts, answer) in taken.items():
        outcome.add_answer(key, rel_paths[positions[key]], findings, facts, answer.checked)
        tokens[positions[key]] = answer.token
    left = [path for path in group if path not in taken]
    for path in left:
        answers.pop(positions[path], None)  # not carried into the next memo
    return left, [path for path in deploy if path not in taken]


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
    standby: Standby | None = None,
) -> RunOutcome:
    """`runner.check_paths`, answered from the cache when it can be (same results).

    With `explain` (`--verbose`) the runner does the whole run: its notes say, file by
    file, what governed it and why it was left out, cache hits included. `standby` is a
    worker the caller started (`launch.py`); else one is started here."""
    cwd = cwd or Path.cwd()
    configs = config if isinstance(config, ConfigSet) else ConfigSet(config, hierarchical=False)
    plan = None
    # The checks' imports (libcst, the rules) start in a standby child now, beside the
    # plan; it is ended unused when the cache answers the whole run. One stdin text is
    # planned in a few milliseconds: nothing to overlap, so no child.
    standing: AbstractContextManager[Standby | None] = nullcontext(standby)
    if standby is None and stdin is None:
        from redislint.jobs import PREPARE_WORKER
        from redislint.parallel import Standby

        standing = Standby.started(PREPARE_WORKER)
    with standing as standby:
        if use_cache and not keep_sources and not report_blind and not explain:
            plan = plan_run(paths, configs, cwd, force_exclude=force_exclude, stdin=stdin)
            if plan.complete or (
                not plan.misses and _project_stage_from_cache(plan.outcome, configs, paths, cwd)
            ):
                outcome = plan.outcome
                outcome.findings.sort(key=lambda f: f.sort_key)
                outcome.checked_paths.sort()
                return outcome
        from redislint import runner

        return runner.check_paths(
            paths,
            configs,
            cwd=cwd,
            jobs=jobs,
            stdin=stdin,
            keep_sources=keep_sources,
            force_exclude=force_exclude,
            use_cache=use_cache,
            report_blind=report_blind,
            explain=explain,
            planned=plan,
            standby=standby,
        )


def _project_stage_from_cache(
    outcome: RunOutcome, configs: ConfigSet, paths: Sequence[str], cwd: Path
) -> bool:
    """The project stage of a run whose every file was a hit, on cached facts: False when
    some file of the project outside the run has none (its facts must be computed: the
    runner does that, and keeps the facts added here)."""
    if add_cached_outside_facts(outcome, configs, paths, cwd, use_cache=True):
        return False
    decide_deferred(outcome, configs, cwd)
    return True


def _plan_deployments(
    plan: Plan, cache: ResultCache, config: Config, paths: list[Path], cwd: Path
) -> None:
    """One configuration's deployment files: all answered by their one entry, or all
    left to the runner (a deployment may span several of them)."""
    from redislint.deploy.kinds import relevant_files

    jobs: list[tuple[Path, str, bytes]] = []
    for path in paths:
        rel = display_path(path, cwd)
        try:
            jobs.append((path, rel, path.read_bytes()))
        except OSError as exc:
            plan.outcome.errors.append(cannot_read(rel, exc))
    cached = cache.lookup(DEPLOY_CACHE_ENTRY, deploy_cache_key(jobs)) if jobs else None
    if cached is None:
        plan.misses += jobs
        return
    checked = relevant_files(jobs, config)
    plan.outcome.findings += cached[0]
    plan.outcome.files_checked += len(checked)
    plan.outcome.checked_paths += checked


def cached_facts(
    cache: ResultCache | None, paths: Sequence[Path], cwd: Path
) -> tuple[dict[str, FileFacts], list[tuple[Path, str, bytes]]]:
    """The project facts of files a run does not check (the project stage of a run that
    names a few files: pre-commit, an editor's stdin): (absolute path -> facts from the
    cache, the files to compute them for). Unchanged files are not read."""
    facts: dict[str, FileFacts] = {}
    misses: list[tuple[Path, str, bytes]] = []
    if cache is not None and len(paths) >= _PRELOAD_FROM:
        cache.preload()
    for path in paths:
        rel = display_path(path, cwd)
        cached, data = cache.lookup_file(rel, path) if cache is not None else (None, None)
        if cached is not None:
            facts[str(path)] = cached[1]
            continue
        try:
            misses.append((path, rel, data if data is not None else path.read_bytes()))
        except OSError:
            continue
    if cache is not None:
        cache.finish()  # the stats recorded on the way
    return facts, misses


# -- the project stage, shared with the runner ---------------------------------------------

# The cache salt of facts-only entries: facts do not depend on the selected rules.
FACTS_ONLY = frozenset({"<project-facts>"})


def project_roots(configs: ConfigSet, paths: Sequence[str], cwd: Path) -> set[Path]:
    """The tops of the projects a run's files belong to: each governing configuration's
    directory, or the git root when no configuration file exists (never a bare cwd,
    which could be the whole disk)."""
    from redislint.discovery import find_git_root

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


def add_cached_outside_facts(
    outcome: RunOutcome, configs: ConfigSet, paths: Sequence[str], cwd: Path, use_cache: bool
) -> list[tuple[Config, ResultCache | None, list[tuple[Path, str, bytes]]]]:
    """Add to `outcome.facts` the cached facts of the project's files that the run did not
    check (pre-commit and editors name a few files; a lock key or a consumer may live in
    another one); return, per configuration, the files whose facts are not cached, with
    the cache to store them in. Unchanged files are not read, and an unchanged tree is
    not walked again (the walk's memo, as `plan_run`'s)."""
    from redislint.discovery import discover

    base = configs.base
    caches: dict[int, ResultCache] = {}
    memo = None
    if use_cache:
        caches[id(base)] = ResultCache(base, FACTS_ONLY)
        memo = WalkMemo(caches[id(base)], "project")
    roots = sorted(project_roots(configs, paths, cwd))
    found = discover([str(root) for root in roots], base, cwd, memo=memo)
    outside = [path for path in found.files if str(path) not in outcome.facts]
    groups = group_by_config(outside, lambda p: p, configs, [], cwd)
    if use_cache and not any(config is base for config, _ in groups):
        caches[id(base)].finish()  # the walk's memo, when no file is the base's
    left: list[tuple[Config, ResultCache | None, list[tuple[Path, str, bytes]]]] = []
    for config, group in groups:
        cache = None
        if use_cache:
            cache = caches.get(id(config)) or ResultCache(config, FACTS_ONLY)
        facts, misses = cached_facts(cache, group, cwd)
        outcome.facts.update(facts)
        if misses:
            left.append((config, cache, misses))
    return left


def decide_deferred(outcome: RunOutcome, configs: ConfigSet, cwd: Path) -> None:
    """Decide `outcome`'s deferred findings on its facts, project by project. A bug in a
    resolver is the run's error (exit 2), and the deferred findings are dropped."""
    try:
        outcome.findings = resolve_per_project(outcome.findings, outcome.facts, configs, cwd)
    except InternalError as exc:
        outcome.errors.append(str(exc))
        outcome.findings = [f for f in outcome.findings if f.deferred is None]


def resolve_per_project(
    findings: list[Finding], facts: dict[str, FileFacts], configs: ConfigSet, cwd: Path
) -> list[Finding]:
    """Deferred findings decided on the facts of their own project: the files governed by
    the same configuration root (a folder with its own config is a nested project, as
    for every other setting), so one project's lock keys say nothing about another's."""
    by_project: dict[Path, list[FileFacts]] = {}
    for path, one in facts.items():
        by_project.setdefault(configs.project_root(Path(path)), []).append(one)
    by_root: dict[Path, list[Finding]] = {}
    kept: list[Finding] = []
    roots: dict[str, Path] = {}  # per finding path: a file's findings share one
    for finding in findings:
        if finding.deferred is None:
            kept.append(finding)
            continue
        root = roots.get(finding.path)
        if root is None:
            root = roots[finding.path] = configs.project_root((cwd / finding.path).resolve())
        by_root.setdefault(root, []).append(finding)
    for root, deferred in by_root.items():
        kept.extend(resolve_deferred(deferred, ProjectFacts(by_project.get(root, []))))
    kept.sort(key=lambda f: f.sort_key)
    return kept
