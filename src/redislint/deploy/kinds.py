"""Which files are deployment files, by name and `deploy-paths` (rules.md "6xx").

Apart from the readers (`discover.py`, which re-exports these) so that discovery and
the warm path (`warm.py`) can tell a deployment file without importing the YAML,
Compose and Kubernetes readers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from redislint.config import Config

FileKind = Literal["conf", "compose", "yaml", "dockerfile"]


def is_compose_name(name: str) -> bool:
    lowered = name.lower()
    if not lowered.endswith((".yml", ".yaml")):
        return False
    stem = lowered.rsplit(".", 1)[0]
    return stem in ("compose", "compose.override") or stem.startswith("docker-compose")


def file_kind(name: str) -> FileKind | None:
    """How a file is read, by its name alone (None: not a deployment file)."""
    lowered = name.lower()
    if lowered.endswith(".conf"):
        return "conf" if any(w in lowered for w in ("redis", "valkey", "sentinel")) else None
    if is_compose_name(lowered):
        return "compose"
    if lowered.endswith((".yml", ".yaml")):
        return "yaml"
    if lowered in ("dockerfile", "containerfile") or lowered.startswith("dockerfile."):
        return "dockerfile"
    if lowered.endswith(".dockerfile"):
        return "dockerfile"
    return None


def configured_kind(path: Path, config: Config) -> FileKind | None:
    """A file's kind, counting `deploy-paths`: a file named there is a deployment file
    whatever its name (a redis.conf unless YAML or a Dockerfile); under a directory
    named there, every `.conf` is a redis.conf and every YAML file is read."""
    kind = file_kind(path.name)
    if kind is not None or not config.deploy_paths:
        return kind
    absolute = os.path.normpath(os.path.abspath(path))
    lowered = path.name.lower()
    for entry in config.deploy_paths:
        target = os.path.normpath(os.path.join(config.root, entry))
        if absolute == target:
            return "yaml" if lowered.endswith((".yml", ".yaml")) else "conf"
        if absolute.startswith(target.rstrip(os.sep) + os.sep):
            if lowered.endswith(".conf"):
                return "conf"
            if lowered.endswith((".yml", ".yaml")):
                return "yaml"
    return None


def is_relevant(kind: FileKind, text: str) -> bool:
    """Whether a file is worth reading: YAML and Dockerfiles must mention Redis."""
    if kind == "conf":
        return True
    lowered = text.lower()
    return "redis" in lowered or "valkey" in lowered


def decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def is_deploy_file(path: str | Path, config: Config) -> bool:
    """Whether the runner hands this file to the deployment checker (deploy_engine.py)."""
    if os.fspath(path).endswith((".py", ".pyi")):  # a Python file, without a `Path`
        return False
    return configured_kind(Path(path), config) is not None


def relevant_files(jobs: Sequence[tuple[Path, str, bytes]], config: Config) -> list[str]:
    """The files that count as checked: every redis.conf, YAML/Dockerfiles naming Redis."""
    found = []
    for path, rel, data in jobs:
        kind = configured_kind(path, config)
        text = decode(data)
        if kind is not None and (text is None or is_relevant(kind, text)):
            found.append(rel)
    return found
