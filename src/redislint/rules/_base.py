"""The base of every rule: a rule reads the shared model and reports nodes.

A rule class carries only its `CODE` and its logic; its name, severity, fix
availability and docs come from its catalogue file (`rules/RLNNN-name.md`). A fresh
instance is made for every file, so rules may keep per-file state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from redislint.catalogue import RuleDoc
from redislint.findings import Finding
from redislint.semantics.deferred import RESOLVERS
from redislint.semantics.model import FileModel, RedisCall
from redislint.semantics.project_facts import ProjectFacts


@dataclass(frozen=True)
class NodeEdit:
    """Replace `node` with `content`: text, or a new node that the engine renders at the
    indentation in force where `node` stands (positions are computed later)."""

    node: cst.CSTNode
    content: str | cst.CSTNode
    # Replace the whole lines the node spans (from column 1 to the start of the next
    # line): `content=""` with a statement deletes it without leaving a blank line.
    whole_lines: bool = False


@dataclass(frozen=True)
class NodeFix:
    safety: str  # "safe" | "unsafe"
    description: str
    edits: tuple[NodeEdit, ...]
    # (module, name) the fixed code needs; see findings.Fix.imports.
    imports: tuple[tuple[str, str | None], ...] = ()


@dataclass
class Report:
    code: str
    node: cst.CSTNode
    message: str
    statement: cst.CSTNode | None = None
    hint: str | None = None
    fix: NodeFix | None = None
    extra_nodes: list[cst.CSTNode] = field(default_factory=list)
    deferred: tuple[str, ...] | None = None


class Rule:
    CODE: ClassVar[str]
    # What the rule reads: "python" (a FileModel) or "deploy" (rules/_deploy.py).
    TARGET: ClassVar[str] = "python"

    def __init__(self, model: FileModel, doc: RuleDoc) -> None:
        self.model = model
        self.doc = doc
        self.reports: list[Report] = []

    def check(self) -> None:
        """Inspect `self.model` and call `report` for each finding."""
        raise NotImplementedError

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        statement: cst.CSTNode | None = None,
        hint: str | None = None,
        fix: NodeFix | None = None,
        deferred: tuple[str, ...] | None = None,
    ) -> None:
        """Report at `node`. With `deferred` (the rule's payload), the finding waits for
        `resolve_project`, which sees the facts of every file of the project."""
        self.reports.append(
            Report(self.CODE, node, message, statement, hint, fix, deferred=deferred)
        )

    def report_call(
        self,
        call: RedisCall,
        message: str,
        *,
        hint: str | None = None,
        fix: NodeFix | None = None,
        deferred: tuple[str, ...] | None = None,
    ) -> None:
        """Report at the command call (where rules.md says most findings point)."""
        self.report(
            call.node,
            message,
            statement=call.site.statement,
            hint=hint,
            fix=fix,
            deferred=deferred,
        )

    @classmethod
    def resolve_project(cls, findings: list[Finding], facts: ProjectFacts) -> list[Finding]:
        """Decide this rule's deferred findings once every file is done.

        `findings` are all of them, in path, line, column order, each with the payload
        the rule gave in `finding.deferred`; return the ones to report (a rule may
        replace their message). A rule does not override this: its decision is the
        resolver registered under its code in `semantics/deferred.py`, which the warm
        path runs without importing the rules (or libcst). No resolver keeps them all."""
        resolver = RESOLVERS.get(cls.CODE)
        return findings if resolver is None else resolver(findings, facts)

    def code_for(self, node: cst.CSTNode) -> str:
        module = self.model.facts.module
        assert module is not None
        return module.code_for_node(node)
