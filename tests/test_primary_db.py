"""Unit tests of `semantics/primary_db.py`: which calls write the primary database.

RL302's precision rests on this module in both directions: a write it misses makes the
rule accuse correct code, a non-write it accepts silences a real finding. Each case
names the call (by its source text) and says whether it is a write.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from redislint.config import Config
from redislint.semantics.primary_db import PrimaryDbWrites, sql_writes
from redislint.semantics.project import ProjectIndex
from redislint.semantics.scopes import ModuleFacts


# -- SQL text --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "INSERT INTO orders VALUES (1)",
        "insert into orders values (1)",
        "  \n\tUPDATE orders SET status = 'paid'",
        "DELETE FROM orders",
        "MERGE INTO orders USING staged ON true WHEN MATCHED THEN DELETE",
        "REPLACE INTO orders VALUES (1)",
        "UPSERT INTO orders VALUES (1)",
        "-- a comment\nINSERT INTO orders VALUES (1)",
        "/* a\n block */ UPDATE orders SET x = 1",
        "# mysql comment\nDELETE FROM orders",
        "WITH src AS (SELECT 1) INSERT INTO orders SELECT * FROM src",
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT n + 1 FROM t) UPDATE x SET n = 1",
        "WITH gone AS (DELETE FROM carts RETURNING id) SELECT count(*) FROM gone",
        "BEGIN; INSERT INTO orders VALUES (1); COMMIT;",
        "INSERT INTO ",  # the literal start of an f-string
    ],
)
def test_sql_that_writes(text: str) -> None:
    assert sql_writes(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SELECT * FROM orders",
        "select 'INSERT INTO x' from dual",
        "-- INSERT INTO orders\nSELECT 1",
        "/* DELETE */ SELECT 1",
        "WITH x AS (SELECT id FROM orders) SELECT * FROM x FOR UPDATE",
        "WITH x AS (SELECT replace(name, 'a', 'b') FROM t) SELECT * FROM x",
        "SELECT id FROM orders FOR UPDATE SKIP LOCKED",
        "CREATE TABLE orders (id int)",
        "BEGIN; SELECT 1; COMMIT;",
        "EXPLAIN SELECT 1",
    ],
)
def test_sql_that_does_not_write(text: str) -> None:
    assert not sql_writes(text)


# -- calls -------------------------------------------------------------------------------
def _facts(
    tmp_path: Path,
    source: str,
    extra: dict[str, str] | None = None,
    depth: int | None = None,
    **options: object,
) -> tuple[ModuleFacts, PrimaryDbWrites]:
    for name, text in (extra or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    main = tmp_path / "app.py"
    main.write_text(textwrap.dedent(source), encoding="utf-8")
    config = Config(root=tmp_path, **options)  # type: ignore[arg-type]
    index = ProjectIndex(config)
    facts = index.facts_for_file(main)
    assert facts is not None
    detector = PrimaryDbWrites(
        index.resolver,
        index.keys,
        config.primary_db_writes,
        **({"max_depth": depth} if depth else {}),
    )
    return facts, detector


def _verdicts(facts: ModuleFacts, detector: PrimaryDbWrites) -> dict[str, bool]:
    """`source text of the call -> is a write`, for every call marked `# probe`."""
    module = facts.module
    assert module is not None
    probes = {
        line.strip().removesuffix("# probe").strip()
        for line in module.code.splitlines()
        if line.rstrip().endswith("# probe")
    }
    result: dict[str, bool] = {}
    for site in facts.calls:
        text = module.code_for_node(site.node)
        if text in probes:
            result[text] = detector.call_write(facts, site) is not None
    return result


WRITES = """
import sqlite3

import psycopg
from django.db import connection
from flask_sqlalchemy import SQLAlchemy
from pymongo import MongoClient
from sqlalchemy import insert, text
from sqlalchemy.orm import Session, sessionmaker

INSERT = "INSERT INTO t VALUES (?)"
db = SQLAlchemy()
conn = sqlite3.connect("x.db")
orders = MongoClient().shop.orders
SessionLocal = sessionmaker()


class Sql:
    UPDATE = "UPDATE t SET x = 1"


class Order:
    pass


def f(cur, session, engine, order, table, pg: psycopg.Connection, s2):
    cur.execute("INSERT INTO t VALUES (1)")  # probe
    cur.executemany(INSERT, [(1,), (2,)])  # probe
    cur.execute(Sql.UPDATE)  # probe
    cur.execute(f"DELETE FROM {table} WHERE id = %s", (1,))  # probe
    cur.execute(sql="UPDATE t SET x = 1")  # probe
    conn.executescript("CREATE TABLE t (x); INSERT INTO t VALUES (1);")  # probe
    pg.execute(text("DELETE FROM t"))  # probe
    session.execute(insert(Order).values(x=1))  # probe
    session.execute(table.update().values(x=1))  # probe
    session.add(order)  # probe
    session.commit()  # probe
    db.session.add(order)  # probe
    db.session.commit()  # probe
    conn.commit()  # probe
    with SessionLocal() as s:
        s.merge(order)  # probe
    Order.objects.create(x=1)  # probe
    Order.objects.filter(x=1).update(x=2)  # probe
    Order.objects.filter(x=1).delete()  # probe
    order.save()  # probe
    order.save(update_fields=["x"])  # probe
    order.delete()  # probe
    orders.insert_one({"x": 1})  # probe
    orders.find_one_and_update({"x": 1}, {"$set": {"x": 2}})  # probe
    Order.create(x=1)  # probe
    Order.insert(x=1).execute()  # probe
    Order.update(x=2).where(x=1).execute()  # probe
    order.delete_instance()  # probe
    with connection.cursor() as c:
        c.execute("  -- why\\n  update t set x = 2")  # probe
