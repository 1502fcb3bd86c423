"""Start a one-node *cluster-mode* `redis-server` for tests (beside `redis_server.py`).

Cluster mode is what makes Redis check key slots (CROSSSLOT, undeclared keys in
scripts). One node that owns all 16384 slots is a complete cluster: it answers
`CLUSTER KEYSLOT`, refuses cross-slot commands and never redirects. Loopback only, a
free port, its own temporary directory (for `nodes.conf`), no persistence.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from redis_server import (
    HOST,
    START_TIMEOUT,
    RedisServer,
    RedisServerError,
    find_redis_server,
    free_port,
    ping,
)

_PORT_ATTEMPTS = 5


def _command(host: str, port: int, *words: str, timeout: float = 2.0) -> bytes:
    """Send one command in RESP and return the raw reply (no redis-py needed here)."""
    payload = f"*{len(words)}\r\n".encode() + b"".join(
        f"${len(w.encode())}\r\n".encode() + w.encode() + b"\r\n" for w in words
    )
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(payload)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        if reply.startswith(b"$"):  # a bulk string: read it whole
            length = int(reply[1 : reply.index(b"\r\n")])
            header = reply.index(b"\r\n") + 2
            while len(reply) < header + length + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        return reply


def _spawn(
    executable: str, host: str, port: int, timeout: float, slots: tuple[int, int]
) -> RedisServer:
    tmp = tempfile.TemporaryDirectory(prefix="redislint-cluster-")
    directory = Path(tmp.name)
    args = [
        executable,
        "--port", str(port),
        "--bind", host,
        "--cluster-enabled", "yes",
        "--cluster-config-file", str(directory / "nodes.conf"),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(directory),
        "--logfile", str(directory / "redis.log"),
        "--daemonize", "no",
        # a node owning only some slots still serves them (the others are "elsewhere")
        "--cluster-require-full-coverage", "no",
    ]  # fmt: skip
    process = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = RedisServer(host=host, port=port, process=process, directory=directory, _tmp=tmp)
    deadline = time.monotonic() + timeout
    try:
        while not ping(host, port):
            if process.poll() is not None:
                raise RedisServerError(f"redis-server exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RedisServerError(f"redis-server did not answer PING within {timeout}s")
            time.sleep(0.05)
        reply = _command(host, port, "CLUSTER", "ADDSLOTSRANGE", *map(str, slots))
        if not reply.startswith(b"+OK"):
            raise RedisServerError(f"CLUSTER ADDSLOTSRANGE failed: {reply!r}")
        while b"cluster_state:ok" not in _command(host, port, "CLUSTER", "INFO"):
            if time.monotonic() > deadline:
                raise RedisServerError(f"cluster_state did not become ok within {timeout}s")
            time.sleep(0.05)
    except (RedisServerError, OSError) as exc:
        log = server.log
        server.stop()
        raise RedisServerError(f"{exc}\n{log}") from None
    return server


@contextlib.contextmanager
def running_cluster_server(
    executable: str | None = None,
    host: str = HOST,
    timeout: float = START_TIMEOUT,
    slots: tuple[int, int] = (0, 16383),
) -> Iterator[RedisServer]:
    """A one-node cluster owning the `slots` range (all of them by default), stopped
    (and its directory removed) after. A node owning part of the range behaves like one
    node of a larger cluster: keys of the other slots are not local to it."""
    executable = executable or find_redis_server()
    if executable is None:
        raise RedisServerError("redis-server is not on PATH")
    error: RedisServerError | None = None
    server = None
    for _ in range(_PORT_ATTEMPTS):
        try:
            server = _spawn(executable, host, free_port(host), timeout, slots)
            break
        except RedisServerError as exc:  # most likely the port was taken meanwhile
            error = exc
    if server is None:
        assert error is not None
        raise error
    try:
        yield server
    finally:
        server.stop()
