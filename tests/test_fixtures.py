"""Every fixture and every catalogue example, strict both ways (style.md section 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from redislint.catalogue import load_catalogue
from redislint.testing.harness import (
    DEPLOY_FIXED_SUFFIX,
    DEPLOY_UNSAFE_FIXED_SUFFIX,
    compare,
    compare_fixed,
    fix_deploy_fixture,
    fix_fixture,
    fixed_siblings,
    fixed_source_of,
    is_deploy_fixture,
    is_fixed_file,
    run_deploy_fixture,
    run_fixture,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if not p.name.endswith(".fixed.py"))


def _root(path: Path) -> Path:
    """The fixture's project root: the folder of its nearest redislint.toml, as the
    command line would find it (so `redislint check tests/fixtures` agrees)."""
    for directory in path.parents:
        if (directory / "redislint.toml").is_file():
            return directory
        if directory == FIXTURES:
            break
    return FIXTURES


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture(path: Path) -> None:
    annotations, findings = run_fixture(path, _root(path))
    comparison = compare(annotations, findings)
    assert comparison.ok, f"{path.relative_to(FIXTURES)}:\n{comparison.explain()}"


def _examples() -> list[tuple[str, str, str]]:
    cases = []
    for code, doc in load_catalogue().items():
        for heading in ("Example", "Use instead"):
            for number, block in enumerate(doc.code_blocks(heading), start=1):
                cases.append((f"{code}/{heading.replace(' ', '-')}-{number}", heading, block))
    return cases


@pytest.mark.parametrize(
    ("case", "heading", "block"), _examples(), ids=lambda v: v if "/" in str(v) else ""
)
def test_catalogue_example(case: str, heading: str, block: str, tmp_path: Path) -> None:
    path = tmp_path / "example.py"
    path.write_text(block, encoding="utf-8")
    annotations, findings = run_fixture(path, tmp_path)
    if heading == "Use instead":
        assert not annotations.expected, f"{case}: 'Use instead' must carry no expect annotation"
    else:
        assert annotations.expected, f"{case}: the Example must mark its flagged line(s)"
    comparison = compare(annotations, findings)
    assert comparison.ok, f"{case}:\n{comparison.explain()}"


# -- fix fixtures (style.md section 4): `X.fixed.py` = X.py after all safe fixes ------------


def _fixed_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if is_fixed_file(p))


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture_fixes(path: Path) -> None:
    """Every fixture with a fix obeys the invariants; a `.fixed.py` sibling must match.

    The safe pass is compared with `X.fixed.py`; safe + unsafe with `X.unsafe.fixed.py`,
    which exists only when the fixture has unsafe fixes.
    """
    safe_path, unsafe_path = fixed_siblings(path)
    name = path.relative_to(FIXTURES).as_posix()
    safe = fix_fixture(path, _root(path))
    if not safe.has_fixes and not safe_path.exists() and not unsafe_path.exists():
        return
    assert not safe.problems, f"{name} (safe fixes):\n  " + "\n  ".join(safe.problems)
    if safe_path.exists():
        difference = compare_fixed(safe.data, safe_path)
        assert difference is None, f"{name}: {difference}"
    unsafe = fix_fixture(path, _root(path), unsafe=True)
    assert not unsafe.problems, f"{name} (unsafe fixes):\n  " + "\n  ".join(unsafe.problems)
    has_unsafe = any(f.fix is not None and f.fix.safety == "unsafe" for f in unsafe.findings)
    if unsafe_path.exists():
        assert has_unsafe, f"{name}: {unsafe_path.name} exists but the fixture has no unsafe fix"
        difference = compare_fixed(unsafe.data, unsafe_path)
        assert difference is None, f"{name}: {difference}"


@pytest.mark.parametrize("path", _fixed_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixed_file_has_fixture(path: Path) -> None:
    """An expected-output file whose fixture was renamed or deleted would never be checked."""
    assert fixed_source_of(path).is_file(), (
        f"{path.name}: no {fixed_source_of(path).name} beside it"
    )


@pytest.mark.parametrize(
    ("case", "heading", "block"), _examples(), ids=lambda v: v if "/" in str(v) else ""
)
def test_catalogue_example_fixes(case: str, heading: str, block: str, tmp_path: Path) -> None:
    """The catalogue's examples obey the fix invariants too (safe, then safe + unsafe)."""
    path = tmp_path / "example.py"
    path.write_text(block, encoding="utf-8")
    for unsafe in (False, True):
        result = fix_fixture(path, tmp_path, unsafe=unsafe)
        assert not result.problems, f"{case} (unsafe={unsafe}):\n  " + "\n  ".join(result.problems)


