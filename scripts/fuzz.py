"""The long fuzz run for releases: generated and mutated programs until time runs out.

    python scripts/fuzz.py [--minutes 30] [--seed 1]

Prints how many programs were tried and every broken promise (with the program saved
under the work directory). CI runs a bounded version (tests/test_fuzz.py).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import warnings
from pathlib import Path

import hypothesmith

from redislint.testing.fuzz import CLIENT_HEADER, check_program, fixture_seeds, mutants

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    deadline = time.monotonic() + options.minutes * 60
    workdir = Path(tempfile.mkdtemp(prefix="redislint-fuzz-"))
    counts = {"tried": 0, "broken": 0}

    def record(program: str) -> None:
        counts["tried"] += 1
        problem = check_program(program, workdir)
        if problem is not None:
            counts["broken"] += 1
            saved = workdir / f"broken-{counts['broken']}.py"
            saved.write_text(program, encoding="utf-8")
            print(f"BROKEN ({saved}): {problem}", flush=True)

    stream = mutants(fixture_seeds(FIXTURES), random.Random(options.seed))
    half = time.monotonic() + options.minutes * 30
    while time.monotonic() < half:
        record(next(stream))

    # Hypothesis drives generation; a deadline exception would be shrunk as a failure,
    # so examples are drawn one at a time until the time is up.
    strategy = hypothesmith.from_grammar()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while time.monotonic() < deadline:
            record(CLIENT_HEADER + strategy.example())
    print(f"tried {counts['tried']} programs, {counts['broken']} broke a promise ({workdir})")


if __name__ == "__main__":
    main()
