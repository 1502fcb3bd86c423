"""What RL102, RL104, RL105 and RL106 claim, checked against a real redis-server.

- RL102: two clients running GET-then-SET on one counter lose updates; the fixed
  INCRBY (the rule's own unsafe fix, applied to a snippet) loses none.
- RL105: a lock taken with SET NX and no expiry outlives its crashed holder (TTL -1,
  every later acquire fails); with an expiry it frees itself. The same for redis-py's
  Lock without and with `timeout`.
- RL104: after a lock expires and a second holder takes it, the first holder's plain
  DEL (also after a GET check) deletes the second holder's lock; redis-py's
  Lock.release() refuses (LockNotOwnedError) and leaves it.
- RL106: a concurrent write to a watched key makes execute() raise WatchError, and
  `transaction()` retries until it succeeds.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from redislint.testing.harness import fix_fixture

if TYPE_CHECKING:
    from collections.abc import Callable

    import redis
    from redis_server import RedisServer

FIXTURES = Path(__file__).parent / "fixtures"
NO_TTL = -1

COUNTER = """\
import redis


def hit(r: redis.Redis, key):
    r.set(key, int(r.get(key) or 0) + 1)  # expect: RL102
"""


def _client(server: RedisServer) -> redis.Redis:
    import redis

    return redis.Redis(host=server.host, port=server.port)


def _compiled(code: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace["hit"]  # type: ignore[no-any-return]


def _run_concurrently(server: RedisServer, hit: Callable[..., Any], per_client: int) -> int:
    """Two clients, each calling `hit` `per_client` times at once; the final count."""
    clients = [_client(server) for _ in range(2)]
    start = threading.Barrier(2)

    def work(client: redis.Redis) -> None:
        start.wait()
        for _ in range(per_client):
            hit(client, "hits")

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    value = int(clients[0].get("hits") or 0)
    for client in clients:
        client.close()
    return value


@pytest.fixture
def counter_versions() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The flagged snippet and what RL102's unsafe fix makes of it."""
    result = fix_fixture(FIXTURES / "RL102" / "snippet.py", FIXTURES, unsafe=True, source=COUNTER)
    assert result.problems == []
    assert [f.code for f in result.findings] == ["RL102"]
    assert "r.incrby(key, 1)" in result.fixed.text
    return _compiled(COUNTER), _compiled(result.fixed.text)


@pytest.mark.redis
def test_rl102_get_then_set_loses_updates(
    redis_server: RedisServer, redis_client: redis.Redis, counter_versions: Any
) -> None:
    flagged, _ = counter_versions
    per_client = 300
    for _ in range(20):  # bounded: a lost update shows up within a round or two
        redis_client.delete("hits")
        if _run_concurrently(redis_server, flagged, per_client) < 2 * per_client:
            return
    pytest.fail("no update was lost in 20 rounds of concurrent GET + SET")


