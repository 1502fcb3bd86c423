"""Kubernetes manifests: containers running Redis, the ConfigMaps that hold their
redis.conf, and what publishes their port (a `hostPort`, a NodePort/LoadBalancer
Service selecting the pod).

A container's `command` replaces the image's ENTRYPOINT and `args` its CMD, as in
Kubernetes. A config file named on the command line is followed through the pod's
`volumeMounts` and `volumes` to a ConfigMap key anywhere in the checked tree; a
literal block scalar (`|`) keeps exact positions, so findings point at the directive
inside the embedded config.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from redislint.deploy import yamlnodes as y
from redislint.deploy.model import Location
from redislint.deploy.redisconf import Token
from redislint.deploy.server import ImageKind, ServerCommand, image_kind, server_command

WORKLOAD_KINDS = frozenset(
    {
        "Pod",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
        "CronJob",
    }
)


@dataclass
class EmbeddedConf:
    """A redis.conf held in a ConfigMap's `data` (or a standalone one)."""

    configmap: str
    key: str
    text: str
    key_location: Location
    line_offset: int | None  # None: positions inside the value are not exact
    column_offset: int
    path: str


@dataclass
class Volume:
    configmap: str
    items: dict[str, str]  # path in the volume -> key


@dataclass
class KubeServer:
    name: str  # container name
    anchor: Location
    command: ServerCommand
    kind: ImageKind
    labels: dict[str, str]
    mounts: list[tuple[str, str, str | None]] = field(default_factory=list)  # (path, vol, sub)
    volumes: dict[str, Volume] = field(default_factory=dict)
    host_ports: list[tuple[int, Location]] = field(default_factory=list)
    container_ports: dict[str, int] = field(default_factory=dict)  # name -> number
    path: str = ""

    def config_for(
        self, container_path: str, maps: dict[str, list[EmbeddedConf]]
    ) -> EmbeddedConf | None:
        """The ConfigMap entry mounted at `container_path`, if the tree holds it."""
        wanted = posixpath.normpath(container_path)
        for mount_path, volume_name, sub_path in reversed(self.mounts):
            volume = self.volumes.get(volume_name)
            if volume is None:
                continue
            mount_path = posixpath.normpath(mount_path)
            if sub_path is not None:
                if wanted != mount_path:
                    continue
                relative = sub_path
            elif wanted.startswith(mount_path.rstrip("/") + "/"):
                relative = wanted[len(mount_path.rstrip("/")) + 1 :]
            else:
                continue
            key = volume.items.get(relative, relative if not volume.items else None)
            for entry in maps.get(volume.configmap, []):
                if entry.key == key:
                    return entry
        return None


@dataclass
class KubeFile:
    servers: list[KubeServer] = field(default_factory=list)
    configmaps: list[EmbeddedConf] = field(default_factory=list)
    services: list[tuple[str, dict[str, str], list[str], Location]] = field(default_factory=list)


def _pod_spec(document: y.Node, kind: str) -> tuple[y.Node, dict[str, str]]:
    spec = y.value(document, "spec")
    if kind == "Pod":
        return spec, _labels(y.value(y.value(document, "metadata"), "labels"))
    if kind == "CronJob":
        spec = y.value(y.value(spec, "jobTemplate"), "spec")
    template = y.value(spec, "template")
    labels = _labels(y.value(y.value(template, "metadata"), "labels"))
    return y.value(template, "spec"), labels


def _labels(node: y.Node) -> dict[str, str]:
    return {str(y.text(k)): str(y.text(v)) for k, v in y.items(node) if y.text(k) is not None}


def _is_redis_conf_key(key: str) -> bool:
    lowered = key.lower()
    return lowered.endswith(".conf") and ("redis" in lowered or "valkey" in lowered)


