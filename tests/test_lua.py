"""`semantics/lua.py`: key origins inside scripts, and that Lua costs nothing without Lua."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from redislint.semantics.lua import parse_script


def _origins(text: str) -> list[tuple[str | None, tuple[str, ...]]]:
    script = parse_script(text)
    assert script is not None
    return [(call.command, call.keys) for call in script.calls]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("redis.call('GET', KEYS[1])", [("GET", ("keys",))]),
        ("local k = KEYS[1]\nredis.call('GET', k)", [("GET", ("keys",))]),
        ("local k = ARGV[1]\nredis.call('GET', k)", [("GET", ("argv",))]),
        ("redis.call('GET', 'prefix:' .. ARGV[1])", [("GET", ("argv",))]),
        ("redis.call('incr', 'counter')", [("INCR", ("literal",))]),
        ("local k = KEYS[1] .. ':x'\nredis.pcall('DEL', k)", [("DEL", ("derived",))]),
        ("for _, k in ipairs(KEYS) do redis.call('DEL', k) end", [("DEL", ("keys",))]),
        ("redis.call('DEL', unpack(KEYS))", [("DEL", ("keys",))]),
        ("redis.call('MSET', KEYS[1], ARGV[1], ARGV[2], 1)", [("MSET", ("keys", "argv"))]),
        ("local function f(k) return redis.call('GET', k) end", [("GET", ("unknown",))]),
        # one name, two origins: unknown (never reported)
        ("local k = KEYS[1]\nk = ARGV[1]\nredis.call('GET', k)", [("GET", ("unknown",))]),
        ("redis.call(ARGV[1], KEYS[1])", [(None, ())]),
        ("redis.call('OBJECT', 'ENCODING', ARGV[1])", [("OBJECT", ("argv",))]),
        ("return redis.call('KEYS', ARGV[1])", [("KEYS", ())]),
    ],
)
def test_key_origins(text: str, expected: list[tuple[str | None, tuple[str, ...]]]) -> None:
    assert _origins(text) == expected


def test_highest_key_index() -> None:
    script = parse_script("redis.call('GET', KEYS[1])\nreturn KEYS[3]")
    assert script is not None and script.max_key_index == 3
    dynamic = parse_script("for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end")
    assert dynamic is not None and dynamic.max_key_index == 0


def test_unparseable_script_is_skipped() -> None:
    assert parse_script("local = = (") is None
    assert parse_script("") is not None  # an empty chunk is valid Lua


_NO_LUA = """\
import redis

r = redis.Redis()


def f(k):
    r.set(k, 1)
    r.eval(SCRIPT_FROM_ELSEWHERE, 1, k)
    r.eval(open("x.lua").read(), 0)
"""

_LUA = _NO_LUA + "\nr.eval(\"return redis.call('GET', KEYS[1])\", 1, 'k')\n"


def _imports_luaparser(tmp_path: Path, source: str) -> bool:
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    probe = textwrap.dedent(
        """
        import sys
        from redislint import check_paths, parallel
        parallel.CONTAIN_IN_PROCESS = False  # the analysis imports here, not in a child
        check_paths([sys.argv[1]])
        print("luaparser" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "app.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1] == "True"


def test_luaparser_is_imported_only_for_a_script_literal(tmp_path: Path) -> None:
    assert not _imports_luaparser(tmp_path, _NO_LUA)
    assert _imports_luaparser(tmp_path, _LUA)
