"""What RL204 (set-drops-ttl) claims, checked against a real redis-server.

After an expiry, SET without KEEPTTL leaves the key with no TTL (TTL answers -1);
with KEEPTTL the TTL stays. The rule's safe fix (`keepttl=True`) must leave the same
values as the original program, with the TTL kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from redislint.testing.harness import fix_fixture

if TYPE_CHECKING:
    import redis

FIXTURES = Path(__file__).parent / "fixtures"
NO_TTL = -1


@pytest.mark.redis
@pytest.mark.parametrize(
    "give_expiry",
    [
        lambda r: r.set("k", "old", ex=60),
        lambda r: r.expire("k", 60),
        lambda r: r.execute_command("SETEX", "k", 60, "old"),
        lambda r: r.getex("k", ex=60),
    ],
    ids=["set-ex", "expire", "setex", "getex"],
)
def test_set_without_keepttl_drops_the_ttl(redis_client: redis.Redis, give_expiry: Any) -> None:
    redis_client.set("k", "old")
    give_expiry(redis_client)
    assert 0 < redis_client.ttl("k") <= 60
    redis_client.set("k", "new")
    assert redis_client.ttl("k") == NO_TTL


@pytest.mark.redis
def test_set_with_keepttl_keeps_the_ttl(redis_client: redis.Redis) -> None:
    redis_client.set("k", "old", ex=60)
    redis_client.set("k", "new", keepttl=True)
    assert 0 < redis_client.ttl("k") <= 60
    assert redis_client.get("k") == b"new"


@pytest.mark.redis
def test_keepttl_on_a_key_without_ttl_is_a_plain_set(redis_client: redis.Redis) -> None:
    redis_client.set("k", "old")
    redis_client.set("k", "new", keepttl=True)
    assert redis_client.ttl("k") == NO_TTL
    redis_client.delete("k")
    redis_client.set("k", "new", keepttl=True)
    assert redis_client.ttl("k") == NO_TTL
    assert redis_client.get("k") == b"new"


SNIPPET = """\
import redis


def refresh(r: redis.Redis, sid, data):
    key = f"session:{sid}"
    r.set(key, data, ex=1800)
    r.set(key, data.upper())  # expect: RL204
    r.expire(f"token:{sid}", 60)
    r.set(f"token:{sid}", data, xx=True)  # expect: RL204
"""


@pytest.mark.redis
def test_rl204_fix_keeps_the_values_and_the_ttl(redis_client: redis.Redis) -> None:
    result = fix_fixture(FIXTURES / "RL204" / "snippet.py", FIXTURES / "RL204", source=SNIPPET)
    assert result.problems == []
    assert [f.code for f in result.findings if f.code == "RL204"] == ["RL204", "RL204"]
    fixed = result.fixed.text
    assert fixed.count("keepttl=True") == 2
    assert [f.code for f in result.fixed.findings if f.code == "RL204"] == []

    def run(code: str) -> dict[str, tuple[bytes | None, int]]:
        redis_client.flushall()
        redis_client.set("token:7", "seed")
        namespace: dict[str, Any] = {}
        exec(compile(code, "<fixture>", "exec"), namespace)
        namespace["refresh"](redis_client, 7, "ada")
        return {k: (redis_client.get(k), redis_client.ttl(k)) for k in ("session:7", "token:7")}

    before, after = run(SNIPPET), run(fixed)
    for key in ("session:7", "token:7"):
        assert before[key][0] == after[key][0] is not None
        assert before[key][1] == NO_TTL
        assert after[key][1] > 0
