"""What a command does to its key's expiry, shared by RL201, RL202 and the inventory."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import model_for

CASES = [
    ("r.set('k', 1)", "none", ""),
    ("r.set('k', 1, ex=60)", "sets", "SET with ex="),
    ("r.set('k', 1, 60)", "sets", "SET with ex (positional)"),
    ("r.set('k', 1, ex=ttl)", "sets", "SET with ex="),
    ("r.set('k', 1, ex=None)", "none", ""),
    ("r.set('k', 1, keepttl=True)", "keeps", "SET with keepttl"),
    ("r.set('k', 1, keepttl=False)", "none", ""),
    ("r.set('k', *args)", "unknown", ""),
    ("r.setex('k', 60, 1)", "sets", "SETEX"),
    ("r.expire('k', 60)", "sets", "EXPIRE"),
    ("r.getex('k', px=500)", "sets", "GETEX with px="),
    ("r.getex('k', persist=True)", "none", ""),
    ("r.hset('k', 'f', 1)", "none", ""),
    ("r.execute_command('SET', 'k', 1, 'EX', 60)", "sets", "SET EX"),
    ("r.execute_command('SET', 'k', 1, 'KEEPTTL')", "keeps", "SET KEEPTTL"),
    ("r.execute_command('SET', 'k', 1)", "none", ""),
    ("r.execute_command('SET', 'k', 1, option)", "unknown", ""),
    ("r.execute_command('HSETEX', 'k', 'FIELDS', 1, 'EX', 'v')", "none", ""),
]


@pytest.mark.parametrize(("code", "kind", "description"), CASES, ids=[c[0] for c in CASES])
def test_expiry_of_each_call_shape(tmp_path: Path, code: str, kind: str, description: str) -> None:
    source = f"import redis\nr = redis.Redis()\n\ndef f(ttl, option, args):\n    {code}\n"
    model = model_for(tmp_path, {"app.py": source})
    (call,) = model.redis_calls
    expiry = model.expiry(call)
    assert (expiry.kind, expiry.description) == (kind, description)
    if kind == "sets" and "with" in description:
        assert expiry.args, "a method call's expiry arguments are kept for fixes"
