"""RL404 missing-socket-timeout: a client with no `socket_timeout` (off by default).

redis-py's default is no timeout: a command sent into a network partition (or to a
server stopped by SIGSTOP, a full accept queue...) blocks its caller forever. Settings
literals are not judged: the library that builds the client (Celery, django-redis)
applies its own defaults.
"""

from __future__ import annotations

from redislint.rules._base import Rule


class MissingSocketTimeout(Rule):
    CODE = "RL404"

    def check(self) -> None:
        for connection in self.model.connections:
            if (
                connection.is_pool
                or connection.is_setting
                or connection.socket_timeout is not False
            ):
                continue
            where = ", ".join(
                f"'{e.describe()}'" for e in connection.endpoints if e.host or e.unix_path
            )
            target = f" for {where}" if where else ""
            self.report(
                connection.node,
                f"{connection.what}{target} has no socket_timeout: a command sent during a"
                " network partition blocks the caller forever",
                statement=connection.statement,
                hint="pass socket_timeout=<seconds> (and socket_connect_timeout=), or"
                " ?socket_timeout= in the URL",
            )
