"""Read-through caching of the product catalogue."""

import json
from collections.abc import Callable

from shop.db import r
from shop.keys import Keys


def get_product(product_id: int, load: Callable[[int], dict]) -> dict:
    key = Keys.PRODUCT.format(product_id)
    cached = r.get(key)
    if cached is not None:
        return json.loads(cached)
    product = load(product_id)
    r.set(key, json.dumps(product))
    return product


def remember_bestsellers(product_ids: list[int]) -> None:
    r.sadd(Keys.BESTSELLERS, *product_ids)


def bestsellers() -> set[str]:
    return r.smembers(Keys.BESTSELLERS)


def invalidate(key: str) -> None:
    """Drop one cached entry; called by the catalogue's change signals."""
    r.delete(key)
