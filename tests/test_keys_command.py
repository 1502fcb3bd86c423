"""`redislint keys`: the keyspace inventory, on the example project and on small projects.

The inventory is what users start their `[[tool.redislint.keyspace]]` config from, so
these tests pin what it resolves (literals, f-strings, builders from other modules),
what it admits it cannot resolve (with locations), the TTL behaviour per pattern, the
declared roles, and the machine formats (the JSON keys, TOML that tomllib reads back).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from redislint.cli import main
from redislint.config import Config, load_config
from redislint.inventory import (
    TTL_NEVER,
    TTL_NO_WRITE_SEEN,
    TTL_READ_ONLY,
    TTL_SETS,
    TTL_UNSEEN,
    collect_inventory,
)
from redislint.report.keys import render_json, toml_string

REPO = Path(__file__).resolve().parent.parent
SHOP = "examples/shop"

PATTERN_KEYS = {
    "pattern",
    "role",
    "namespace",
    "commands",
    "types",
    "reads",
    "writes",
    "ttl",
    "basis",
    "uses",
    "locations",
}
NAMESPACE_KEYS = {"pattern", "role", "type", "default"}
LOCATION_KEYS = {"path", "line", "column", "command"}
UNRESOLVED_KEYS = {"key", "command", "function", "path", "line", "column", "reason"}
TOP_KEYS = {
    "version",
    "tool",
    "tool_version",
    "files",
    "tests_excluded",
    "patterns",
    "unresolved",
    "blind_files",
}


def keys(*args: str) -> Result:
    return CliRunner().invoke(main, ["keys", *args], catch_exceptions=False)


def keys_json(*args: str) -> dict[str, Any]:
    result = keys(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def by_pattern(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["pattern"]: entry for entry in document["patterns"]}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    return REPO


# -- the example project -----------------------------------------------------------------


def test_example_text_groups_by_role_and_lists_unresolved(at_repo: Path) -> None:
    result = keys(SHOP)
    assert result.exit_code == 0, result.output
    text = result.stdout
    sections = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert [s.split(" (")[0] for s in sections[:5]] == [
        "critical",
        "ephemeral",
        "cache",
        "undeclared",
        "unresolved",
    ]
    assert "  order:*  [declared as 'order:*', type hash]" in text
    assert "critical keys given a TTL: Redis will delete them (RL202)" in text
    assert "cache keys that never expire: they stay until evicted (RL201)" in text
    assert "used at examples/shop/shop/orders.py:25:9   HSET" in text
    # the command column is aligned within each pattern's table
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    used at"))
    run = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith(" " * 12) or "…" in line:
            break
        run.append(line)
    assert len(run) > 2  # cart:* has five uses, of different widths
    assert len({len(re.match(r"(.*\S)\s+\S+$", line).group(1)) for line in run}) > 1  # type: ignore[union-attr]
    assert len({line.rindex(" ") for line in run}) == 1
    assert "key  DEL      examples/shop/shop/cache.py:30:5 in invalidate()" in text
    assert "key  UNLINK   examples/shop/shop/admin.py:14:20 in purge()" in text
    assert text.rstrip().endswith(
        "7 key patterns, 2 unresolved keys in 8 files (1 test file not included: --include-tests)"
    )


def test_example_json(at_repo: Path) -> None:
    document = keys_json(SHOP)
    patterns = by_pattern(document)
    assert set(patterns) == {
        "cache:bestsellers",
        "cache:product:*",
        "cart:*",
        "order:*",
        "ratelimit:*",
        "session:*",
        "stats:orders",
    }
    roles = {p: e["role"] for p, e in patterns.items()}
    assert roles == {
        "cache:bestsellers": "cache",
        "cache:product:*": "cache",
        "cart:*": "critical",
        "order:*": "critical",
        "ratelimit:*": "undeclared",
        "session:*": "ephemeral",
        "stats:orders": "undeclared",
    }
    order = patterns["order:*"]
    assert order["namespace"] == {
        "pattern": "order:*",
        "role": "critical",
        "type": "hash",
        "default": False,
    }
    assert order["commands"] == ["EXPIRE", "HGET", "HSET"]
    assert order["types"] == ["hash"]
    assert (order["reads"], order["writes"], order["ttl"]) == (1, 3, TTL_SETS)
    assert patterns["cache:product:*"]["ttl"] == TTL_NEVER
    assert patterns["session:*"]["ttl"] == TTL_SETS
    assert patterns["ratelimit:*"]["ttl"] == TTL_SETS
    assert patterns["ratelimit:*"]["namespace"] is None
    assert document["unresolved"] == [
        {
            "key": "key",
            "command": "UNLINK",
            "function": "purge",
            "path": "examples/shop/shop/admin.py",
            "line": 14,
            "column": 20,
            "reason": "`key` is a loop variable in purge()",
        },
        {
            "key": "key",
            "command": "DEL",
            "function": "invalidate",
            "path": "examples/shop/shop/cache.py",
            "line": 30,
            "column": 5,
            "reason": (
                "`key` is a parameter of invalidate(): keys passed in by callers are not followed"
            ),
        },
    ]
    assert document["tests_excluded"] == 1


def test_example_toml_starts_a_config(at_repo: Path) -> None:
    result = keys(SHOP, "--format", "toml")
    assert result.exit_code == 0, result.output
    blocks = tomllib.loads(result.stdout)["tool"]["redislint"]["keyspace"]
    assert blocks == [
        {"pattern": "ratelimit:*", "role": ""},
        {"pattern": "stats:orders", "role": ""},
    ]
    assert "# code: INCRBY on string; 0 reads, 1 write; never sets a TTL" in result.stdout
    assert "# 1 use, first at examples/shop/shop/orders.py:37:5 (INCRBY)" in result.stdout
    assert "#   order:* -> critical ('order:*'): EXPIRE, HGET, HSET on hash" in result.stdout
    assert "#   key (DEL) at examples/shop/shop/cache.py:30:5 in invalidate()" in result.stdout


def test_example_tests_are_left_out_unless_asked(at_repo: Path) -> None:
    assert "test:marker" not in by_pattern(keys_json(SHOP))
    with_tests = keys_json(SHOP, "--include-tests")
    assert with_tests["tests_excluded"] == 0
    marker = by_pattern(with_tests)["test:marker"]
    assert marker["locations"][0]["path"] == "examples/shop/tests/test_checkout.py"


def test_real_process_on_the_example(at_repo: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "redislint", "keys", SHOP, "--format", "json"],
        cwd=at_repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    document = json.loads(completed.stdout)
    assert document == keys_json(SHOP)


# -- small projects --------------------------------------------------------------------

APP = {
    "app/__init__.py": "",
    "app/db.py": """
        import redis

        r = redis.Redis()
    """,
    "app/keys.py": """
        PREFIX = "user"

        def user_key(user_id):
            return f"{PREFIX}:{user_id}"

        class Keys:
            FEED = "feed:{}:items"
    """,
    "app/views.py": """
        from app.db import r
        from app.keys import Keys, user_key

        TTL = 60

        def show(user_id, name):
            r.set("config:flags", "on")
            r.get("config:flags")
            r.hset(user_key(user_id), "name", name)
            r.expire(user_key(user_id), TTL)
            r.setex(f"token:{name}", TTL, "x")
            r.set(f"visits:{user_id}", 1, ex=None)
            r.lrange(Keys.FEED.format(user_id), 0, -1)
            r.execute_command("SET", "lock:" + name, "1", "EX", 10)

        def forget(key):
            r.delete(key)

        def forget_all(keys, mapping):
            r.delete(*keys)
            r.mset(mapping)
            r.mget([f"visits:{k}" for k in keys][0])
    """,
}


def test_small_project_patterns_and_ttl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, APP)
    monkeypatch.chdir(tmp_path)
    patterns = by_pattern(keys_json("--isolated"))
    summary = {
        p: (e["commands"], e["types"], e["reads"], e["writes"], e["ttl"])
        for p, e in patterns.items()
    }
    assert summary == {
        # literal key: read and written, no expiry
        "config:flags": (["GET", "SET"], ["string"], 1, 1, TTL_NEVER),
        # key builder imported from another module, module constant inside it
        "user:*": (["EXPIRE", "HSET"], ["hash"], 0, 2, TTL_SETS),
        # f-string, SETEX
        "token:*": (["SETEX"], ["string"], 0, 1, TTL_SETS),
        # a literal ex=None is no TTL
        "visits:*": (["SET"], ["string"], 0, 1, TTL_NEVER),
        # class constant with .format, only read here; but unresolved keys are written
        # (DEL key, DEL *keys, MSET): "read only" cannot be claimed
        "feed:*:items": (["LRANGE"], ["list"], 1, 0, TTL_NO_WRITE_SEEN),
        # execute_command with an EX option, `+` concatenation
        "lock:*": (["SET"], ["string"], 0, 1, TTL_SETS),
    }
    user = patterns["user:*"]
    assert [(loc["path"], loc["line"], loc["column"]) for loc in user["locations"]] == [
        ("app/views.py", 9, 5),
        ("app/views.py", 10, 5),
    ]


def test_small_project_unresolved_keys_have_locations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, APP)
    monkeypatch.chdir(tmp_path)
    unresolved = keys_json("--isolated")["unresolved"]
    assert [
        (u["key"], u["command"], u["function"], u["line"], u["column"]) for u in unresolved
    ] == [
        ("key", "DEL", "forget", 17, 5),
        ("*keys", "DEL", "forget_all", 20, 5),
        ("keys of mapping", "MSET", "forget_all", 21, 5),
        ('[f"visits:{k}" for k in keys][0]', "MGET", "forget_all", 22, 5),
    ]
    text = keys("--isolated").stdout
    assert re.search(r"^  key +DEL +app/views\.py:17:5 in forget\(\)$", text, re.MULTILINE)


def test_declared_role_is_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, APP)
    write(
        tmp_path,
        {
            "pyproject.toml": """
                [[tool.redislint.keyspace]]
                pattern = "user:*"
                role = "primary"
                type = "string"
            """
        },
    )
    monkeypatch.chdir(tmp_path)
    text = keys().stdout
    assert text.startswith("primary (Redis itself is the source of truth)\n")
    assert "  user:*  [declared as 'user:*', type string]" in text
    assert "! primary keys given a TTL: Redis will delete them (RL202)" in text
    assert "! declared string, used as hash (RL306)" in text
    patterns = by_pattern(keys_json())
    assert patterns["user:*"]["role"] == "primary"
    assert patterns["token:*"]["role"] == "undeclared"
    # --isolated ignores the declaration
    assert by_pattern(keys_json("--isolated"))["user:*"]["role"] == "undeclared"


def test_default_cache_patterns_when_nothing_is_declared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "cache.py": """
                import redis

                r = redis.Redis()
                r.set("cache:home", "<html>")
                r.set("page:1", "x", ex=60)
            """
        },
    )
    monkeypatch.chdir(tmp_path)
    home = by_pattern(keys_json("--isolated"))["cache:home"]
    assert home["role"] == "cache"
    assert home["namespace"] == {
        "pattern": "cache:*",
        "role": "cache",
        "type": None,
        "default": True,
    }
    toml_text = keys("--isolated", "--format", "toml").stdout
    # Declaring anything drops the defaults, so the cache pattern gets its own block.
    assert tomllib.loads(toml_text)["tool"]["redislint"]["keyspace"] == [
        {"pattern": "cache:home", "role": "cache"},
        {"pattern": "page:1", "role": ""},
    ]
    assert "[default cache pattern 'cache:*']" in keys("--isolated").stdout


def test_toml_blocks_all_have_pattern_and_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, APP)
    monkeypatch.chdir(tmp_path)
    result = keys("--isolated", "--format", "toml")
    blocks = tomllib.loads(result.stdout)["tool"]["redislint"]["keyspace"]
    assert len(blocks) == 6
    for block in blocks:
        assert set(block) == {"pattern", "role"}
        assert block["role"] == ""
    assert '# type = "hash"  # optional: RL306 checks every use' in result.stdout


def test_too_broad_pattern_is_not_offered_as_a_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "app.py": """
                import redis

                r = redis.Redis()

                def put(kind, ident):
                    r.set(f"{kind}:{ident}", 1)
            """
        },
    )
    monkeypatch.chdir(tmp_path)
    result = keys("--isolated", "--format", "toml")
    assert "keyspace" not in tomllib.loads(result.stdout).get("tool", {}).get("redislint", {})
    assert "# *:*: SET on string" in result.stdout
    assert "! no literal part" in keys("--isolated").stdout


def test_toml_string_round_trips() -> None:
    for text in ['a"b', "back\\slash", "tab\there", "bell\x07", "del\x7f", "ünï:*"]:
        assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


def test_json_schema_is_stable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, APP)
    write(
        tmp_path,
        {"pyproject.toml": '[[tool.redislint.keyspace]]\npattern = "user:*"\nrole = "critical"\n'},
    )
    monkeypatch.chdir(tmp_path)
    document = keys_json()
    assert set(document) == TOP_KEYS
    assert document["version"] == 1
    assert document["tool"] == "redislint"
    for entry in document["patterns"]:
        assert set(entry) == PATTERN_KEYS
        assert entry["namespace"] is None or set(entry["namespace"]) == NAMESPACE_KEYS
        assert entry["ttl"] in (
            TTL_SETS,
            TTL_NEVER,
            TTL_READ_ONLY,
            TTL_UNSEEN,
            TTL_NO_WRITE_SEEN,
        )
        assert entry["uses"] == len(entry["locations"])
        for location in entry["locations"]:
            assert set(location) == LOCATION_KEYS
    for unresolved in document["unresolved"]:
        assert set(unresolved) == UNRESOLVED_KEYS
    assert [e["pattern"] for e in document["patterns"]] == sorted(
        e["pattern"] for e in document["patterns"]
    )


def test_nothing_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"plain.py": "print('hello')\n"})
    monkeypatch.chdir(tmp_path)
    result = keys("--isolated")
    assert result.exit_code == 0
    assert result.stdout == "0 key patterns, 0 unresolved keys in 1 file\n"
    assert (
        "Every key pattern found is already declared."
        in keys("--isolated", "--format", "toml").stdout
    )
    assert keys_json("--isolated")["patterns"] == []


# -- options and errors ------------------------------------------------------------------


def test_output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, APP)
    monkeypatch.chdir(tmp_path)
    result = keys("--isolated", "--format", "json", "--output-file", "inventory.json")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads((tmp_path / "inventory.json").read_text())["version"] == 1


def test_config_error_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, APP)
    write(
        tmp_path,
        {"pyproject.toml": '[[tool.redislint.keyspace]]\npattern = "user:*"\nrole = ""\n'},
    )
    monkeypatch.chdir(tmp_path)
    result = keys()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "role" in result.stderr and result.stderr.startswith("redislint: error: ")
    assert keys("--config", "missing.toml").exit_code == 2


def test_missing_path_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = keys("--isolated", "nowhere")
    assert result.exit_code == 2
    assert "nowhere" in result.stderr


def test_unparsable_file_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, APP)
    write(tmp_path, {"app/broken.py": "import redis\ndef f(:\n"})
    monkeypatch.chdir(tmp_path)
    result = keys("--isolated")
    assert result.exit_code == 0
    assert "redislint: warning: app/broken.py:2:" in result.stderr
    assert "its keys are not listed" in result.stderr


def test_parallel_workers_give_the_same_inventory(tmp_path: Path) -> None:
    write(tmp_path, APP)
    for index in range(30):
        write(
            tmp_path,
            {
                f"app/m{index:02}.py": f"""
                    from app.db import r
                    from app.keys import user_key

                    def f{index}(uid, key):
                        r.get(user_key(uid))
                        r.set("m{index}:flag", 1, ex=5)
                        r.delete(key)
                """
            },
        )
    config = Config(root=tmp_path)
    serial = collect_inventory(["."], config, cwd=tmp_path, jobs=1)
    parallel = collect_inventory(["."], config, cwd=tmp_path, jobs=3)
    assert not serial.errors and not parallel.errors
    assert render_json(serial.inventory) == render_json(parallel.inventory)
    assert len(parallel.inventory.unresolved) == 30 + 4


def test_config_loaded_from_the_example(at_repo: Path) -> None:
    config = load_config(at_repo / SHOP / "pyproject.toml")
    assert {(e.pattern, e.role) for e in config.keyspace} == {
        ("cache:*", "cache"),
        ("session:*", "ephemeral"),
        ("order:*", "critical"),
        ("cart:*", "critical"),
    }
    assert config.cache_ttl == 300


def test_docs_walkthrough_shows_the_real_output(at_repo: Path) -> None:
    """docs/keyspace.md pastes the command's output on the example; keep it true."""
    doc = (at_repo / "docs" / "keyspace.md").read_text(encoding="utf-8")
    text_block = re.search(r"```console\n\$ redislint keys examples/shop\n(.*?)```", doc, re.S)
    toml_block = re.search(r"```toml\n(# Keyspace declarations.*?)```", doc, re.S)
    assert text_block is not None and toml_block is not None
    assert text_block.group(1) == keys(SHOP).stdout
    assert toml_block.group(1) == keys(SHOP, "--isolated", "--format", "toml").stdout


