"""RL601: a deployment holding data Redis cannot get back keeps no durable copy."""

from __future__ import annotations

from redislint.rules._deploy import DeployRule


class PersistenceOffForCriticalData(DeployRule):
    CODE = "RL601"

    def check(self) -> None:
        deployment = self.deployment
        if deployment.sentinel:
            return
        aof = deployment.effective("appendonly")
        if not aof.known or aof.value != "no":
            return
        if self.serves("primary"):
            message = (
                "AOF is off (appendonly no) on a deployment that holds `primary` data: "
                "Redis is the source of truth, and a crash or restart loses the writes "
                "since the last snapshot, or everything when snapshots are off"
            )
            where = aof.directive
        elif self.serves("critical"):
            save = deployment.effective("save")
            if not save.known or save.value != "":
                return
            message = (
                'persistence is off (appendonly no, save "") on a deployment that holds '
                "`critical` data: every restart empties it"
            )
            where = save.directive
        else:
            return
        at = where.location if where is not None else deployment.anchor
        fix = self.set_directive_fix(aof.directive, "appendonly", "yes", "Turn on AOF", at)
        hint = "set `appendonly yes` (and test a restart: kill -9, start, count the keys)"
        self.report_at(where, message, hint=hint, fix=fix)
