"""What a `check` run returns (`runner.check_paths`, or `warm.py` when the cache answers
the whole run). A plain value in a module of its own, so the warm path builds it without
importing the analysis engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from redislint.findings import Finding
from redislint.semantics.facts_types import FileFacts


@dataclass
class RunOutcome:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    checked_paths: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "path: message", exit code 2
    sources: dict[str, str] = field(default_factory=dict)  # rel path -> text (for --fix)
    facts: dict[str, FileFacts] = field(default_factory=dict)  # absolute path -> its facts
    warnings: list[str] = field(default_factory=list)  # shown on stderr, exit code unchanged
    # Deployment file -> (absolute, reported) paths of the deployment files checked with
    # it, so that a fix is re-checked against the same deployments (deploy_engine.py).
    deploy_context: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # with `report_blind`: files that use Redis where no client was proven
    blind_files: list[str] = field(default_factory=list)
    # with `explain` (`check --verbose`): (reported path, governing config file or None
    # for the defaults, what happened to it), for every file checked or left out
    notes: list[tuple[str, Path | None, str]] = field(default_factory=list)

    def add_answer(
        self,
        path: str,
        rel_path: str,
        findings: list[Finding],
        facts: FileFacts | None,
        checked: bool = True,
    ) -> None:
        """One file answered without analysing it (a cache hit, the run's memo): its
        findings, its facts by absolute `path`, and whether it counts as checked."""
        self.findings += findings
        if facts is not None:
            self.facts[path] = facts
        if checked:
            self.files_checked += 1
            self.checked_paths.append(rel_path)

    def cache_problem(self, problem: str | None) -> None:
        """A cache that cannot be used: one warning per reason, and the run goes on."""
        warning = None if problem is None else f"{problem}; continuing without it"
        if warning is not None and warning not in self.warnings:
            self.warnings.append(warning)
