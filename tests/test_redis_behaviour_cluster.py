"""What RL107, RL108 and RL109 claim, checked against real (cluster-mode) redis-servers.

Each snippet is linted, then *run*: its module is executed with its client replaced
by a connection to the test server, so the code the rule flags is the code that
fails, and the fixed code is both silent and accepted.

Redis 7.0's script rules, as measured here (and asserted below): a script routed by
its declared keys may touch an undeclared key only if that key is served by the same
node ("Script attempted to access a non local key in a cluster node" otherwise);
scripts with a shebang (`#!lua`) are also refused undeclared keys of another slot
("Script attempted to access keys that do not hash to the same slot"), while legacy
scripts without one are allowed other slots of the same node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from redislint import check_source
from redislint.config import Config
from redislint.semantics.slots import key_slot

if TYPE_CHECKING:
    import redis
    from redis_server import RedisServer

CLUSTER = Config(cluster=True)


def _run(source: str, client: Any, config: Config | None = None) -> dict[str, Any]:
    """Lint `source`, then execute it with its module-level `r` replaced by `client`."""
    namespace: dict[str, Any] = {"__name__": "snippet"}
    exec(compile(source, "<snippet>", "exec"), namespace)
    namespace["r"] = client
    return namespace


def _codes(source: str, config: Config | None = None) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in check_source(source, "snippet.py", config)]


def _line_of(source: str, text: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if text in line)


# -- RL107 ------------------------------------------------------------------------------

MULTI_KEY = """\
import redis

r = redis.Redis()


def profile_and_friends(uid):
    return r.mget(f"user:{uid}:profile", f"user:{uid}:friends")


def profile_and_friends_fixed(uid):
    return r.mget(f"{{user:{uid}}}:profile", f"{{user:{uid}}}:friends")


def visit(uid):
    with r.pipeline() as pipe:
        pipe.incr(f"user:{uid}:visits")
        pipe.sadd(f"user:{uid}:seen", 1)
        return pipe.execute()


def visit_fixed(uid):
    with r.pipeline() as pipe:
        pipe.incr(f"{{user:{uid}}}:visits")
        pipe.sadd(f"{{user:{uid}}}:seen", 1)
        return pipe.execute()
"""


@pytest.mark.redis
def test_flagged_multi_key_command_gets_crossslot(cluster_client: redis.Redis) -> None:
    from redis.exceptions import ClusterCrossSlotError

    assert [c for c in _codes(MULTI_KEY, CLUSTER) if c[0] == "RL107"] == [
        ("RL107", _line_of(MULTI_KEY, 'r.mget(f"user:')),
        ("RL107", _line_of(MULTI_KEY, 'pipe.sadd(f"user:')),
    ]
    assert key_slot("user:42:profile") != key_slot("user:42:friends")
    snippet = _run(MULTI_KEY, cluster_client)
    # redis-py raises ClusterCrossSlotError for the server's CROSSSLOT error code
    with pytest.raises(ClusterCrossSlotError, match="don't hash to the same slot"):
        snippet["profile_and_friends"](42)
    assert snippet["profile_and_friends_fixed"](42) == [None, None]
    # a MULTI/EXEC with keys of two slots is aborted: nothing of it runs
    with pytest.raises(ClusterCrossSlotError):
        snippet["visit"](42)
    assert cluster_client.get("user:42:visits") is None
    assert snippet["visit_fixed"](42) == [1, 1]


@pytest.mark.redis
def test_redis_py_cluster_client_refuses_cross_slot_but_splits_del(
    cluster_server: RedisServer,
) -> None:
    """Why RL107 judges MGET but not DEL on a `RedisCluster` client."""
    from redis.cluster import RedisCluster
    from redis.exceptions import RedisClusterException

    rc = RedisCluster(host=cluster_server.host, port=cluster_server.port)
    try:
        rc.set("user:42:a", 1)
        rc.set("user:42:b", 1)
        with pytest.raises(RedisClusterException, match="same key slot"):
            rc.mget("user:42:a", "user:42:b")
        assert rc.delete("user:42:a", "user:42:b") == 2  # sent once per slot
        # RedisCluster.pipeline() is no transaction: commands of two slots are fine
        pipe = rc.pipeline()
        pipe.incr("user:42:a")
        pipe.incr("user:42:b")
        assert pipe.execute() == [1, 1]
        source = MULTI_KEY.replace("redis.Redis()", "redis.RedisCluster()")
        # the mget only (RL101 rightly sees the pipeline's two writes as non-atomic)
        assert [c for c, _ in _codes(source) if c == "RL107"] == ["RL107"]
    finally:
        rc.close()


# -- RL108 ------------------------------------------------------------------------------

UNDECLARED = """\
import redis

r = redis.Redis()

