"""Run redislint on one fixture exactly as the command line would, and compare.

Each fixture belongs to the project rooted at the folder of its nearest
`redislint.toml` (`tests/fixtures/RL101/`, or `tests/fixtures/` itself), as the
command line would find it; multi-module fixtures import each other by their package
names. That configuration, and the fixture's own header line, configure the run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst

from redislint.catalogue import load_catalogue
from redislint.config import Config, config_from_table
from redislint.engine import check_file, facts_of_file, resolve_deferred
from redislint.findings import Finding
from redislint.fixes import (
    DEFAULT_MAX_ROUNDS,
    FixedText,
    SourceFormat,
    applicable,
    fix_text,
    unified_diff,
)
from redislint.semantics.project import ProjectIndex, decode_source
from redislint.semantics.project_facts import FileFacts, ProjectFacts
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
    findings = result.findings
    if any(f.deferred is not None for f in findings):
        facts = [result.facts, *_other_files_facts(path, root, config, index)]
        findings = resolve_deferred(findings, ProjectFacts(facts))
    return annotations, findings


def _other_files_facts(
    path: Path, root: Path, config: Config, index: ProjectIndex
) -> list[FileFacts]:
    """The project facts of the fixture project's other files, as a run over the
    project would gather them (deferred findings are decided on the whole project)."""
    facts = []
    for other in sorted(root.rglob("*.py")):
        if other == path or is_fixed_file(other):
            continue
        rel = other.relative_to(root).as_posix()
        facts.append(facts_of_file(other, rel, config, index))
    return facts


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


# -- fix fixtures: `X.py` -> `X.fixed.py` (safe) and `X.unsafe.fixed.py` (safe + unsafe) ----

FIXED_SUFFIX = ".fixed.py"
UNSAFE_FIXED_SUFFIX = ".unsafe.fixed.py"


def fixed_siblings(path: Path) -> tuple[Path, Path]:
    """Where `X.py`'s expected results live: (`X.fixed.py`, `X.unsafe.fixed.py`)."""
    stem = path.name.removesuffix(".py")
    return path.with_name(stem + FIXED_SUFFIX), path.with_name(stem + UNSAFE_FIXED_SUFFIX)


def is_fixed_file(path: Path) -> bool:
    """Expected-output files are not fixtures themselves (their annotations are stale)."""
    return path.name.endswith(FIXED_SUFFIX)


def fixed_source_of(path: Path) -> Path:
    """The fixture an expected-output file belongs to (`X.unsafe.fixed.py` -> `X.py`)."""
    name = path.name
    for suffix in (UNSAFE_FIXED_SUFFIX, FIXED_SUFFIX):
        if name.endswith(suffix):
            return path.with_name(name.removesuffix(suffix) + ".py")
    return path


@dataclass
class FixtureFix:
    """One fixture after its fixes: what was produced, and what is wrong with it."""

    findings: list[Finding]  # before any fix
    fixed: FixedText
    data: bytes  # the fixed file's bytes (encoding, BOM and newlines as the fixture's)
    problems: list[str]  # broken invariants, one line each

    @property
    def has_fixes(self) -> bool:
        return any(f.fix is not None for f in self.findings)


def fixture_checker(path: Path, root: Path, data: bytes) -> Callable[[str], list[Finding]]:
    """`text -> findings` for the fixture at `path`, configured exactly as `run_fixture`.

    One ProjectIndex serves every round, as one worker's does in `check --fix`.
    """
    annotations = parse_annotations(data.decode("utf-8", errors="replace"))
    config = config_from_table(fixture_table(root, annotations.options), path.name, root)
    index = ProjectIndex(config)
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    fmt = SourceFormat.detect(data)

    others: list[FileFacts] | None = None

    def check(text: str) -> list[Finding]:
        nonlocal others
        result = check_file(path, rel, config, index, data=fmt.encode(text))
        if not any(f.deferred is not None for f in result.findings):
            return result.findings
        if others is None:  # the other files do not change between rounds
            others = _other_files_facts(path, root, config, index)
        return resolve_deferred(result.findings, ProjectFacts([result.facts, *others]))

    return check


