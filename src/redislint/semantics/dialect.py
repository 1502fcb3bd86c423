"""How a hint spells redis-py code for the client at hand: sync or `redis.asyncio`.

A hint is copied into the code it is about, so it must speak that client's dialect: an
asyncio client's pipeline is an async context manager whose `execute()` is awaited. The
model already knows whether a client is async (`Client.is_async`); the spelling lives here
so that every rule writes it the same way.
"""

from __future__ import annotations


def transaction_block(name: str, is_async: bool) -> str:
    """A MULTI/EXEC pipeline on client `name`, as a one-line code span."""
    if is_async:
        return f"`async with {name}.pipeline() as p: ...; await p.execute()`"
    return f"`with {name}.pipeline() as p: ...; p.execute()`"


def watch_retry(is_async: bool) -> str:
    """The two ways to retry a WATCHed transaction on WatchError."""
    if is_async:
        return (
            "use `await r.transaction(fn, *keys)` with an async `fn` (it retries on "
            "WatchError), or loop: `while True: try: ...; await pipe.execute(); break` / "
            "`except WatchError: continue`"
        )
    return (
        "use `r.transaction(fn, *keys)` (it retries on WatchError), or loop: "
        "`while True: try: ...; pipe.execute(); break` / `except WatchError: continue`"
    )
