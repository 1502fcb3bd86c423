"""Operations the back office runs by hand."""

from shop.db import r


def reset_demo_store() -> None:
    """Start the demo shop from an empty store."""
    r.flushdb()


def purge(pattern: str) -> int:
    removed = 0
    for key in r.scan_iter(match=pattern, count=500):
        removed += r.unlink(key)
    return removed
