"""Docker Compose files: services that run Redis, their command line, the config file
they mount, and the ports they publish.

A service is a Redis server when its image is `redis`/`valkey/valkey`/`bitnami/redis`
(any registry, tag or digest) or its command runs `redis-server`; a service built from
a Dockerfile whose image runs `redis-server` takes that Dockerfile's command (the
Dockerfile is then part of this deployment, not one of its own).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from redislint.deploy import yamlnodes as y
from redislint.deploy.dockerfile import DockerServer, parse_dockerfile
from redislint.deploy.kinds import is_compose_name
from redislint.deploy.model import Location
from redislint.deploy.redisconf import Token
from redislint.deploy.server import ImageKind, ServerCommand, image_kind, server_command

LOOPBACK_HOSTS = ("127.", "::1", "[::1]", "localhost")


@dataclass
class Port:
    """One `ports:` entry: container port range, host address, where it is written."""

    first: int
    last: int
    host_ip: str
    location: Location

    def publishes(self, port: int) -> bool:
        """Whether this entry publishes `port` beyond the host's loopback interface."""
        loopback = self.host_ip.startswith(LOOPBACK_HOSTS)
        return self.first <= port <= self.last and not loopback


@dataclass
class ComposeServer:
    service: str
    anchor: Location
    command: ServerCommand
    kind: ImageKind
    mounts: list[tuple[str, str]] = field(default_factory=list)  # (host path, container path)
    ports: list[Port] = field(default_factory=list)
    dockerfile: Path | None = None
    docker: DockerServer | None = None

    def host_path(self, container_path: str, directory: Path) -> Path | None:
        """The tree's file behind `container_path` (bind mounts, then the Dockerfile)."""
        wanted = posixpath.normpath(container_path)
        for host, target in reversed(self.mounts):
            target = posixpath.normpath(target)
            local = (directory / host).resolve() if not Path(host).is_absolute() else Path(host)
            if wanted == target:
                return local if local.is_file() else None
            if wanted.startswith(target.rstrip("/") + "/"):
                candidate = local / wanted[len(target.rstrip("/")) + 1 :]
                if candidate.is_file():
                    return candidate
        if self.docker is not None and self.dockerfile is not None:
            return self.docker.host_path(container_path, self.dockerfile.parent)
        return None


def _mounts(service: y.Node, top_configs: dict[str, str]) -> list[tuple[str, str]]:
    mounts: list[tuple[str, str]] = []
    for entry in y.sequence(y.value(service, "volumes")):
        short = y.text(entry)
        if short is not None:
            parts = short.split(":")
            if len(parts) >= 2 and parts[0].startswith((".", "/", "~")):
                mounts.append((parts[0], parts[1]))
            continue
        source, target = y.text(y.value(entry, "source")), y.text(y.value(entry, "target"))
        if source and target and y.text(y.value(entry, "type")) in (None, "bind"):
            mounts.append((source, target))
    for entry in y.sequence(y.value(service, "configs")):
        name = y.text(entry) or y.text(y.value(entry, "source"))
        target = y.text(y.value(entry, "target")) or (f"/{name}" if name else None)
        if name and target and name in top_configs:
            mounts.append((top_configs[name], target))
    return mounts


def _ports(service: y.Node, path: str) -> list[Port]:
    ports: list[Port] = []
    for entry in y.sequence(y.value(service, "ports")):
        where = y.location(entry, path)
        short = y.text(entry)
        if short is not None:
            spec = short.split("/", 1)[0]
            host_ip = ""
            if spec.startswith("["):
                host_ip, _, spec = spec[1:].partition("]:")
            parts = spec.rsplit(":", 2)
            container = parts[-1]
            if len(parts) == 3:
                host_ip = parts[0]
            port_range = _range(container)
            if port_range is not None:
                ports.append(Port(*port_range, host_ip, where))
            continue
        target = y.text(y.value(entry, "target"))
        published = y.value(entry, "published")
        port_range = _range(target or "")
        if port_range is not None and published is not None:
            host_ip = y.text(y.value(entry, "host_ip")) or ""
            ports.append(Port(*port_range, host_ip, where))
    return ports


def _range(text: str) -> tuple[int, int] | None:
    first, _, last = text.strip().partition("-")
    if not first.isdigit() or (last and not last.isdigit()):
        return None
    return int(first), int(last or first)


def _dockerfile(service: y.Node, directory: Path) -> Path | None:
    build = y.value(service, "build")
    if build is None:
        return None
    context = y.text(build)
    dockerfile = "Dockerfile"
    if context is None:
        context = y.text(y.value(build, "context")) or "."
        dockerfile = y.text(y.value(build, "dockerfile")) or dockerfile
    if "://" in context:
        return None
    candidate = directory / context / dockerfile
    return candidate if candidate.is_file() else None


def parse_compose(
    text: str, path: str, file_path: Path, display: Callable[[Path], str]
) -> list[ComposeServer]:
    """The Redis services of one Compose file (YamlError when it is not YAML)."""
    servers: list[ComposeServer] = []
    directory = file_path.parent
    for document in y.compose_documents(text, path):
        top_configs: dict[str, str] = {}
        for key, value in y.items(y.value(document, "configs")):
            source = y.text(y.value(value, "file"))
            if source and y.text(key):
                top_configs[str(y.text(key))] = source
        for key, service in y.items(y.value(document, "services")):
            name = y.text(key)
            if name is None or not y.is_mapping(service):
                continue
            image = y.text(y.value(service, "image")) or ""
            kind = image_kind(image) if image else "other"
            dockerfile = _dockerfile(service, directory) if kind == "other" else None
            docker = None
            if dockerfile is not None:
                try:
                    source = dockerfile.read_bytes().decode("utf-8", errors="replace")
                except OSError:
                    source = ""
                docker = parse_dockerfile(source, display(dockerfile))
            entry_node, command_node = y.value(service, "entrypoint"), y.value(service, "command")
            entrypoint = y.tokens(entry_node, path) if entry_node is not None else None
            command = y.tokens(command_node, path) if command_node is not None else None
            server: ServerCommand | None
            if docker is not None and entrypoint is None and command is None:
                server = docker.command
                kind = docker.kind
            elif docker is not None and entrypoint is None:
                server = server_command(None, command, docker.kind)
                kind = docker.kind
            else:
                server = server_command(entrypoint, command, kind)
            if server is None or server.sentinel:
                continue
            if kind == "other" and server.program is None:
                continue
            servers.append(
                ComposeServer(
                    name,
                    y.location(key, path),
                    server,
                    kind,
                    _mounts(service, top_configs),
                    _ports(service, path),
                    dockerfile if docker is not None else None,
                    docker,
                )
            )
    return servers


__all__ = ["ComposeServer", "Port", "Token", "is_compose_name", "parse_compose"]