# -- coverage: why a key is unresolved, where the model is blind (issue 7) ----------------

BLIND = {
    "svc/__init__.py": "",
    "svc/db.py": """
        import redis

        r = redis.Redis()
    """,
    "svc/jobs.py": """
        import json

        from svc.db import r

        def save(job, payload):
            r.set(f"job:{job.id}", payload)
            r.expire(job.key, 60)
            r.set(json.dumps(job), payload)

        def read(uid):
            return r.get(f"report:{uid}")
    """,
    "svc/worker.py": """
        import redis

        def work(conn, item):
            conn.lpush("queue:work", item)
    """,
    "svc/errors.py": """
        from redis.exceptions import ConnectionError

        def is_down(exc):
            return isinstance(exc, ConnectionError)
    """,
}


def test_unresolved_keys_say_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, BLIND)
    monkeypatch.chdir(tmp_path)
    reasons = {
        (u["command"], u["line"]): u["reason"] for u in keys_json("--isolated")["unresolved"]
    }
    assert reasons == {
        ("EXPIRE", 7): "`job.key`: `job` is a parameter of save() whose type is not known",
        ("SET", 8): "`json.dumps(…)` is a call into the library json.dumps",
    }
    text = keys("--isolated").stdout
    assert "why: `json.dumps(…)` is a call into the library json.dumps" in text
    toml = keys("--isolated", "--format", "toml").stdout
    assert "#     why: `job.key`: `job` is a parameter of save()" in toml


