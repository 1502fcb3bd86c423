"""`pytest --redislint examples/shop`: the example project's own test suite, run against
a real redis-server, reports what the shop's code really does, and agrees with what
`redislint check` and `redislint keys` say about the same code."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from redis_server import RedisServer
from support import invoke_cli, run_command, show

pytestmark = pytest.mark.redis

REPO = Path(__file__).resolve().parents[1]
SHOP = "examples/shop"


def test_shop_suite_reports_what_the_code_does(redis_server: RedisServer, tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    report = tmp_path / "shop.json"
    env = {
        **os.environ,
        "REDIS_URL": f"redis://{redis_server.host}:{redis_server.port}/0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--redislint"]
    result = run_command([*args, f"--redislint-report={report}", SHOP], REPO, env)
    assert result.returncode == 0, show(result)
    assert "5 passed" in result.stdout, show(result)
    runtime = json.loads(report.read_text())["diagnostics"]
    seen = {(d["code"], f"{d['path']}:{d['line']}") for d in runtime}

    # The checks that both halves make agree line for line with `redislint check`.
    check = invoke_cli(["check", "--format", "json", SHOP], REPO)
    static = {
        (d["code"], f"{d['path']}:{d['line']}")
        for d in json.loads(check.output)["diagnostics"]
        if d["code"] in ("RL201", "RL202", "RL301")
    }
    assert static == {s for s in seen if s[0] != "RL307"}, (static, seen)
    assert {code for code, _ in seen} == {"RL201", "RL202", "RL301", "RL307"}

    # Drift: the keys the code writes outside the declared keyspace, at the writes the
    # inventory lists for those undeclared patterns.
    keys = json.loads(invoke_cli(["keys", "--format", "json", SHOP], REPO).output)
    undeclared = {
        f"{loc['path']}:{loc['line']}"
        for p in keys["patterns"]
        if p["namespace"] is None
        for loc in p["locations"]
    }
    drift = {d["key"]: f"{d['path']}:{d['line']}" for d in runtime if d["code"] == "RL307"}
    assert set(drift) == {"stats:orders", "ratelimit:10.0.0.1"}
    assert set(drift.values()) <= undeclared
    # the tests' own writes (test:marker, the autouse FLUSHDB) are exempt
    assert all("tests/" not in d["path"] for d in runtime)