# -- deployment fixtures (RL6xx): each folder with a redislint.toml is one checked tree ------


def _deploy_fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.is_file() and is_deploy_fixture(p))


@pytest.mark.parametrize(
    "path", _deploy_fixture_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_deploy_fixture(path: Path) -> None:
    annotations, findings = run_deploy_fixture(path, _root(path))
    comparison = compare(annotations, findings)
    assert comparison.ok, f"{path.relative_to(FIXTURES)}:\n{comparison.explain()}"


@pytest.mark.parametrize(
    "path", _deploy_fixture_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_deploy_fixture_fixes(path: Path) -> None:
    """`redis.conf.fixed` (safe fixes) / `redis.conf.unsafe.fixed` (safe + unsafe) beside
    a deployment file hold its text after the fixes, every other byte kept."""
    name = path.relative_to(FIXTURES).as_posix()
    for unsafe, suffix in ((False, DEPLOY_FIXED_SUFFIX), (True, DEPLOY_UNSAFE_FIXED_SUFFIX)):
        expected = path.with_name(path.name + suffix)
        result = fix_deploy_fixture(path, _root(path), unsafe=unsafe)
        assert not result.problems, f"{name} (unsafe={unsafe}):\n  " + "\n  ".join(result.problems)
        if expected.exists():
            difference = compare_fixed(result.data, expected)
            assert difference is None, f"{name}: {difference}"
        else:
            assert not result.fixed.fixed, f"{name}: fixes applied but no {expected.name}"


def _deploy_examples() -> list[tuple[str, str, str, str]]:
    cases = []
    names = {"conf": "redis.conf", "yaml": "compose.yaml", "dockerfile": "Dockerfile"}
    for code, doc in load_catalogue().items():
        for heading in ("Example", "Use instead"):
            for language, file_name in names.items():
                for number, block in enumerate(doc.code_blocks(heading, language), start=1):
                    case = f"{code}/{heading.replace(' ', '-')}-{language}-{number}"
                    cases.append((case, heading, file_name, block))
    return cases


# A deployment example is judged against a keyspace holding data Redis cannot get back,
# with its own rule only (a three-line redis.conf leaves other settings at their defaults).
EXAMPLE_CONFIG = """select = ["RL001", "{code}"]
[[keyspace]]
pattern = "order:*"
role = "primary"
"""


@pytest.mark.parametrize(
    ("case", "heading", "file_name", "block"),
    _deploy_examples(),
    ids=lambda v: v if "/" in str(v) else "",
)
def test_catalogue_deploy_example(
    case: str, heading: str, file_name: str, block: str, tmp_path: Path
) -> None:
    config = EXAMPLE_CONFIG.format(code=case.split("/")[0])
    (tmp_path / "redislint.toml").write_text(config, encoding="utf-8")
    path = tmp_path / file_name
    path.write_text(block, encoding="utf-8")
    annotations, findings = run_deploy_fixture(path, tmp_path)
    if heading == "Use instead":
        assert not annotations.expected, f"{case}: 'Use instead' must carry no expect annotation"
    else:
        assert annotations.expected, f"{case}: the Example must mark its flagged line(s)"
    comparison = compare(annotations, findings)
    assert comparison.ok, f"{case}:\n{comparison.explain()}"


def test_every_deploy_rule_has_a_runnable_example() -> None:
    examples = _deploy_examples()
    codes = {case.split("/")[0] for case, heading, _, _ in examples if heading == "Example"}
    assert {"RL601", "RL602", "RL603", "RL604", "RL605"} <= codes
