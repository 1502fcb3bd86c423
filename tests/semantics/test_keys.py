"""Key expressions to glob patterns, identity, and namespace matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from redislint.config import KeyspaceEntry
from redislint.semantics.keys import KeyPattern, role_of, subsumes

from .helpers import model_for


def patterns(tmp_path: Path, source: str, **files: str) -> dict[int, KeyPattern | None]:
    """The pattern of the first key of each `r.get(...)` call, by source line."""
    model = model_for(tmp_path, {"app.py": source, **files})
    result: dict[int, KeyPattern | None] = {}
    for number, call in enumerate(model.iter_calls("GET"), start=1):
        result[number] = call.keys[0].pattern if call.keys else None
    return result


def globs(tmp_path: Path, source: str, **files: str) -> list[str | None]:
    return [p.glob if p else None for p in patterns(tmp_path, source, **files).values()]


def test_literal_and_formatted_keys(tmp_path: Path) -> None:
    assert globs(
        tmp_path,
        """
        import redis
        r = redis.Redis()

        def f(uid, name, items):
            r.get("user:1")
            r.get(b"bytes:key")
            r.get(f"user:{uid}")
            r.get(f"user:{uid}:profile:{name}")
            r.get("user:%s" % uid)
            r.get("user:%s:%d" % (uid, 3))
            r.get("user:{}".format(uid))
            r.get("user:{id}:x".format(id=uid))
            r.get("user:" + uid)
            r.get(":".join(["user", uid, "cart"]))
            r.get(uid)
            r.get(items[0])
            r.get(f"{uid}:suffix")
        """,
    ) == [
        "user:1",
        "bytes:key",
        "user:*",
        "user:*:profile:*",
        "user:*",
        "user:*:3",
        "user:*",
        "user:*:x",
        "user:*",
        "user:*:cart",
        None,
        None,
        "*:suffix",
    ]


def test_constants_class_constants_self_attributes_and_builders(tmp_path: Path) -> None:
    assert globs(
        tmp_path,
        """
        import redis
        from keys import order_key, Keys, PREFIX
        import keys

        r = redis.Redis()
        LOCAL = "local"

        class Repo:
            NS = "repo"

            def __init__(self):
                self.prefix = "inst"

            def run(self, oid):
                r.get(LOCAL)
                r.get(f"{Keys.ORDER}:{oid}")
                r.get(f"{self.NS}:{oid}")
                r.get(f"{self.prefix}:{oid}")
                r.get(order_key(oid))
                r.get(Keys.cart(oid))
                r.get(PREFIX + oid)
                r.get(keys.order_key(oid))
        """,
        **{
            "keys.py": """
                PREFIX = "pfx:"

                def order_key(order_id):
                    return f"order:{order_id}"

                class Keys:
                    ORDER = "order"

                    @staticmethod
                    def cart(user_id):
                        return "cart:%s" % user_id
            """
        },
    ) == ["local", "order:*", "repo:*", "inst:*", "order:*", "cart:*", "pfx:*", "order:*"]


def test_same_key_identity(tmp_path: Path) -> None:
    found = patterns(
        tmp_path,
        """
        import redis
        r = redis.Redis()
        KEY = "a"

        def move(src, dst):
            r.get(f"acct:{src}")
            r.get(f"acct:{dst}")
            r.get(f"acct:{src}")
            r.get(KEY)
            r.get("a")
        """,
    )
    assert found[1] is not None and found[2] is not None and found[3] is not None
    assert found[1].glob == found[2].glob == "acct:*"
    assert found[1].identity != found[2].identity
    assert found[1].identity == found[3].identity
    assert found[4] == found[5]


@pytest.mark.parametrize(
    ("namespace", "key", "inside"),
    [
        ("cache:*", "cache:user:1", True),
        ("cache:*", "cache:*", True),
        ("cache:*", "cache:*:x", True),
        ("*:cache:*", "app:cache:*", True),
        ("cache:*", "*:x", False),
        ("cache:*", "*", False),
        ("order:*", "orders:*", False),
        ("*", "*:x", True),
        ("user:?", "user:1", True),
        ("user:?", "user:*", False),
        ("user:[0-9]*", "user:7:x", True),
        ("user:[0-9]*", "user:a", False),
    ],
)
def test_subsumes(namespace: str, key: str, inside: bool) -> None:
    assert subsumes(namespace, key) is inside


def test_role_of_takes_first_declared_namespace_and_unknown_matches_nothing() -> None:
    keyspace = (
        KeyspaceEntry("cache:order:*", "cache"),
        KeyspaceEntry("order:*", "critical"),
        KeyspaceEntry("*", "ephemeral"),
    )
    assert role_of(KeyPattern("cache:order:1", "x"), keyspace).role == "cache"  # type: ignore[union-attr]
    assert role_of(KeyPattern("order:*", "y"), keyspace).role == "critical"  # type: ignore[union-attr]
    assert role_of(None, keyspace) is None
