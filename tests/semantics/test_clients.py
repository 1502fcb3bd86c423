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


# -- round 2 (issue 7): the shapes real projects pass their clients in --------------------


def test_helper_parameter_proven_from_callers_in_other_modules(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/helpers.py": """
            def wipe(conn):
                conn.probe()

            def mixed(conn):
                conn.probe()

            def unknown(conn):
                conn.probe()
        """,
        "pkg/app.py": """
            import redis
            from pkg import helpers
            from pkg.helpers import wipe, mixed

            r = redis.Redis()
            wipe(r)
            helpers.wipe(redis.Redis(db=1))
            mixed(r)
        """,
        "pkg/other.py": """
            from pkg.helpers import mixed, unknown
            mixed({})
            unknown(whatever)
        """,
    }
    model = model_for(tmp_path, files, "pkg/helpers.py")
    by_scope = {
        site.scope: model.client_of(site.scope, site.receiver)
        for site in model.facts.calls
        if site.method == "probe" and site.receiver is not None
    }
    assert by_scope["wipe"] is not None and by_scope["wipe"].kind == "client"
    assert by_scope["mixed"] is None  # other.py passes a dict
    assert by_scope["unknown"] is None  # its only caller passes an unknown name


def test_constructor_callers_make_self_attribute_a_client(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/inbox.py": """
            class Inbox:
                def __init__(self, connection):
                    self.connection = connection

                def push(self):
                    self.connection.probe()

            class Derived:
                def __init__(self, connection):
                    self.connection = connection

                def push(self):
                    self.connection.probe()

            class Sub(Derived):
                pass
        """,
        "pkg/app.py": """
            import redis.asyncio as aioredis
            from pkg.inbox import Inbox, Derived
            r = aioredis.Redis()
            Inbox(connection=r).push()
            Derived(r)
        """,
    }
    model = model_for(tmp_path, files, "pkg/inbox.py")
    found = {
        site.scope: model.client_of(site.scope, site.receiver)
        for site in model.facts.calls
        if site.method == "probe" and site.receiver is not None
    }
    inbox = found["Inbox.push"]
    assert inbox is not None and inbox.is_async
    assert found["Derived.push"] is None  # a subclass may construct it with anything


def test_helper_module_that_never_mentions_redis_passes_the_prefilter(tmp_path: Path) -> None:
    from redislint.config import Config
    from redislint.engine import analyze_file
    from redislint.semantics.project import ProjectIndex

    from .helpers import write_project

    write_project(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/helpers.py": "def wipe(conn):\n    conn.flushdb()\n",
            "pkg/unrelated.py": "def f(x):\n    x.flushdb()\n",
            "pkg/app.py": "import redis\nfrom pkg.helpers import wipe\nwipe(redis.Redis())\n",
        },
    )
    index = ProjectIndex(Config(root=tmp_path))
    helper = tmp_path / "pkg" / "helpers.py"
    analysis = analyze_file(helper, "pkg/helpers.py", index.config, index)
    assert analysis is not None
    assert [c.command for c in analysis.model.redis_calls] == ["FLUSHDB"]
    unrelated = tmp_path / "pkg" / "unrelated.py"
    assert analyze_file(unrelated, "pkg/unrelated.py", index.config, index) is None


def test_properties_and_methods_returning_clients(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        import functools
        from functools import cached_property
        import redis
        from redis import Redis

        class Service:
            def __init__(self):
                self._r = redis.Redis()

            @property
            def client(self) -> Redis:
                return self._r

            @client.setter
            def client(self, value):
                self._r = value

            @cached_property
            def cached(self):
                return redis.Redis()

            @functools.cached_property
            def cached2(self):
                return redis.Redis()

            @property
            def settings(self):
                return {}

            def connect(self) -> Redis:
                return Redis()

            def run(self):
                self.client.probe(); self.cached.probe(); self.cached2.probe()
                self.settings.probe(); self.connect().probe(); self.client2.probe()

        def outside(s: Service):
            s.client.probe()
        """,
    )
    assert result == {
        "self.client": True,
        "self.cached": True,
        "self.cached2": True,
        "self.settings": False,
        "self.connect()": True,
        "self.client2": False,
        "s.client": True,
    }


def test_self_in_subclasses_of_redis_py_classes(tmp_path: Path) -> None:
    model = model_for(
        tmp_path,
        {
            "app.py": """
                import redis
                import redis.asyncio
                from redis.client import Pipeline

                class Sync(redis.Redis):
                    def f(self):
                        self.probe()
                        self.pipeline(transaction=False).probe()

                class Async(redis.asyncio.Redis):
                    def f(self):
                        self.probe()

                class Pipe(Pipeline):
                    def f(self):
                        self.probe()

                class Plain:
                    def f(self):
                        self.probe()
            """
        },
    )
    # (method, receiver shape): `self` is a Name, `self.pipeline(...)` a Call
    found = {
        (site.scope, type(site.receiver).__name__): model.client_of(site.scope, site.receiver)
        for site in model.facts.calls
        if site.method == "probe" and site.receiver is not None
    }
    sync = found[("Sync.f", "Name")]
    assert sync is not None and sync.kind == "client" and not sync.is_async
    pipe = found[("Sync.f", "Call")]
    assert pipe is not None and pipe.kind == "pipeline" and pipe.transactional is False
    asynchronous = found[("Async.f", "Name")]
    assert asynchronous is not None and asynchronous.is_async
    pipeline = found[("Pipe.f", "Name")]
    assert pipeline is not None and pipeline.kind == "pipeline"
    assert found[("Plain.f", "Name")] is None