def test_blind_files_are_listed_and_weaken_negative_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, BLIND)
    monkeypatch.chdir(tmp_path)
    document = keys_json("--isolated")
    # worker.py imports redis but its `conn` is never proven a client; errors.py only
    # imports exceptions; db.py builds the client
    assert document["blind_files"] == ["svc/worker.py"]
    patterns = by_pattern(document)
    # an unresolved key gets a TTL (EXPIRE job.key): "never" cannot be claimed
    assert patterns["job:*"]["ttl"] == TTL_UNSEEN
    assert patterns["job:*"]["basis"] == (
        "1 unresolved key that is given a TTL and 1 file with no proven client "
        "are not included: they may be keys of this pattern"
    )
    assert patterns["report:*"]["ttl"] == TTL_NO_WRITE_SEEN
    text = keys("--isolated").stdout
    assert "no client proven (these files import redis" in text
    assert "\n  svc/worker.py\n" in text


def test_negative_facts_stand_when_everything_was_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "one.py": """
                import redis
                r = redis.Redis()

                def f(uid):
                    r.set(f"job:{uid}", 1)
                    return r.get(f"report:{uid}")
            """
        },
    )
    monkeypatch.chdir(tmp_path)
    patterns = by_pattern(keys_json("--isolated"))
    assert (patterns["job:*"]["ttl"], patterns["job:*"]["basis"]) == (TTL_NEVER, None)
    assert patterns["report:*"]["ttl"] == TTL_READ_ONLY


def test_check_verbose_lists_blind_files_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, BLIND)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--isolated", "-v", "--no-cache", "svc"])
    assert result.exit_code in (0, 1), result.output
    assert "redislint: svc/worker.py: imports redis, but no client was proven" in result.stderr
    assert "errors.py" not in result.stderr and "db.py" not in result.stderr
    quiet = CliRunner().invoke(main, ["check", "--isolated", "--no-cache", "svc"])
    assert "no client was proven" not in quiet.stderr
