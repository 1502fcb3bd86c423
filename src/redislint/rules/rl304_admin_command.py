"""RL304 admin-command: server administration sent from application code.

The commands come from `semantics/admin.py` (the command table's `admin` flag, minus
read-only subcommands, plus SCRIPT/FUNCTION FLUSH). Test paths are not checked (the
engine applies rules.md's "Test paths"): tests and fixtures legitimately reconfigure
the server they start.
"""

from __future__ import annotations

from redislint.rules._base import Rule
from redislint.semantics.admin import is_admin_command
from redislint.semantics.commands import normalize_command_name
from redislint.semantics.model import RedisCall


class AdminCommand(Rule):
    CODE = "RL304"

    def check(self) -> None:
        for call in self.model.redis_calls:
            if is_admin_command(call.info):
                self._report(call)

    def _report(self, call: RedisCall) -> None:
        assert call.info is not None
        summary = call.info.summary.rstrip(".")
        what = f" ({summary[:1].lower()}{summary[1:]})" if summary else ""
        target = self._first_literal(call)
        message = (
            f"{call.command}{target} sent from application code{what}: an administrative"
            " command acts on the whole server, for every client"
        )
        self.report_call(
            call,
            message,
            hint="keep server administration in deployment config or an operations script"
            " (per-file-ignores), with an account allowed to run it",
        )

    def _first_literal(self, call: RedisCall) -> str:
        """` 'maxmemory-policy'` for `config_set("maxmemory-policy", ...)`, when literal."""
        args = call.site.ir.args
        if call.method.startswith("debug_"):
            return " " + call.method.removeprefix("debug_").upper()  # debug_object: OBJECT
        if call.method == "execute_command":
            first = self.model.constant(call.site.scope, args[0]) if args else None
            spelled = len(normalize_command_name(first).split()) if first is not None else 1
            args = args[1 + len(call.command.split()) - spelled :]
        if not args:
            return ""
        value = self.model.constant(call.site.scope, args[0])
        return f" '{value}'" if value else ""
