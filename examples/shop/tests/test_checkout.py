import pytest

from shop.db import r
from shop.orders import add_to_cart, order_status, quick_checkout


@pytest.fixture(autouse=True)
def empty_redis():
    r.flushdb()


def test_quick_checkout_creates_the_order():
    add_to_cart(7, "sku-1", 2)
    r.set("test:marker", "1")
    quick_checkout(7, 42)
    assert order_status(42) is None
