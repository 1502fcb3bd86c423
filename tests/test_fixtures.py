"""Every fixture and every catalogue example, strict both ways (style.md section 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from redislint.catalogue import load_catalogue
from redislint.testing.harness import (
    compare,
    compare_fixed,
    fix_fixture,
    fixed_siblings,
    fixed_source_of,
    is_fixed_file,
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
