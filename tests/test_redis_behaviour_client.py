"""What RL501-RL506 claim about redis-py, checked against a real redis-server.

Each test lints a snippet (the rule must report it), runs the flagged code and the fixed
code through redis-py against the server, and compares what Redis holds. Where the rule
has a fix, the fixed code is the rule's own output (`fix_fixture`), not a rewrite by hand.
"""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from redis_server import RedisServer

from redislint.semantics.replies import COLLECTION_REPLY, STRING_REPLY
from redislint.testing.harness import fix_fixture, run_fixture

if TYPE_CHECKING:
    import redis

FIXTURES = Path(__file__).parent / "fixtures"
NO_KEY = -2


def _codes(snippet: str, code: str) -> list[int]:
    """The lines where `code` is reported in `snippet`."""
    _, findings = run_fixture(FIXTURES / "snippet.py", FIXTURES, source=snippet)
    return [f.line for f in findings if f.code == code]


def _fixed(snippet: str) -> str:
    result = fix_fixture(FIXTURES / "snippet.py", FIXTURES, source=snippet)
    assert result.problems == []
    return result.fixed.text


def _load(code: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace


def _state(client: redis.Redis, keys: tuple[str, ...]) -> dict[str, tuple[Any, ...]]:
    """Every key's type, value and TTL."""
    state: dict[str, tuple[Any, ...]] = {}
    for key in keys:
        kind = client.type(key)
        if kind == b"hash":
            value: Any = client.hgetall(key)
        elif kind == b"string":
            value = client.get(key)
        else:
            value = None
        state[key] = (kind, value, client.ttl(key))
    return state


# -- RL501: a pipeline that is never executed sends nothing ---------------------------

RL501_SNIPPET = """\
import redis


def remember(host, port, key):
    r = redis.Redis(host=host, port=port)
    with r.pipeline() as pipe:  # expect: RL501
        pipe.set(key, "v")


def remember_late(host, port, key):
    r = redis.Redis(host=host, port=port)
    with r.pipeline() as pipe:  # expect: RL501
        pipe.set(key, "v")
    pipe.execute()
"""
RL501_FIXED = """\
import redis


def remember(host, port, key):
    r = redis.Redis(host=host, port=port)
    with r.pipeline() as pipe:
        pipe.set(key, "v")
        pipe.execute()
"""


@pytest.mark.redis
def test_rl501_unexecuted_pipeline_writes_nothing(
    redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    assert _codes(RL501_SNIPPET, "RL501") == [6, 12]
    assert _codes(RL501_FIXED, "RL501") == []
    flagged = _load(RL501_SNIPPET)
    flagged["remember"](redis_server.host, redis_server.port, "k1")
    flagged["remember_late"](redis_server.host, redis_server.port, "k2")
    assert redis_client.exists("k1", "k2") == 0  # leaving the block reset the pipeline
    _load(RL501_FIXED)["remember"](redis_server.host, redis_server.port, "k1")
    assert redis_client.get("k1") == b"v"


# -- RL502: an unawaited redis.asyncio command is never sent ------------------------

RL502_SNIPPET = """\
import redis.asyncio as aioredis


async def remember(host, port, key):
    r = aioredis.Redis(host=host, port=port)
    r.set(key, "v")  # expect: RL502
    await r.aclose()
"""


@pytest.mark.redis
def test_rl502_unawaited_command_is_not_sent(
    redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    assert _codes(RL502_SNIPPET, "RL502") == [6]
    fixed = _fixed(RL502_SNIPPET)
    assert "await r.set(key" in fixed
    assert _codes(fixed, "RL502") == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "coroutine ... never awaited"
        asyncio.run(_load(RL502_SNIPPET)["remember"](redis_server.host, redis_server.port, "k"))
    assert redis_client.exists("k") == 0
    asyncio.run(_load(fixed)["remember"](redis_server.host, redis_server.port, "k"))
    assert redis_client.get("k") == b"v"


@pytest.mark.redis
def test_rl502_async_pipeline_queues_without_a_coroutine(redis_server: RedisServer) -> None:
    # Why queued commands on an async pipeline are not RL502: they return the pipeline.
    import redis.asyncio as aioredis

    async def run() -> list[Any]:
        r = aioredis.Redis(host=redis_server.host, port=redis_server.port)
        async with r.pipeline() as pipe:
            queued = pipe.set("k", "v")
            assert queued is pipe
            replies = await pipe.execute()
        await r.aclose()
        return replies

    assert asyncio.run(run()) == [True]


# -- RL503: an awaited call is an async client --------------------------------------


@pytest.mark.redis
def test_rl503_sync_client_blocks_the_loop(redis_server: RedisServer) -> None:
    import redis as sync_redis

    r = sync_redis.Redis(host=redis_server.host, port=redis_server.port)
    ticks: list[int] = []

    async def ticker() -> None:
        for i in range(5):
            ticks.append(i)
            await asyncio.sleep(0.01)

    async def main() -> int:
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = len(ticks)
        r.blpop(["rl503:empty"], timeout=1)  # redislint: ignore[RL503] (blocks the loop on purpose)
        during = len(ticks) - before
        await task
        return during

    assert asyncio.run(main()) == 0
    r.close()


# -- RL504: bytes replies never equal str literals -----------------------------------

RL504_SNIPPET = """\
import redis


def is_active(host, port, key):
    r = redis.Redis(host=host, port=port)
    return r.get(key) == "active"  # expect: RL504
"""
RL504_FIXED = """\
import redis


def is_active(host, port, key):
    r = redis.Redis(host=host, port=port)
    return r.get(key) == b"active"
"""


@pytest.mark.redis
def test_rl504_comparison_is_false_and_the_fix_true(
    redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    assert _codes(RL504_SNIPPET, "RL504") == [6]
    assert _codes(RL504_FIXED, "RL504") == []
    redis_client.set("state", "active")
    args = (redis_server.host, redis_server.port, "state")
    assert _load(RL504_SNIPPET)["is_active"](*args) is False
    assert _load(RL504_FIXED)["is_active"](*args) is True


@pytest.mark.redis
def test_rl504_decode_responses_true_returns_str(redis_server: RedisServer) -> None:
    # Why decode_responses=True clients are silent.
    import redis as sync_redis

    r = sync_redis.Redis(host=redis_server.host, port=redis_server.port, decode_responses=True)
    r.set("state", "active")
    assert r.get("state") == "active"
    r.close()


# One call per listed command that leaves a reply; "k" holds the right type.
REPLY_CALLS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "GET": ("string", ("GET", "k")),
    "GETDEL": ("string", ("GETDEL", "k")),
    "GETEX": ("string", ("GETEX", "k")),
    "GETSET": ("string", ("GETSET", "k", "v")),
    "GETRANGE": ("string", ("GETRANGE", "k", 0, -1)),
    "ECHO": ("string", ("ECHO", "v")),
    "TYPE": ("string", ("TYPE", "k")),
    "RANDOMKEY": ("string", ("RANDOMKEY",)),
    "OBJECT ENCODING": ("string", ("OBJECT", "ENCODING", "k")),
    "CLIENT GETNAME": ("name", ("CLIENT", "GETNAME")),
    "HGET": ("hash", ("HGET", "k", "f")),
    "LINDEX": ("list", ("LINDEX", "k", 0)),
    "LPOP": ("list", ("LPOP", "k")),
    "RPOP": ("list", ("RPOP", "k")),
    "RPOPLPUSH": ("list", ("RPOPLPUSH", "k", "k2")),
    "LMOVE": ("list", ("LMOVE", "k", "k2", "LEFT", "RIGHT")),
    "SPOP": ("set", ("SPOP", "k")),
    "SRANDMEMBER": ("set", ("SRANDMEMBER", "k")),
    "KEYS": ("string", ("KEYS", "*")),
    "SMEMBERS": ("set", ("SMEMBERS", "k")),
    "SINTER": ("set", ("SINTER", "k")),
    "SUNION": ("set", ("SUNION", "k")),
    "SDIFF": ("set", ("SDIFF", "k")),
    "LRANGE": ("list", ("LRANGE", "k", 0, -1)),
    "HKEYS": ("hash", ("HKEYS", "k")),
    "HVALS": ("hash", ("HVALS", "k")),
    "HGETALL": ("hash", ("HGETALL", "k")),
    "MGET": ("string", ("MGET", "k")),
    "HMGET": ("hash", ("HMGET", "k", "f")),
    "ZRANGE": ("zset", ("ZRANGE", "k", 0, -1)),
    "ZREVRANGE": ("zset", ("ZREVRANGE", "k", 0, -1)),
    "ZRANGEBYSCORE": ("zset", ("ZRANGEBYSCORE", "k", "-inf", "+inf")),
}


def test_every_listed_reply_has_a_call() -> None:
    assert set(REPLY_CALLS) == STRING_REPLY | COLLECTION_REPLY


def _prepare(client: redis.Redis, kind: str) -> None:
    if kind == "string":
        client.set("k", "v")
    elif kind == "hash":
        client.hset("k", "f", "v")
    elif kind == "list":
        client.rpush("k", "v")
    elif kind == "set":
        client.sadd("k", "v")
    elif kind == "zset":
        client.zadd("k", {"v": 1})
    elif kind == "name":
        client.client_setname("v")


@pytest.mark.redis
@pytest.mark.parametrize("command", sorted(REPLY_CALLS))
def test_listed_commands_reply_bytes(redis_client: redis.Redis, command: str) -> None:
    kind, call = REPLY_CALLS[command]
    _prepare(redis_client, kind)
    reply = redis_client.execute_command(*call)
    if command in STRING_REPLY:
        assert isinstance(reply, bytes)
        assert reply != reply.decode()  # bytes never equal the str they spell
    else:
        items = list(reply.keys()) if isinstance(reply, dict) else list(reply)
        assert items
        assert all(isinstance(item, bytes) for item in items)
        assert items[0].decode() not in reply  # `"v" in reply` is False


# -- RL505: the fixes keep keys, values and TTLs; hmset warns, hset does not ---------

RL505_SNIPPET = """\
import redis
from redis import StrictRedis


def save(host, port):
    r = StrictRedis(host=host, port=port)
    r.hmset("user:1", {"name": "ada", "age": 36})
    r.setex("seen:1", 300, "yes")
    r.setex(name="seen:2", time=60, value="no")
    with r.pipeline() as pipe:
        pipe.hmset("user:2", {"name": "bob"})
        pipe.setex("seen:3", 90, "maybe")
        pipe.execute()
    other = redis.StrictRedis(host=host, port=port)
    other.setex("seen:4", 30, 4)
"""
RL505_KEYS = ("user:1", "user:2", "seen:1", "seen:2", "seen:3", "seen:4")


@pytest.mark.redis
def test_rl505_fixes_keep_keys_values_and_ttls(
    redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    lines = _codes(RL505_SNIPPET, "RL505")
    assert lines == [2, 6, 7, 8, 9, 11, 12, 14, 15]
    fixed = _fixed(RL505_SNIPPET)
    assert "StrictRedis" not in fixed and "hmset" not in fixed and "setex" not in fixed
    assert _codes(fixed, "RL505") == []
    args = (redis_server.host, redis_server.port)

    redis_client.flushall()
    with pytest.warns(DeprecationWarning) as recorded:
        _load(RL505_SNIPPET)["save"](*args)
    said = " ".join(str(w.message) for w in recorded)
    assert "hmset" in said and "setex" in said
    before = _state(redis_client, RL505_KEYS)

    redis_client.flushall()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the fix warns about nothing
        _load(fixed)["save"](*args)
    after = _state(redis_client, RL505_KEYS)

    for key in RL505_KEYS:
        kind_b, value_b, ttl_b = before[key]
        kind_a, value_a, ttl_a = after[key]
        assert kind_b == kind_a and value_b == value_a, key
        assert value_a is not None
        assert (ttl_b == -1) == (ttl_a == -1) and abs(ttl_b - ttl_a) <= 1, key
    assert after["user:1"][1] == {b"name": b"ada", b"age": b"36"}
    assert 299 <= after["seen:1"][2] <= 300


@pytest.mark.redis
def test_rl505_setex_fix_is_unsafe_for_a_time_set_would_refuse(redis_client: redis.Redis) -> None:
    """Why the setex fix is safe only for an int literal or a timedelta: SETEX sends any
    time it is given, and the server reads b"60" as 60; set(ex=) refuses it in redis-py."""
    snippet = "import redis\n\nr = redis.Redis()\n\n\ndef f(ttl):\n    r.setex('k', ttl, 'v')\n"
    import redis as sync_redis

    _, findings = run_fixture(FIXTURES / "snippet.py", FIXTURES, source=snippet)
    (finding,) = [f for f in findings if f.code == "RL505"]
    assert finding.fix is not None
    assert finding.fix.safety == "unsafe"
    for time in ("60", "timedelta(seconds=60)", "datetime.timedelta(seconds=60)"):
        exact = snippet.replace("ttl, 'v'", f"{time}, 'v'")
        _, findings = run_fixture(FIXTURES / "snippet.py", FIXTURES, source=exact)
        (finding,) = [f for f in findings if f.code == "RL505"]
        assert finding.fix is not None and finding.fix.safety == "safe", time
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert redis_client.setex("seen:bytes", b"60", "v")
    assert 59 <= redis_client.ttl("seen:bytes") <= 60
    with pytest.raises(sync_redis.DataError):
        redis_client.set("seen:bytes", "v", ex=b"60")


@pytest.mark.redis
def test_rl505_old_argument_orders_fail_on_redis_py_3(redis_client: redis.Redis) -> None:
    import redis as sync_redis

    snippet = """\
import redis


def old(r: redis.Redis):
    r.zadd("z", 1, "a")  # expect: RL505
    r.lrem("l", "a", 0)  # expect: RL505
"""
    assert _codes(snippet, "RL505") == [5, 6]
    with pytest.raises((AttributeError, sync_redis.DataError)):
        redis_client.zadd("z", 1, "a")  # type: ignore[arg-type]  # redislint: ignore[RL505] (shown on purpose)
    redis_client.rpush("l", "a")
    with pytest.raises(sync_redis.ResponseError):
        redis_client.lrem("l", "a", 0)  # type: ignore[arg-type]  # redislint: ignore[RL505] (shown on purpose)
    assert redis_client.lrange("l", 0, -1) == [b"a"]


@pytest.mark.redis
def test_rl505_client_watch_and_async_close_warn(
    redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    import redis.asyncio as aioredis

    with pytest.warns(DeprecationWarning, match="WATCH"):
        redis_client.watch("k")  # redislint: ignore[RL505] (shown on purpose)

    async def close() -> None:
        r = aioredis.Redis(host=redis_server.host, port=redis_server.port)
        await r.ping()
        await r.close()  # redislint: ignore[RL505] (shown on purpose)

    with pytest.warns(DeprecationWarning, match="aclose"):
        asyncio.run(close())


# -- RL506: a queued command returns the pipeline ----------------------------------


@pytest.mark.redis
def test_rl506_queued_command_returns_the_pipeline(redis_client: redis.Redis) -> None:
    redis_client.set("k", "v")
    with redis_client.pipeline() as pipe:
        queued = pipe.get("k")
        assert queued is pipe
        assert queued != b"v"
        assert bool(pipe.exists("missing"))  # always true: the pipeline object
        assert pipe.execute() == [b"v", 0]
    with redis_client.pipeline() as pipe:
        pipe.watch("k")
        assert pipe.get("k") == b"v"  # after WATCH: immediate mode, a real reply
        pipe.reset()
    assert redis_client.ttl("missing") == NO_KEY
