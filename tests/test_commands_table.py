"""The generated command table: spot checks, a comparison with a live server, and a
check that the committed JSON is exactly what the generator produces."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from redis_server import RedisServer

from redislint.semantics.commands import CommandTable

REPO_ROOT = Path(__file__).resolve().parents[1]
SHIPPED = REPO_ROOT / "src" / "redislint" / "data" / "commands.json"
GENERATOR = REPO_ROOT / "scripts" / "gen_commands.py"


@pytest.fixture(scope="module")
def table() -> CommandTable:
    return CommandTable.load()


def test_load_is_cached() -> None:
    assert CommandTable.load() is CommandTable.load()


def test_header_names_its_sources(table: CommandTable) -> None:
    assert table.redis_server_version
    assert table.redis_py_version


# --------------------------------------------------------------------------- methods


def test_set_sends_set_with_name_as_key(table: CommandTable) -> None:
    method = table.method("set")
    assert method is not None
    assert method.command == "SET"
    assert method.key_params == ("name",)
    assert method.params[:2] == ("name", "value")
    assert not method.varargs_are_keys


@pytest.mark.parametrize("name", ["delete", "exists", "unlink"])
def test_multi_key_varargs(table: CommandTable, name: str) -> None:
    method = table.method(name)
    assert method is not None
    assert method.varargs == "names"
    assert method.varargs_are_keys
    assert method.key_params == ()


def test_delete_sends_del(table: CommandTable) -> None:
    assert table.method("delete").command == "DEL"  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["mset", "msetnx"])
def test_mset_keys_are_the_mapping_keys(table: CommandTable, name: str) -> None:
    method = table.method(name)
    assert method is not None
    assert method.command == name.upper()
    assert method.mapping_keys_param == "mapping"
    assert method.key_params == ()


def test_hset_fields_are_not_keys(table: CommandTable) -> None:
    method = table.method("hset")
    assert method is not None
    assert method.key_params == ("name",)  # `key` and `mapping` are hash fields
    assert method.mapping_keys_param is None


def test_optional_destination_key(table: CommandTable) -> None:
    assert table.method("sort").key_params == ("name", "store")  # type: ignore[union-attr]


def test_lua_keys_are_counted_by_numkeys(table: CommandTable) -> None:
    method = table.method("eval")
    assert method is not None
    assert method.numkeys_param == "numkeys"
    assert method.varargs == "keys_and_args"
    assert not method.varargs_are_keys


def test_unknown_method_is_none(table: CommandTable) -> None:
    assert table.method("pipeline") is None
    assert table.method("no_such_method") is None
    assert table.command_for_method("no_such_method") is None


# --------------------------------------------------------------------------- commands


@pytest.mark.parametrize("method", ["flushall", "flushdb"])
def test_flush_commands_are_dangerous_writes(table: CommandTable, method: str) -> None:
    command = table.command_for_method(method)
    assert command is not None
    assert command.name == method.upper()
    assert command.is_write
    assert command.is_dangerous


@pytest.mark.parametrize(
    ("method", "is_write"),
    [("expire", True), ("delete", True), ("set", True), ("get", False), ("hgetall", False)],
)
def test_write_flag(table: CommandTable, method: str, is_write: bool) -> None:
    command = table.command_for_method(method)
    assert command is not None
    assert command.is_write is is_write
    assert command.is_readonly is not is_write


@pytest.mark.parametrize(
    ("method", "data_type"),
    [
        ("get", "string"),
        ("setbit", "string"),  # @bitmap
        ("pfadd", "string"),  # @hyperloglog
        ("hset", "hash"),
        ("lpush", "list"),
        ("sadd", "set"),
        ("zadd", "zset"),
        ("geoadd", "zset"),  # @geo: a sorted set underneath
        ("xadd", "stream"),
        ("delete", None),
        ("expire", None),
        ("sort", None),  # list, set or sorted set
    ],
)
def test_data_type(table: CommandTable, method: str, data_type: str | None) -> None:
    command = table.command_for_method(method)
    assert command is not None
    assert command.data_type == data_type


def test_config_set_is_an_admin_subcommand(table: CommandTable) -> None:
    assert table.method("config_set").command == "CONFIG SET"  # type: ignore[union-attr]
    command = table.command_for_method("config_set")
    assert command is not None
    assert command.name == "CONFIG SET"
    assert command.is_admin
    assert command.is_dangerous
    assert "CONFIG SET" in table.command("CONFIG").subcommands  # type: ignore[union-attr]


@pytest.mark.parametrize("spelling", ["CONFIG SET", "config set", "config|set", " Config  SET "])
def test_command_lookup_is_case_insensitive(table: CommandTable, spelling: str) -> None:
    command = table.command(spelling)
    assert command is not None
    assert command.name == "CONFIG SET"


@pytest.mark.parametrize(
    "name", ["CLIENT KILL", "ACL SETUSER", "ACL DELUSER", "SHUTDOWN", "CONFIG REWRITE", "SAVE"]
)
def test_admin_commands(table: CommandTable, name: str) -> None:
    command = table.command(name)
    assert command is not None
    assert command.is_admin
    assert command.is_dangerous


@pytest.mark.parametrize("name", ["SCRIPT FLUSH", "FUNCTION FLUSH"])
def test_script_flushes_are_not_admin_for_the_server(table: CommandTable, name: str) -> None:
    """RL304 lists them, but Redis files them under @scripting without the admin flag:
    a rule must name them, not rely on `is_admin`."""
    command = table.command(name)
    assert command is not None and command.known_to_server
    assert not command.is_admin


def test_argument_after_plain_command_resolves_to_it(table: CommandTable) -> None:
    assert table.command("DEBUG OBJECT") == table.command("DEBUG")
    assert table.command("CONFIG NOSUCH") is None  # CONFIG is a container


def test_key_spec_flags(table: CommandTable) -> None:
    assert {"RM", "delete"} <= table.command("DEL").key_spec_flags  # type: ignore[union-attr]
    assert "OW" in table.command("MSET").key_spec_flags  # type: ignore[union-attr]


def _overrides() -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = _generator().newer_commands()
    return table


@pytest.mark.parametrize(
    ("command", "is_write", "is_readonly"),
    [
        ("HEXPIRE", True, False),
        ("HPEXPIRE", True, False),
        ("HEXPIREAT", True, False),
        ("HPEXPIREAT", True, False),
        ("HPERSIST", True, False),
        ("HSETEX", True, False),
        ("HGETEX", True, False),
        ("HGETDEL", True, False),
        ("HTTL", False, True),
        ("HPTTL", False, True),
        ("HEXPIRETIME", False, True),
    ],
)
def test_commands_newer_than_the_server_get_redis_py_and_override_facts(
    table: CommandTable, command: str, is_write: bool, is_readonly: bool
) -> None:
    """Newer than the generating server (7.0): flags from redis-py / the override table,
    the key position from where redis-py's method puts its key parameter."""
    info = table.command(command)
    assert info is not None
    if info.known_to_server:
        pytest.skip(f"the table was generated with a server that knows {command}")
    assert (info.is_write, info.is_readonly) == (is_write, is_readonly)
    assert info.data_type == "hash"
    assert (info.first_key, info.last_key, info.step) == (1, 1, 1)
    assert info.key_spec_flags  # RW/RO and update/access/delete, as the server would say


