"""Every fixture and every catalogue example, strict both ways (style.md section 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from redislint.catalogue import load_catalogue
from redislint.testing.harness import compare, run_fixture

FIXTURES = Path(__file__).parent / "fixtures"


def _fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py") if not p.name.endswith(".fixed.py"))


def _root(path: Path) -> Path:
    return FIXTURES / path.relative_to(FIXTURES).parts[0]


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