@pytest.mark.redis
def test_rl102_interleaved_read_modify_write_loses_one_update(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    # The race step by step: both read, both write, one increment is gone.
    a, b = _client(redis_server), _client(redis_server)
    redis_client.set("hits", 41)
    seen_a = int(a.get("hits") or 0)
    seen_b = int(b.get("hits") or 0)
    a.set("hits", seen_a + 1)
    b.set("hits", seen_b + 1)
    assert int(redis_client.get("hits") or 0) == 42  # two increments, one survived
    a.close()
    b.close()


@pytest.mark.redis
def test_rl102_fixed_incrby_loses_nothing(
    redis_server: RedisServer, redis_client: redis.Redis, counter_versions: Any
) -> None:
    _, fixed = counter_versions
    per_client = 300
    for _ in range(3):
        redis_client.delete("hits")
        assert _run_concurrently(redis_server, fixed, per_client) == 2 * per_client


# -- RL105 ---------------------------------------------------------------------------------


@pytest.mark.redis
def test_rl105_set_nx_without_expiry_outlives_its_holder(redis_client: redis.Redis) -> None:
    assert redis_client.set("lock:job:1", "holder-a", nx=True)
    # the holder "dies" here: it never releases, nothing else is sent
    time.sleep(0.3)
    assert redis_client.ttl("lock:job:1") == NO_TTL
    assert redis_client.set("lock:job:1", "holder-b", nx=True) is None  # locked for good
    assert redis_client.get("lock:job:1") == b"holder-a"


@pytest.mark.redis
def test_rl105_set_nx_with_expiry_frees_itself(redis_client: redis.Redis) -> None:
    assert redis_client.set("lock:job:1", "holder-a", nx=True, px=200)
    assert 0 < redis_client.pttl("lock:job:1") <= 200
    time.sleep(0.35)
    assert redis_client.set("lock:job:1", "holder-b", nx=True, px=200)


@pytest.mark.redis
def test_rl105_redis_py_lock_without_timeout_never_expires(redis_client: redis.Redis) -> None:
    held = redis_client.lock("lock:report")
    assert held.acquire(blocking=False)
    assert redis_client.ttl("lock:report") == NO_TTL
    assert not redis_client.lock("lock:report").acquire(blocking=False)

    timed = redis_client.lock("lock:timed", timeout=0.2)
    assert timed.acquire(blocking=False)
    time.sleep(0.35)
    assert redis_client.lock("lock:timed", timeout=5).acquire(blocking=False)


# -- RL104 ---------------------------------------------------------------------------------


@pytest.mark.redis
def test_rl104_plain_del_releases_the_next_holders_lock(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    first, second = _client(redis_server), _client(redis_server)
    assert first.set("lock:job:1", "token-a", nx=True, px=150)
    time.sleep(0.3)  # the first holder overran its TTL
    assert second.set("lock:job:1", "token-b", nx=True, px=10_000)
    first.delete("lock:job:1")  # the first holder's "release"
    assert redis_client.get("lock:job:1") is None  # the second holder's lock is gone
    assert redis_client.set("lock:job:1", "token-c", nx=True)  # a third one gets in
    first.close()
    second.close()


@pytest.mark.redis
def test_rl104_get_then_del_is_still_a_race(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    first, second = _client(redis_server), _client(redis_server)
    assert first.set("lock:job:1", "token-a", nx=True, px=150)
    owned = first.get("lock:job:1") == b"token-a"  # the owner check passes...
    time.sleep(0.3)  # ...then the lock expires before the DEL
    assert second.set("lock:job:1", "token-b", nx=True, px=10_000)
    if owned:
        first.delete("lock:job:1")
    assert redis_client.get("lock:job:1") is None  # token-b's lock was deleted
    first.close()
    second.close()


@pytest.mark.redis
def test_rl104_redis_py_lock_release_checks_the_owner(redis_client: redis.Redis) -> None:
    from redis.exceptions import LockNotOwnedError

    first = redis_client.lock("lock:job:1", timeout=0.15)
    assert first.acquire(blocking=False)
    time.sleep(0.3)
    second = redis_client.lock("lock:job:1", timeout=10)
    assert second.acquire(blocking=False)
    with pytest.raises(LockNotOwnedError):
        first.release()
    assert redis_client.get("lock:job:1") == second.local.token
    second.release()
    assert redis_client.exists("lock:job:1") == 0


@pytest.mark.redis
def test_rl104_lua_compare_and_delete_checks_the_owner(redis_client: redis.Redis) -> None:
    release = redis_client.register_script(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
        " return 0"
    )
    redis_client.set("lock:job:1", "token-b", px=10_000)
    assert release(keys=["lock:job:1"], args=["token-a"]) == 0
    assert redis_client.get("lock:job:1") == b"token-b"
    assert release(keys=["lock:job:1"], args=["token-b"]) == 1


# -- RL106 ---------------------------------------------------------------------------------


@pytest.mark.redis
def test_rl106_concurrent_write_makes_execute_raise_watch_error(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    from redis.exceptions import WatchError

    other = _client(redis_server)
    redis_client.set("points:1", 10)
    with redis_client.pipeline() as pipe:
        pipe.watch("points:1")
        current = int(pipe.get("points:1") or 0)
        other.set("points:1", 99)  # another client writes the watched key
        pipe.multi()
        pipe.set("points:1", current + 5)
        with pytest.raises(WatchError):
            pipe.execute()
    assert redis_client.get("points:1") == b"99"  # the transaction was discarded
    other.close()


@pytest.mark.redis
def test_rl106_transaction_retries_on_watch_error(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    other = _client(redis_server)
    redis_client.set("points:1", 10)
    attempts = []

    def update(pipe: redis.client.Pipeline) -> None:
        current = int(pipe.get("points:1") or 0)
        if not attempts:
            other.set("points:1", 99)  # interfere with the first attempt only
        attempts.append(current)
        pipe.multi()
        pipe.set("points:1", current + 5)

    redis_client.transaction(update, "points:1")
    assert attempts == [10, 99]
    assert redis_client.get("points:1") == b"104"
    other.close()
