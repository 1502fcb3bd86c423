"""RL604: a server reachable beyond loopback that asks for no password."""

from __future__ import annotations

import ipaddress

from redislint.deploy.model import Deployment, Directive
from redislint.rules._deploy import DeployReport, DeployRule


def is_loopback(address: str) -> bool:
    text = address.lstrip("-").strip("[]")
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False  # `*`, a host name: reachable from elsewhere


def has_auth(deployment: Deployment) -> bool:
    """A password is asked: requirepass, a user with a password, or an ACL file."""
    requirepass = deployment.effective("requirepass")
    if requirepass.directive is not None and requirepass.value != "":
        return True
    if deployment.last("aclfile") is not None:
        return True
    return any(user.has_password for user in deployment.users())


class UnprotectedServer(DeployRule):
    CODE = "RL604"

    def check(self) -> None:
        deployment = self.deployment
        if not deployment.settings_known or has_auth(deployment):
            # A config that could not be read, or an image with its own defaults (bitnami
            # asks for a password by default), may well require one.
            return
        triggers: list[tuple[int, Directive]] = []
        order = {id(d): n for n, d in enumerate(deployment.directives)}
        protected = deployment.effective("protected-mode")
        if protected.directive is not None and protected.value == "no":
            triggers.append((order[id(protected.directive)], protected.directive))
        bind = deployment.last("bind")
        if bind is not None and any(not is_loopback(a) for a in bind.args):
            triggers.append((order[id(bind)], bind))
        if triggers:
            first = min(triggers, key=lambda t: t[0])[1]
            if first.name == "bind":
                what = f"bind {first.value} listens beyond loopback"
            else:
                what = "protected-mode no accepts connections from any address"
            self.report_at(first, f"{what} and no password is required", hint=_HINT)
            return
        if deployment.published:
            message = "the Redis port is published beyond loopback and no password is required"
            self.deploy_reports.append(
                DeployReport(self.CODE, deployment.published[0], message, _HINT)
            )


_HINT = (
    "set `requirepass` (from a secret, never a literal in the repository) or ACL users "
    "with passwords, and bind to the interfaces that need it"
)
