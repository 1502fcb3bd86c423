import pytest

from shop import admin, cache, session
from shop.db import engine, r
from shop.models import Base
from shop.orders import add_to_cart, checkout, order_status, quick_checkout


@pytest.fixture(autouse=True)
def empty_redis():
    r.flushdb()


@pytest.fixture
def database():
    Base.metadata.create_all(engine)
    yield
    Base.metadata.drop_all(engine)


def test_quick_checkout_creates_the_order():
    add_to_cart(7, "sku-1", 2)
    r.set("test:marker", "1")
    quick_checkout(7, 42)
    assert order_status(42) is None


def test_checkout_writes_the_database_first(database):
    add_to_cart(8, "sku-2")
    order_id = checkout(8)
    assert order_status(order_id) == "new"


def test_product_cache_reads_through():
    loads = []
    product = cache.get_product(3, lambda pid: loads.append(pid) or {"id": pid})
    assert cache.get_product(3, lambda pid: {"id": -1}) == product
    assert loads == [3]
    cache.remember_bestsellers([3, 4])
    assert cache.bestsellers() == {"3", "4"}


def test_sessions_and_rate_limits():
    token = session.create_session(5)
    assert session.load_session(token) == "5"
    assert session.allow_request("10.0.0.1")


def test_demo_store_reset_and_purge():
    cache.get_product(9, lambda pid: {"id": pid})
    assert admin.purge("cache:product:*") == 1
    cache.invalidate("cache:product:9")
    admin.reset_demo_store()
