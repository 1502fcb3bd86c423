"""RL306's first use is project-wide: path order, then source order; tests do not count."""

from __future__ import annotations

import textwrap
from pathlib import Path

from redislint.config import resolve_config
from redislint.runner import check_paths

HASH = """
import redis
r = redis.Redis()

def save(uid):
    r.hset(f"user:{uid}", "name", "ada")
"""
STRING = """
import redis
r = redis.Redis()

def load(uid):
    return r.get(f"user:{uid}")
"""


def _project(tmp_path: Path, files: dict[str, str], config: str = "") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text(f"[tool.redislint]\n{config}", encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def _rl306(root: Path, *paths: str) -> list[tuple[str, int]]:
    config = resolve_config(root, None, False)
    targets = [str(root / p) for p in paths] or [str(root)]
    outcome = check_paths(targets, config, use_cache=False)
    return [(Path(f.path).name, f.line) for f in outcome.findings if f.code == "RL306"]


def test_the_first_file_in_path_order_decides(tmp_path: Path) -> None:
    root = _project(tmp_path / "one", {"app/a_models.py": HASH, "app/b_views.py": STRING})
    assert _rl306(root) == [("b_views.py", 6)]
    root2 = _project(tmp_path / "two", {"app/a_views.py": STRING, "app/b_models.py": HASH})
    assert _rl306(root2) == [("b_models.py", 6)]


def test_a_partial_run_knows_the_first_use_in_another_file(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app/a_models.py": HASH, "app/b_views.py": STRING})
    assert _rl306(root, "app/b_views.py") == [("b_views.py", 6)]
    assert _rl306(root, "app/a_models.py") == []


def test_a_suppressed_first_use_still_decides(tmp_path: Path) -> None:
    suppressed = HASH.replace('"ada")', '"ada")  # redislint: ignore[RL306]')
    root = _project(tmp_path, {"app/a_models.py": suppressed, "app/b_views.py": STRING})
    assert _rl306(root) == [("b_views.py", 6)]


def test_tests_are_not_first_uses(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app/views.py": STRING, "app/tests/test_a.py": HASH})
    assert _rl306(root) == []


def test_the_declared_type_is_the_reference(tmp_path: Path) -> None:
    config = '[[tool.redislint.keyspace]]\npattern = "user:*"\nrole = "cache"\ntype = "string"\n'
    root = _project(tmp_path, {"app/a_models.py": HASH, "app/b_views.py": STRING}, config)
    assert _rl306(root) == [("a_models.py", 6)]
