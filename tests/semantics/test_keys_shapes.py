"""Key shapes of real projects (issue 7): properties, instance attributes, base classes,
builders evaluated with their arguments, flow-sensitive locals, and why a key is unknown."""

from __future__ import annotations

from pathlib import Path

from redislint.semantics.model import FileModel

from .helpers import model_for


def _gets(model: FileModel) -> list:  # type: ignore[type-arg]
    return list(model.iter_calls("GET"))


def globs(tmp_path: Path, source: str, **files: str) -> list[str | None]:
    """The pattern of the first key of each `r.get(...)` call, in source order."""
    model = model_for(tmp_path, {"app.py": source, **files})
    return [c.keys[0].pattern.glob if c.keys[0].pattern else None for c in _gets(model)]


def reasons(tmp_path: Path, source: str, **files: str) -> list[str | None]:
    model = model_for(tmp_path, {"app.py": source, **files})
    return [model.key_reason(c, c.keys[0]) for c in _gets(model)]


def test_properties_cached_properties_and_instance_attributes(tmp_path: Path) -> None:
    assert globs(
        tmp_path,
        """
        import functools
        import redis
        r = redis.Redis()
        PREFIX = "rq"

        class Registry:
            def __init__(self, key, name):
                self.key = key
                self._name_key = f"{PREFIX}:name:{name}"

            @property
            def allowed_key(self):
                return f"{PREFIX}:rl:{self.key}:allowed"

            @functools.cached_property
            def config_key(self):
                return f"{PREFIX}:rl:{self.key}"

            @property
            def name_key(self):
                return self._name_key

            @name_key.setter
            def name_key(self, value):
                raise AttributeError("read only")

            def run(self):
                r.get(self.allowed_key)
                r.get(self.config_key)
                r.get(self._name_key)
                r.get(self.name_key)
                r.get(f"{self.key}:allowed")
                r.get(self.key)
        """,
    ) == ["rq:rl:*:allowed", "rq:rl:*", "rq:name:*", "rq:name:*", "*:allowed", None]


def test_base_classes_in_other_modules_and_subclass_overrides(tmp_path: Path) -> None:
    assert globs(
        tmp_path,
        """
        import redis
        from base import Stored
        r = redis.Redis()

        class Queue(Stored):
            def run(self, ident):
                r.get(self.namespace_prefix + ident)
                r.get(self.key)

        class Base:
            template = "rq:registry:{0}"

            def __init__(self, name):
                self.key = self.template.format(name)

            def run(self):
                r.get(self.key)

        class Started(Base):
            template = "rq:wip:{0}"

            def run(self):
                r.get(self.key)
        """,
        **{
            "base.py": """
                class Stored:
                    namespace_prefix = "app:queue:"

                    @property
                    def key(self):
                        return self.namespace_prefix + "main"
            """
        },
    ) == ["app:queue:*", "app:queue:main", "rq:*:*", "rq:wip:*"]


def test_builders_methods_static_and_class_methods_with_their_arguments(tmp_path: Path) -> None:
    assert globs(
        tmp_path,
        """
        import redis
        from models import Order, namespace
        r = redis.Redis()

        class Queue:
            def __init__(self, name):
                self.name = name
                self._stats = self.namespace("stats")

            def namespace(self, key):
                return ":".join(["saq", self.name, key])

            @staticmethod
            def fixed(kind, suffix="x"):
                return f"q:{kind}:{suffix}"

            def run(self, oid):
                r.get(self._stats)
                r.get(self.namespace(f"worker:{oid}"))
                r.get(self.fixed("a"))
                r.get(self.fixed("a", suffix="y"))
                r.get(Order.key_for(oid))
                r.get(Order(oid).key)
                r.get(namespace("stats"))
                r.get(namespace(oid))
        """,
        **{
            "models.py": """
                class Order:
                    prefix = "order:"

                    def __init__(self, ident):
                        self.ident = ident

                    @classmethod
                    def key_for(cls, ident):
                        return cls.prefix + ident

                    @property
                    def key(self):
                        return self.key_for(self.ident)

                def namespace(key):
                    return f"app:{key}"
            """
        },
    ) == [
        "saq:*:stats",
        "saq:*:worker:*",
        "q:a:x",
        "q:a:y",
        "order:*",
        "order:*",
        "app:stats",
        "app:*",
    ]


