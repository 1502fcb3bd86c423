"""RL602: an allkeys-* eviction policy on a deployment that holds critical keys."""

from __future__ import annotations

from redislint.deploy.model import EVICTING_ALL_KEYS
from redislint.deploy.redisconf import memory_bytes
from redislint.rules._deploy import DeployRule


class EvictionCanDropCriticalKeys(DeployRule):
    CODE = "RL602"

    def check(self) -> None:
        deployment = self.deployment
        if deployment.sentinel or not (self.serves("critical") or self.serves("primary")):
            return
        policy = deployment.effective("maxmemory-policy")
        if policy.directive is None or policy.value not in EVICTING_ALL_KEYS:
            return
        limit = deployment.effective("maxmemory")
        size = memory_bytes(limit.value) if limit.known else None
        if not size:
            return  # maxmemory 0 (the default) or unknown: Redis never evicts
        roles = " and ".join(f"`{r}`" for r in ("critical", "primary") if self.serves(r))
        message = (
            f"maxmemory-policy {policy.value} evicts any key, with or without a TTL, once "
            f"maxmemory ({limit.value}) is reached; this deployment holds {roles} data"
        )
        fix = self.set_directive_fix(
            policy.directive,
            "maxmemory-policy",
            "noeviction",
            "Use noeviction",
            policy.directive.location,
        )
        hint = "`noeviction` (writes fail loudly instead), or a separate instance for the cache"
        self.report_at(policy.directive, message, hint=hint, fix=fix)
