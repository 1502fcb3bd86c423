"""What RL306 (key-type-conflict) claims, checked against a real redis-server.

The uses the rule flags, run after the first use of their pattern, fail with WRONGTYPE
(or, for SET, silently replace the other type); the uses it leaves alone work.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from redislint.testing.harness import run_fixture

if TYPE_CHECKING:
    import redis

FIXTURES = Path(__file__).parent / "fixtures"

SNIPPET = """\
import redis


def save(r: redis.Redis, uid):
    r.hset(f"rl306:proof:{uid}", mapping={"name": "ada"})


def load_name(r: redis.Redis, uid):
    return r.hget(f"rl306:proof:{uid}", "name")


def load(r: redis.Redis, uid):
    return r.get(f"rl306:proof:{uid}")  # expect: RL306


def push(r: redis.Redis, uid):
    return r.lpush(f"rl306:proof:{uid}", 1)  # expect: RL306


def overwrite(r: redis.Redis, uid):
    r.set(f"rl306:proof:{uid}", "x")  # expect: RL306
"""


def _functions() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(SNIPPET, "<snippet>", "exec"), namespace)
    return namespace


def test_rl306_flags_the_uses_that_disagree_with_the_first() -> None:
    annotations, findings = run_fixture(FIXTURES / "RL306" / "proof.py", FIXTURES, SNIPPET)
    assert [f.line for f in findings if f.code == "RL306"] == [13, 17, 21]
    assert [e.line for e in annotations.expected] == [13, 17, 21]


@pytest.mark.redis
def test_the_flagged_pair_raises_wrongtype(redis_client: redis.Redis) -> None:
    import redis as redis_py

    functions = _functions()
    functions["save"](redis_client, 1)
    assert functions["load_name"](redis_client, 1) == b"ada"  # not flagged: works
    with pytest.raises(redis_py.ResponseError, match="WRONGTYPE"):
        functions["load"](redis_client, 1)
    with pytest.raises(redis_py.ResponseError, match="WRONGTYPE"):
        functions["push"](redis_client, 1)
    assert redis_client.type("rl306:proof:1") == b"hash"


@pytest.mark.redis
def test_set_silently_replaces_the_hash(redis_client: redis.Redis) -> None:
    functions = _functions()
    functions["save"](redis_client, 2)
    functions["overwrite"](redis_client, 2)
    assert redis_client.type("rl306:proof:2") == b"string"
    import redis as redis_py

    with pytest.raises(redis_py.ResponseError, match="WRONGTYPE"):
        functions["load_name"](redis_client, 2)
