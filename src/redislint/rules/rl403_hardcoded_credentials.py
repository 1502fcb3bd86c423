"""RL403 hardcoded-credentials: a literal Redis password in the code.

Client and pool constructors (`password="..."`), Redis URLs with a password
(`redis://:secret@host`, `?password=`) given to `from_url` or written in Django /
Celery / RQ settings, and the commands that carry one: `auth()`,
`acl_setuser(passwords=...)`, `config_set("requirepass", ...)`. Values read from the
environment or any other computed value are never reported; other URLs (postgres://,
https://) are not Redis URLs.
"""

from __future__ import annotations

from redislint.rules._base import Rule
from redislint.semantics.connections import command_secrets

HINT_ARGUMENT = (
    'read it from the environment or a secret store: password=os.environ["REDIS_PASSWORD"]'
)
HINT_URL = 'read the whole URL from the environment: from_url(os.environ["REDIS_URL"])'
HINT_SETTING = 'read the URL from the environment: os.environ["REDIS_URL"]'
HINT_COMMAND = 'pass the password from the environment: os.environ["REDIS_PASSWORD"]'


class HardcodedCredentials(Rule):
    CODE = "RL403"

    def check(self) -> None:
        for connection in self.model.connections:
            for secret in connection.secrets:
                is_url = secret.where.startswith("the URL")
                if connection.is_setting:
                    hint = HINT_SETTING if is_url else HINT_ARGUMENT
                else:
                    hint = HINT_URL if is_url else HINT_ARGUMENT
                self.report(
                    connection.node,
                    f"{connection.what} has a literal password ({secret.where}): anyone who"
                    " can read the code or its history can log in to the server",
                    statement=connection.statement,
                    hint=hint,
                )
        for call in self.model.iter_calls("AUTH", "ACL SETUSER", "CONFIG SET"):
            for where in command_secrets(self.model, call):
                self.report_call(
                    call,
                    f"{where} is a literal password: anyone who can read the code can log in"
                    " to the server",
                    hint=HINT_COMMAND,
                )