"""


def test_writes(tmp_path: Path) -> None:
    facts, detector = _facts(tmp_path, WRITES)
    verdicts = _verdicts(facts, detector)
    assert len(verdicts) == WRITES.count("# probe")
    assert [text for text, write in verdicts.items() if not write] == []


NOT_WRITES = """
import requests
import redis
from PIL import Image
from django.core.cache import cache
from kafka import KafkaConsumer

r = redis.Redis()
http = requests.Session()
consumer = KafkaConsumer()


class Order:
    pass


def f(cur, statement, order, image: Image.Image, repo, client, pipe, items):
    cur.execute("SELECT * FROM t")  # probe
    cur.execute(statement)  # probe
    cur.execute(f"{statement} INTO t")  # probe
    cur.fetchall()  # probe
    r.delete("order:1")  # probe
    r.set("order:1", 1)  # probe
    r.pipeline().execute()  # probe
    http.delete("https://example.com")  # probe
    cache.delete("order:1")  # probe
    consumer.commit()  # probe
    image.save("out.png")  # probe
    image.save(fp="out.png")  # probe
    Order.objects.get(x=1)  # probe
    Order.objects.filter(x=1)  # probe
    items.update(x=1)  # probe
    repo.persist(order)  # probe
    client.create(x=1)  # probe
    pipe.execute()  # probe
    print("INSERT INTO t")  # probe
"""


def test_not_writes(tmp_path: Path) -> None:
    facts, detector = _facts(tmp_path, NOT_WRITES)
    verdicts = _verdicts(facts, detector)
    assert len(verdicts) == NOT_WRITES.count("# probe")
    assert [text for text, write in verdicts.items() if write] == []


def test_configured_markers(tmp_path: Path) -> None:
    source = """
    from shop import outbox
    from shop.outbox import Outbox, enqueue as send

    box = Outbox()


    def f():
        send("e", {})  # probe
        outbox.enqueue("e", {})  # probe
        box.publish("e", {})  # probe
        outbox.other("e", {})  # probe
        box.flush_later()  # probe
    """
    extra = {
        "shop/__init__.py": "",
        "shop/outbox.py": """
            def enqueue(event, payload):
                pass

            def other(event, payload):
                pass

            class Outbox:
                def publish(self, event, payload):
                    pass

                def flush_later(self):
                    pass
            """,
    }
    facts, detector = _facts(
        tmp_path,
        source,
        extra,
        primary_db_writes=("shop.outbox.enqueue", "shop.outbox.Outbox.publish"),
    )
    assert _verdicts(facts, detector) == {
        'send("e", {})': True,
        'outbox.enqueue("e", {})': True,
        'box.publish("e", {})': True,
        'outbox.other("e", {})': False,
        "box.flush_later()": False,
    }


def test_function_writes_follows_project_callees(tmp_path: Path) -> None:
    source = """
    from repo.store import save, load

    def _direct(cur):
        cur.execute("INSERT INTO t VALUES (1)")

    def _one(cur):
        _direct(cur)

    def _reads(cur):
        cur.execute("SELECT 1")

    def via_local(cur):
        _one(cur)

    def via_module(order):
        save(order)

    def only_reads(cur):
        _reads(cur)
        load(1)

    def recursive(n):
        if n:
            recursive(n - 1)

    def callback(loop, cur):
        loop.run_in_executor(None, _direct, cur)

    def bound_method_passed(order, sync_to_async):
        return sync_to_async(order.save)()
    """
    extra = {
        "repo/__init__.py": "",
        "repo/store.py": """
            def save(order):
                order.save()

            def load(order_id):
                return order_id
            """,
    }
    facts, detector = _facts(tmp_path, source, extra)
    verdicts = {
        name: detector.function_writes(facts, name)
        for name in (
            "via_local",
            "via_module",
            "only_reads",
            "recursive",
            "callback",
            "bound_method_passed",
        )
    }
    assert verdicts == {
        "via_local": True,
        "via_module": True,
        "only_reads": False,
        "recursive": False,
        "callback": True,
        "bound_method_passed": True,
    }


def test_depth_is_bounded(tmp_path: Path) -> None:
    chain = "\n".join(f"def f{i}(cur):\n    f{i + 1}(cur)\n" for i in range(6))
    source = chain + '\ndef f6(cur):\n    cur.execute("DELETE FROM t")\n'
    facts, detector = _facts(tmp_path, source, depth=3)
    assert not detector.function_writes(facts, "f0")  # six calls away
    assert detector.function_writes(facts, "f3")  # f3 -> f4 -> f5 -> f6
