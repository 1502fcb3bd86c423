"""What RL201 claims about expiry, checked against a real redis-server.

RL201 rests on server behaviour: SET (and GETSET, MSET) without an expiry leaves the
key with none and discards a TTL it had; KEEPTTL keeps it; every command in its
"creates without TTL" list creates a missing key with no TTL, while the commands left
out of that list do not create one at all; an EXPIRE after HSET gives the key a TTL.
Its safe fix (`ex=<cache-ttl>` added to SET) must store the same value, differing from
the original only by the TTL.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from redislint.rules.rl201_cache_key_without_ttl import CREATES_WITHOUT_TTL, OVERWRITES_TTL
from redislint.testing.harness import fix_fixture

if TYPE_CHECKING:
    import redis

FIXTURES = Path(__file__).parent / "fixtures"
NO_TTL = -1  # TTL's reply for a key that exists and has no expiry
NO_KEY = -2  # ... and for a key that does not exist

# One call per key-creating command RL201 knows, on the key "k".
CREATING_CALLS: dict[str, tuple[Any, ...]] = {
    "APPEND": ("APPEND", "k", "x"),
    "SETRANGE": ("SETRANGE", "k", 0, "x"),
    "INCR": ("INCR", "k"),
    "INCRBY": ("INCRBY", "k", 2),
    "DECR": ("DECR", "k"),
    "DECRBY": ("DECRBY", "k", 2),
    "INCRBYFLOAT": ("INCRBYFLOAT", "k", 1.5),
    "SETBIT": ("SETBIT", "k", 7, 1),
    "BITFIELD": ("BITFIELD", "k", "SET", "u8", 0, 1),
    "PFADD": ("PFADD", "k", "a"),
    "HSET": ("HSET", "k", "f", "v"),
    "HMSET": ("HMSET", "k", "f", "v"),
    "HSETNX": ("HSETNX", "k", "f", "v"),
    "HINCRBY": ("HINCRBY", "k", "f", 1),
    "HINCRBYFLOAT": ("HINCRBYFLOAT", "k", "f", 1.5),
    "LPUSH": ("LPUSH", "k", "a"),
    "RPUSH": ("RPUSH", "k", "a"),
    "SADD": ("SADD", "k", "a"),
    "ZADD": ("ZADD", "k", 1, "a"),
    "ZINCRBY": ("ZINCRBY", "k", 1, "a"),
    "GEOADD": ("GEOADD", "k", 13.361389, 38.115556, "a"),
    "XADD": ("XADD", "k", "*", "f", "v"),
    # the SET family, on a missing key
    "SET": ("SET", "k", "v"),
    "GETSET": ("GETSET", "k", "v"),
    "SETNX": ("SETNX", "k", "v"),
    "MSET": ("MSET", "k", "v"),
    "MSETNX": ("MSETNX", "k", "v"),
}

# Writes RL201 deliberately leaves out: on a missing key they create nothing.
NON_CREATING_CALLS: list[tuple[Any, ...]] = [
    ("LPUSHX", "k", "a"),
    ("RPUSHX", "k", "a"),
    ("LINSERT", "k", "BEFORE", "a", "b"),
    ("ZADD", "k", "XX", 1, "a"),
    ("XADD", "k", "NOMKSTREAM", "*", "f", "v"),
]


def test_every_listed_command_has_a_call() -> None:
    assert set(CREATING_CALLS) == CREATES_WITHOUT_TTL | OVERWRITES_TTL


@pytest.mark.redis
@pytest.mark.parametrize("command", sorted(CREATING_CALLS))
def test_listed_commands_create_the_key_without_ttl(
    redis_client: redis.Redis, command: str
) -> None:
    redis_client.execute_command(*CREATING_CALLS[command])
    assert redis_client.exists("k") == 1
    assert redis_client.ttl("k") == NO_TTL


@pytest.mark.redis
@pytest.mark.parametrize("call", NON_CREATING_CALLS, ids=lambda c: " ".join(map(str, c[:3])))
def test_commands_left_out_do_not_create_a_key(
    redis_client: redis.Redis, call: tuple[Any, ...]
) -> None:
    redis_client.execute_command(*call)
    assert redis_client.ttl("k") == NO_KEY


@pytest.mark.redis
@pytest.mark.parametrize("command", ["SET", "GETSET", "MSET"])
def test_set_family_discards_an_existing_ttl(redis_client: redis.Redis, command: str) -> None:
    redis_client.set("k", "old", ex=60)
    redis_client.execute_command(*CREATING_CALLS[command])
    assert redis_client.ttl("k") == NO_TTL


@pytest.mark.redis
def test_keepttl_keeps_the_ttl(redis_client: redis.Redis) -> None:
    redis_client.set("k", "old", ex=60)
    redis_client.set("k", "new", keepttl=True)
    assert 0 < redis_client.ttl("k") <= 60
    assert redis_client.get("k") == b"new"


@pytest.mark.redis
def test_hset_then_expire_has_a_ttl(redis_client: redis.Redis) -> None:
    redis_client.hset("cache:user:1", "name", "ada")
    assert redis_client.ttl("cache:user:1") == NO_TTL
    redis_client.expire("cache:user:1", 300)
    assert 0 < redis_client.ttl("cache:user:1") <= 300


@pytest.mark.redis
def test_hset_then_expire_in_one_pipeline_has_a_ttl(redis_client: redis.Redis) -> None:
    with redis_client.pipeline() as pipe:
        pipe.hset("cache:user:1", mapping={"name": "ada"})
        pipe.expire("cache:user:1", 300)
        pipe.execute()
    assert 0 < redis_client.ttl("cache:user:1") <= 300


@pytest.mark.redis
def test_hset_on_an_existing_key_keeps_its_ttl(redis_client: redis.Redis) -> None:
    # Why only a *later* EXPIRE counts: an EXPIRE before the write is a no-op when the
    # key does not exist yet, and the write then creates it without a TTL.
    redis_client.expire("cache:user:1", 300)
    redis_client.hset("cache:user:1", "name", "ada")
    assert redis_client.ttl("cache:user:1") == NO_TTL


# -- RL201's fix -------------------------------------------------------------------------

SNIPPET = """\
# redislint-test: cache-ttl = 300
import redis


