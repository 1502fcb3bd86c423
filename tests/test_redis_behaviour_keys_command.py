"""What RL303 (keys-command) claims about its fix, checked against a real redis-server.

The safe fix turns `for k in r.keys(p)` into `for k in r.scan_iter(match=p)`: on a
populated server (10,000 keys) SCAN must return exactly the set of keys KEYS returns,
for patterns using every glob special (`*`, `?`, `[...]`, `[^...]`, ranges, escapes).
The fixed program must also compute the same result as the original.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from redislint.testing.harness import fix_fixture

if TYPE_CHECKING:
    import redis

FIXTURES = Path(__file__).parent / "fixtures"
PATTERNS = [
    "*",
    "user:*",
    "user:?:name",
    "user:1??:*",
    "h[ae]llo:*",
    "h[^e]llo:*",
    "order:[0-4]*",
    "lit\\*:*",
    "lit\\?:*",
    "*:7",
    "nomatch:*",
]


def _populate(client: redis.Redis) -> None:
    with client.pipeline(transaction=False) as pipe:
        for i in range(2000):
            pipe.set(f"user:{i}:name", i)
            pipe.set(f"order:{i}", i)
            pipe.set(f"hello:{i}" if i % 2 else f"hallo:{i}", i)
            pipe.set(f"hxllo:{i}", i)
            pipe.set(f"lit*:{i}" if i % 3 else f"lit?:{i}", i)
        pipe.execute()
    assert client.dbsize() == 10_000


@pytest.mark.redis
def test_scan_iter_returns_the_keys_that_keys_returns(redis_client: redis.Redis) -> None:
    _populate(redis_client)
    for pattern in PATTERNS:
        expected = set(redis_client.keys(pattern))
        scanned = list(redis_client.scan_iter(match=pattern))
        assert set(scanned) == expected, pattern
    assert set(redis_client.scan_iter()) == set(redis_client.keys())
    assert len(set(redis_client.keys("lit\\*:*"))) == 1333  # the escape is literal


SNIPPET = """\
import redis


def collect(r: redis.Redis, patterns):
    found = {}
    for pattern in patterns:
        found[pattern] = sorted(k for k in r.keys(pattern))  # expect: RL303
        for key in r.keys(pattern=pattern):  # expect: RL303
            found[pattern].append(key)
    return found
"""


@pytest.mark.redis
def test_rl303_fix_computes_the_same_result(redis_client: redis.Redis) -> None:
    result = fix_fixture(FIXTURES / "RL303" / "snippet.py", FIXTURES / "RL303", source=SNIPPET)
    assert result.problems == []
    assert [f.code for f in result.findings] == ["RL303", "RL303"]
    assert all(f.fix is not None and f.fix.safety == "safe" for f in result.findings)
    fixed = result.fixed.text
    assert "keys(" not in fixed
    assert fixed.count("scan_iter(match=pattern)") == 2
    _populate(redis_client)

    def run(code: str) -> Any:
        namespace: dict[str, Any] = {}
        exec(compile(code, "<fixture>", "exec"), namespace)
        found = namespace["collect"](redis_client, ["user:1??:*", "h[^e]llo:*", "lit\\*:*"])
        return {p: sorted(v) for p, v in found.items()}

    assert run(fixed) == run(SNIPPET)