def test_unknown_command_without_override_stays_without_invented_facts(
    table: CommandTable,
) -> None:
    """A newer command neither redis-py nor the override table describes (INCREX) gets
    its key position and nothing else."""
    info = table.command("INCREX")
    assert info is not None and not info.known_to_server
    assert not info.is_write and not info.is_readonly and info.data_type is None
    assert info.flags == frozenset() and info.first_key == 1


def test_list_of_keys_gets_no_invented_position(table: CommandTable) -> None:
    """SDIFFCARD takes a list of keys: redis-py's READ_COMMANDS says read-only, but
    no fixed key position can be laid onto it."""
    info = table.command("SDIFFCARD")
    assert info is not None and not info.known_to_server
    assert info.is_readonly and info.first_key is None


def test_override_table_agrees_with_redis_py_and_names_only_unknown_commands(
    table: CommandTable,
) -> None:
    from redis.commands import READ_COMMANDS

    overrides = _overrides()
    assert overrides, "the override table is empty"
    for command, facts in overrides.items():
        info = table.command(command)
        assert info is not None and not info.known_to_server, command
        assert ("readonly" in facts["flags"]) == (command in READ_COMMANDS), command
        assert ("write" in facts["flags"]) != ("readonly" in facts["flags"]), command
        assert info.flags == frozenset(facts["flags"]), command


