"""The base of the RL6xx rules: a rule reads one `Deployment` and reports locations.

Python rules read a `FileModel` and report nodes; deployment rules read
`deploy.model.Deployment` (its effective settings, each with the directive that decides
it) and report `Location`s, with fixes given as text edits in the file they point into.
The engine (`deploy_engine.py`) applies selection, suppressions and per-file ignores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from redislint.catalogue import RuleDoc
from redislint.deploy.model import Deployment, Directive, Location
from redislint.findings import Edit, Fix
from redislint.rules._base import Rule


@dataclass(frozen=True)
class DeployContext:
    """What a deployment rule needs besides the deployment itself.

    `serves` are the roles the deployment holds (None: unmapped among several, so the
    role-dependent rules stay silent); `end_of(path)` is the (line, column) just past
    the end of a redis.conf file, where a fix appends a directive.
    """

    serves: frozenset[str] | None
    end_of: Callable[[str], tuple[int, int] | None]


@dataclass
class DeployReport:
    code: str
    location: Location
    message: str
    hint: str | None = None
    fix: Fix | None = None
    directive: Directive | None = None  # the directive reported (None: the anchor)


class DeployRule(Rule):
    """A rule over a deployment; `TARGET` tells the engine not to run it on Python."""

    TARGET: ClassVar[str] = "deploy"

    def __init__(  # a Deployment, not Rule's FileModel
        self, deployment: Deployment, context: DeployContext, doc: RuleDoc
    ) -> None:
        self.deployment = deployment
        self.context = context
        self.doc = doc
        self.deploy_reports: list[DeployReport] = []
        self.reports = []

    def serves(self, role: str) -> bool:
        return self.context.serves is not None and role in self.context.serves

    def report_at(
        self,
        directive: Directive | None,
        message: str,
        *,
        hint: str | None = None,
        fix: Fix | None = None,
    ) -> None:
        """Report at `directive`, or at the deployment's anchor when a default decides."""
        location = directive.location if directive is not None else self.deployment.anchor
        self.deploy_reports.append(DeployReport(self.CODE, location, message, hint, fix, directive))

    def set_directive_fix(
        self, deciding: Directive | None, name: str, value: str, title: str, at: Location
    ) -> Fix | None:
        """An unsafe fix in a redis.conf file: rewrite the deciding line, or append one.

        Only inside the file the finding points into (`at`), and only when that file is
        a redis.conf redislint can edit: a directive on a command line or in a ConfigMap
        gets a hint, as does one decided in another file than the finding's.
        """
        text = f"{name} {value}"
        if deciding is not None:
            where = deciding.location
            if not deciding.editable or where.path != at.path:
                return None
            edit = Edit(where.line, where.column, where.end_line, where.end_column, text)
            return Fix("unsafe", title, (edit,))
        if at.path not in self.deployment.config_files:
            return None
        if any(d.name == name and d.source == "command" for d in self.deployment.directives):
            return None
        end = self.context.end_of(at.path)
        if end is None:
            return None
        line, column = end
        content = text + "\n" if column == 1 else "\n" + text + "\n"
        return Fix("unsafe", title, (Edit(line, column, line, column, content),))
