"""RL304's command set comes from the command table's flags (semantics/admin.py)."""

from __future__ import annotations

import pytest

from redislint.semantics.admin import is_admin_command
from redislint.semantics.commands import CommandTable

# rules.md's RL304 list: every one must be derived from the table.
CATALOGUE = [
    "CONFIG SET",
    "CONFIG REWRITE",
    "CONFIG RESETSTAT",
    "DEBUG",
    "SHUTDOWN",
    "SAVE",
    "REPLICAOF",
    "SLAVEOF",
    "FAILOVER",
    "CLIENT KILL",
    "SCRIPT FLUSH",
    "FUNCTION FLUSH",
    "ACL SETUSER",
    "ACL DELUSER",
]
NOT_ADMIN = [
    "CONFIG GET",
    "ACL LIST",
    "ACL GETUSER",
    "CLIENT LIST",
    "SLOWLOG GET",
    "INFO",
    "LASTSAVE",
    "ROLE",
    "SCRIPT LOAD",
    "FUNCTION LIST",
    "FLUSHALL",  # RL301
    "FLUSHDB",
    "KEYS",  # RL303
    "GET",
    "SET",
    "EVAL",
]


@pytest.mark.parametrize("name", CATALOGUE)
def test_the_catalogues_commands_are_admin(name: str) -> None:
    assert is_admin_command(CommandTable.load().command(name))


@pytest.mark.parametrize("name", NOT_ADMIN)
def test_reads_and_data_commands_are_not(name: str) -> None:
    assert not is_admin_command(CommandTable.load().command(name))


def test_the_set_follows_the_flags_not_a_list() -> None:
    table = CommandTable.from_json(
        {
            "commands": {
                "NEWADMIN": {"flags": ["admin"], "acl_categories": ["admin"]},
                "NEWADMIN GET": {"flags": ["admin"], "acl_categories": ["admin"]},
                "PLAIN": {"flags": ["write"], "acl_categories": ["write"]},
                "THING FLUSH": {"flags": ["noscript"], "acl_categories": ["scripting"]},
                "OLD": {"flags": ["admin"], "known_to_server": False},
            }
        }
    )
    assert is_admin_command(table.command("NEWADMIN"))
    assert is_admin_command(table.command("THING FLUSH"))
    assert not is_admin_command(table.command("NEWADMIN GET"))
    assert not is_admin_command(table.command("PLAIN"))
    assert not is_admin_command(table.command("OLD"))
    assert not is_admin_command(None)
