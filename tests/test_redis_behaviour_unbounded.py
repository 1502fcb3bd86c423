"""What RL305 (unbounded-stream-or-list) claims, checked against a real redis-server.

A stream written with `maxlen=N, approximate=True` (MAXLEN ~ N) stays bounded however
many entries are added; the stream the rule flags (no maxlen/minid) keeps every entry.
Likewise a list pushed and trimmed with LTRIM stays bounded while the flagged one grows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from redislint.testing.harness import run_fixture

if TYPE_CHECKING:
    import redis

FIXTURES = Path(__file__).parent / "fixtures"
ENTRIES = 100_000
CAP = 1000

SNIPPET = """\
import redis


def capped(r: redis.Redis, i):
    r.xadd("rl305:proof:capped", {"i": i}, maxlen=1000, approximate=True)


def uncapped(r: redis.Redis, i):
    r.xadd("rl305:proof:uncapped", {"i": i})  # expect: RL305


def trimmed(r: redis.Redis, i):
    r.lpush("rl305:proof:recent", i)
    r.ltrim("rl305:proof:recent", 0, 99)


def pushed(r: redis.Redis, i):
    r.lpush("rl305:proof:history", i)  # expect: RL305
"""


def _functions() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(SNIPPET, "<snippet>", "exec"), namespace)
    return namespace


def test_rl305_flags_exactly_the_unbounded_writes(tmp_path: Path) -> None:
    # a project of its own: other fixtures' consumers must not exempt the snippet's lists
    annotations, findings = run_fixture(tmp_path / "proof.py", tmp_path, SNIPPET)
    assert [(f.code, f.line) for f in findings] == [("RL305", 9), ("RL305", 18)]
    assert [e.line for e in annotations.expected] == [9, 18]


@pytest.mark.redis
def test_capped_stream_stays_bounded_and_the_flagged_one_grows(
    redis_client: redis.Redis,
) -> None:
    functions = _functions()
    with redis_client.pipeline(transaction=False) as pipe:
        for i in range(ENTRIES):
            functions["capped"](pipe, i)
            functions["uncapped"](pipe, i)
            if i % 5000 == 4999:
                pipe.execute()
        pipe.execute()
    capped = redis_client.xlen("rl305:proof:capped")
    assert CAP <= capped < 2 * CAP  # MAXLEN ~ trims whole macro nodes: a little over N
    assert redis_client.xlen("rl305:proof:uncapped") == ENTRIES
    capped_bytes = redis_client.memory_usage("rl305:proof:capped") or 0
    uncapped_bytes = redis_client.memory_usage("rl305:proof:uncapped") or 0
    assert uncapped_bytes > 20 * capped_bytes


@pytest.mark.redis
def test_trimmed_list_stays_bounded_and_the_flagged_one_grows(
    redis_client: redis.Redis,
) -> None:
    functions = _functions()
    with redis_client.pipeline(transaction=False) as pipe:
        for i in range(20_000):
            functions["trimmed"](pipe, i)
            functions["pushed"](pipe, i)
            if i % 5000 == 4999:
                pipe.execute()
        pipe.execute()
    assert redis_client.llen("rl305:proof:recent") == 100
    assert redis_client.llen("rl305:proof:history") == 20_000
