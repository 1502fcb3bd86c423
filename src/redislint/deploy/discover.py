"""Which files hold Redis deployments, and the deployments they define together.

File names decide what is read (rules.md "6xx"): `*.conf` named for redis, valkey or
sentinel; Compose files (`compose.y(a)ml`, `docker-compose*.y(a)ml`); any other YAML
that mentions Redis is read as Kubernetes manifests; Dockerfiles; and whatever the
config's `deploy-paths` name. `build_deployments` then joins the pieces: a config file
that a service runs (mounted, copied into an image, held in a mounted ConfigMap) or
that another config includes belongs to that deployment, not to one of its own; the
rest stand alone. Deployments in test paths are read (RL001) but not counted.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from redislint.config import Config
from redislint.deploy import compose, dockerfile, kubernetes, redisconf
from redislint.deploy.kinds import FileKind as FileKind
from redislint.deploy.kinds import configured_kind as configured_kind
from redislint.deploy.kinds import decode as decode
from redislint.deploy.kinds import file_kind as file_kind
from redislint.deploy.kinds import is_deploy_file as is_deploy_file
from redislint.deploy.kinds import is_relevant as is_relevant
from redislint.deploy.kinds import relevant_files as relevant_files
from redislint.deploy.model import (
    Deployment,
    DeploymentSet,
    DeployProblem,
    Directive,
    Location,
)
from redislint.deploy.redisconf import ConfRead, Token
from redislint.deploy.server import ServerCommand
from redislint.deploy.yamlnodes import YamlError

DEFAULT_PORT = 6379

_TEMPLATE = re.compile(r"(?<!\$)\{\{")
_MANIFEST_KEY = re.compile(r"^\s*(?:apiVersion|kind)\s*:", re.MULTILINE)
_MENTIONS_SERVER = re.compile(
    r"(?:redis|valkey)-server|image:\s*[\"']?(?:\S*/)?(?:redis|valkey)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class DeployFile:
    path: Path  # absolute
    rel_path: str  # as reported
    text: str
    kind: FileKind


@dataclass
class _Part:
    """A deployment before its config is joined: what the definition file says."""

    kind: Literal["compose", "kubernetes", "dockerfile"]
    file: DeployFile
    anchor: Location
    service: str | None
    command: ServerCommand
    config_path: Path | None = None  # the tree's file behind the config argument
    config_token: Token | None = None
    embedded: kubernetes.EmbeddedConf | None = None
    published: tuple[Location, ...] = ()
    extra_files: tuple[Path, ...] = ()
    bitnami: bool = False
    official: bool = False  # an official redis/valkey image (its own compiled defaults)
    # Compose/Kubernetes: how to find the published ports once the port is known.
    ports: Callable[[int], list[Location]] | None = None
    kube: kubernetes.KubeServer | None = None  # joined with its ConfigMap in `finish`


class _Builder:
    def __init__(
        self, files: Sequence[DeployFile], config: Config, display: Callable[[Path], str]
    ) -> None:
        self.files = list(files)
        self.config = config
        self.display = display
        self.result = DeploymentSet()
        self.confs: dict[Path, ConfRead] = {}
        self.claimed: set[Path] = set()
        self.parts: list[_Part] = []
        self.configmaps: dict[str, list[kubernetes.EmbeddedConf]] = {}
        self.used_maps: set[int] = set()
        self.kube_services: list[tuple[str, dict[str, str], list[str], Location]] = []
        self.problem_keys: set[tuple[Location, str]] = set()
        self.file_paths: dict[str, Path] = {}
        self.texts: dict[Path, str] = {f.path.resolve(): f.text for f in files}
        self.dockerfiles: set[Path] = set()

    def problem(self, problem: DeployProblem) -> None:
        key = (problem.location, problem.message)
        if key not in self.problem_keys:
            self.problem_keys.add(key)
            self.result.problems.append(problem)

    def read_conf(self, path: Path, text: str | None = None) -> ConfRead:
        real = path.resolve()
        if real not in self.confs:
            read = redisconf.read_conf(path, self.display, text=text, known=self.texts)
            self.confs[real] = read
            for problem in read.problems:
                self.problem(problem)
            for included in read.files[1:]:
                self.claimed.add(included.resolve())
        return self.confs[real]

    # -- reading each file ---------------------------------------------------------

    def read(self, file: DeployFile) -> None:
        self.file_paths[file.rel_path] = file.path
        if file.kind == "conf":
            self.read_conf(file.path, file.text)
            return
        if file.kind == "dockerfile":
            server = dockerfile.parse_dockerfile(file.text, file.rel_path)
            if server is not None:
                part = _Part("dockerfile", file, server.anchor, None, server.command)
                part.bitnami = server.kind == "bitnami"
                part.official = server.kind == "official"
                self.config_of(part, lambda p: server.host_path(p, file.path.parent))
                self.parts.append(part)
            return
        reported = file.kind == "compose" or _looks_like_manifest(file.text)
        template = self.template_problem(file)
        if template is not None:
            if reported:
                self.problem(template)
            return
        try:
            if file.kind == "compose":
                self.read_compose(file)
            else:
                self.read_manifests(file)
        except YamlError as exc:
            if reported:
                self.problem(exc.problem)

    def template_problem(self, file: DeployFile) -> DeployProblem | None:
        """A template (Helm, Jinja) is not YAML until rendered, even where it happens to
        parse: `{{ .Values.x }}` would be read as a mapping. RL001 at its first `{{`.
        GitHub Actions' `${{ }}` expressions are plain strings in valid YAML."""
        for number, line in enumerate(file.text.split("\n"), start=1):
            if line.lstrip().startswith("#"):
                continue
            match = _TEMPLATE.search(line)
            if match is None:
                continue
            column = match.start() + 1
            where = Location(file.rel_path, number, column, number, column + 2)
            message = (
                "a template, not YAML yet (Helm `{{ }}`): render it "
                "(`helm template`) and check the output"
            )
            return DeployProblem(where, message)
        return None

    def config_of(self, part: _Part, resolve: Callable[[str], Path | None]) -> None:
        args = part.command.args
        if args and not args[0].text.startswith("-"):
            part.config_token = args[0]
            part.config_path = resolve(args[0].text)
            if part.config_path is not None:
                self.claimed.add(part.config_path.resolve())
                self.read_conf(part.config_path)

    def read_compose(self, file: DeployFile) -> None:
        for server in compose.parse_compose(file.text, file.rel_path, file.path, self.display):
            part = _Part("compose", file, server.anchor, server.service, server.command)
            part.bitnami = server.kind == "bitnami"
            part.official = server.kind == "official"
            self.config_of(part, functools.partial(_host_path, server, file.path.parent))
            if server.dockerfile is not None:
                self.claimed.add(server.dockerfile.resolve())
                self.dockerfiles.add(server.dockerfile.resolve())
                part.extra_files = (server.dockerfile,)
            ports = server.ports
            part.ports = lambda port, ports=ports: [p.location for p in ports if p.publishes(port)]
            self.parts.append(part)

    def read_manifests(self, file: DeployFile) -> None:
        parsed = kubernetes.parse_manifests(file.text, file.rel_path)
        for entry in parsed.configmaps:
            self.configmaps.setdefault(entry.configmap, []).append(entry)
        self.kube_services.extend(parsed.services)
        for server in parsed.servers:
            part = _Part("kubernetes", file, server.anchor, server.name, server.command)
            part.bitnami = server.kind == "bitnami"
            part.official = server.kind == "official"
            part.ports = lambda port, s=server: self.kube_published(s, port)
            part.kube = server  # its ConfigMap may be in a file read later
            self.parts.append(part)

    def kube_published(self, server: kubernetes.KubeServer, port: int) -> list[Location]:
        found = [where for number, where in server.host_ports if number == port]
        names = {name for name, number in server.container_ports.items() if number == port}
        for _kind, selector, targets, where in self.kube_services:
            if not selector or any(server.labels.get(k) != v for k, v in selector.items()):
                continue
            if any(t in names or t == str(port) for t in targets):
                found.append(where)
        return found

    # -- joining -----------------------------------------------------------------------

    def finish(self) -> DeploymentSet:
        for part in self.parts:
            server = part.kube
            if server is None:
                continue
            args = part.command.args
            if args and not args[0].text.startswith("-"):
                part.config_token = args[0]
                part.embedded = server.config_for(args[0].text, self.configmaps)
                if part.embedded is not None:
                    self.used_maps.add(id(part.embedded))
        deployments: list[Deployment] = []
        for part in self.parts:
            if part.kind == "dockerfile" and part.file.path.resolve() in self.claimed:
                continue
            deployments.append(self.deployment(part))
        for file in self.files:
            if file.kind == "conf" and file.path.resolve() not in self.claimed:
                deployments.append(self.bare(file))
        for entries in self.configmaps.values():
            for entry in entries:
                if id(entry) not in self.used_maps and _is_conf_key(entry.key):
                    deployments.append(self.standalone_map(entry))
        deployments = [d for d in deployments if not self.config.is_test_path(self.rel(d.path))]
        deployments.sort(key=lambda d: (d.anchor.path, d.anchor.line, d.anchor.column))
        self.result.deployments = deployments
        self.assign_roles()
        self.result.files = sorted({f.rel_path for f in self.files})
        read = {str(f.resolve()) for conf in self.confs.values() for f in conf.files}
        self.result.read = sorted(read | {str(p) for p in self.dockerfiles})
        return self.result

    def rel(self, reported: str) -> str:
        path = self.file_paths.get(reported)
        return self.config.relative_path(path if path is not None else reported)

    def deployment(self, part: _Part) -> Deployment:
        directives: list[Directive] = []
        known = True
        notes: list[str] = []
        files: list[Path] = [part.file.path, *part.extra_files]
        config_files: list[Path] = []
        if part.config_token is not None:
            if part.config_path is not None:
                read = self.read_conf(part.config_path)
                directives += read.directives
                known = known and read.complete
                notes += read.notes
                files += read.files
                config_files += read.files
            elif part.embedded is not None:
                directives += self.embedded_directives(part.embedded, notes)
                if any(d.name == "include" for d in directives):
                    known = False
                    notes.append("the embedded config includes files that cannot be read")
                    directives = [d for d in directives if d.name != "include"]
            else:
                known = False
                where = part.config_token.location
                notes.append(
                    f"{where.path}:{where.line}: config file {part.config_token.text} "
                    "is not in the checked tree"
                )
        command = self.command_directives(part)
        directives += command
        if part.bitnami:
            known = False
            notes.append("bitnami images run their own redis.conf and defaults")
        port_text = next((d.value for d in reversed(directives) if d.name == "port"), "")
        port = int(port_text) if port_text.isdigit() else DEFAULT_PORT
        published = tuple(part.ports(port)) if part.ports is not None else ()
        reported = [self.display(p) for p in files]
        return Deployment(
            kind=part.kind,
            path=part.file.rel_path,
            anchor=part.anchor,
            service=part.service,
            files=tuple(dict.fromkeys(reported)),
            config_files=tuple(dict.fromkeys(self.display(p) for p in config_files)),
            directives=tuple(directives),
            published=published,
            settings_known=known,
            notes=tuple(notes),
            image_defaults=(("protected-mode", "no"),) if part.official else (),
        )

    def command_directives(self, part: _Part) -> list[Directive]:
        _config, directives = redisconf.parse_command_line(part.command.args)
        problems = redisconf.command_problems(directives)
        for problem in problems:
            self.problem(problem)
        bad = {p.location for p in problems}
        return [d for d in directives if d.location not in bad]

    def embedded_directives(
        self, entry: kubernetes.EmbeddedConf, notes: list[str]
    ) -> list[Directive]:
        exact = entry.line_offset is not None
        found, problems = redisconf.parse_conf_text(
            entry.text,
            entry.path,
            line_offset=entry.line_offset or 0,
            column_offset=entry.column_offset,
            editable=False,
        )
        for problem in problems:
            self.problem(problem if exact else replace(problem, location=entry.key_location))
        directives = [d for d, _raw in found]
        if not exact:
            directives = [replace(d, location=entry.key_location) for d in directives]
        return directives

    def bare(self, file: DeployFile) -> Deployment:
        read = self.read_conf(file.path, file.text)
        first = file.text.split("\n", 1)[0].rstrip("\r")
        anchor = Location(file.rel_path, 1, 1, 1, max(len(first), 0) + 1)
        names = {d.name for d in read.directives}
        return Deployment(
            kind="redis.conf",
            path=file.rel_path,
            anchor=anchor,
            files=tuple(dict.fromkeys(self.display(p) for p in read.files)),
            config_files=tuple(dict.fromkeys(self.display(p) for p in read.files)),
            directives=tuple(read.directives),
            settings_known=read.complete,
            notes=tuple(read.notes),
            sentinel=any(n.startswith("sentinel") for n in names),
        )

    def standalone_map(self, entry: kubernetes.EmbeddedConf) -> Deployment:
        notes: list[str] = []
        directives = self.embedded_directives(entry, notes)
        known = not any(d.name == "include" for d in directives)
        return Deployment(
            kind="kubernetes",
            path=entry.path,
            anchor=entry.key_location,
            service=f"ConfigMap {entry.configmap}",
            files=(entry.path,),
            config_files=(entry.path,),
            directives=tuple(d for d in directives if d.name != "include"),
            settings_known=known,
            sentinel=any(d.name.startswith("sentinel") for d in directives),
        )

    def assign_roles(self) -> None:
        declared = frozenset(entry.role for entry in self.config.keyspace)
        self.result.declared_roles = declared
        deployments = self.result.deployments
        data_servers = [d for d in deployments if not d.sentinel]
        used: set[int] = set()
        serves: list[frozenset[str] | None] = []
        for deployment in deployments:
            if deployment.sentinel or not declared:
                serves.append(frozenset())  # nothing to map: no role declared
                continue
            absolute = {
                os.path.normpath(os.path.abspath(self.file_paths.get(f, f)))
                for f in deployment.files
            }
            roles: set[str] | None = None
            for number, mapping in enumerate(self.config.deployments):
                target = os.path.normpath(os.path.join(self.config.root, mapping.path))
                if target not in absolute:
                    continue
                if mapping.service is not None and mapping.service != deployment.service:
                    continue
                used.add(number)
                roles = (roles or set()) | set(mapping.serves)
            if roles is None and len(data_servers) == 1:
                roles = set(declared)
            serves.append(None if roles is None else frozenset(roles) & declared)
        self.result.serves = serves
        self.result.unused_mappings = [
            m.path + (f" ({m.service})" if m.service else "")
            for n, m in enumerate(self.config.deployments)
            if n not in used
        ]


def _looks_like_manifest(text: str) -> bool:
    """A Kubernetes manifest that runs Redis (worth an RL001 when it cannot be read)."""
    return bool(_MANIFEST_KEY.search(text)) and bool(_MENTIONS_SERVER.search(text))


def _host_path(server: compose.ComposeServer, directory: Path, container_path: str) -> Path | None:
    return server.host_path(container_path, directory)


def _is_conf_key(key: str) -> bool:
    lowered = key.lower()
    return lowered.endswith(".conf") and ("redis" in lowered or "valkey" in lowered)


def build_deployments(
    files: Sequence[DeployFile], config: Config, display: Callable[[Path], str]
) -> DeploymentSet:
    """Every deployment the files define, with the roles each serves (see the module doc)."""
    builder = _Builder(files, config, display)
    for file in sorted(files, key=lambda f: f.rel_path):
        builder.read(file)
    return builder.finish()
