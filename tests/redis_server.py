"""Start and stop a throwaway `redis-server` for tests and maintenance scripts.

A plain module (no pytest import) so that `scripts/gen_commands.py` can reuse it: the
command table and the tests that check it must talk to the same kind of server, started
the same way. The server is private to its caller: loopback only, a free port, its own
temporary directory, no RDB snapshots and no AOF, so it never touches the user's data
and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
_PORT_ATTEMPTS = 5


class RedisServerError(RuntimeError):
    """The server could not be started (or did not answer PING in time)."""


def find_redis_server() -> str | None:
    """Return the path of `redis-server` on PATH, or None when it is not installed."""
    return shutil.which("redis-server")


def free_port(host: str = HOST) -> int:
    """Ask the OS for a port that is free right now.

    There is a small race between closing this socket and the server binding the port;
    `start_redis_server` retries on another port if the server fails to start.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def ping(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if a Redis server answers PING on host:port.

    Speaks raw RESP over a socket so that this module does not depend on redis-py.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """A running `redis-server` subprocess owned by the caller."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    directory: Path
    _tmp: tempfile.TemporaryDirectory[str] = field(repr=False)

    @property
    def url(self) -> str:
        """A redis-py connection URL (database 0)."""
        return f"redis://{self.host}:{self.port}/0"

    @property
    def log(self) -> str:
        """The server's log so far, for error messages."""
        path = self.directory / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and delete its directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._tmp.cleanup()


def _spawn(executable: str, host: str, port: int, timeout: float) -> RedisServer:
    tmp = tempfile.TemporaryDirectory(prefix="redislint-redis-")
    directory = Path(tmp.name)
    args = [
        executable,
        "--port", str(port),
        "--bind", host,
        "--save", "",
        "--appendonly", "no",
        "--dir", str(directory),
        "--logfile", str(directory / "redis.log"),
        "--daemonize", "no",
    ]  # fmt: skip
    process = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = RedisServer(host=host, port=port, process=process, directory=directory, _tmp=tmp)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = server.log
            server.stop()
            raise RedisServerError(f"redis-server exited with {process.returncode}:\n{log}")
        if ping(host, port):
            return server
        time.sleep(0.05)
    log = server.log
    server.stop()
    raise RedisServerError(f"redis-server did not answer PING within {timeout}s:\n{log}")


def start_redis_server(
    executable: str | None = None, host: str = HOST, timeout: float = START_TIMEOUT
) -> RedisServer:
    """Start a private server on a free loopback port and wait until it answers PING.

    The caller must call `stop()`; prefer `running_redis_server()`.
    """
    executable = executable or find_redis_server()
    if executable is None:
        raise RedisServerError("redis-server is not on PATH")
    error: RedisServerError | None = None
    for _ in range(_PORT_ATTEMPTS):
        try:
            return _spawn(executable, host, free_port(host), timeout)
        except RedisServerError as exc:  # most likely the port was taken meanwhile
            error = exc
    assert error is not None
    raise error


@contextlib.contextmanager
def running_redis_server(
    executable: str | None = None, host: str = HOST, timeout: float = START_TIMEOUT
) -> Iterator[RedisServer]:
    """Context manager around `start_redis_server` that always stops the server."""
    server = start_redis_server(executable, host, timeout)
    try:
        yield server
    finally:
        server.stop()