def fix_fixture(
    path: Path,
    root: Path,
    *,
    unsafe: bool = False,
    source: str | None = None,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> FixtureFix:
    """Apply the fixture's fixes as `check --fix` would, and check ruff's invariants.

    The invariants: every fix has a title; a rule declared `fix = "hint"` offers no fix,
    one declared `"unsafe"` no safe fix; the result re-parses with libcst; the fix loop
    converges within `max_rounds` rounds, leaving no applicable fix and dropping none;
    fixing the result again changes nothing.
    """
    data = source.encode("utf-8") if source is not None else path.read_bytes()
    fmt = SourceFormat.detect(data)
    try:
        text = decode_source(data)
    except (UnicodeDecodeError, SyntaxError, LookupError):
        return FixtureFix([], FixedText("", []), data, [])  # RL001's business, nothing to fix
    check = fixture_checker(path, root, data)
    findings = check(text)
    problems: list[str] = []
    catalogue = load_catalogue()
    for finding in findings:
        where = f"line {finding.line}: {finding.code}"
        if finding.fix is None:
            continue
        if not finding.fix.description.strip():
            problems.append(f"{where}: a fix without a title")
        declared = catalogue[finding.code].fix if finding.code in catalogue else None
        if declared == "hint":
            problems.append(f"{where}: the catalogue says fix = 'hint' but the rule offers a fix")
        elif declared == "unsafe" and finding.fix.safety == "safe":
            problems.append(f"{where}: the catalogue says fix = 'unsafe' but this fix is safe")
    fixed = fix_text(text, check, unsafe=unsafe, findings=findings, fmt=fmt, max_rounds=max_rounds)
    problems.extend(fixed.problems)
    if not fixed.converged and not fixed.problems:
        problems.append("the fix loop did not converge")
    try:
        cst.parse_module(fixed.text)
    except cst.ParserSyntaxError as exc:
        problems.append(f"the fixed text does not parse: {exc.message}")
    left = applicable(fixed.findings, unsafe=unsafe)
    if left and fixed.converged:
        problems.append("fixable findings remain: " + ", ".join(f"{f.code}@{f.line}" for f in left))
    if fixed.fixed:
        again = fix_text(fixed.text, check, unsafe=unsafe, fmt=fmt, max_rounds=max_rounds)
        if again.text != fixed.text:
            problems.append("fixing the fixed text changes it again (not idempotent)")
    return FixtureFix(findings, fixed, fmt.encode(fixed.text), problems)


def compare_fixed(actual: bytes, expected_path: Path) -> str | None:
    """None when `expected_path` holds exactly `actual`; otherwise a diff to show."""
    expected = expected_path.read_bytes()
    if actual == expected:
        return None
    diff = unified_diff(
        expected_path.name,
        expected.decode("utf-8", errors="replace"),
        actual.decode("utf-8", errors="replace"),
    )
    return f"{expected_path.name} differs from the fixed fixture (- expected, + actual):\n{diff}"


# -- deployment fixtures (RL6xx): redis.conf, Compose, Kubernetes, Dockerfiles ------------
#
# A deployment can span files and the roles it serves depend on every deployment of the
# tree, so a deployment fixture is a folder with its own `redislint.toml` (its project
# root, as the command line finds it): all its deployment files are checked together, and
# each file's findings are compared with its own annotations. Fix results live beside the
# file as `redis.conf.fixed` / `redis.conf.unsafe.fixed` (names no discovery picks up).

DEPLOY_FIXED_SUFFIX = ".fixed"
DEPLOY_UNSAFE_FIXED_SUFFIX = ".unsafe.fixed"


def is_deploy_fixture(path: Path) -> bool:
    from redislint.config import Config
    from redislint.deploy_engine import is_deploy_file

    return is_deploy_file(path, Config(root=path.parent))


def _deploy_jobs(root: Path, config: Any, override: tuple[Path, str] | None) -> list[Any]:
    from redislint.deploy_engine import is_deploy_file

    jobs = []
    for candidate in sorted(root.rglob("*")):
        if not candidate.is_file() or not is_deploy_file(candidate, config):
            continue
        data = candidate.read_bytes()
        if override is not None and candidate == override[0]:
            data = override[1].encode("utf-8")
        jobs.append((candidate, candidate.relative_to(root).as_posix(), data))
    return jobs


def deploy_fixture_checker(path: Path, root: Path) -> Callable[[str], list[Finding]]:
    """`text -> findings in this file` with the rest of the fixture's tree as on disk."""
    from redislint.deploy_engine import check_deploy_files
    from redislint.engine import selected_codes

    data = path.read_bytes()
    annotations = parse_annotations(data.decode("utf-8", errors="replace"))
    config = config_from_table(fixture_table(root, annotations.options), "redislint.toml", root)
    rel = path.relative_to(root).as_posix()

    def check(text: str) -> list[Finding]:
        jobs = _deploy_jobs(root, config, (path, text))
        outcome = check_deploy_files(jobs, config, selected_codes(config), root)
        return [f for f in outcome.findings if f.path == rel]

    return check


def run_deploy_fixture(path: Path, root: Path) -> tuple[Annotations, list[Finding]]:
    text = path.read_bytes().decode("utf-8", errors="replace")
    return parse_annotations(text), deploy_fixture_checker(path, root)(text)


def fix_deploy_fixture(path: Path, root: Path, *, unsafe: bool = False) -> FixtureFix:
    """A deployment fixture after its fixes, with the same invariants as Python ones
    (the result must still read as a redis.conf)."""
    from redislint.deploy_engine import conf_parses

    text = path.read_bytes().decode("utf-8")
    check = deploy_fixture_checker(path, root)
    findings = check(text)
    problems: list[str] = []
    catalogue = load_catalogue()
    for finding in findings:
        if finding.fix is None:
            continue
        declared = catalogue[finding.code].fix
        if declared == "hint" or (declared == "unsafe" and finding.fix.safety == "safe"):
            problems.append(f"line {finding.line}: {finding.code}: fix kind disagrees")
    fixed = fix_text(text, check, unsafe=unsafe, findings=findings, validate=conf_parses)
    problems.extend(fixed.problems)
    left = applicable(fixed.findings, unsafe=unsafe)
    if left and fixed.converged:
        problems.append("fixable findings remain: " + ", ".join(f"{f.code}@{f.line}" for f in left))
    if fixed.fixed:
        again = fix_text(fixed.text, check, unsafe=unsafe, validate=conf_parses)
        if again.text != fixed.text:
            problems.append("fixing the fixed text changes it again (not idempotent)")
    return FixtureFix(findings, fixed, fixed.text.encode("utf-8"), problems)
