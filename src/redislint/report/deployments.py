"""Render `redislint deployments`: every Redis deployment found, its effective settings,
the roles it serves, and what is unmapped.

Each setting says where its value comes from (`path:line`, `default`, or `unknown` when
a config that could not be read may set it), which is what a reviewer needs to decide
whether the deployment keeps the data the keyspace says it holds. Passwords are never
printed: only whether one is set.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from redislint import __version__
from redislint.config import Config
from redislint.deploy.model import Deployment, DeploymentSet, Effective

JSON_VERSION = 1
SETTINGS = ("appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy", "protected-mode")


def _source(effective: Effective) -> str:
    if effective.directive is not None:
        where = effective.directive.location
        return f"{where.path}:{where.line}"
    return "default" if effective.known else "unknown"


def _auth(deployment: Deployment) -> dict[str, Any]:
    requirepass = deployment.effective("requirepass")
    users = deployment.users()
    return {
        "requirepass": bool(requirepass.directive is not None and requirepass.value),
        "requirepass_source": _source(requirepass),
        "users_with_password": [u.name for u in users if u.has_password],
        "aclfile": deployment.last("aclfile") is not None,
        "bind": (deployment.last("bind").value if deployment.last("bind") else None),  # type: ignore[union-attr]
        "renamed_commands": sorted(deployment.renamed()),
        "published": [f"{p.path}:{p.line}:{p.column}" for p in deployment.published],
    }


def _row(deployment: Deployment, serves: frozenset[str] | None) -> dict[str, Any]:
    settings = {}
    for name in SETTINGS:
        effective = deployment.effective(name)
        settings[name] = {"value": effective.value, "source": _source(effective)}
    anchor = deployment.anchor
    return {
        "kind": deployment.kind,
        "path": deployment.path,
        "service": deployment.service,
        "anchor": {"path": anchor.path, "line": anchor.line, "column": anchor.column},
        "files": list(deployment.files),
        "sentinel": deployment.sentinel,
        "serves": None if serves is None else sorted(serves),
        "settings": settings,
        "auth": _auth(deployment),
        "notes": list(deployment.notes),
    }


def render_deployments(fmt: str, groups: Sequence[tuple[Config, DeploymentSet]]) -> str:
    if fmt == "json":
        return render_json(groups)
    return render_text(groups)


def render_json(groups: Sequence[tuple[Config, DeploymentSet]]) -> str:
    deployments, unmapped, unused, problems = [], [], [], []
    for _config, found in groups:
        for deployment, serves in zip(found.deployments, found.serves, strict=True):
            deployments.append(_row(deployment, serves))
            if serves is None:
                unmapped.append(deployment.label)
        unused += found.unused_mappings
        problems += [
            f"{p.location.path}:{p.location.line}:{p.location.column}: {p.message}"
            for p in found.problems
        ]
    payload = {
        "version": JSON_VERSION,
        "tool": "redislint",
        "tool_version": __version__,
        "deployments": deployments,
        "unmapped": unmapped,
        "unused_mappings": unused,
        "problems": problems,
    }
    return json.dumps(payload, indent=2) + "\n"


def _persistence(deployment: Deployment) -> str:
    aof, save = deployment.effective("appendonly"), deployment.effective("save")
    fsync = deployment.effective("appendfsync")
    aof_text = f"AOF {'on' if aof.value == 'yes' else 'off'} ({_source(aof)})"
    if aof.value == "yes":
        aof_text += f", appendfsync {fsync.value} ({_source(fsync)})"
    rdb = f'RDB save "{save.value}"' if save.value else 'RDB off (save "")'
    return f"{aof_text}; {rdb} ({_source(save)})"


def _eviction(deployment: Deployment) -> str:
    limit, policy = deployment.effective("maxmemory"), deployment.effective("maxmemory-policy")
    if limit.value in ("0", ""):
        return f"no memory limit (maxmemory 0, {_source(limit)}): nothing is evicted"
    return (
        f"maxmemory {limit.value} ({_source(limit)}), "
        f"maxmemory-policy {policy.value} ({_source(policy)})"
    )


def _auth_text(deployment: Deployment) -> str:
    auth = _auth(deployment)
    parts = []
    if auth["requirepass"]:
        parts.append(f"requirepass set ({auth['requirepass_source']})")
    if auth["users_with_password"]:
        parts.append("ACL users with a password: " + ", ".join(auth["users_with_password"]))
    if auth["aclfile"]:
        parts.append("aclfile")
    text = "; ".join(parts) if parts else "no password"
    protected = deployment.effective("protected-mode")
    text += f"; protected-mode {protected.value} ({_source(protected)})"
    if auth["bind"]:
        text += f"; bind {auth['bind']}"
    if auth["published"]:
        text += "; port published at " + ", ".join(auth["published"])
    return text


def render_text(groups: Sequence[tuple[Config, DeploymentSet]]) -> str:
    lines: list[str] = []
    total = 0
    unmapped: list[str] = []
    unused: list[str] = []
    for _config, found in groups:
        roles = ", ".join(sorted(found.declared_roles)) or "none"
        for deployment, serves in zip(found.deployments, found.serves, strict=True):
            total += 1
            anchor = deployment.anchor
            where = f"{anchor.path}:{anchor.line}:{anchor.column}"
            lines.append(f"{deployment.label}  [{deployment.kind}]  {where}")
            if len(deployment.files) > 1:
                lines.append(f"  files:       {', '.join(deployment.files)}")
            if deployment.sentinel:
                lines.append("  sentinel:    yes (a Sentinel, not a data server)")
            elif serves is None:
                lines.append(
                    "  serves:      UNMAPPED (several deployments; map it with "
                    "[[tool.redislint.deployment]])"
                )
                unmapped.append(deployment.label)
            else:
                shown = ", ".join(sorted(serves)) or "nothing declared"
                lines.append(f"  serves:      {shown} (declared roles: {roles})")
            lines.append(f"  persistence: {_persistence(deployment)}")
            lines.append(f"  eviction:    {_eviction(deployment)}")
            lines.append(f"  auth:        {_auth_text(deployment)}")
            renamed = sorted(deployment.renamed())
            if renamed:
                lines.append(f"  renamed:     {', '.join(renamed)}")
            for note in deployment.notes:
                lines.append(f"  unknown:     {note}")
            lines.append("")
        unused += found.unused_mappings
        for problem in found.problems:
            at = problem.location
            lines.append(f"{at.path}:{at.line}:{at.column}: {problem.message}")
    if unused:
        lines.append("Mappings that match no deployment: " + ", ".join(unused))
    noun = "deployment" if total == 1 else "deployments"
    summary = f"{total} Redis {noun}"
    if unmapped:
        summary += f", {len(unmapped)} unmapped: {', '.join(unmapped)}"
    lines.append(summary + ".")
    return "\n".join(lines) + "\n"


def unmapped_entries(
    groups: Sequence[tuple[Config, DeploymentSet]],
) -> list[tuple[str, str, str | None]]:
    """(label, path relative to its config root, service) of each unmapped deployment."""
    return [
        (d.label, config.relative_path(Path.cwd() / d.path), d.service)
        for config, found in groups
        for d in found.unmapped()
    ]
