"""Fuzzing redislint: generated and mutated programs, and the promises each run keeps.

Used by the bounded fuzz test in CI (`tests/test_fuzz.py`) and by the long release run
(`scripts/fuzz.py`). A program is checked the way the command line checks a tree (the
runner, the cache, the fix loop), and `check_program` says which promise, if any, it
broke:
- the run ends with findings or none, never an error (exit 0/1 only, no traceback);
- the JSON report parses;
- `--fix --unsafe-fixes` leaves code that parses whenever the input parsed, and fixing
  again changes nothing;
- a cached run gives exactly the findings of an uncached one;
- the quick pre-check (no Python AST) gives the full one's verdict.
"""

from __future__ import annotations

import ast
import json
import random
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from redislint.config import Config
from redislint.findings import Finding
from redislint.fixes import fix_text
from redislint.precheck import precheck
from redislint.report import RunResult
from redislint.report.json import render
from redislint.runner import check_paths

CLIENT_HEADER = "import redis\nr = redis.Redis(decode_responses=False)\np = r.pipeline()\n"
CONFIG = (
    "[tool.redislint]\ncache-ttl = 60\n"
    '[[tool.redislint.keyspace]]\npattern = "cache:*"\nrole = "cache"\n'
    '[[tool.redislint.keyspace]]\npattern = "order:*"\nrole = "critical"\n'
)
REDIS_METHODS = (
    "set",
    "get",
    "hset",
    "expire",
    "delete",
    "flushall",
    "keys",
    "lpush",
    "rpop",
    "incr",
    "setex",
    "hmset",
    "eval",
    "watch",
    "execute",
    "pipeline",
    "lock",
    "xadd",
)
_METHOD_CALL = re.compile(r"\.(" + "|".join(REDIS_METHODS) + r")\(")


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_program(source: str, workdir: Path) -> str | None:
    """None when every promise holds for `source`; otherwise what broke."""
    root = Path(tempfile.mkdtemp(dir=workdir))
    (root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    target = root / "program.py"
    target.write_text(source, encoding="utf-8")
    config = Config(root=root)
    try:
        if precheck(source, guard=True) != precheck(source, guard=True, quick=False):
            return "the quick pre-check and the full one disagree"
        plain = check_paths(["."], config, cwd=root, jobs=1)
        if plain.errors:
            return f"the run failed: {plain.errors}"
        json.loads(render(RunResult(findings=tuple(plain.findings), files_checked=1)))
        first = check_paths(["."], config, cwd=root, jobs=1, use_cache=True)
        cached = check_paths(["."], config, cwd=root, jobs=1, use_cache=True)
        if not plain.findings == first.findings == cached.findings:
            return "cached and uncached runs disagree"
        if not any(f.fix is not None for f in plain.findings):
            return None

        def check(text: str) -> list[Finding]:
            target.write_text(text, encoding="utf-8")
            return check_paths(["."], config, cwd=root, jobs=1).findings

        fixed = fix_text(source, check, unsafe=True, findings=plain.findings)
        if fixed.problems:
            return f"--fix reported problems: {fixed.problems}"
        if _parses(source) and not _parses(fixed.text):
            return "--fix left code that does not parse"
        again = fix_text(fixed.text, check, unsafe=True)
        if again.text != fixed.text:
            return "a second --fix changed the file again"
    except Exception as exc:  # any exception is a broken promise (a traceback for a user)
        return f"exception: {exc!r}"
    return None


def mutants(seeds: list[str], rng: random.Random) -> Iterator[str]:
    """Endless mutations of the seed programs: lines deleted, duplicated or swapped,
    Redis method names exchanged, a client inserted at the top."""
    while True:
        lines = rng.choice(seeds).split("\n")
        for _ in range(rng.randint(1, 3)):
            operation = rng.randrange(5)
            index = rng.randrange(len(lines))
            if operation == 0 and len(lines) > 1:
                del lines[index]
            elif operation == 1:
                lines.insert(index, lines[index])
            elif operation == 2:
                other = rng.randrange(len(lines))
                lines[index], lines[other] = lines[other], lines[index]
            elif operation == 3:
                lines[index] = _METHOD_CALL.sub(
                    lambda _: f".{rng.choice(REDIS_METHODS)}(", lines[index]
                )
            else:
                lines.insert(0, CLIENT_HEADER.rstrip("\n"))
        yield "\n".join(lines)


def fixture_seeds(folder: Path) -> list[str]:
    """The fixture programs (decodable ones) as mutation seeds."""
    seeds = []
    for path in sorted(folder.rglob("*.py")):
        try:
            seeds.append(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError):
            continue
    return seeds
