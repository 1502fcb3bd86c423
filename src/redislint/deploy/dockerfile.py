"""Dockerfiles: the last stage's `CMD`/`ENTRYPOINT` running `redis-server`, and the
files it `COPY`s/`ADD`s into the image (so that the config the command names can be
read from the build context, assumed to be the Dockerfile's directory).

Instructions are read as Docker does: case-insensitive, `\\` continues a line, a line
starting with `#` is a comment (there are no inline comments), JSON (exec) form or
shell form.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from redislint.deploy.model import Location
from redislint.deploy.redisconf import Token
from redislint.deploy.server import ImageKind, ServerCommand, image_kind, locate, server_command


@dataclass
class Instruction:
    keyword: str
    text: str  # the arguments, continuation lines joined
    location: Location  # the keyword's line (for CMD/ENTRYPOINT: the anchor)
    raw_line: str  # the first physical line


@dataclass
class DockerServer:
    """A Dockerfile whose image runs a Redis server."""

    anchor: Location
    command: ServerCommand
    copies: list[tuple[str, str]] = field(default_factory=list)  # (source, destination)
    workdir: str = "/"
    kind: ImageKind = "other"

    def host_path(self, container_path: str, directory: Path) -> Path | None:
        """The build-context file copied to `container_path`, if any."""
        wanted = posixpath.normpath(posixpath.join(self.workdir, container_path))
        for source, destination in reversed(self.copies):
            dest = posixpath.normpath(posixpath.join(self.workdir, destination))
            local = directory / source
            if destination.endswith("/") and not source.endswith("/") and local.is_file():
                dest = posixpath.join(dest, posixpath.basename(source))
            if wanted == dest:
                return local if local.is_file() else None
            if wanted.startswith(dest.rstrip("/") + "/") and local.is_dir():
                candidate = local / wanted[len(dest.rstrip("/")) + 1 :]
                if candidate.is_file():
                    return candidate
        return None


def instructions(text: str, path: str) -> list[Instruction]:
    lines = text.split("\n")
    result: list[Instruction] = []
    index = 0
    while index < len(lines):
        raw = lines[index]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        start = index
        parts = [stripped]
        while parts[-1].endswith("\\") and index + 1 < len(lines):
            parts[-1] = parts[-1][:-1]
            index += 1
            following = lines[index].strip()
            if following.startswith("#"):
                continue
            parts.append(following)
        keyword, _, rest = " ".join(parts).partition(" ")
        column = len(raw) - len(raw.lstrip()) + 1
        where = Location(path, start + 1, column, start + 1, column + len(keyword))
        result.append(Instruction(keyword.upper(), rest.strip(), where, raw))
        index += 1
    return result


def _words(instruction: Instruction) -> list[Token] | None:
    """The instruction's arguments as tokens (exec form or shell form)."""
    text = instruction.text
    line = instruction.raw_line
    base = Token(
        line.strip(),
        Location(
            instruction.location.path,
            instruction.location.line,
            instruction.location.column,
            instruction.location.line,
            instruction.location.column + len(line.strip()),
        ),
    )
    if text.startswith("["):
        try:
            values = json.loads(text)
        except ValueError:
            values = None
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return locate(base, values)
    from redislint.deploy.server import shell_words

    words = shell_words(text)
    if words is None:
        return None
    if not text.startswith("["):
        # Shell form runs under `/bin/sh -c`: a plain command line is the same thing.
        return locate(base, words)
    return None


def parse_dockerfile(text: str, path: str) -> DockerServer | None:
    """The Redis server the final image runs, or None."""
    stage: list[Instruction] = []
    base_kind: ImageKind = "other"
    for instruction in instructions(text, path):
        if instruction.keyword == "FROM":
            stage = []
            image = instruction.text.split()[0] if instruction.text.split() else ""
            if image.startswith("--platform") and len(instruction.text.split()) > 1:
                image = instruction.text.split()[1]
            base_kind = image_kind(image)
            continue
        stage.append(instruction)
    entry: Instruction | None = None
    cmd: Instruction | None = None
    copies: list[tuple[str, str]] = []
    workdir = "/data" if base_kind != "other" else "/"
    for instruction in stage:
        if instruction.keyword == "ENTRYPOINT":
            entry = instruction
            cmd = None  # ENTRYPOINT resets an inherited or earlier CMD
        elif instruction.keyword == "CMD":
            cmd = instruction
        elif instruction.keyword in ("COPY", "ADD"):
            args = [a for a in instruction.text.split() if not a.startswith("--")]
            if instruction.text.startswith("["):
                try:
                    args = [str(a) for a in json.loads(instruction.text)]
                except ValueError:
                    continue
            if len(args) >= 2:
                copies.extend((source, args[-1]) for source in args[:-1])
        elif instruction.keyword == "WORKDIR" and instruction.text:
            workdir = posixpath.join(workdir, instruction.text.strip())
    if entry is None and cmd is None:
        return None
    entry_tokens = _words(entry) if entry is not None else None
    cmd_tokens = _words(cmd) if cmd is not None else None
    if entry is not None and entry_tokens is None:
        return None
    command = server_command(entry_tokens, cmd_tokens, base_kind)
    if command is None or command.sentinel:
        return None  # rules.md: a CMD/ENTRYPOINT that runs redis-server
    anchor_instruction = cmd if cmd is not None and entry is None else entry or cmd
    assert anchor_instruction is not None
    return DockerServer(anchor_instruction.location, command, copies, workdir, base_kind)
