"""The values every part of redislint exchanges: findings, fixes and text edits.

They are plain frozen dataclasses so that per-file results can cross process
boundaries (parallel workers) and be stored in the cache unchanged.
All lines and columns are 1-based; end positions are exclusive columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
FixSafety = Literal["safe", "unsafe"]


@dataclass(frozen=True, order=True)
class Edit:
    """Replace the text between (line, column) and (end_line, end_column) by `content`."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Fix:
    """A change that removes the defect. `safety` follows ruff's meaning."""

    safety: FixSafety
    description: str
    edits: tuple[Edit, ...]
    # (module, name) pairs the fixed code needs: `from module import name`, or
    # `import module` when name is None. fixes.py adds the missing ones after the edits
    # (libcst's AddImportsVisitor), so two fixes needing one import add it once.
    imports: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True)
class Finding:
    """One diagnostic, located where rules.md says it points."""

    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    hint: str | None = None
    fix: Fix | None = None
    # Hash of the reported statement's normalised text: lets a baseline
    # recognise a finding after unrelated edits move it to another line.
    fingerprint: str = field(default="", compare=False)
    # Set by rules whose verdict needs the whole project (rules.md: RL104 lock keys,
    # RL305 consumed keys, RL306 first use): the rule's own payload. Such a finding is
    # held back until every file is done, then `Rule.resolve_project` decides it.
    deferred: tuple[str, ...] | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
