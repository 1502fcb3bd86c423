"""RL401 unauthenticated-connection: a client for a non-loopback host with no credentials.

The settings come from `semantics/connections.py` (constructor arguments, URLs, pools,
Sentinel and cluster nodes, settings literals); a host or a credential that cannot be
read (the environment, `**kwargs`) keeps the rule silent.
"""

from __future__ import annotations

from redislint.rules._base import Rule

HINT = (
    'pass the credentials from the environment: password=os.environ["REDIS_PASSWORD"]'
    " (with username= for an ACL user, or credential_provider=), or build the URL from"
    ' it: from_url(os.environ["REDIS_URL"])'
)


class UnauthenticatedConnection(Rule):
    CODE = "RL401"

    def check(self) -> None:
        for connection in self.model.connections:
            if connection.is_pool or connection.credentials is not False:
                continue
            exposed = connection.exposed()
            if not exposed:
                continue
            hosts = ", ".join(f"'{e.describe()}'" for e in exposed)
            self.report(
                connection.node,
                f"{connection.what} connects to {hosts} (not loopback) without a password,"
                " username or credential provider: anyone who can reach the port can read"
                " and delete every key",
                statement=connection.statement,
                hint=HINT,
            )
