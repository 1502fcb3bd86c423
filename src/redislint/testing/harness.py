"""Run redislint on one fixture exactly as the command line would, and compare.

Each fixture belongs to a project rooted at its top folder under the fixtures
directory (`tests/fixtures/RL101/`), so multi-module fixtures import each other by
their package names; a `redislint.toml` there, and the fixture's own header line,
configure the run.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redislint.config import config_from_table
from redislint.engine import check_file
from redislint.findings import Finding
from redislint.semantics.project import ProjectIndex
from redislint.testing.annotations import Annotations, Expected, parse_annotations


@dataclass
class Comparison:
    missing: list[Expected]
    unexpected: list[Finding]
    todo_found: list[Expected]
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.todo_found)

    def explain(self) -> str:
        lines = []
        for item in self.missing:
            col = f"@{item.column}" if item.column else ""
            lines.append(f"  missing:    line {item.line}: {item.code}{col}")
        for finding in self.unexpected:
            where = f"line {finding.line}:{finding.column}"
            lines.append(f"  unexpected: {where}: {finding.code} {finding.message}")
        for item in self.todo_found:
            lines.append(
                f"  todo-expect now found (promote it to expect): line {item.line}: {item.code}"
            )
        return "\n".join(lines)


def fixture_table(root: Path, options: dict[str, Any]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    config_file = root / "redislint.toml"
    if config_file.is_file():
        table = tomllib.loads(config_file.read_text(encoding="utf-8"))
    table.update(options)
    return table


def run_fixture(
    path: Path, root: Path, source: str | None = None
) -> tuple[Annotations, list[Finding]]:
    data = source.encode("utf-8") if source is not None else path.read_bytes()
    annotations = parse_annotations(data.decode("utf-8", errors="replace"))
    config = config_from_table(fixture_table(root, annotations.options), path.name, root)
    index = ProjectIndex(config)
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    result = check_file(path, rel, config, index, data=data)
    return annotations, result.findings


def compare(annotations: Annotations, findings: list[Finding]) -> Comparison:
    found = {(f.line, f.code) for f in findings}
    missing = []
    for item in annotations.expected:
        matches = [f for f in findings if f.line == item.line and f.code == item.code]
        wrong_column = item.column is not None and all(f.column != item.column for f in matches)
        if not matches or wrong_column:
            missing.append(item)
    expected = {(e.line, e.code) for e in annotations.expected}
    unexpected = [
        f
        for f in findings
        if (f.line, f.code) not in expected and (f.line, f.code) not in annotations.tolerated
    ]
    todo_found = [t for t in annotations.todo_expected if (t.line, t.code) in found]
    return Comparison(missing, unexpected, todo_found, findings)