CLAIM = \"\"\"{shebang}
local owner = redis.call('GET', KEYS[1])
redis.call('SET', 'claims:' .. ARGV[1], 'x')
return owner
\"\"\"

CLAIM_FIXED = \"\"\"{shebang}
local owner = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[2], 'x')
return owner
\"\"\"


def claim(job, worker):
    return r.eval(CLAIM, 1, job, worker)


def claim_fixed(job, worker):
    return r.eval(CLAIM_FIXED, 2, job, job + ":claims:" + worker)
"""

# a declared key and the undeclared one the flagged script builds, in different slots
JOB, WORKER = "{job:4}", "w1"


@pytest.fixture
def half_cluster() -> Iterator[redis.Redis]:
    """A node owning only the slots 8192-16383, like one node of a two-node cluster."""
    import redis
    from cluster_server import running_cluster_server
    from redis_server import find_redis_server
    from support import missing_tool

    if find_redis_server() is None:
        missing_tool("redis-server is not on PATH")
    with running_cluster_server(slots=(8192, 16383)) as server:
        client = redis.Redis(host=server.host, port=server.port)
        try:
            yield client
        finally:
            client.close()


def _claim_functions(shebang: str, client: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    source = UNDECLARED.replace("{shebang}", shebang)
    assert _codes(source) == [("RL108", _line_of(source, "r.eval(CLAIM, 1"))]
    snippet = _run(source, client)
    return snippet["claim"], snippet["claim_fixed"]


@pytest.mark.redis
def test_undeclared_key_on_another_node_is_refused(half_cluster: redis.Redis) -> None:
    import redis

    # the declared key lives on this node, the undeclared one does not
    assert key_slot(JOB) >= 8192 > key_slot("claims:" + WORKER)
    claim, claim_fixed = _claim_functions("", half_cluster)
    with pytest.raises(redis.ResponseError, match="non local key in a cluster node"):
        claim(JOB, WORKER)
    assert claim_fixed(JOB, WORKER) is None
    assert half_cluster.get(JOB + ":claims:" + WORKER) == b"x"


@pytest.mark.redis
def test_undeclared_key_of_another_slot_in_a_shebang_script(
    cluster_client: redis.Redis,
) -> None:
    import redis

    assert key_slot(JOB) != key_slot("claims:" + WORKER)
    claim, claim_fixed = _claim_functions("#!lua", cluster_client)
    with pytest.raises(redis.ResponseError, match="do not hash to the same slot"):
        claim(JOB, WORKER)
    assert claim_fixed(JOB, WORKER) is None


@pytest.mark.redis
def test_legacy_script_may_reach_other_slots_of_its_own_node(
    cluster_client: redis.Redis,
) -> None:
    """The limit of the claim: without a shebang, 7.0 lets a script touch an undeclared
    key of another slot when this node serves it (all slots here), so the failure
    depends on where the cluster puts that slot."""
    claim, _ = _claim_functions("", cluster_client)
    assert claim(JOB, WORKER) is None
    assert cluster_client.get("claims:" + WORKER) == b"x"


# -- RL109 ------------------------------------------------------------------------------

NUMKEYS = """\
import redis

r = redis.Redis()

TRANSFER = \"\"\"
redis.call('DECRBY', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[1])
return 1
\"\"\"


def too_many_keys(src, dst):
    return r.eval(TRANSFER, 3, src, dst)


def key_read_beyond_numkeys(src, dst, amount):
    return r.eval(TRANSFER, 1, src, dst, amount)


def fixed(src, dst, amount):
    return r.eval(TRANSFER, 2, src, dst, amount)
"""


@pytest.mark.redis
def test_server_rejects_the_flagged_numkeys(redis_client: redis.Redis) -> None:
    import redis

    assert _codes(NUMKEYS) == [
        ("RL109", _line_of(NUMKEYS, "TRANSFER, 3")),
        ("RL109", _line_of(NUMKEYS, "TRANSFER, 1")),
    ]
    snippet = _run(NUMKEYS, redis_client)
    with pytest.raises(redis.ResponseError, match="Number of keys can't be greater than"):
        snippet["too_many_keys"]("acct:a", "acct:b")
    # with numkeys 1 the second key lands in ARGV: ARGV[1] is "acct:b", not the amount
    with pytest.raises(redis.ResponseError, match="value is not an integer"):
        snippet["key_read_beyond_numkeys"]("acct:a", "acct:b", 5)
    # and a script that reads the missing KEYS[2] gets nil
    with pytest.raises(redis.ResponseError, match="must be strings or integers"):
        redis_client.eval("return redis.call('GET', KEYS[2])", 1, "acct:a")
    assert redis_client.mget("acct:a", "acct:b") == [None, None]
    assert snippet["fixed"]("acct:a", "acct:b", 5) == 1
    assert redis_client.mget("acct:a", "acct:b") == [b"-5", b"5"]
