"""A results cache, so that re-checking an unchanged tree is near instant.

An entry is keyed by the file's bytes, its path as reported, the configuration, the
selected rules and the tool itself (its version and the fingerprint of its own files,
so a development checkout never serves results of older code). A file's findings
also depend on the project modules it imports (clients, key builders, constants): the
entry lists them with the hash of their content, and is used only while every one is
unchanged.

Entries are written to a temporary file and renamed, so concurrent runs (pre-commit
and an editor at once) never read half an entry; a damaged entry is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

from redislint import __version__
from redislint.catalogue import catalogue_dir
from redislint.config import Config
from redislint.findings import Edit, Finding, Fix
from redislint.semantics.project_facts import FileFacts

CACHE_DIR_NAME = ".redislint_cache"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_hash(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return content_hash(handle.read())
    except OSError:
        return None


@cache
def tool_fingerprint() -> str:
    """The version plus the size and mtime of every file of redislint itself."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent
    folders = [package, Path(str(catalogue_dir()))]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".py", ".md", ".json") and "__pycache__" not in path.parts:
                info = path.stat()
                digest.update(f"{path.name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _finding_from_json(data: dict[str, Any]) -> Finding:
    fix = data.pop("fix")
    if fix is not None:
        fix = Fix(
            safety=fix["safety"],
            description=fix["description"],
            edits=tuple(Edit(**edit) for edit in fix["edits"]),
            imports=tuple((module, name) for module, name in fix.get("imports", ())),
        )
    deferred = data.pop("deferred", None)
    if deferred is not None:
        deferred = tuple(str(item) for item in deferred)
    return Finding(**data, fix=fix, deferred=deferred)


class ResultCache:
    """Findings per file under `<config root>/.redislint_cache/`. Picklable (workers)."""

    def __init__(self, config: Config, selected: frozenset[str]) -> None:
        self.directory = Path(config.root) / CACHE_DIR_NAME
        salt = "\0".join((tool_fingerprint(), repr(config), ",".join(sorted(selected))))
        self.salt = hashlib.sha256(salt.encode()).hexdigest()

    def _entry(self, rel_path: str, data: bytes) -> Path:
        key = hashlib.sha256(f"{self.salt}\0{rel_path}\0".encode() + data).hexdigest()
        return self.directory / key[:2] / f"{key}.json"

    def lookup(self, rel_path: str, data: bytes) -> tuple[list[Finding], FileFacts] | None:
        """The file's findings and project facts from an earlier run, or None."""
        try:
            entry = json.loads(self._entry(rel_path, data).read_text(encoding="utf-8"))
            for dependency, expected in entry["dependencies"].items():
                if file_hash(dependency) != expected:
                    return None
            findings = [_finding_from_json(item) for item in entry["findings"]]
            return findings, FileFacts.from_json(entry.get("facts", {}))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(
        self,
        rel_path: str,
        data: bytes,
        findings: list[Finding],
        dependencies: dict[str, str],
        facts: FileFacts | None = None,
    ) -> None:
        """Record one file's findings; a cache that cannot be written is simply skipped."""
        target = self._entry(rel_path, data)
        payload = json.dumps(
            {
                "findings": [asdict(f) for f in findings],
                "dependencies": dependencies,
                "facts": (facts or FileFacts()).to_json(),
            }
        )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by redislint.\n*\n", encoding="utf-8")
            handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(payload)
            os.replace(temporary, target)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)
