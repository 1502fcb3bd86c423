"""Bounded fuzzing in CI: grammar-generated programs (hypothesmith) and mutations of the
fixtures keep every promise of `redislint.testing.fuzz.check_program`. The long run
for releases is `scripts/fuzz.py`."""

from __future__ import annotations

import random
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings

from redislint.testing.fuzz import CLIENT_HEADER, check_program, fixture_seeds, mutants

FIXTURES = Path(__file__).parent / "fixtures"
MUTANTS = 30


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(program=hypothesmith.from_grammar())
def test_generated_programs_keep_every_promise(program: str, tmp_path: Path) -> None:
    problem = check_program(CLIENT_HEADER + program, tmp_path)
    assert problem is None, f"{problem}\n--- program ---\n{CLIENT_HEADER + program}"


def test_mutated_fixtures_keep_every_promise(tmp_path: Path) -> None:
    rng = random.Random(12)  # fixed: a failure here reproduces
    stream = mutants(fixture_seeds(FIXTURES), rng)
    for _ in range(MUTANTS):
        program = next(stream)
        problem = check_program(program, tmp_path)
        assert problem is None, f"{problem}\n--- program ---\n{program}"
