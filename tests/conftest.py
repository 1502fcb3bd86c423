"""Shared pytest fixtures.

The real-redis fixtures live here; the logic that starts the server is in
`tests/redis_server.py` so that maintenance scripts can reuse it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from redis_server import RedisServer, find_redis_server, running_redis_server
from support import missing_tool

if TYPE_CHECKING:
    import redis

# `pytester` runs the pytest plugin's tests on generated projects (test_pytest_plugin*.py).
pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A private `redis-server` on a free loopback port, shared by the whole session.

    Without `redis-server` the tests that need it are skipped locally, but fail in CI
    (CI=true) so that a broken CI image cannot silently skip them.
    """
    executable = find_redis_server()
    if executable is None:
        missing_tool("redis-server is not on PATH")
    with running_redis_server(executable) as server:
        yield server


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A `redis.Redis` on the session server, emptied (FLUSHALL) before each test."""
    import redis

    client = redis.Redis(host=redis_server.host, port=redis_server.port)
    client.flushall()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def cluster_server() -> Iterator[RedisServer]:
    """A private one-node *cluster-mode* `redis-server` owning all 16384 slots (loopback,
    free port), shared by the session: it checks key slots (CROSSSLOT) like a cluster."""
    from cluster_server import running_cluster_server

    executable = find_redis_server()
    if executable is None:
        missing_tool("redis-server is not on PATH")
    with running_cluster_server(executable) as server:
        yield server


@pytest.fixture
def cluster_client(cluster_server: RedisServer) -> Iterator[redis.Redis]:
    """A plain `redis.Redis` connection to the cluster node (so that the *server*
    answers, not redis-py's cluster client), emptied before each test."""
    import redis

    client = redis.Redis(host=cluster_server.host, port=cluster_server.port)
    client.flushall()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(autouse=True)
def in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs inside the test process really run in it, not in a forked child
    (`parallel.CONTAIN_IN_PROCESS`): tests record calls (counters, a profiler, patched
    functions) made during a run, which a child would make in its own memory, and a
    counter that silently stays at zero proves nothing. The forked child is tested
    through the real command line in subprocesses (tests/test_reliability.py), where
    this does not apply."""
    from redislint import parallel

    monkeypatch.setattr(parallel, "CONTAIN_IN_PROCESS", False)
