"""Rules stay linear in the size of a function (issue 12, "Superlinear rules").

Each case counts work, never time: the calls of the search a rule makes per pair of
calls, through a counting wrapper on the module attribute the rule uses, for a
generated function of N and of 4N statements. Linear work grows about 4 times; the
pairwise searches these replace grew 16 times.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from redislint.config import Config
from redislint.rules import rl103_non_atomic_expire as rl103
from redislint.runner import check_paths
from redislint.semantics.keys import KeyPattern

HEADER = "import redis\nr = redis.Redis()\n\n\ndef f():\n"


def _expire_pairs(n: int) -> str:
    """N creates, each followed by its own EXPIRE (RL103: N findings)."""
    pair = '    r.hset("cache:h{0}", "f", 1)\n    r.expire("cache:h{0}", 60)\n'
    lines = [pair.format(i) for i in range(n)]
    return HEADER + "".join(lines)


def _distinct_writes(n: int) -> str:
    """N writes of N different keys in one function (RL101's group of distinct keys)."""
    return HEADER + "".join(f'    r.sadd("order:{i}", 1)\n' for i in range(n))


# shape -> (source of size N, owner of the counted function, its name, rule)
SHAPES: dict[str, tuple[Callable[[int], str], Any, str, str]] = {
    "expire after each create (RL103)": (_expire_pairs, rl103, "runs_after", "RL103"),
    "writes to distinct keys (RL101)": (_distinct_writes, KeyPattern, "same_key", "RL101"),
}


def _work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str, n: int) -> int:
    build, owner, name, code = SHAPES[shape]
    calls = {"count": 0}
    real = getattr(owner, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls["count"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    folder = tmp_path / str(n)
    folder.mkdir()
    (folder / "m.py").write_text(build(n))
    config = Config(root=folder, select=(code,))
    outcome = check_paths(["m.py"], config, cwd=folder, jobs=1)
    assert not outcome.errors
    assert any(f.code == code for f in outcome.findings), outcome.findings
    monkeypatch.setattr(owner, name, real)
    return calls["count"]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_work_grows_linearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    small = _work(tmp_path, monkeypatch, shape, 50)
    large = _work(tmp_path, monkeypatch, shape, 200)
    assert small > 0, "the counted search never ran: the test measures nothing"
    assert large <= 4.5 * small, (small, large)
