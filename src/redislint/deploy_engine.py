"""Deployment files in, findings out: the non-Python branch of the engine.

Python files are checked one at a time (`engine.check_file`); a deployment can span
files (a Compose service and the redis.conf it mounts) and the roles it serves depend
on how many deployments the tree holds, so the deployment files of one configuration
are checked together: read them (`deploy/discover.py`), run the RL6xx rules on each
deployment, and turn their reports into the same `Finding`s, under the same
selection, test paths, per-file ignores and suppression comments as Python files.

Suppression: a comment on the finding's line, as everywhere; in a redis.conf (and a
Dockerfile, and a config embedded in a ConfigMap), where a comment cannot follow a
directive on its line, also on the line before.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from redislint.catalogue import load_catalogue
from redislint.config import Config
from redislint.deploy.discover import (  # decode, is_deploy_file and relevant_files
    DeployFile,  # live there so that the warm path (warm.py) imports no rule
    build_deployments,
    configured_kind,
    decode,
    is_relevant,
    relevant_files,
)
from redislint.deploy.discover import is_deploy_file as is_deploy_file
from redislint.deploy.model import DeploymentSet, Location
from redislint.deploy.redisconf import parse_conf_text
from redislint.findings import Finding, Fix
from redislint.rules import all_rules
from redislint.rules._deploy import DeployContext, DeployReport, DeployRule
from redislint.suppressions import Suppressions, parse_suppressions

# In test paths only RL001 applies to deployment files (rules.md "Test paths").
_TEST_PATH_CODES = frozenset({"RL001"})


@dataclass
class DeployOutcome:
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # reported paths of files read
    sources: dict[str, str] = field(default_factory=dict)  # reported path -> text
    deployments: DeploymentSet = field(default_factory=DeploymentSet)


def display(path: Path, cwd: Path) -> str:
    try:
        return os.path.relpath(path, cwd).replace(os.sep, "/")
    except ValueError:
        return str(path)


def read_files(
    jobs: Sequence[tuple[Path, str, bytes]], config: Config
) -> tuple[list[DeployFile], list[tuple[str, str]]]:
    """Deployment files worth reading, and (path, reason) for those that cannot be decoded."""
    files, undecodable = [], []
    for path, rel, data in jobs:
        kind = configured_kind(path, config)
        if kind is None:
            continue
        text = decode(data)
        if text is None:
            undecodable.append((rel, "cannot decode the file: not UTF-8"))
            continue
        if is_relevant(kind, text):
            files.append(DeployFile(path, rel, text, kind))
    return files, undecodable


def check_deploy_files(
    jobs: Sequence[tuple[Path, str, bytes]],
    config: Config,
    selected: Collection[str],
    cwd: Path,
) -> DeployOutcome:
    """Check the deployment files one configuration governs (absolute path, reported
    path, bytes); files a deployment reads beyond them (a mounted config) are read from
    disk."""
    files, undecodable = read_files(jobs, config)
    deployments = build_deployments(files, config, lambda p: display(p, cwd))
    outcome = DeployOutcome(deployments=deployments)
    outcome.checked = relevant_files(jobs, config)
    texts = {f.rel_path: f.text for f in files}
    outcome.sources = dict(texts)
    catalogue = load_catalogue()
    rules = all_rules()
    reports: list[DeployReport] = []
    for rel, message in undecodable:
        reports.append(DeployReport("RL001", Location(rel, 1, 1, 1, 1), message))
    for problem in deployments.problems:
        reports.append(DeployReport("RL001", problem.location, problem.message))
    selected = frozenset(selected)
    for number, deployment in enumerate(deployments.deployments):
        context = DeployContext(deployments.serves[number], lambda p: _end_of(p, texts, cwd))
        for code in sorted(selected):
            rule_class = rules.get(code)
            if rule_class is None or not issubclass(rule_class, DeployRule):
                continue
            rule = rule_class(deployment, context, catalogue[code])
            rule.check()
            reports.extend(rule.deploy_reports)
    outcome.findings = _findings(reports, config, selected, texts, cwd)
    return outcome


def read_deployments(
    jobs: Sequence[tuple[Path, str, bytes]], config: Config, cwd: Path
) -> DeploymentSet:
    """The deployments the files define, without running rules (`redislint deployments`)."""
    files, _undecodable = read_files(jobs, config)
    return build_deployments(files, config, lambda p: display(p, cwd))


def _text_of(path: str, texts: dict[str, str], cwd: Path) -> str | None:
    if path in texts:
        return texts[path]
    try:
        data = (cwd / path).read_bytes()
    except OSError:
        return None
    text = decode(data)
    if text is not None:
        texts[path] = text
    return text


def _end_of(path: str, texts: dict[str, str], cwd: Path) -> tuple[int, int] | None:
    text = _text_of(path, texts, cwd)
    if text is None:
        return None
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def _previous_line_allowed(report: DeployReport, path: str) -> bool:
    """Where a comment cannot share the reported line (redis.conf, Dockerfile, a config
    embedded in YAML), the line before may hold the suppression."""
    name = path.rsplit("/", 1)[-1].lower()
    if not name.endswith((".yml", ".yaml")):
        return True
    return report.directive is not None and report.directive.source == "config"


def _findings(
    reports: list[DeployReport],
    config: Config,
    selected: frozenset[str],
    texts: dict[str, str],
    cwd: Path,
) -> list[Finding]:
    catalogue = load_catalogue()
    all_codes = [c for c, d in catalogue.items() if d.status != "removed"]
    suppressions: dict[str, Suppressions] = {}
    findings: list[Finding] = []
    seen: set[tuple[str, str, int, int]] = set()
    for report in reports:
        where = report.location
        relative = config.relative_path(cwd / where.path)
        codes = selected - config.ignored_for_path(relative, all_codes)
        if config.is_test_path(relative):
            codes &= _TEST_PATH_CODES
        if report.code not in codes:
            continue
        if where.path not in suppressions:
            text = _text_of(where.path, texts, cwd)
            suppressions[where.path] = parse_suppressions(text) if text else Suppressions()
        comments = suppressions[where.path]
        if comments.skip_file:
            continue
        lines = [where.line]
        if _previous_line_allowed(report, where.path):
            lines.append(where.line - 1)
        if comments.match(report.code, lines) is not None:
            continue
        key = (report.code, where.path, where.line, where.column)
        if key in seen:
            continue
        seen.add(key)
        doc = catalogue[report.code]
        line_text = (_text_of(where.path, texts, cwd) or "").split("\n")
        anchor_text = line_text[where.line - 1] if 0 < where.line <= len(line_text) else ""
        digest = hashlib.sha256(f"{report.code}\0{''.join(anchor_text.split())}".encode())
        findings.append(
            Finding(
                code=report.code,
                name=doc.name,
                severity=doc.severity,
                message=report.message,
                path=where.path,
                line=where.line,
                column=where.column,
                end_line=where.end_line,
                end_column=where.end_column,
                hint=report.hint,
                fix=report.fix if isinstance(report.fix, Fix) else None,
                fingerprint=digest.hexdigest()[:16],
            )
        )
    findings.sort(key=lambda f: f.sort_key)
    return findings


def conf_parses(text: str) -> bool:
    """The re-parse check for a fixed redis.conf: every line still reads as Redis reads it."""
    _found, problems = parse_conf_text(text, "")
    return not problems


def recheck_file(
    path: Path,
    rel_path: str,
    text: str,
    config: Config,
    selected: Collection[str],
    context: Sequence[tuple[str, str]],
    cwd: Path,
) -> list[Finding]:
    """Findings in one deployment file after an edit, the other files as on disk.

    `context` are the (absolute path, reported path) of the deployment files the check
    run saw together with this one, so that roles and deployments are the same.
    """
    jobs: list[tuple[Path, str, bytes]] = []
    for absolute, rel in context:
        if rel == rel_path:
            continue
        try:
            jobs.append((Path(absolute), rel, Path(absolute).read_bytes()))
        except OSError:
            continue
    jobs.append((path, rel_path, text.encode("utf-8")))
    outcome = check_deploy_files(jobs, config, selected, cwd)
    return [f for f in outcome.findings if f.path == rel_path]
