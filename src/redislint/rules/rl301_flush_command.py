"""RL301 flush-command: FLUSHALL / FLUSHDB outside tests."""

from __future__ import annotations

from redislint.rules._base import Rule

FLUSH_COMMANDS = ("FLUSHALL", "FLUSHDB")


class FlushCommand(Rule):
    CODE = "RL301"

    def check(self) -> None:
        for call in self.model.iter_calls(*FLUSH_COMMANDS):
            self.report_call(
                call,
                f"{call.command} deletes every key of "
                + ("every database" if call.command == "FLUSHALL" else "the database")
                + " from application code",
                hint="delete only your own namespace (SCAN + UNLINK), or keep flushes in tests"
                " and operations scripts (per-file-ignores)",
            )
