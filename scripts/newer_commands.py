"""Facts about commands newer than the generating redis-server, for `gen_commands.py`.

The command table is generated from a live server (Debian's 7.0 here) and redis-py. A
command the server does not know (HEXPIRE came in 7.4, HSETEX in 8.0) gets what
redis-py itself says about it:

* its key positions: where the key parameter lands in the argv the method sends
  (traced by the generator, as for every other method);
* read-only: redis-py's own `redis.commands.READ_COMMANDS` (the commands it may send to
  a replica) lists it.

What redis-py does not say (that a command writes, its data type, its key-spec flags)
comes from this table, copied from the `COMMAND INFO` of the Redis release that
introduced the command (and its page on redis.io). Keep it small: only commands
redis-py sends that rules care about. The generator refuses an entry the server knows
(the table would hide the server's own answer) and a read-only entry redis-py does not
list (two sources disagreeing); `tests/test_commands_table.py` checks both on the
shipped table.
"""

from __future__ import annotations

from typing import Any

_HASH_WRITE = {"acl_categories": ["fast", "hash", "write"], "group": "hash"}
_HASH_READ = {"acl_categories": ["fast", "hash", "read"], "group": "hash"}

NEWER_COMMANDS: dict[str, dict[str, Any]] = {
    # Redis 7.4: hash field expiration. The expiry deletes fields, not the key.
    **{
        name: {
            **_HASH_WRITE,
            "flags": ["denyoom", "fast", "write"],
            "key_spec_flags": ["RW", "update"],
            "since": "7.4.0",
        }
        for name in ("HEXPIRE", "HPEXPIRE", "HEXPIREAT", "HPEXPIREAT")
    },
    "HPERSIST": {
        **_HASH_WRITE,
        "flags": ["fast", "write"],
        "key_spec_flags": ["RW", "update"],
        "since": "7.4.0",
    },
    **{
        name: {
            **_HASH_READ,
            "flags": ["fast", "readonly"],
            "key_spec_flags": ["RO", "access"],
            "since": "7.4.0",
        }
        for name in ("HTTL", "HPTTL", "HEXPIRETIME", "HPEXPIRETIME")
    },
    # Redis 8.0: hash commands that read or write fields together with their expiry.
    "HSETEX": {
        **_HASH_WRITE,
        "flags": ["denyoom", "fast", "write"],
        "key_spec_flags": ["RW", "update"],
        "since": "8.0.0",
    },
    "HGETEX": {
        **_HASH_WRITE,
        "flags": ["fast", "write"],
        "key_spec_flags": ["RW", "access", "update"],
        "since": "8.0.0",
    },
    "HGETDEL": {
        **_HASH_WRITE,
        "flags": ["fast", "write"],
        "key_spec_flags": ["RW", "access", "delete"],
        "since": "8.0.0",
    },
}
