"""`pytest --redislint`: the plugin run by pytest in a subprocess (`pytester`) on small
generated projects, against a real redis-server on a free loopback port.

Each inner run checks several reports at once (a subprocess costs seconds). The inner
projects learn the server's port from the RL_TEST_PORT environment variable. Expected
lines are found from markers (`# at:NAME`) in the generated sources, never typed in.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_server import RedisServer
from support import run_command, show

pytestmark = pytest.mark.redis

PORT_ENV = "RL_TEST_PORT"

INNER_PYTEST = """
[tool.pytest.ini_options]
asyncio_default_fixture_loop_scope = "function"
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def at(root: Path, name: str, marker: str) -> str:
    """`name:line` of the line carrying `# at:marker` (as the plugin reports it)."""
    lines = (root / name).read_text(encoding="utf-8").splitlines()
    found = [i for i, line in enumerate(lines, 1) if line.rstrip().endswith(f"# at:{marker}")]
    assert len(found) == 1, f"marker {marker} in {name}: {found}"
    return f"{name}:{found[0]}"


def diagnostics(report: Path) -> list[dict[str, Any]]:
    document = json.loads(report.read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = document["diagnostics"]
    return rows


def where(rows: list[dict[str, Any]], code: str) -> set[str]:
    return {f"{row['path']}:{row['line']}" for row in rows if row["code"] == code}


# -- the main project: sync client, pipelines, config found beside the tests -----------

MAIN = {
    # pytest's rootdir is the outer directory (its pyproject has the pytest table); the
    # redislint config that applies is the one nearest the tests, proj/redislint.toml.
    # The outer one would declare `sess:*` and silence the drift below.
    "pyproject.toml": INNER_PYTEST
    + """
[tool.redislint]
[[tool.redislint.keyspace]]
pattern = "*"
role = "ephemeral"
""",
    "proj/redislint.toml": """
        [[keyspace]]
        pattern = "cache:*"
        role = "cache"

        [[keyspace]]
        pattern = "order:*"
        role = "critical"
        type = "hash"

        [[keyspace]]
        pattern = "user:*"
        role = "primary"
    """,
    "proj/conftest.py": """
        import pytest

        from app.db import r


        @pytest.fixture(autouse=True)
        def empty_redis():
            r.flushdb()  # fixtures are test code: exempt from RL301
            yield
    """,
    "proj/app/__init__.py": "",
    "proj/app/db.py": """
        import os

        import redis

        PORT = int(os.environ["RL_TEST_PORT"])
        r = redis.Redis(host="127.0.0.1", port=PORT, decode_responses=True)
    """,
    "proj/app/store.py": """
        from app.db import r


        def _write(key, value):
            r.set(key, value)  # at:helper-write


        def remember_session(uid):
            _write(f"sess:{uid}", "1")


        def cache_product(pid):
            r.set(f"cache:product:{pid}", "x")  # at:cache-no-ttl


        def cache_user(uid):
            r.set(f"cache:user:{uid}", "x", ex=60)
            r.hset(f"cache:cart:{uid}", "n", 1)
            r.expire(f"cache:cart:{uid}", 60)


        def refresh_product(pid):
            r.set(f"cache:fresh:{pid}", "x", ex=60)
            r.set(f"cache:fresh:{pid}", "y")  # at:drops-ttl


        def quiet_cache(pid):
            r.set(f"cache:quiet:{pid}", "x")  # redislint: ignore[RL201]


        def wrong_ignore(pid):
            r.set(f"cache:loud:{pid}", "x")  # redislint: ignore[RL301]  # at:wrong-ignore


        def save_order(oid):
            with r.pipeline() as pipe:
                pipe.hset(f"order:{oid}", mapping={"status": "new"})
                pipe.expire(f"order:{oid}", 3600)  # at:order-ttl
                pipe.execute()


        def note_order(oid):
            r.set(f"order:{oid}:note", "gift")  # at:order-type


        def mark_user(uid):
            r.set(f"user:{uid}", "1")  # at:user-string


        def profile_user(uid):
            r.hset(f"user:{uid}", "name", "ada")  # at:user-hash


        def reset():
            r.flushdb()  # at:flush


        def list_cache():
            return r.keys("cache:*")  # at:keys


        def forget(key):
            r.delete(key)  # at:forget


        def unsent(oid):
            with r.pipeline() as pipe:
                pipe.set(f"ghost:{oid}", "1")
    """,
    "proj/tests/test_store.py": """
        from app import store
        from app.db import r


        def test_drift():
            store.remember_session(7)


        def test_cache():
            store.cache_product(1)
            store.cache_user(1)
            store.refresh_product(1)
            store.quiet_cache(1)
            store.wrong_ignore(1)
            r.set("cache:by-the-test", "x")  # the test's own data: exempt
            r.keys("*")  # test code: exempt from RL303


        def test_orders():
            store.save_order(1)
            store.note_order(1)
            store.unsent(1)


        def test_user_string():
            store.mark_user(1)


        def test_user_hash():
            store.profile_user(2)


        def test_admin():
            store.list_cache()
            store.forget("cache:product:9")
            store.reset()
    """,
}


def test_main_project_reports(
    pytester: pytest.Pytester, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PORT_ENV, str(redis_server.port))
    write(pytester.path, MAIN)
    store = "proj/app/store.py"
    result = pytester.runpytest_subprocess("--redislint", "--redislint-report=out/r.json", "proj")
    result.assert_outcomes(passed=6)
    assert result.ret == 0, "findings alone do not fail a run without --redislint-strict"
    rows = diagnostics(pytester.path / "out/r.json")
    by_code = {code: where(rows, code) for code in {row["code"] for row in rows}}

    # drift: at the first application frame (the helper), named with its test
    assert by_code["RL307"] == {at(pytester.path, store, "helper-write")}
    drift = next(row for row in rows if row["code"] == "RL307")
    assert drift["test"] == "proj/tests/test_store.py::test_drift"
    assert drift["key"] == "sess:7"
    assert drift["name"] == "keyspace-drift"
    # cache keys without a TTL: the write that left it so; a SET that drops the TTL
    # counts; the suppressed line is silent, an ignore for another code is not
    assert by_code["RL201"] == {
        at(pytester.path, store, "cache-no-ttl"),
        at(pytester.path, store, "drops-ttl"),
        at(pytester.path, store, "wrong-ignore"),
    }
    # a critical key given a TTL: at the queued EXPIRE, not at execute()
    assert by_code["RL202"] == {at(pytester.path, store, "order-ttl")}
    # one pattern, two types (across tests), and a declared type contradicted
    assert by_code["RL306"] == {
        at(pytester.path, store, "user-hash"),
        at(pytester.path, store, "order-type"),
    }
    # FLUSHDB / KEYS from application code; the fixture's FLUSHDB and the test's KEYS
    # are exempt
    assert by_code["RL301"] == {at(pytester.path, store, "flush")}
    assert by_code["RL303"] == {at(pytester.path, store, "keys")}
    assert set(by_code) == {"RL201", "RL202", "RL301", "RL303", "RL306", "RL307"}
    # the terminal summary says the same, with the test ids
    summary = result.stdout.str()
    line = at(pytester.path, store, "flush")
    assert f"{line}: RL301 [flush-command]" in summary
    assert "(test: proj/tests/test_store.py::test_admin)" in summary

    document = json.loads((pytester.path / "out/r.json").read_text())
    assert document["mode"] == "pytest"
    assert Path(document["root"]) == pytester.path
    observed = {(o["path"], o["line"], o["command"], o["key"]) for o in document["observed"]}
    path, number = at(pytester.path, store, "forget").split(":")
    assert (path, int(number), "DEL", "cache:product:9") in observed
    assert not any(o[3].startswith("ghost:") for o in observed), "a pipeline never executed"
    assert not any(o[3] == "cache:by-the-test" for o in observed), "test code is not observed"

    # `redislint keys --observed` (a real process: pytester restores sys.modules after
    # the test, which would orphan modules the CLI imports lazily in this one)
    cli = [sys.executable, "-m", "redislint", "keys", "--observed", "out/r.json"]
    keys = run_command([*cli, "proj"], pytester.path)
    assert keys.returncode == 0, show(keys)
    text = keys.stdout
    forget_at = at(pytester.path, store, "forget")
    block = text.split(f"{forget_at}:5 in forget()", 1)[1].split("\n  key", 1)[0]
    assert "observed: 'cache:product:9'" in block, text
    listed = run_command([*cli, "--format", "json", "proj"], pytester.path)
    unresolved = json.loads(listed.stdout)["unresolved"]
    forget_row = next(u for u in unresolved if u["function"] == "forget")
    assert forget_row["observed"] == ["cache:product:9"]


def test_strict_inactive_and_clean(
    pytester: pytest.Pytester, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PORT_ENV, str(redis_server.port))
    write(pytester.path, MAIN)
    strict = pytester.runpytest_subprocess("--redislint", "--redislint-strict", "proj")
    strict.assert_outcomes(passed=6)
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    assert "--redislint-strict: the session fails on findings" in strict.stdout.str()

    inactive = pytester.runpytest_subprocess("proj", "--redislint-report=off.json")
    inactive.assert_outcomes(passed=6)
    assert inactive.ret == 0
    assert "= redislint =" not in inactive.stdout.str()
    assert "recorded commands" not in inactive.stdout.str()
    assert not (pytester.path / "off.json").exists()

    write(
        pytester.path,
        {
            "clean/redislint.toml": """
                [[keyspace]]
                pattern = "cache:*"
                role = "cache"

                [[keyspace]]
                pattern = "order:*"
                role = "critical"
            """,
            "clean/app/__init__.py": "",
            "clean/conftest.py": "",
            "clean/app/store.py": """
                import os

                import redis

                r = redis.Redis(port=int(os.environ["RL_TEST_PORT"]))


                def work(i):
                    r.set(f"cache:{i}", "x", ex=60)
                    r.hset(f"order:{i}", "status", "new")
                    with r.pipeline() as pipe:
                        pipe.hset(f"order:{i}", "paid", "yes")
                        pipe.execute()
                    return r.hget(f"order:{i}", "status")
            """,
            "clean/tests/test_clean.py": """
                from app.store import work


                def test_work():
                    assert work(1) == b"new"
            """,
        },
    )
    clean = pytester.runpytest_subprocess(
        "--redislint", "--redislint-strict", "--redislint-report=clean.json", "clean"
    )
    clean.assert_outcomes(passed=1)
    assert clean.ret == 0
    clean.stdout.fnmatch_lines(["*= redislint =*", "0 findings in 4 recorded commands"])
    assert diagnostics(pytester.path / "clean.json") == []


# -- redis.asyncio under pytest-asyncio, and fakeredis -----------------------------------

ASYNC = {
    "pyproject.toml": INNER_PYTEST,
    "redislint.toml": """
        [[keyspace]]
        pattern = "cache:*"
        role = "cache"
    """,
    "conftest.py": "",
    "app/__init__.py": "",
    "app/aio.py": """
        import os

        import redis.asyncio as aioredis


        async def fill(i):
            r = aioredis.Redis(port=int(os.environ["RL_TEST_PORT"]))
            try:
                await r.set(f"cache:a:{i}", "x")  # at:async-set
                await r.set(f"drift:a:{i}", "x", ex=60)  # at:async-drift
                async with r.pipeline(transaction=True) as pipe:
                    pipe.hset(f"cache:p:{i}", "k", "v")  # at:async-pipe
                    await pipe.execute()
                await r.set(f"cache:ok:{i}", "x", ex=60)
            finally:
                await r.aclose()
    """,
    "app/fake.py": """
        def fill(r):
            r.set("cache:fake", "x")  # at:fake-sync


        async def afill(r):
            await r.set("cache:afake", "x")  # at:fake-async
    """,
    "tests/test_async.py": """
        import fakeredis
        import fakeredis.aioredis
        import pytest

        from app import aio, fake


        @pytest.mark.asyncio
        async def test_asyncio():
            await aio.fill(1)


        def test_fakeredis():
            fake.fill(fakeredis.FakeRedis())


        @pytest.mark.asyncio
        async def test_fakeredis_async():
            await fake.afill(fakeredis.aioredis.FakeRedis())
    """,
}


def test_asyncio_and_fakeredis(
    pytester: pytest.Pytester, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PORT_ENV, str(redis_server.port))
    write(pytester.path, ASYNC)
    result = pytester.runpytest_subprocess("--redislint", "--redislint-report=r.json")
    result.assert_outcomes(passed=3)
    rows = diagnostics(pytester.path / "r.json")
    assert where(rows, "RL201") == {
        at(pytester.path, "app/aio.py", "async-set"),
        at(pytester.path, "app/aio.py", "async-pipe"),
        at(pytester.path, "app/fake.py", "fake-sync"),
        at(pytester.path, "app/fake.py", "fake-async"),
    }
    assert where(rows, "RL307") == {at(pytester.path, "app/aio.py", "async-drift")}
    assert "cannot be asked" not in result.stdout.str()


# -- cluster mode: a one-node cluster owning every slot ----------------------------------

CLUSTER = {
    "pyproject.toml": INNER_PYTEST,
    "redislint.toml": """
        [[keyspace]]
        pattern = "cache:*"
        role = "cache"
    """,
    "conftest.py": "",
    "app/__init__.py": "",
    "app/multi.py": """
        import os

        import redis
        from redis.cluster import RedisCluster
        from redis.exceptions import RedisClusterException, ResponseError

        PORT = int(os.environ["RL_TEST_PORT"])


        def cluster_reads():
            rc = RedisCluster(host="127.0.0.1", port=PORT)
            rc.set("cache:c", "x")  # at:cluster-cache
            rc.mget("{u1}a", "{u1}b")
            try:
                rc.mget("acct:a", "acct:b")  # at:cluster-mget
            except RedisClusterException:
                pass
            try:
                with rc.pipeline(transaction=True) as pipe:
                    pipe.set("{u2}a", "1")
                    pipe.set("{u3}b", "2")  # at:cluster-tx
                    pipe.execute()
            except RedisClusterException:
                pass
            with rc.pipeline(transaction=True) as pipe:
                pipe.set("{u4}a", "1", ex=60)
                pipe.set("{u4}b", "2", ex=60)
                pipe.execute()
            rc.close()


        def node_client():
            r = redis.Redis(host="127.0.0.1", port=PORT)
            try:
                r.delete("k:1", "k:2")  # at:node-del
            except ResponseError as exc:
                assert "hash to the same slot" in str(exc)  # the server refused it
            r.close()
    """,
    "tests/test_cluster.py": """
        from app import multi


        def test_cluster_client():
            multi.cluster_reads()


        def test_node_client():
            multi.node_client()
    """,
}


def test_cluster_cross_slot(
    pytester: pytest.Pytester, cluster_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis.Redis(host=cluster_server.host, port=cluster_server.port).flushall()
    monkeypatch.setenv(PORT_ENV, str(cluster_server.port))
    files = dict(CLUSTER)
    files["redislint.toml"] = "cluster = true\n" + textwrap.dedent(files["redislint.toml"])
    write(pytester.path, files)
    result = pytester.runpytest_subprocess("--redislint", "--redislint-report=r.json")
    result.assert_outcomes(passed=2)
    rows = diagnostics(pytester.path / "r.json")
    assert where(rows, "RL107") == {
        at(pytester.path, "app/multi.py", "cluster-mget"),
        at(pytester.path, "app/multi.py", "cluster-tx"),
        at(pytester.path, "app/multi.py", "node-del"),
    }
    # the TTL check reaches the slot's owner through the cluster client
    assert where(rows, "RL201") == {at(pytester.path, "app/multi.py", "cluster-cache")}
