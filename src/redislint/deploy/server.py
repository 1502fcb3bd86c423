"""Which program a container runs, and with which `redis-server` arguments.

Shared by Compose, Kubernetes and Dockerfiles: the images that run Redis, the official
images' entrypoint rule (`docker-entrypoint.sh` prepends `redis-server` when the first
argument starts with `-` or ends with `.conf`), `sh -c "..."` wrappers, and where each
argument is written so that a finding can point at it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from redislint.deploy.model import Location
from redislint.deploy.redisconf import Token

SERVER_PROGRAMS = frozenset({"redis-server", "valkey-server"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "/bin/sh", "/bin/bash", "/bin/ash"})
_SCRIPT_END = frozenset({"&&", "||", ";", "|", "&"})

ImageKind = Literal["official", "bitnami", "other"]


def image_kind(image: str) -> ImageKind:
    """`official` for redis / valkey images (any registry, tag or digest), `bitnami` for
    bitnami's images (their own config and defaults), else `other` (redis-commander,
    redis_exporter, memcached... are not Redis servers)."""
    name = image.strip().split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: name.rfind(":")]
    parts = name.lower().split("/")
    if parts and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    path = "/".join(parts)
    if path in ("redis", "library/redis", "valkey/valkey", "library/valkey"):
        return "official"
    if path in ("bitnami/redis", "bitnami/valkey"):
        return "bitnami"
    return "other"


@dataclass(frozen=True)
class ServerCommand:
    """The arguments `redis-server` receives (after the program name), or why unknown."""

    args: tuple[Token, ...]
    program: Token | None  # where `redis-server` is written (None: the image's default)
    sentinel: bool = False


def _basename(text: str) -> str:
    return text.rsplit("/", 1)[-1]


def server_command(
    entrypoint: Sequence[Token] | None,
    command: Sequence[Token] | None,
    kind: ImageKind,
) -> ServerCommand | None:
    """What runs, given the container's entrypoint and command (None: not set).

    None when the container does not run a Redis server (redis-cli, a sentinel, any
    other program), so that helper containers on a redis image are not deployments.
    """
    tokens: list[Token]
    if entrypoint:
        tokens = [*entrypoint, *(command or ())]
        first = _basename(tokens[0].text)
        if first in ("docker-entrypoint.sh", "tini", "dumb-init", "--"):
            return server_command(None, tokens[1:] or None, kind)
        return _from_tokens(tokens, kind)
    if not command:
        if kind == "other":
            return None
        return ServerCommand((), None)
    first = command[0].text
    if kind != "other" and (first.startswith("-") or first.endswith(".conf")):
        return _finish(ServerCommand(tuple(command), None))
    return _from_tokens(list(command), kind)


def _from_tokens(tokens: list[Token], kind: ImageKind) -> ServerCommand | None:
    first = _basename(tokens[0].text)
    if first in SERVER_PROGRAMS:
        return _finish(ServerCommand(tuple(tokens[1:]), tokens[0]))
    if first in ("redis-sentinel", "valkey-sentinel"):
        return None
    if kind == "bitnami" and first.endswith("run.sh"):
        return _finish(ServerCommand(tuple(tokens[1:]), tokens[0]))
    shell = tokens[0].text in _SHELLS and len(tokens) >= 3
    if shell and tokens[1].text.startswith("-") and "c" in tokens[1].text:
        return _from_script(tokens[2])
    if first == "exec" and len(tokens) > 1:
        return _from_tokens(tokens[1:], kind)
    return None


def _from_script(script: Token) -> ServerCommand | None:
    """`sh -c "redis-server --requirepass $$PASS"`: the redis-server part of the script."""
    words = shell_words(script.text)
    if words is None:
        return None
    for index, word in enumerate(words):
        if _basename(word) in SERVER_PROGRAMS:
            args = []
            for later in words[index + 1 :]:
                if later in _SCRIPT_END:
                    break
                args.append(later)
            located = locate(script, [word, *args])
            return _finish(ServerCommand(tuple(located[1:]), located[0]))
    return None


def _finish(command: ServerCommand) -> ServerCommand:
    sentinel = any(t.text == "--sentinel" for t in command.args)
    return ServerCommand(command.args, command.program, sentinel)


def shell_words(text: str) -> list[str] | None:
    """Split like a POSIX shell (Compose splits a string `command` the same way)."""
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        return list(lexer)
    except ValueError:
        return None


def locate(origin: Token, words: Sequence[str]) -> list[Token]:
    """Tokens for `words` split out of `origin` (a one-line string), each at its column.

    Found by searching the words in order in the written text (quoted or not); a word
    that cannot be found, or text spread over several lines, keeps the origin's range.
    """
    where = origin.location
    text = origin.text
    tokens = []
    offset = 0
    single_line = where.line == where.end_line and "\n" not in text
    for word in words:
        found = -1
        if single_line and word:
            for candidate in (word, shlex.quote(word), f'"{word}"'):
                found = text.find(candidate, offset)
                if found >= 0:
                    length = len(candidate)
                    break
        if found < 0:
            tokens.append(Token(word, where))
            continue
        offset = found + length
        column = where.column + _prefix_width(where, text) + found
        tokens.append(
            Token(word, Location(where.path, where.line, column, where.line, column + length))
        )
    return tokens


def _prefix_width(where: Location, text: str) -> int:
    """Characters between the location's start and the text itself (an opening quote)."""
    width = where.end_column - where.column
    return 1 if width == len(text) + 2 else 0


_VARIABLE = re.compile(r"\$\{?\w+")


def has_variable(text: str) -> bool:
    """A value filled in at deploy time (`$REDIS_PASSWORD`, `${PASS}`, `$(PASS)`)."""
    return bool(_VARIABLE.search(text)) or "$(" in text
