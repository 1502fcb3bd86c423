"""RL402 plaintext-connection: a client for a non-loopback host without TLS.

TLS is `rediss://`, `ssl=True` or `connection_class=SSLConnection` (also through a
pool); a setting that cannot be read keeps the rule silent.
"""

from __future__ import annotations

from redislint.rules._base import Rule


class PlaintextConnection(Rule):
    CODE = "RL402"

    def check(self) -> None:
        for connection in self.model.connections:
            if connection.is_pool or connection.tls is not False:
                continue
            exposed = connection.exposed()
            if not exposed:
                continue
            hosts = ", ".join(f"'{e.describe()}'" for e in exposed)
            hint = (
                "use a rediss:// URL"
                if connection.is_setting or connection.what == "from_url(...)"
                else "pass ssl=True (with ssl_ca_certs= for your CA), or use a rediss:// URL"
            )
            self.report(
                connection.node,
                f"{connection.what} connects to {hosts} (not loopback) without TLS: commands,"
                " values and the AUTH password cross the network in clear text",
                statement=connection.statement,
                hint=hint,
            )
