"""What RL203 (invalid-ttl) claims, checked against a real redis-server.

Each flagged shape is run on the server exactly as the snippet the rule reports:
`EXPIRE k 0` deletes the key; `PEXPIRE k 500` expires it after half a second (a
millisecond argument holding "seconds" is gone almost at once); a `timedelta` under a
second given to `expire()` is truncated by redis-py to 0 and deletes the key; `SET`
with `ex=0` is rejected and writes nothing; a float TTL fails. The calls the rule
leaves alone (a positive integer TTL, a `timedelta` given to `pexpire`) behave.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from redislint import check_source

if TYPE_CHECKING:
    import redis

SNIPPET = """\
from datetime import timedelta

import redis


def run(r: redis.Redis):
    r.set("a", "1")
    r.expire("a", 0)
    r.set("b", "1")
    r.pexpire("b", 500)
    r.set("c", "1")
    r.expire("c", timedelta(milliseconds=500))
    r.set("d", "1")
    r.pexpire("d", timedelta(milliseconds=1500))
    r.set("e", "1")
    r.expire("e", 60)
"""


def test_rl203_reports_the_snippets_bad_calls() -> None:
    findings = [f for f in check_source(SNIPPET, "app.py") if f.code == "RL203"]
    assert [f.line for f in findings] == [8, 10, 12]


@pytest.mark.redis
def test_expire_zero_deletes_the_key(redis_client: redis.Redis) -> None:
    redis_client.set("k", "v")
    assert redis_client.expire("k", 0) is True
    assert redis_client.exists("k") == 0


@pytest.mark.redis
def test_negative_expire_deletes_the_key(redis_client: redis.Redis) -> None:
    redis_client.set("k", "v")
    redis_client.pexpire("k", -1)
    assert redis_client.exists("k") == 0


@pytest.mark.redis
def test_pexpire_500_expires_in_half_a_second(redis_client: redis.Redis) -> None:
    redis_client.set("k", "v")
    redis_client.pexpire("k", 500)
    assert 0 < redis_client.pttl("k") <= 500
    time.sleep(0.6)
    assert redis_client.exists("k") == 0


@pytest.mark.redis
def test_sub_second_timedelta_to_expire_deletes_the_key(redis_client: redis.Redis) -> None:
    redis_client.set("k", "v")
    redis_client.expire("k", timedelta(milliseconds=500))  # redis-py sends EXPIRE k 0
    assert redis_client.exists("k") == 0


@pytest.mark.redis
def test_snippet_runs_as_the_rule_says(redis_client: redis.Redis) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(SNIPPET, "<snippet>", "exec"), namespace)
    namespace["run"](redis_client)
    assert redis_client.exists("a") == 0  # flagged: deleted at once
    assert redis_client.exists("c") == 0  # flagged: the timedelta became 0
    assert 0 < redis_client.pttl("b") <= 500  # flagged: half a second
    assert 1000 < redis_client.pttl("d") <= 1500  # not flagged: the unit is explicit
    assert 0 < redis_client.ttl("e") <= 60  # not flagged


@pytest.mark.redis
def test_set_with_ex_zero_is_rejected_and_writes_nothing(redis_client: redis.Redis) -> None:
    import redis as redis_py

    with pytest.raises(redis_py.ResponseError, match="invalid expire time"):
        redis_client.set("k", "v", ex=0)
    assert redis_client.exists("k") == 0
    with pytest.raises(redis_py.ResponseError, match="invalid expire time"):
        redis_client.execute_command("SETEX", "k", -5, "v")
    assert redis_client.exists("k") == 0


@pytest.mark.redis
def test_float_ttls_fail(redis_client: redis.Redis) -> None:
    import redis as redis_py

    with pytest.raises(redis_py.DataError):
        redis_client.set("k", "v", ex=1.5)  # type: ignore[arg-type]
    redis_client.set("k", "v")
    with pytest.raises(redis_py.ResponseError, match="not an integer"):
        redis_client.expire("k", 1.5)  # type: ignore[arg-type]
    assert redis_client.ttl("k") == -1
