"""The client model: what is proven to be a redis-py client, and what is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import model_for, receivers


def proven(tmp_path: Path, source: str, **files: str) -> dict[str, object]:
    model = model_for(tmp_path, {"app.py": source, **files})
    return {k: v is not None for k, v in receivers(model).items()}


def test_constructors_and_factories_in_all_spellings(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        import redis
        import redis as R
        import redis.asyncio as aioredis
        from redis import Redis as RR, StrictRedis, from_url
        from redis.cluster import RedisCluster
        from redis.sentinel import Sentinel
        from django_redis import get_redis_connection

        a = redis.Redis()
        b = R.StrictRedis.from_url("redis://")
        c = RR(connection_pool=redis.ConnectionPool())
        d = from_url("redis://")
        e = aioredis.from_url("redis://")
        f = aioredis.Redis.from_url("redis://")
        g = RedisCluster(host="x")
        h = Sentinel([("x", 26379)]).master_for("mymaster")
        i = Sentinel([("x", 26379)]).slave_for("mymaster")
        j = get_redis_connection("default")
        k = StrictRedis()
        for name in (a, b, c, d, e, f, g, h, i, j, k):
            pass
        a.probe(); b.probe(); c.probe(); d.probe(); e.probe(); f.probe()
        g.probe(); h.probe(); i.probe(); j.probe(); k.probe()
        """,
    )
    assert result == dict.fromkeys("abcdefghijk", True)


def test_lookalikes_are_not_clients(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        import redis
        import requests
        from django.core.cache import cache
        from flask_caching import Cache

        class Store:
            def set(self, k, v): ...

        d = {}
        s = set()
        session = requests.Session()
        flask = Cache()
        store = Store()
        pool = redis.ConnectionPool()
        d.probe(); s.probe(); session.probe(); cache.probe(); flask.probe(); store.probe()
        pool.probe()
        """,
    )
    assert not any(result.values()), result


def test_every_source_must_be_proven(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        import redis

        both = redis.Redis() if x else redis.Redis(db=1)
        half = redis.Redis() if x else {}
        rebound = redis.Redis()
        rebound = {}

        def f(pipeline=None, conn=None):
            conn2 = pipeline if pipeline is not None else redis.Redis()
            conn2.probe()

        both.probe(); half.probe(); rebound.probe()
        """,
    )
    assert result == {"both": True, "half": False, "rebound": False, "conn2": False}


def test_aliases_annotations_and_self_attributes(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        from typing import Optional
        import redis
        from redis import Redis
        from redis.client import Pipeline

        r = redis.Redis()
        alias = r
        alias_of_alias = alias

        def ann(a: Redis, b: "redis.Redis", c: Optional[Redis], d: Redis | None, p: Pipeline, e):
            a.probe(); b.probe(); c.probe(); d.probe(); p.probe(); e.probe()

        def returns() -> redis.Redis:
            ...

        class Service:
            client: Redis

            def __init__(self):
                self.conn = redis.Redis.from_url("redis://")
                self.data = {}

            def run(self):
                self.conn.probe(); self.client.probe(); self.data.probe()

        alias_of_alias.probe()
        returns().probe()
        """,
    )
    assert result == {
        "a": True,
        "b": True,
        "c": True,
        "d": True,
        "p": True,
        "e": False,
        "self.conn": True,
        "self.client": True,
        "self.data": False,
        "alias_of_alias": True,
        "returns()": True,
    }


def test_clients_from_other_modules_and_factories(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        from pkg import db
        from pkg.db import client, get_client, cached_client
        from pkg.db import not_a_client

        client.probe()
        db.client.probe()
        get_client().probe()
        cached_client().probe()
        not_a_client.probe()
        """,
        **{
            "pkg/__init__.py": "",
            "pkg/db.py": """
                import functools
                import redis

                client = redis.Redis()
                not_a_client = {}

                def get_client():
                    return client

                @functools.lru_cache(maxsize=None)
                def cached_client():
                    return redis.Redis.from_url("redis://")
            """,
        },
    )
    assert result == {
        "client": True,
        "db.client": True,
        "get_client()": True,
        "cached_client()": True,
        "not_a_client": False,
    }


def test_configured_factories_and_names(tmp_path: Path) -> None:
    model = model_for(
        tmp_path,
        {
            "app.py": """
                from myapp.db import get_redis
                get_redis().probe()
                self.client.probe()
                other.probe()
            """,
        },
        client_factories=("myapp.db.get_redis",),
        client_names=("self.client",),
    )
    assert {k: v is not None for k, v in receivers(model).items()} == {
        "get_redis()": True,
        "self.client": True,
        "other": False,
    }


@pytest.mark.parametrize(
    ("expr", "transactional"),
    [
        ("r.pipeline()", True),
        ("r.pipeline(transaction=True)", True),
        ("r.pipeline(transaction=False)", False),
        ("r.pipeline(False)", False),
        ("r.pipeline(transaction=flag)", None),
    ],
)
def test_pipelines_are_told_apart(tmp_path: Path, expr: str, transactional: bool | None) -> None:
    model = model_for(
        tmp_path,
        {"app.py": f"import redis\nr = redis.Redis()\np = {expr}\np.probe()\n"},
    )
    client = receivers(model)["p"]
    assert client is not None and client.kind == "pipeline"
    assert client.transactional is transactional


def test_with_pipeline_transaction_callback_and_helper_param(tmp_path: Path) -> None:
    model = model_for(
        tmp_path,
        {
            "app.py": """
                import redis
                r = redis.Redis()

                def helper(pipe):
                    pipe.probe()

                def callback(pipe):
                    pipe.probe()

                with r.pipeline() as p:
                    p.probe()
                    helper(p)
                r.transaction(callback, "k")
                script = r.register_script("return 1")
                script.probe()
            """
        },
    )
    found = receivers(model)
    assert found["p"] is not None and found["p"].transactional is True
    pipes = [site for site in model.facts.calls if site.method == "probe" and site.scope != ""]
    kinds = {site.scope: model.client_of(site.scope, site.receiver) for site in pipes}
    assert kinds["helper"] is not None and kinds["helper"].transactional is True
    assert kinds["callback"] is not None and kinds["callback"].transactional is True
    assert found["script"] is not None and found["script"].kind == "script"


def test_async_clients_are_marked(tmp_path: Path) -> None:
    model = model_for(
        tmp_path,
        {
            "app.py": """
                import redis.asyncio as aioredis
                import redis

                async def main():
                    a = aioredis.from_url("redis://")
                    async with aioredis.Redis() as b:
                        a.probe(); b.probe()
                    s = redis.Redis()
                    s.probe()
            """
        },
    )
    found = receivers(model)
    assert found["a"] is not None and found["a"].is_async
    assert found["b"] is not None and found["b"].is_async
    assert found["s"] is not None and not found["s"].is_async


def test_subclass_of_redis_is_a_client(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        import redis

        class MyRedis(redis.Redis):
            pass

        class Plain:
            pass

        MyRedis().probe()
        Plain().probe()
        """,
    )
    assert result == {"MyRedis()": True, "Plain()": False}
