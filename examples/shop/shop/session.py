"""Login sessions and request rate limiting."""

import secrets

from shop.db import r
from shop.keys import Keys, rate_limit_key

SESSION_TTL = 30 * 60
REQUESTS_PER_MINUTE = 120


def create_session(user_id: int) -> str:
    token = secrets.token_urlsafe(32)
    r.set(Keys.SESSION_PREFIX + token, user_id, ex=SESSION_TTL)
    return token


def load_session(token: str) -> str | None:
    key = f"{Keys.SESSION_PREFIX}{token}"
    user_id = r.get(key)
    if user_id is not None:
        r.expire(key, SESSION_TTL)
    return user_id


def allow_request(client_ip: str) -> bool:
    key = rate_limit_key(client_ip)
    with r.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, 60, nx=True)
        count, _ = pipe.execute()
    return count <= REQUESTS_PER_MINUTE
