"""Every Redis key the shop uses is built here."""


class Keys:
    PRODUCT = "cache:product:{}"
    BESTSELLERS = "cache:bestsellers"
    SESSION_PREFIX = "session:"
    ORDER_COUNTER = "stats:orders"


def order_key(order_id: int) -> str:
    return f"order:{order_id}"


def cart_key(user_id: int) -> str:
    return f"cart:{user_id}"


def rate_limit_key(client_ip: str) -> str:
    return "ratelimit:" + client_ip
