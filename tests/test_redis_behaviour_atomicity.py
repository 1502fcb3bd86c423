"""What RL101 and RL202 claim, checked against a real redis-server.

RL101 says a `pipeline(transaction=False)` is no transaction: its commands reach the
server without MULTI/EXEC and another client can act between them, while a
transactional pipeline cannot be interleaved. RL202's unsafe fix says that dropping
SET's expiry leaves the same value, only without the TTL: the fixed program's state
differs from the original's by the defect and nothing else.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from redislint.findings import Edit, Finding
from redislint.testing.harness import run_fixture

if TYPE_CHECKING:
    import redis
    from redis_server import RedisServer

FIXTURES = Path(__file__).parent / "fixtures"


def _command_calls(client: redis.Redis, command: str) -> int:
    """How many times the server has run `command` (INFO commandstats)."""
    stats = client.info("commandstats")
    return int(stats.get(f"cmdstat_{command}", {}).get("calls", 0))


@pytest.mark.redis
def test_non_transactional_pipeline_sends_no_multi(redis_client: redis.Redis) -> None:
    multi_before = _command_calls(redis_client, "multi")
    exec_before = _command_calls(redis_client, "exec")

    batch = redis_client.pipeline(transaction=False)
    batch.set("acct:a", 1).set("acct:b", 2)
    batch.execute()
    assert _command_calls(redis_client, "multi") == multi_before
    assert _command_calls(redis_client, "exec") == exec_before

    with redis_client.pipeline() as tx:
        tx.set("acct:a", 3).set("acct:b", 4)
        tx.execute()
    assert _command_calls(redis_client, "multi") == multi_before + 1
    assert _command_calls(redis_client, "exec") == exec_before + 1


def _interfere(server: RedisServer, seen: list[bytes | None]) -> threading.Thread:
    """Another client that waits for `acct:a`, then writes `acct:b` and opens the gate.

    It records what it read of `acct:b` first, so the test can tell when it ran.
    """
    import redis

    def run() -> None:
        other = redis.Redis(host=server.host, port=server.port)
        try:
            deadline = time.monotonic() + 5
            while other.get("acct:a") is None and time.monotonic() < deadline:
                time.sleep(0.002)
            seen.append(other.get("acct:b"))
            other.set("acct:b", "other")
            other.lpush("gate", "open")
        finally:
            other.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.redis
def test_non_transactional_pipeline_is_interleaved(
    redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    # The pipeline writes acct:a, then blocks on BLPOP until the other client has
    # seen acct:a and written acct:b: the other client acts between the pipeline's
    # commands, and the pipeline's last command reads its write.
    seen: list[bytes | None] = []
    thread = _interfere(redis_server, seen)
    batch = redis_client.pipeline(transaction=False)
    batch.set("acct:a", 1).blpop(["gate"], timeout=5).get("acct:b")
    _, popped, b_inside = batch.execute()
    thread.join(5)
    assert popped == (b"gate", b"open")
    assert b_inside == b"other"


@pytest.mark.redis
def test_transactional_pipeline_is_not_interleaved(
    redis_client: redis.Redis, redis_server: RedisServer
) -> None:
    # The same commands in MULTI/EXEC: acct:a only becomes visible when the whole
    # block has run (BLPOP does not block inside a transaction), so the other
    # client's write cannot land between the commands.
    seen: list[bytes | None] = []
    thread = _interfere(redis_server, seen)
    with redis_client.pipeline() as tx:
        tx.set("acct:a", 1).blpop(["gate"], timeout=5).get("acct:b")
        _, popped, b_inside = tx.execute()
    thread.join(5)
    assert popped is None
    assert b_inside is None
    assert seen == [None]  # the other client ran after EXEC, before its own write
    assert redis_client.get("acct:b") == b"other"


# -- RL202's fix -------------------------------------------------------------------------


def _apply(source: str, edits: list[Edit]) -> str:
    """Apply 1-based (line, column) edits, the last first so earlier offsets hold."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    for edit in sorted(edits, reverse=True):
        begin = offset(edit.line, edit.column)
        end = offset(edit.end_line, edit.end_column)
        source = source[:begin] + edit.content + source[end:]
    return source


def _fix_all(source: str, findings: list[Finding]) -> str:
    edits = [edit for f in findings if f.fix is not None for edit in f.fix.edits]
    return _apply(source, edits)


def _lint(path: Path, source: str) -> list[Finding]:
    _, findings = run_fixture(path, FIXTURES / "RL202", source)
    return [f for f in findings if f.code == "RL202"]


SNIPPET = """\
def save(r, account_id, balance):
    r.set(f"acct:{account_id}", balance, ex=60)  # expect: RL202
"""


@pytest.mark.redis
def test_rl202_fix_keeps_the_value_and_drops_only_the_ttl(redis_client: redis.Redis) -> None:
    # The fixture project's keyspace declares acct:* primary; the rule needs a proven
    # client, so the snippet annotates its parameter.
    source = "import redis\n\n\n" + SNIPPET.replace("(r,", "(r: redis.Redis,")
    path = FIXTURES / "RL202" / "snippet.py"
    findings = _lint(path, source)
    assert len(findings) == 1 and findings[0].fix is not None
    fixed = _fix_all(source, findings)
    assert "ex=" not in fixed

    def run(code: str) -> tuple[Any, int]:
        redis_client.flushall()
        namespace: dict[str, Any] = {}
        exec(compile(code, "<fixture>", "exec"), namespace)
        namespace["save"](redis_client, 7, "100")
        return redis_client.get("acct:7"), redis_client.ttl("acct:7")

    value_before, ttl_before = run(source)
    value_after, ttl_after = run(fixed)
    assert value_before == value_after == b"100"
    assert 0 < ttl_before <= 60
    assert ttl_after == -1  # exists, no expiry