def test_partial_factories(tmp_path: Path) -> None:
    model = model_for(
        tmp_path,
        {
            "app.py": """
                import functools
                from functools import partial
                import redis
                import redis.asyncio as aioredis

                make = functools.partial(redis.Redis, host="x", decode_responses=True)
                make_async = partial(aioredis.from_url, "redis://x")
                make_dict = partial(dict, a=1)
                a = make()
                b = make_async()
                c = make_dict()
                d = make(decode_responses=False)
                a.probe(); b.probe(); c.probe(); d.probe()
            """
        },
    )
    found = receivers(model)
    assert found["a"] is not None and found["a"].decode_responses is True
    assert found["b"] is not None and found["b"].is_async
    assert found["c"] is None
    assert found["d"] is not None and found["d"].decode_responses is False


def test_containers_of_clients_indexed_by_literal(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        import redis

        CLIENTS = {"cache": redis.Redis(), "queue": redis.Redis(db=1)}
        LIST = (redis.Redis(), redis.Redis())
        MIXED = {"cache": redis.Redis(), "other": {}}
        UPDATED = {"cache": redis.Redis()}
        UPDATED.update(other={})
        DELETED = {"cache": redis.Redis()}
        del DELETED["cache"]

        def f(name):
            CLIENTS["cache"].probe()
            CLIENTS["nope"].probe()
            CLIENTS[name].probe()
            LIST[1].probe()
            LIST[2].probe()
            MIXED["cache"].probe()
            UPDATED["cache"].probe()
            DELETED["cache"].probe()
        """,
    )
    assert result == {
        'CLIENTS["cache"]': True,
        'CLIENTS["nope"]': False,
        "CLIENTS[name]": False,
        "LIST[1]": True,
        "LIST[2]": False,
        'MIXED["cache"]': False,
        'UPDATED["cache"]': False,
        'DELETED["cache"]': False,
    }


def test_django_redis_and_fastapi_dependencies(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        import redis
        from django.core.cache import cache, caches
        from django_redis import get_redis_connection
        from fastapi import Depends
        from mylib import cache as other_cache

        def get_redis():
            r = redis.Redis()
            yield r

        def get_other():
            return {}

        def view(a=Depends(get_redis), b=Depends(get_other), c=Depends(lambda: 1)):
            a.probe(); b.probe(); c.probe()

        cache.client.get_client().probe()
        caches["x"].client.get_client(write=True).probe()
        get_redis_connection("default").probe()
        other_cache.client.get_client().probe()
        cache.probe()
        """,
    )
    assert result == {
        "a": True,
        "b": False,
        "c": False,
        "cache.client.get_client()": True,
        'caches["x"].client.get_client(write=True)': True,
        'get_redis_connection("default")': True,
        "other_cache.client.get_client()": False,
        "cache": False,
    }


def test_type_checking_imports_string_annotations_cast_and_isinstance(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        from __future__ import annotations
        from typing import TYPE_CHECKING, Optional, Union, cast
        import typing

        if TYPE_CHECKING:
            from redis import Redis
            from redis.asyncio import Redis as AsyncRedis

        class Holder:
            def __init__(self, conn):
                self.conn: "Redis" = conn

            def f(self):
                self.conn.probe()

        def f(a: "Redis", b: Optional["AsyncRedis"], c: Union["Redis", None], d, e, g, h):
            a.probe(); b.probe(); c.probe()
            cast(Redis, d).probe()
            typing.cast("Redis", e).probe()
            cast(dict, g).probe()
            assert isinstance(h, Redis)
            h.probe()
        """,
    )
    assert result == {
        "self.conn": True,
        "a": True,
        "b": True,
        "c": True,
        "cast(Redis, d)": True,
        'typing.cast("Redis", e)': True,
        "cast(dict, g)": False,
        "h": True,
    }


def test_client_names_with_kind_and_module_scope(tmp_path: Path) -> None:
    from redislint.config import ClientName

    files = {
        "app/storage.py": "self.conn.probe()\naconn.probe()\ncconn.probe()\n",
        "app/other.py": "self.conn.probe()\n",
    }
    names = (
        ClientName("self.conn", "app/storage.py"),
        ClientName("aconn", is_async=True),
        ClientName("cconn", cluster=True),
    )
    storage = model_for(tmp_path, files, "app/storage.py", client_name_entries=names)
    found = receivers(storage)
    assert found["self.conn"] is not None
    assert found["aconn"] is not None and found["aconn"].is_async
    assert found["cconn"] is not None and found["cconn"].cluster
    other = model_for(tmp_path, files, "app/other.py", client_name_entries=names)
    assert receivers(other)["self.conn"] is None


def test_optional_import_placeholder_and_generic_alias_base(tmp_path: Path) -> None:
    result = proven(
        tmp_path,
        """
        from typing import TYPE_CHECKING
        try:
            from redis import Redis
        except ImportError:
            Redis = None
        try:
            from redis import Redis as Other
        except ImportError:
            Other = dict
        try:
            from redis import Redis as Third
        except ValueError:
            Third = None

        if TYPE_CHECKING:
            Base = Redis[bytes]
        else:
            Base = Redis

        class Mine(Base):
            pass

        Redis().probe()
        Other().probe()
        Third().probe()
        Mine().probe()
        """,
    )
    assert result == {"Redis()": True, "Other()": False, "Third()": False, "Mine()": True}
