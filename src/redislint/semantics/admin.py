"""Which commands administer the server rather than use its data (RL304).

Derived from the command table (COMMAND INFO flags, as the generating server reports
them), not from a list typed by hand, so a regenerated table brings new admin commands
with it:

- every command the server flags `admin` (CONFIG SET, SHUTDOWN, SAVE, REPLICAOF,
  FAILOVER, CLIENT KILL, ACL SETUSER, DEBUG, MONITOR, MODULE LOAD, CLUSTER RESET ...),
  except the subcommands that only *read* server state (CONFIG GET, ACL LIST, CLIENT
  LIST, SLOWLOG GET, LATENCY HISTORY ...): the flags do not tell those apart, their
  subcommand verb does;
- the `FLUSH` subcommands (SCRIPT FLUSH, FUNCTION FLUSH): they wipe server-wide state
  every client relies on, yet the server does not flag them `admin`.

FLUSHALL / FLUSHDB (RL301) and KEYS (RL303) have rules of their own and are not admin
commands by these flags.
"""

from __future__ import annotations

from redislint.semantics.commands import CommandInfo

# Subcommand verbs of admin containers that report state and change nothing.
QUERY_VERBS = frozenset(
    {
        "GET",
        "LIST",
        "LEN",
        "USERS",
        "GETUSER",
        "LOG",
        "DRYRUN",
        "DOCTOR",
        "GRAPH",
        "HISTOGRAM",
        "HISTORY",
        "LATEST",
        "REPLICAS",
        "SLAVES",
        "COUNT-FAILURE-REPORTS",
    }
)
_FLUSH_VERB = "FLUSH"


def is_admin_command(info: CommandInfo | None) -> bool:
    """Whether `info` administers the server (see the module docstring)."""
    if info is None or not info.known_to_server:
        return False
    verb = info.name.split(" ", 1)[1] if " " in info.name else None
    if "admin" in info.flags:
        return verb not in QUERY_VERBS
    return verb == _FLUSH_VERB