def _embedded(document: y.Node, path: str, source_lines: list[str]) -> list[EmbeddedConf]:
    name = y.text(y.value(y.value(document, "metadata"), "name")) or ""
    found = []
    for key, value in y.items(y.value(document, "data")):
        key_text, text = y.text(key), y.text(value)
        if key_text is None or text is None:
            continue
        line_offset: int | None = None
        column_offset = 0
        if value.style == "|":
            line_offset = value.start_mark.line + 1
            for raw in source_lines[line_offset:]:
                if raw.strip():
                    column_offset = len(raw) - len(raw.lstrip(" "))
                    break
        found.append(
            EmbeddedConf(
                name, key_text, text, y.location(key, path), line_offset, column_offset, path
            )
        )
    return found


def parse_manifests(text: str, path: str) -> KubeFile:
    """Workloads, ConfigMaps and Services of one manifest file (YamlError if not YAML)."""
    result = KubeFile()
    lines = text.split("\n")
    for document in y.compose_documents(text, path):
        kind = y.text(y.value(document, "kind")) or ""
        if kind == "ConfigMap":
            result.configmaps.extend(_embedded(document, path, lines))
        elif kind == "Service":
            spec = y.value(document, "spec")
            service_type = y.value(spec, "type")
            if y.text(service_type) in ("NodePort", "LoadBalancer"):
                targets = []
                for port in y.sequence(y.value(spec, "ports")):
                    target = y.text(y.value(port, "targetPort")) or y.text(y.value(port, "port"))
                    if target:
                        targets.append(target)
                selector = _labels(y.value(spec, "selector"))
                result.services.append((kind, selector, targets, y.location(service_type, path)))
        elif kind in WORKLOAD_KINDS:
            pod, labels = _pod_spec(document, kind)
            volumes: dict[str, Volume] = {}
            for volume in y.sequence(y.value(pod, "volumes")):
                volume_name = y.text(y.value(volume, "name"))
                configmap = y.value(volume, "configMap")
                map_name = y.text(y.value(configmap, "name"))
                if volume_name and map_name:
                    items = {
                        str(y.text(y.value(i, "path"))): str(y.text(y.value(i, "key")))
                        for i in y.sequence(y.value(configmap, "items"))
                    }
                    volumes[volume_name] = Volume(map_name, items)
            for container in y.sequence(y.value(pod, "containers")):
                server = _container(container, path, labels, volumes)
                if server is not None:
                    result.servers.append(server)
    return result


def _container(
    container: y.Node, path: str, labels: dict[str, str], volumes: dict[str, Volume]
) -> KubeServer | None:
    name_pair = y.get(container, "name")
    image = y.text(y.value(container, "image")) or ""
    kind = image_kind(image)
    command_node, args_node = y.value(container, "command"), y.value(container, "args")
    command = y.tokens(command_node, path) if command_node is not None else None
    args = y.tokens(args_node, path) if args_node is not None else None
    server = server_command(command, args, kind)
    if server is None or server.sentinel or (kind == "other" and server.program is None):
        return None
    anchor_node = name_pair[1] if name_pair is not None else container
    name = (y.text(name_pair[1]) if name_pair is not None else None) or "container"
    result = KubeServer(name, y.location(anchor_node, path), server, kind, labels, path=path)
    result.anchor = _line_start(result.anchor, name_pair, path)
    for mount in y.sequence(y.value(container, "volumeMounts")):
        mount_path, volume = y.text(y.value(mount, "mountPath")), y.text(y.value(mount, "name"))
        if mount_path and volume:
            result.mounts.append((mount_path, volume, y.text(y.value(mount, "subPath"))))
    result.volumes = volumes
    for port in y.sequence(y.value(container, "ports")):
        number = y.text(y.value(port, "containerPort"))
        host = y.get(port, "hostPort")
        port_name = y.text(y.value(port, "name"))
        if number and number.isdigit():
            if port_name:
                result.container_ports[port_name] = int(number)
            result.container_ports[number] = int(number)
            if host is not None:
                result.host_ports.append((int(number), y.location(host[0], path)))
    return result


def _line_start(anchor: Location, name_pair: tuple[y.Node, y.Node] | None, path: str) -> Location:
    """rules.md: a Kubernetes container's anchor is its `name:` (the key, not the value)."""
    if name_pair is None:
        return anchor
    return y.location(name_pair[0], path)


__all__ = ["EmbeddedConf", "KubeFile", "KubeServer", "Token", "parse_manifests"]