def test_operators_and_local_variables_over_several_statements(tmp_path: Path) -> None:
    assert globs(
        tmp_path,
        """
        import os
        import redis
        r = redis.Redis()
        PREFIX = os.environ.get("APP_PREFIX", "app")
        SAFE = PREFIX.replace("{", "{{")

        def f(uid, args, key, flag):
            r.get("user:%(id)s:%(kind)s" % {"id": uid, "kind": "cart"})
            parts = ("user", uid)
            r.get("{}:{}".format(*parts))
            r.get("{a}:{b}".format(**{"a": "user", "b": uid}))
            r.get("{}:{}".format(*args))
            r.get(":".join(parts))
            r.get("-".join(args))
            r.get(b"user:1")
            r.get(("user:" + str(uid)).encode())
            k = PREFIX
            k += ":" + uid
            r.get(k)
            key = SAFE + ":" + key
            r.get(key)
            name = "user:1" if flag else "user:2"
            r.get(name)
            r.get(f"{uid}")
        """,
    ) == [
        "user:*:cart",
        "user:*",
        "user:*",
        "*:*",
        "user:*",
        None,
        "user:1",
        "user:*",
        "app:*",
        "app:*",
        "user:*",
        None,
    ]


def test_flow_sensitive_reads_of_a_local(tmp_path: Path) -> None:
    assert globs(
        tmp_path,
        """
        import redis
        r = redis.Redis()

        def f(uid, flag, items):
            key = f"order:{uid}"
            r.get(key)
            key = f"cache:{uid}"
            r.get(key)
            if flag:
                key = f"stock:{uid}"
            r.get(key)
            for item in items:
                r.get(key)
                key = f"cart:{item}"
            k2 = "a:1"
            [r.get(k2) for k2 in items]
        """,
    ) == ["order:*", "cache:*", "*:*", "*:*", None]


def test_the_same_variable_at_two_points_is_two_keys(tmp_path: Path) -> None:
    model = model_for(
        tmp_path,
        {
            "app.py": """
                import redis
                r = redis.Redis()

                def move(src, dst):
                    key = f"acct:{src}"
                    r.get(key)
                    key = f"acct:{dst}"
                    r.get(key)
                    r.get(f"acct:{dst}")
            """
        },
    )
    first, second, third = (c.keys[0].pattern for c in _gets(model))
    assert first is not None and second is not None and third is not None
    assert not first.same_key(second)
    assert second.same_key(third)


def test_reasons_name_the_part_that_was_not_followed(tmp_path: Path) -> None:
    found = reasons(
        tmp_path,
        """
        import json
        import redis
        r = redis.Redis()

        class Job:
            def __init__(self, conn):
                self.conn = conn

            def run(self, job, keys):
                r.get(job.id)
                r.get(json.dumps(job))
                r.get(self.missing)
                r.get(r.hget("h", "f"))
                r.get(keys[0])
                for k in keys:
                    r.get(k)
                r.get(f"{job}")
                r.get("order:1")
        """,
    )
    assert found[0] is not None and "`job` is a parameter of Job.run()" in found[0]
    assert found[1] is not None and "library json.dumps" in found[1]
    assert found[2] is not None and "`missing` is not assigned in Job" in found[2]
    assert found[3] is not None and "read from Redis" in found[3]
    assert found[4] is not None and "item of a container" in found[4]
    assert found[5] is not None and "`k` is a loop variable" in found[5]
    assert found[6] is not None and "no literal part" in found[6]
    assert found[7] is None
