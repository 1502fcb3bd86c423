"""Ask the server a test talked to for the TTL and TYPE of the keys it wrote.

The checks must reach the *same* server and database as the recorded client, with the
same credentials, whatever the suite uses: a plain client, a pipeline, a cluster, an
asyncio client whose event loop is already closed, fakeredis. So the checking client
is derived from the recorded one, never configured separately:
- sync `Redis`/`Pipeline` (and fakeredis's `FakeRedis`, a subclass): a `redis.Redis`
  on the recorded client's own connection pool;
- sync `RedisCluster`/`ClusterPipeline`: the node that owns the key's slot, through
  the recorded client's nodes manager (its `redis_connection`);
- `redis.asyncio` clients: a fresh pool of the recorded pool's connection class and
  settings (fakeredis's async connection class reaches the same fake server), run on
  a new event loop in a helper thread (the test's loop may be closed or running);
- `redis.asyncio` cluster: the same, from the slot owner's connection settings.
What cannot be reached is reported as unchecked, never guessed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from typing import Any

from redislint.semantics.slots import key_slot

Facts = dict[str, tuple[int, str]]  # key -> (TTL in seconds or -1/-2, TYPE)

# Settings a pool adds to its connection kwargs for its own bookkeeping: a new pool
# makes its own.
_POOL_OWNED = frozenset(
    {
        "maint_notifications_pool_handler",
        "himport_registry",
        "orig_host_address",
        "orig_socket_timeout",
        "orig_socket_connect_timeout",
        "retry",
        "connected",
        "event_dispatcher",
    }
)


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def server_facts(
    client: Any, kind: str, keys: Iterable[str], pause: Callable[[], Any]
) -> Facts | None:
    """TTL and TYPE of each key, or None when this client's server cannot be reached.

    `pause` is the recorder's `paused` context manager: the checking commands go
    through the same wrapped methods and must not be recorded.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    try:
        if kind == "sync":
            return _sync_facts(client, wanted, pause)
        if kind == "cluster":
            return _cluster_facts(client, wanted, pause)
        if kind in ("async", "async-cluster"):
            return _in_thread(lambda: asyncio.run(_async_facts(client, kind, wanted)), pause)
    except Exception:  # the server went away, auth changed: skip, never break a suite
        return None
    return None


def _sync_facts(client: Any, keys: list[str], pause: Callable[[], Any]) -> Facts | None:
    import redis

    pool = getattr(client, "connection_pool", None)
    if pool is None:
        return None
    checker = redis.Redis(connection_pool=pool)
    with pause():
        pipe = checker.pipeline(transaction=False)
        for key in keys:
            pipe.ttl(key)
            pipe.type(key)
        replies = pipe.execute()
    return {k: (int(replies[2 * i]), _text(replies[2 * i + 1])) for i, k in enumerate(keys)}


def _cluster_facts(client: Any, keys: list[str], pause: Callable[[], Any]) -> Facts | None:
    manager = getattr(client, "nodes_manager", None)
    if manager is None:
        return None
    facts: Facts = {}
    with pause():
        for key in keys:
            node = manager.get_node_from_slot(key_slot(key))
            connection = getattr(node, "redis_connection", None)
            if connection is None:
                return None
            facts[key] = (int(connection.ttl(key)), _text(connection.type(key)))
    return facts


async def _async_facts(client: Any, kind: str, keys: list[str]) -> Facts | None:
    import redis.asyncio as aioredis

    groups: dict[tuple[object, ...], tuple[Any, dict[str, Any], list[str]]] = {}
    for key in keys:
        source = _async_source(client, kind, key)
        if source is None:
            return None
        connection_class, kwargs = source
        server = (id(connection_class), kwargs.get("host"), kwargs.get("port"), kwargs.get("path"))
        clean = {k: v for k, v in kwargs.items() if k not in _POOL_OWNED}
        groups.setdefault(server, (connection_class, clean, []))[2].append(key)
    facts: Facts = {}
    for connection_class, clean, group in groups.values():
        pool = aioredis.ConnectionPool(connection_class=connection_class, **clean)
        checker = aioredis.Redis(connection_pool=pool)
        try:
            for key in group:
                facts[key] = (int(await checker.ttl(key)), _text(await checker.type(key)))
        finally:
            await checker.aclose()
            await pool.disconnect()
    return facts


def _async_source(client: Any, kind: str, key: str) -> tuple[Any, dict[str, Any]] | None:
    """The connection class and settings that reach the server holding `key`."""
    if kind == "async":
        pool = getattr(client, "connection_pool", None)
        if pool is None:
            return None
        return pool.connection_class, dict(pool.connection_kwargs)
    cluster = getattr(client, "cluster_client", client)  # a ClusterPipeline's client
    manager = getattr(cluster, "nodes_manager", None)
    if manager is None:
        return None
    node = manager.get_node_from_slot(key_slot(key))
    kwargs = dict(node.connection_kwargs)
    kwargs.update(host=node.host, port=node.port)
    return node.connection_class, kwargs


def _in_thread(run: Callable[[], Facts | None], pause: Callable[[], Any]) -> Facts | None:
    """Run `run` in a helper thread (its own event loop), paused there too: the
    recorder's pause is per thread."""
    result: list[Facts | None] = [None]
    error: list[BaseException] = []

    def target() -> None:
        with pause():
            try:
                result[0] = run()
            except BaseException as exc:  # handed to the caller's thread
                error.append(exc)

    thread = threading.Thread(target=target, name="redislint-check", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