def test_newer_entry_takes_no_position_from_a_method_that_was_not_traced() -> None:
    """The override's flags apply; a method whose call could not be traced (no argv)
    gives no key position."""
    generator = _generator()
    traced = generator.Traced("x", len, None, "HSET", "source", [], None)  # type: ignore[arg-type]
    entry = generator.newer_command_entry("HEXPIRE", [traced], {})
    assert "write" in entry["flags"] and entry["first_key"] is None


def test_every_method_names_a_command_in_the_table(table: CommandTable) -> None:
    missing = {m.method: m.command for m in table.methods.values() if not table.command(m.command)}
    assert missing == {}


def test_from_json_small_table() -> None:
    small = CommandTable.from_json(
        {
            "commands": {"config|get": {"flags": ["admin"], "acl_categories": ["admin"]}},
            "methods": {"config_get": {"command": "CONFIG GET", "params": ["pattern"]}},
        }
    )
    command = small.command_for_method("config_get")
    assert command is not None and command.is_admin
    assert small.method("config_get").key_params == ()  # type: ignore[union-attr]


# --------------------------------------------------------------------------- live server


def _live_commands(server: RedisServer) -> dict[str, dict[str, Any]]:
    """COMMAND INFO from the server, parsed here independently of the generator."""
    import redis

    client = redis.Redis(host=server.host, port=server.port, protocol=2, decode_responses=True)
    conn = client.connection_pool.get_connection()
    try:
        conn.send_command("COMMAND", "INFO")  # raw reply: no redis-py reshaping
        reply = conn.read_response()
    finally:
        client.connection_pool.release(conn)
        client.close()

    out: dict[str, dict[str, Any]] = {}

    def add(entry: list[Any]) -> None:
        name, _arity, flags, first, last, step, acl = entry[:7]
        out[name.upper().replace("|", " ")] = {
            "flags": frozenset(flags),
            "first_key": first,
            "last_key": last,
            "step": step,
            "acl_categories": frozenset(c.lstrip("@") for c in acl),
        }
        for sub in entry[9] if len(entry) > 9 else []:
            add(sub)

    for entry in reply:
        add(entry)
    return out


def _live_version(server: RedisServer) -> str:
    import redis

    with redis.Redis(host=server.host, port=server.port) as client:
        return str(client.info("server")["redis_version"])


@pytest.mark.redis
def test_table_matches_live_server(redis_server: RedisServer, table: CommandTable) -> None:
    live = _live_commands(redis_server)
    context = f"(table from redis {table.redis_server_version}, live {_live_version(redis_server)})"
    known = {name: c for name, c in table.commands.items() if c.known_to_server}
    assert sorted(set(live) - set(known)) == [], f"commands missing from the table {context}"
    assert sorted(set(known) - set(live)) == [], f"commands the server lacks {context}"
    mismatches = {
        name: (facts, "table:", known[name])
        for name, facts in live.items()
        if facts
        != {
            "flags": known[name].flags,
            "first_key": known[name].first_key,
            "last_key": known[name].last_key,
            "step": known[name].step,
            "acl_categories": known[name].acl_categories,
        }
    }
    assert mismatches == {}, f"table differs from the live server {context}"


def _generator() -> ModuleType:
    name = "gen_commands"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GENERATOR)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.redis
def test_regenerating_gives_the_committed_table(
    redis_server: RedisServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "commands.json"
    assert _generator().main(["--url", redis_server.url, "--output", str(output)]) == 0
    capsys.readouterr()
    assert output.read_text("utf-8") == SHIPPED.read_text("utf-8"), (
        "src/redislint/data/commands.json is stale: run scripts/gen_commands.py"
    )
    assert _generator().main(["--url", redis_server.url, "--output", str(SHIPPED), "--check"]) == 0


@pytest.mark.redis
def test_redis_client_starts_empty(redis_client: Any) -> None:
    assert redis_client.dbsize() == 0
    redis_client.set("redislint:probe", "1")
    assert redis_client.get("redislint:probe") == b"1"
