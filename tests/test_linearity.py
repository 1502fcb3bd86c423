"""Rules stay linear (or N log N) in the size of a function (issue 12, "Superlinear rules").

Each case counts work, never time. A generated function of N statements of the shapes
one rule inspects (writes, reads, pipelines, watch/execute, locks, Lua, awaits,
comparisons, if/elif chains, rebinding, ...) is checked for N and for 4N statements with
only that rule selected, under cProfile's call counter: every function of redislint is
counted (each call, each resumption of a generator). Linear work grows about 4 times,
N log N about 6 times from 16 to 64; a function called once per pair of statements
grows 16 times. So the bound below fails for any quadratic search of the model or of a
rule, whichever function it is in, and names that function.

Every rule of the catalogue has a shape (`test_every_rule_has_a_shape`); the shapes that
are not one rule's (long if/elif chains, `if c: return` chains, rebinding one key name,
`key += ...`) run with every rule selected.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import redislint
from redislint import parallel
from redislint.catalogue import load_catalogue
from redislint.config import load_config
from redislint.rules import RUNTIME_CODES
from redislint.runner import check_paths

SMALL, LARGE = 16, 64
# A function may grow this many times from SMALL to LARGE statements: above N log N's
# 6.0, far below a pairwise search's 16.
PER_FUNCTION_BOUND = 7.0
# Functions called fewer times than this on the large input are noise (set-up).
MIN_CALLS = LARGE

PACKAGE = str(Path(redislint.__file__).parent)

CONFIG = """\
select = [{select}]
{extra}
[[keyspace]]
pattern = "cache:*"
role = "cache"

[[keyspace]]
pattern = "order:*"
role = "critical"

