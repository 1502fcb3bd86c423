"""What RL103 claims, checked against a real redis-server: a process that dies between
the write that creates a key and its separate EXPIRE leaves the key with no TTL, for
good; the rule's own fix (one SET with the expiry) leaves no such window.

The "crash" is real: the code runs in a child process that SIGKILLs itself at the
first line after the creating statement (a trace hook, so the moment is exact, not a
race), and the server's command statistics show that the EXPIRE was never sent.
"""

from __future__ import annotations

import signal
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from redis_server import RedisServer
from support import run_command, show

from redislint.testing.harness import fix_fixture

if TYPE_CHECKING:
    import redis

FIXTURES = Path(__file__).parent / "fixtures"
NO_TTL = -1

SNIPPET = """\
import redis


def remember(r: redis.Redis, key, value):
    r.set(key, value)  # expect: RL103
    r.expire(key, 60)
    return True


def claim(r: redis.Redis, key, value):
    r.setnx(key, value)  # expect: RL103
    r.expire(key, 60)
    return True
"""

# The child: run `function` of the code, and die (SIGKILL, no cleanup, no more bytes
# sent) as soon as the line after the creating statement is about to run.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import redis

    code_path, function = sys.argv[1], sys.argv[2]
    create_line, port = int(sys.argv[3]), int(sys.argv[4])
    namespace = {}
    exec(compile(open(code_path).read(), code_path, "exec"), namespace)

    def tracer(frame, event, arg):
        if frame.f_code.co_filename != code_path:
            return None
        if event == "line" and frame.f_lineno > create_line:
            os.kill(os.getpid(), signal.SIGKILL)
        return tracer

    client = redis.Redis(host="127.0.0.1", port=port)
    client.ping()
    sys.settrace(tracer)
    namespace[function](client, "k", "v")
    sys.settrace(None)
    print("finished without being killed")
    """
)


def _run_and_die(tmp_path: Path, code: str, function: str, line: int, port: int) -> None:
    code_path = tmp_path / f"{function}_{abs(hash(code))}.py"
    code_path.write_text(code, encoding="utf-8")
    child = tmp_path / "child.py"
    child.write_text(CHILD, encoding="utf-8")
    result = run_command(
        [sys.executable, child, code_path, function, str(line), str(port)], cwd=tmp_path
    )
    assert result.returncode == -signal.SIGKILL, show(result)


def _expire_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return int(stats.get("cmdstat_expire", {}).get("calls", 0))


@pytest.mark.redis
@pytest.mark.parametrize("function", ["remember", "claim"])
def test_rl103_crash_between_create_and_expire_leaves_no_ttl_and_the_fix_closes_it(
    redis_server: RedisServer, redis_client: redis.Redis, tmp_path: Path, function: str
) -> None:
    result = fix_fixture(FIXTURES / "RL103" / "proof.py", FIXTURES / "RL103", source=SNIPPET)
    assert result.problems == []
    findings = [f for f in result.findings if f.code == "RL103"]
    assert len(findings) == 2 and all(f.fix is not None for f in findings)
    fixed = result.fixed.text
    assert "expire(" not in fixed  # the EXPIRE lines were merged away
    assert [f.code for f in result.fixed.findings] == []
    create_line = {"remember": findings[0].line, "claim": findings[1].line}[function]
    fixed_line = next(
        number
        for number, text in enumerate(fixed.splitlines(), start=1)
        if f"def {function}(" in text
    )
    fixed_line += 1  # the merged SET is the function's first statement

    # Flagged code: the key is created, the process dies, the EXPIRE is never sent.
    redis_client.config_resetstat()
    _run_and_die(tmp_path, SNIPPET, function, create_line, redis_server.port)
    assert redis_client.get("k") == b"v"
    assert redis_client.ttl("k") == NO_TTL
    assert _expire_calls(redis_client) == 0
    time.sleep(1.1)  # nothing will ever come back to expire it
    assert redis_client.ttl("k") == NO_TTL

    # The fix, taken from the rule's own output: the same death at the same point leaves
    # a key that expires.
    redis_client.flushall()
    _run_and_die(tmp_path, fixed, function, fixed_line, redis_server.port)
    assert redis_client.get("k") == b"v"
    assert 0 < redis_client.ttl("k") <= 60


@pytest.mark.redis
def test_rl103_fixed_setnx_keeps_set_if_absent(redis_client: redis.Redis) -> None:
    """`setnx` + `expire` -> `set(nx=True, ex=)`: a second claimer neither overwrites the
    holder's value nor resets its TTL (what Fix safety documents)."""
    assert redis_client.set("k", "first", nx=True, ex=60) is True
    redis_client.expire("k", 5)
    assert redis_client.set("k", "second", nx=True, ex=60) is None
    assert redis_client.get("k") == b"first"
    assert redis_client.ttl("k") <= 5
