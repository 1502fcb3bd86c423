"""RL605: FLUSHALL, FLUSHDB, KEYS, CONFIG, DEBUG callable on a server holding critical data."""

from __future__ import annotations

from redislint.deploy.model import COMMAND_CATEGORIES, DANGEROUS_COMMANDS, AclUser
from redislint.rules._deploy import DeployRule


def user_may_call(user: AclUser, command: str) -> bool:
    """Apply the user's command rules in order, as `ACL SETUSER` does."""
    allowed = False
    categories = COMMAND_CATEGORIES[command]
    for rule in user.rules:
        lowered = rule.lower()
        if lowered in ("+@all", "allcommands"):
            allowed = True
        elif lowered in ("-@all", "nocommands", "reset"):
            allowed = False
        elif _names(lowered, command, categories):
            allowed = lowered[0] == "+"
    return allowed


def _names(rule: str, command: str, categories: frozenset[str]) -> bool:
    """Whether an ACL rule (`+@dangerous`, `-flushall`) is about the whole `command`
    (`-config|set` denies one subcommand: CONFIG GET stays callable)."""
    if rule.startswith(("+@", "-@")):
        return rule[2:] in categories
    return rule.startswith(("+", "-")) and rule[1:] == command.lower()


class DangerousCommandsEnabled(DeployRule):
    CODE = "RL605"

    def check(self) -> None:
        deployment = self.deployment
        if deployment.sentinel or not (self.serves("critical") or self.serves("primary")):
            return
        if not deployment.settings_known or deployment.last("aclfile") is not None:
            return
        renamed = deployment.renamed()
        users = {user.name: user for user in deployment.users()}
        callable_ = []
        for command in DANGEROUS_COMMANDS:
            if command in renamed:
                continue
            logins = [u for u in users.values() if u.enabled]
            default_defined = "default" in users
            if not default_defined:
                callable_.append(command)  # the default user: on, every command
                continue
            if any(user_may_call(u, command) for u in logins):
                callable_.append(command)
        if not callable_:
            return
        message = (
            f"{', '.join(callable_)} can be called by the application's user on a "
            "deployment that holds data Redis cannot get back"
        )
        hint = 'rename them away (`rename-command FLUSHALL ""`) or use ACL users with `-@dangerous`'
        self.report_at(None, message, hint=hint)
