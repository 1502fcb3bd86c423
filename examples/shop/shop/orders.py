"""Carts and checkout."""

import json

from shop.db import SessionLocal, r
from shop.keys import Keys, cart_key, order_key
from shop.models import Order

ORDER_COPY_TTL = 24 * 3600


def add_to_cart(user_id: int, product_id: str, quantity: int = 1) -> None:
    r.hincrby(cart_key(user_id), product_id, quantity)


def checkout(user_id: int) -> int:
    """Turn the cart into an order: the database row first, then a copy in Redis."""
    items = r.hgetall(cart_key(user_id))
    with SessionLocal() as session:
        order = Order(user_id=user_id, items=json.dumps(items))
        session.add(order)
        session.commit()
        order_id = order.id
    with r.pipeline() as pipe:
        pipe.hset(order_key(order_id), mapping={"user": user_id, "status": "new"})
        pipe.expire(order_key(order_id), ORDER_COPY_TTL)
        pipe.delete(cart_key(user_id))
        pipe.execute()
    return order_id


def quick_checkout(user_id: int, order_id: int) -> None:
    """The one-click checkout of the mobile app: it never reaches the database."""
    items = r.hgetall(cart_key(user_id))
    r.hset(order_key(order_id), mapping={"user": user_id, "items": json.dumps(items)})
    r.delete(cart_key(user_id))
    r.incr(Keys.ORDER_COUNTER)


def order_status(order_id: int) -> str | None:
    return r.hget(order_key(order_id), "status")
