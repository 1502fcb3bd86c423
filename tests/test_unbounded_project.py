"""RL305 is decided on the whole project (rules.md "Decisions from real code")."""

from __future__ import annotations

import textwrap
from pathlib import Path

from redislint.config import resolve_config
from redislint.runner import check_paths

PRODUCER = """
import redis

r = redis.Redis()


def enqueue(name, job):
    r.lpush(f"jobs:{name}", job)


def log(event):
    r.xadd("events", {"e": event})
"""


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n", encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def _rl305(root: Path, *paths: str) -> list[tuple[str, int]]:
    config = resolve_config(root, None, False)
    targets = [str(root / p) for p in paths] or [str(root)]
    outcome = check_paths(targets, config, use_cache=False)
    return [(Path(f.path).name, f.line) for f in outcome.findings if f.code == "RL305"]


def test_nothing_consumes_them(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app/producer.py": PRODUCER})
    assert _rl305(root) == [("producer.py", 8), ("producer.py", 12)]


def test_a_consumer_in_another_module_exempts_the_list(tmp_path: Path) -> None:
    worker = """
        import redis
        r = redis.Redis()

        def work(name):
            return r.brpop(f"jobs:{name}", timeout=5)
    """
    root = _project(tmp_path, {"app/producer.py": PRODUCER, "app/worker.py": worker})
    assert _rl305(root) == [("producer.py", 12)]
    # a partial run (pre-commit names one file) still sees the worker's facts
    assert _rl305(root, "app/producer.py") == [("producer.py", 12)]


def test_an_unresolvable_list_consumer_counts_for_every_list(tmp_path: Path) -> None:
    worker = """
        import redis
        r = redis.Redis()

        def work(queue_keys):
            return r.blpop(queue_keys, timeout=5)

        def drop(key):
            r.delete(key)
    """
    root = _project(tmp_path, {"app/producer.py": PRODUCER, "app/worker.py": worker})
    # the stream is not a list, and a delete of an unknown key proves nothing
    assert _rl305(root) == [("producer.py", 12)]


def test_tests_do_not_count_as_consumers(tmp_path: Path) -> None:
    cleanup = """
        import redis

        def test_cleanup():
            r = redis.Redis()
            r.delete("events")
            r.lpop("jobs:default")
    """
    root = _project(tmp_path, {"app/producer.py": PRODUCER, "tests/test_app.py": cleanup})
    assert _rl305(root) == [("producer.py", 8), ("producer.py", 12)]
