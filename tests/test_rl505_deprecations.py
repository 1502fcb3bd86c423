"""RL505's list comes from the installed redis-py: the committed data file is exactly what
`scripts/gen_deprecations.py` reads from redis-py's source, and redis-py really warns."""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import warnings
from pathlib import Path
from types import ModuleType

import pytest
import redis

from redislint.semantics.clients import Client
from redislint.semantics.deprecations import Deprecations

REPO_ROOT = Path(__file__).resolve().parents[1]
SHIPPED = REPO_ROOT / "src" / "redislint" / "data" / "deprecations.json"
GENERATOR = REPO_ROOT / "scripts" / "gen_deprecations.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_deprecations", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_file_matches_the_installed_redis_py() -> None:
    generator = _generator()
    assert SHIPPED.read_text(encoding="utf-8") == generator.render(generator.deprecations())


def test_the_catalogue_methods_are_deprecated_by_redis_py_itself() -> None:
    data = Deprecations.load()
    assert data.redis_py_version == redis.__version__
    for client in (Client("client"), Client("pipeline"), Client("client", is_async=True)):
        assert data.method(client, "hmset") is not None
        assert data.method(client, "setex") is not None
    assert data.method(Client("client"), "hset") is None
    assert data.method(Client("client"), "watch") is not None
    assert data.method(Client("pipeline"), "watch") is None  # Pipeline.watch is the right one
    assert "retry_on_timeout" in data.arguments["client"]


@pytest.mark.redis
def test_every_listed_sync_method_warns_when_called(redis_client: redis.Redis) -> None:
    """Each method listed for the sync client emits redis-py's DeprecationWarning when
    called on a real server (a reply error after the warning does not matter here)."""
    data = Deprecations.load()
    for name in data.methods["client"]:
        method = getattr(redis_client, name)
        required = [
            p
            for p in inspect.signature(method).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        arguments = {"time": 10, "mapping": {"f": "v"}}
        values = [arguments.get(p.name, "k") for p in required]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with contextlib.suppress(redis.RedisError):
                method(*values)
        assert any(issubclass(w.category, DeprecationWarning) for w in caught), name
