"""Which commands reply with bytes through redis-py when `decode_responses` is off.

redis-py returns a bulk or simple string reply as `bytes` unless the client was made
with `decode_responses=True`; comparing it with a `str` is then always False. RL504 needs
to know which commands reply that way: a single string (GET), or a collection of them
(SMEMBERS, LRANGE, HGETALL) that a `str in ...` test searches. Commands whose reply
redis-py converts (INCR -> int, EXISTS -> int, SET -> bool, TTL -> int) are not listed.
`tests/test_redis_behaviour_replies.py` checks every entry on a real redis-server.
"""

from __future__ import annotations

# A single bulk string (or None when the key is missing).
STRING_REPLY: frozenset[str] = frozenset(
    {
        "GET",
        "GETDEL",
        "GETEX",
        "GETSET",
        "GETRANGE",
        "HGET",
        "LINDEX",
        "LPOP",
        "RPOP",
        "RPOPLPUSH",
        "LMOVE",
        "SPOP",
        "SRANDMEMBER",
        "ECHO",
        "TYPE",
        "RANDOMKEY",
        "OBJECT ENCODING",
        "CLIENT GETNAME",
    }
)
# A list, set or dict of bulk strings: `"x" in reply` looks for a str among bytes.
COLLECTION_REPLY: frozenset[str] = frozenset(
    {
        "KEYS",
        "SMEMBERS",
        "SINTER",
        "SUNION",
        "SDIFF",
        "LRANGE",
        "HKEYS",
        "HVALS",
        "HGETALL",
        "MGET",
        "HMGET",
        "ZRANGE",
        "ZREVRANGE",
        "ZRANGEBYSCORE",
    }
)