def remember(r: redis.Redis, user_id, payload):
    r.set(f"cache:user:{user_id}", payload)  # expect: RL201
    r.set(
        f"cache:name:{user_id}",
        payload.upper(),
        nx=True,
    )  # expect: RL201
"""


@pytest.mark.redis
def test_rl201_fix_keeps_the_value_and_adds_only_the_ttl(redis_client: redis.Redis) -> None:
    path = FIXTURES / "RL201" / "snippet.py"
    result = fix_fixture(path, FIXTURES / "RL201", source=SNIPPET)
    assert result.problems == []
    assert [f.code for f in result.findings] == ["RL201", "RL201"]
    fixed = result.fixed.text
    assert fixed.count("ex=300") == 2
    assert [f.code for f in result.fixed.findings] == []  # nothing left to report

    def run(code: str) -> dict[str, tuple[bytes | None, int]]:
        redis_client.flushall()
        namespace: dict[str, Any] = {}
        exec(compile(code, "<fixture>", "exec"), namespace)
        namespace["remember"](redis_client, 7, "ada")
        return {key: (redis_client.get(key), redis_client.ttl(key)) for key in keys}

    keys = ("cache:user:7", "cache:name:7")
    before = run(SNIPPET)
    after = run(fixed)
    for key in keys:
        value_before, ttl_before = before[key]
        value_after, ttl_after = after[key]
        assert value_before == value_after is not None
        assert ttl_before == NO_TTL
        assert 0 < ttl_after <= 300
    assert after["cache:name:7"][0] == b"ADA"
