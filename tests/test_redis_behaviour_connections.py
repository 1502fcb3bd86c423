"""What RL401 and RL403 claim, checked against a real redis-server with `requirepass`.

RL401: a server that requires a password rejects a client that sends none (NOAUTH on
the wire, redis-py's AuthenticationError, after a few seconds of its own retries), and
the hint's form, a password read from the environment, is accepted (and no longer
reported). RL403: moving the literal password (constructor argument or `from_url`
URL) to the environment, as its hints say, keeps the client working and leaves
nothing to report.
"""

from __future__ import annotations

import re
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis_server import HOST, find_redis_server, free_port
from support import missing_tool

from redislint.findings import Finding
from redislint.testing.harness import run_fixture

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class AuthServer:
    port: int
    password: str


def _answers(port: int) -> bytes:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(128)
    except OSError:
        return b""


@pytest.fixture(scope="module")
def auth_server() -> Iterator[AuthServer]:
    """A private redis-server on a free loopback port that requires a random password."""
    executable = find_redis_server()
    if executable is None:
        missing_tool("redis-server is not on PATH")
        raise AssertionError("unreachable")
    password = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="redislint-auth-") as directory:
        port = free_port()
        args = [
            executable,
            "--port", str(port),
            "--bind", HOST,
            "--save", "",
            "--appendonly", "no",
            "--dir", directory,
            "--requirepass", password,
        ]  # fmt: skip
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 10
            while not _answers(port).startswith(b"-NOAUTH"):
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("redis-server with requirepass did not start")
                time.sleep(0.05)
            yield AuthServer(port, password)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _lint(source: str, tmp_path: Path) -> list[Finding]:
    _, findings = run_fixture(tmp_path / "snippet.py", tmp_path, source=source)
    return findings


def _connect(source: str, port: int) -> Any:
    """Run the snippet (pointed at the test server) and return its client."""
    namespace: dict[str, Any] = {}
    exec(compile(source, "<snippet>", "exec"), namespace)
    return namespace["connect"](port)


UNAUTHENTICATED = """\
import redis


def connect(port):
    return redis.Redis(host="sessions.internal", port=port, ssl=True)
"""


@pytest.mark.redis
def test_rl401_unauthenticated_client_is_rejected_and_the_hint_is_accepted(
    auth_server: AuthServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis

    findings = _lint(UNAUTHENTICATED, tmp_path)
    assert [f.code for f in findings] == ["RL401"]
    assert "'sessions.internal" in findings[0].message
    hint = findings[0].hint or ""
    suggested = re.search(r'password=os\.environ\["(\w+)"\]', hint)
    assert suggested is not None, hint

    # The flagged client, pointed at a server that requires a password (plain TCP on
    # loopback: the test server has no TLS port).
    runnable = UNAUTHENTICATED.replace('"sessions.internal"', f'"{HOST}"').replace(", ssl=True", "")
    client = _connect(runnable, auth_server.port)
    with pytest.raises(redis.AuthenticationError):
        client.ping()
    assert _answers(auth_server.port).startswith(b"-NOAUTH")

    # The hint's form: the password read from the environment.
    hinted = "import os\n" + UNAUTHENTICATED.replace(
        "port=port,", f"port=port, {suggested.group(0)},"
    )
    assert [f.code for f in _lint(hinted, tmp_path)] == []
    monkeypatch.setenv(suggested.group(1), auth_server.password)
    client = _connect(
        hinted.replace('"sessions.internal"', f'"{HOST}"').replace(", ssl=True", ""),
        auth_server.port,
    )
    assert client.ping() is True
    client.set("k", "v")
    assert client.get("k") == b"v"
    monkeypatch.setenv(suggested.group(1), "wrong")
    with pytest.raises(redis.AuthenticationError):
        _connect(
            hinted.replace('"sessions.internal"', f'"{HOST}"').replace(", ssl=True", ""),
            auth_server.port,
        ).ping()


LITERAL_ARGUMENT = """\
import redis


def connect(port):
    return redis.Redis(host="{host}", port=port, password="{password}")
"""

LITERAL_URL = """\
import redis


def connect(port):
    return redis.from_url("redis://:{password}@{host}:%d/0" % port)
"""


@pytest.mark.redis
@pytest.mark.parametrize(
    ("template", "hint_pattern", "variable_value"),
    [
        (LITERAL_ARGUMENT, r'password=os\.environ\["(\w+)"\]', "{password}"),
        (LITERAL_URL, r'from_url\(os\.environ\["(\w+)"\]\)', "redis://:{password}@{host}:{port}/0"),
    ],
    ids=["argument", "url"],
)
def test_rl403_literal_password_moved_to_the_environment_as_the_hint_says(
    auth_server: AuthServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    template: str,
    hint_pattern: str,
    variable_value: str,
) -> None:
    source = template.replace("{host}", HOST).replace("{password}", auth_server.password)
    findings = _lint(source, tmp_path)
    assert [f.code for f in findings] == ["RL403"]
    assert auth_server.password not in findings[0].message  # never printed
    hint = findings[0].hint or ""
    suggested = re.search(hint_pattern, hint)
    assert suggested is not None, hint

    # The literal works (which is the danger: anyone with the code can log in) ...
    assert _connect(source, auth_server.port).ping() is True
    # ... and without it the server says NOAUTH.
    stripped = template.replace("{host}", HOST).replace("{password}", "")
    with pytest.raises(__import__("redis").AuthenticationError):
        _connect(stripped.replace(":@", "@"), auth_server.port).ping()

    # The hint's form reads it from the environment: nothing left to report, and the
    # server accepts it.
    if "from_url" in template:
        hinted = (
            "import os\nimport redis\n\n\ndef connect(port):\n"
            f"    return redis.{suggested.group(0)}\n"
        )
    else:
        hinted = "import os\n" + source.replace(
            f'password="{auth_server.password}"', suggested.group(0)
        )
    assert [f.code for f in _lint(hinted, tmp_path)] == []
    value = variable_value.format(password=auth_server.password, host=HOST, port=auth_server.port)
    monkeypatch.setenv(suggested.group(1), value)
    client = _connect(hinted, auth_server.port)
    assert client.ping() is True
