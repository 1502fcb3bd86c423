"""RL603: `appendfsync no` with primary data: the OS decides when writes reach disk."""

from __future__ import annotations

from redislint.rules._deploy import DeployRule


class WeakFsyncForPrimaryData(DeployRule):
    CODE = "RL603"

    def check(self) -> None:
        deployment = self.deployment
        if deployment.sentinel or not self.serves("primary"):
            return
        if deployment.effective("appendonly").value != "yes":
            return
        fsync = deployment.effective("appendfsync")
        if fsync.directive is None or fsync.value != "no":
            return
        message = (
            "appendfsync no leaves it to the operating system when AOF writes reach the "
            "disk (often 30 seconds); this deployment holds `primary` data"
        )
        hint = "`appendfsync everysec` (at most about a second lost) or `always`"
        self.report_at(fsync.directive, message, hint=hint)