[[keyspace]]
pattern = "board:*"
role = "primary"
"""

SYNC = "import redis\nr = redis.Redis()\n\n\ndef f(x):\n"
ASYNC = "import redis.asyncio\nr = redis.asyncio.Redis()\n\n\nasync def f(x):\n"
SYNC_IN_ASYNC = "import redis\nr = redis.Redis()\n\n\nasync def f(x):\n"
REPLICA = (
    "from redis.sentinel import Sentinel\n"
    'sentinel = Sentinel([("sentinel-1", 26379)])\n'
    'master = sentinel.master_for("shop")\n'
    'replica = sentinel.slave_for("shop")\n\n\ndef f(x):\n'
)


def _body(header: str, statement: str) -> Callable[[int], str]:
    """A function of `header` with N copies of `statement` (formatted with {i})."""

    def build(n: int) -> str:
        return header + "".join(statement.format(i=i) for i in range(n))

    return build


def _conf(line: str, tail: str = "") -> Callable[[int], str]:
    def build(n: int) -> str:
        return "".join(line.format(i=i) for i in range(n)) + tail

    return build


def _elif_chain(n: int) -> str:
    arms = "".join(f"    elif x == {i}:\n        r.set('order:{i}', 1)\n" for i in range(1, n))
    return SYNC + "    if x == 0:\n        r.set('order:0', 1)\n" + arms


def _augmented_key(n: int) -> str:
    body = "".join(f'    key += "a"\n    r.set(key, {i})\n' for i in range(n))
    return SYNC + '    key = "cache:"\n' + body


# name -> (rule codes selected, file name, source of size N, extra config lines)
Shape = tuple[tuple[str, ...], str, Callable[[int], str], str]
SHAPES: dict[str, Shape] = {
    "RL001 syntax error after N statements": (
        ("RL001",),
        "m.py",
        lambda n: _body(SYNC, "    r.get('a:{i}')\n")(n) + "    def (\n",
        "",
    ),
    "RL002 N unused suppressions": (
        ("RL002", "RL301"),
        "m.py",
        _body(SYNC, "    r.get('a:{i}')  # redislint: ignore[RL301]\n"),
        "",
    ),
    "RL101 writes to distinct keys": (
        ("RL101",),
        "m.py",
        _body(SYNC, "    r.sadd('order:{i}', 1)\n"),
        "",
    ),
    "RL102 read then write back": (
        ("RL102",),
        "m.py",
        _body(SYNC, "    v{i} = r.get('c:{i}')\n    r.set('c:{i}', int(v{i}) + 1)\n"),
        "",
    ),
    "RL103 expire after each create": (
        ("RL103",),
        "m.py",
        _body(SYNC, "    r.hset('cache:h{i}', 'f', 1)\n    r.expire('cache:h{i}', 60)\n"),
        "",
    ),
    "RL104 lock keys deleted": (
        ("RL104",),
        "m.py",
        _body(SYNC, "    r.set('lock:{i}', 1, nx=True, ex=10)\n    r.delete('lock:{i}')\n"),
        "",
    ),
    "RL105 locks without timeout": (
        ("RL105",),
        "m.py",
        _body(SYNC, "    r.set('lock:{i}', 1, nx=True)\n    l{i} = r.lock('l:{i}')\n"),
        "",
    ),
    "RL106 watch and execute": (
        ("RL106",),
        "m.py",
        _body(
            SYNC + "    p = r.pipeline()\n",
            "    p.watch('w:{i}')\n    p.multi()\n    p.set('w:{i}', 1)\n    p.execute()\n",
        ),
        "",
    ),
    "RL107 multi-key commands in a cluster": (
        ("RL107",),
        "m.py",
        _body(SYNC, "    r.rename('a:{i}', 'b:{i}')\n    r.mget('c:{i}', 'd:{i}')\n"),
        "cluster = true\n",
    ),
    "RL108 Lua scripts with literal keys": (
        ("RL108",),
        "m.py",
        _body(SYNC, "    r.eval(\"return redis.call('GET', 'k{i}')\", 0)\n"),
        "",
    ),
    "RL109 EVAL numkeys mismatches": (
        ("RL109",),
        "m.py",
        _body(SYNC, "    r.eval(\"return redis.call('GET', KEYS[1])\", 2, 'k{i}')\n"),
        "",
    ),
    "RL201 cache writes without expiry": (
        ("RL201",),
        "m.py",
        _body(SYNC, "    r.set('cache:{i}', 1)\n    r.get('cache:{i}')\n"),
        "",
    ),
    "RL202 expiries on critical keys": (
        ("RL202",),
        "m.py",
        _body(SYNC, "    r.set('order:{i}', 1, ex=60)\n    r.expire('order:{i}', 60)\n"),
        "",
    ),
    "RL203 invalid TTLs": (
        ("RL203",),
        "m.py",
        _body(SYNC, "    r.set('cache:{i}', 1, ex=0)\n    r.expire('cache:{i}', -1)\n"),
        "",
    ),
    "RL204 SET after an expiry": (
        ("RL204",),
        "m.py",
        _body(SYNC, "    r.set('cache:{i}', 1, ex=60)\n    r.set('cache:{i}', 2)\n"),
        "",
    ),
    "RL301 flushes": (("RL301",), "m.py", _body(SYNC, "    r.flushdb()\n"), ""),
    "RL302 critical writes without the database": (
        ("RL302",),
        "m.py",
        _body(SYNC, "    r.hset('order:{i}', 'state', 'paid')\n"),
        "",
    ),
    "RL303 KEYS scans": (("RL303",), "m.py", _body(SYNC, "    r.keys('a:{i}:*')\n"), ""),
    "RL304 admin commands": (
        ("RL304",),
        "m.py",
        _body(SYNC, "    r.config_set('maxmemory', '{i}mb')\n"),
        "",
    ),
    "RL305 unbounded streams and lists": (
        ("RL305",),
        "m.py",
        _body(SYNC, "    r.xadd('s:{i}', {{'a': 1}})\n    r.lpush('l:{i}', 1)\n"),
        "",
    ),
    "RL306 one key, two types": (
        ("RL306",),
        "m.py",
        _body(SYNC, "    r.set('t:{i}', 1)\n    r.hset('t:{i}', 'f', 1)\n"),
        "",
    ),
    "RL401-RL404 clients built in a function": (
        ("RL401", "RL402", "RL403", "RL404"),
        "m.py",
        _body(
            SYNC,
            "    c{i} = redis.Redis(host='redis-{i}.example.com', password='s{i}')\n"
            "    d{i} = redis.Redis(host='redis-{i}.example.com')\n",
        ),
        "",
    ),
    "RL405 replica reads written to the master": (
        ("RL405",),
        "m.py",
        _body(REPLICA, "    v{i} = replica.get('b:{i}')\n    master.set('b:{i}', v{i})\n"),
        "",
    ),
    "RL501 pipelines never executed": (
        ("RL501",),
        "m.py",
        _body(SYNC, "    p{i} = r.pipeline()\n    p{i}.set('a:{i}', 1)\n"),
        "",
    ),
    "RL502 unawaited async commands": (
        ("RL502",),
        "m.py",
        _body(ASYNC, "    r.set('a:{i}', 1)\n    await r.get('a:{i}')\n"),
        "",
    ),
    "RL503 sync client in async def": (
        ("RL503",),
        "m.py",
        _body(SYNC_IN_ASYNC, "    r.get('a:{i}')\n"),
        "",
    ),
    "RL504 bytes compared with str": (
        ("RL504",),
        "m.py",
        _body(SYNC, "    if r.get('a:{i}') == 'x':\n        x += 1\n"),
        "",
    ),
    "RL505 deprecated APIs": (
        ("RL505",),
        "m.py",
        _body(SYNC, "    r.hmset('h:{i}', {{'a': 1}})\n    r.setex('s:{i}', 1, 60)\n"),
        "",
    ),
    "RL506 pipeline results used as replies": (
        ("RL506",),
        "m.py",
        _body(
            SYNC + "    p = r.pipeline()\n",
            "    v{i} = p.get('a:{i}')\n    if v{i}:\n        x += 1\n",
        ),
        "",
    ),
    "RL601 directives of a primary deployment": (
        ("RL601",),
        "redis.conf",
        _conf('rename-command CMD{i} ""\n', "appendonly no\n"),
        "",
    ),
    "RL602 directives with allkeys eviction": (
        ("RL602",),
        "redis.conf",
        _conf('rename-command CMD{i} ""\n', "maxmemory 1gb\nmaxmemory-policy allkeys-lru\n"),
        "",
    ),
    "RL603 directives with appendfsync no": (
        ("RL603",),
        "redis.conf",
        _conf('rename-command CMD{i} ""\n', "appendonly yes\nappendfsync no\n"),
        "",
    ),
    "RL604 directives of an open server": (
        ("RL604",),
        "redis.conf",
        _conf('rename-command CMD{i} ""\n', "bind 0.0.0.0\nprotected-mode no\n"),
        "",
    ),
    "RL605 directives with dangerous commands": (
        ("RL605",),
        "redis.conf",
        _conf('rename-command CMD{i} ""\n', "appendonly yes\n"),
        "",
    ),
    # shapes of the shared model, with every rule selected
    "ALL long if/elif chain": (("ALL",), "m.py", _elif_chain, ""),
    "ALL chain of `if c: return`": (
        ("ALL",),
        "m.py",
        _body(
            SYNC, "    if x == {i}:\n        return r.get('order:{i}')\n    r.set('order:{i}', 1)\n"
        ),
        "",
    ),
    "ALL one key name rebound": (
        ("ALL",),
        "m.py",
        _body(SYNC, "    key = 'cache:{i}'\n    r.set(key, 1)\n"),
        "",
    ),
    "ALL key += ...": (("ALL",), "m.py", _augmented_key, ""),
    "ALL loops and awaits": (
        ("ALL",),
        "m.py",
        _body(
            ASYNC,
            "    for k{i} in x:\n        await r.set(f'order:{{k{i}}}', 1)\n"
            "    async with r.pipeline() as p{i}:\n        p{i}.set('board:{i}', 1)\n",
        ),
        "",
    ),
}


def _count(root: Path, shape: str, n: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Calls of each redislint function while checking the shape of size n."""
    codes, name, build, extra = SHAPES[shape]
    folder = root / str(n)
    folder.mkdir()
    select = ", ".join(f'"{code}"' for code in codes)
    (folder / "redislint.toml").write_text(CONFIG.format(select=select, extra=extra))
    (folder / name).write_text(build(n))
    config = load_config(folder / "redislint.toml")
    profile = cProfile.Profile()

    def profiled(function: Callable[..., Any], *args: object) -> Any:
        # the analysis thread is the work; run it here, where the profiler counts it
        profile.enable()
        try:
            return function(*args)
        finally:
            profile.disable()

    monkeypatch.setattr(parallel, "on_big_stack", profiled)
    monkeypatch.setattr(parallel, "CONTAIN_IN_PROCESS", False)  # no forked child: count here
    outcome = check_paths([name], config, cwd=folder, jobs=1)
    monkeypatch.undo()
    assert not outcome.errors
    wanted = {c for c in codes if c != "ALL"} or {f.code for f in outcome.findings}
    found = {f.code for f in outcome.findings}
    assert wanted & found, f"the shape does not reach its rule: {sorted(found)}"
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return {
        f"{Path(path).relative_to(PACKAGE)}:{line} {function}": calls
        for (path, line, function), (_, calls, _, _, _) in stats.items()
        if path.startswith(PACKAGE)
    }


def test_every_rule_has_a_shape() -> None:
    """Every static rule (RL307 is `pytest --redislint`'s runtime check: no analysis)."""
    covered = {code for codes, _, _, _ in SHAPES.values() for code in codes}
    assert set(load_catalogue()) - RUNTIME_CODES <= covered


@pytest.mark.parametrize("shape", SHAPES)
def test_work_grows_linearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str) -> None:
    small = _count(tmp_path, shape, SMALL, monkeypatch)
    large = _count(tmp_path, shape, LARGE, monkeypatch)
    assert sum(small.values()) > 0, "nothing was counted: the test measures nothing"
    superlinear = {
        function: (small.get(function, 0), calls)
        for function, calls in large.items()
        if calls >= MIN_CALLS and calls > PER_FUNCTION_BOUND * max(small.get(function, 0), 1)
    }
    assert not superlinear, f"calls at N={SMALL} and N={LARGE}: {superlinear}"
