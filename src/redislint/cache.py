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
from collections.abc import Mapping
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


_FINDING_FIELDS: dict[str, type | tuple[type, ...]] = {
    "code": str,
    "name": str,
    "severity": str,
    "message": str,
    "path": str,
    "line": int,
    "column": int,
    "end_line": int,
    "end_column": int,
    "hint": (str, type(None)),
    "fingerprint": str,
}
_EDIT_FIELDS = {"line": int, "column": int, "end_line": int, "end_column": int, "content": str}


class _BadEntry(ValueError):
    """A cache entry that is not what this version writes: treated as a miss."""


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    # bool is an int to isinstance; no cached field is a bool.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _BadEntry(what)
    return value


def _fields(data: Any, fields: Mapping[str, type | tuple[type, ...]], what: str) -> dict[str, Any]:
    _expect(data, dict, what)
    return {name: _expect(data.get(name), kind, f"{what}.{name}") for name, kind in fields.items()}


def _finding_from_json(data: Any) -> Finding:
    """Rebuild one cached finding, checking every field (a damaged entry is a miss)."""
    values = _fields(data, _FINDING_FIELDS, "finding")
    if values["severity"] not in ("error", "warning", "info"):
        raise _BadEntry("finding.severity")
    fix = data.get("fix")
    if fix is not None:
        _expect(fix, dict, "fix")
        edits = tuple(
            Edit(**_fields(edit, _EDIT_FIELDS, "edit"))
            for edit in _expect(fix.get("edits"), list, "fix.edits")
        )
        imports = []
        for item in _expect(fix.get("imports", []), list, "fix.imports"):
            module, name = _expect(item, list, "import")
            imports.append(
                (_expect(module, str, "module"), _expect(name, (str, type(None)), "name"))
            )
        if fix.get("safety") not in ("safe", "unsafe"):
            raise _BadEntry("fix.safety")
        fix = Fix(
            safety=fix["safety"],
            description=_expect(fix.get("description"), str, "fix.description"),
            edits=edits,
            imports=tuple(imports),
        )
    deferred = data.get("deferred")
    if deferred is not None:
        deferred = tuple(
            _expect(item, str, "deferred") for item in _expect(deferred, list, "deferred")
        )
    return Finding(**values, fix=fix, deferred=deferred)


class ResultCache:
    """Findings per file under `<config root>/.redislint_cache/`. Picklable (workers)."""

    def __init__(self, config: Config, selected: frozenset[str]) -> None:
        self.directory = config.cache_dir or Path(config.root) / CACHE_DIR_NAME
        salt = "\0".join((tool_fingerprint(), repr(config), ",".join(sorted(selected))))
        self.salt = hashlib.sha256(salt.encode()).hexdigest()

    def _entry(self, rel_path: str, data: bytes) -> Path:
        name = f"{self.salt}\0{rel_path}\0".encode("utf-8", "surrogateescape")
        key = hashlib.sha256(name + data).hexdigest()
        return self.directory / key[:2] / f"{key}.json"

    def lookup(self, rel_path: str, data: bytes) -> tuple[list[Finding], FileFacts] | None:
        """The file's findings and project facts from an earlier run, or None."""
        try:
            entry = json.loads(self._entry(rel_path, data).read_text(encoding="utf-8"))
            _expect(entry, dict, "entry")
            dependencies = _expect(entry.get("dependencies"), dict, "dependencies")
            for dependency, expected in dependencies.items():
                if file_hash(dependency) != _expect(expected, str, "dependency hash"):
                    return None
            findings = [
                _finding_from_json(item)
                for item in _expect(entry.get("findings"), list, "findings")
            ]
            return findings, FileFacts.from_json(entry.get("facts", {}))
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None

    def store(
        self,
        rel_path: str,
        data: bytes,
        findings: list[Finding],
        dependencies: dict[str, str],
        facts: FileFacts | None = None,
    ) -> str | None:
        """Record one file's findings. A cache that cannot be written (read-only folder,
        full disk) is skipped: the reason is returned, for one warning per run."""
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
        except OSError as exc:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(temporary)
            return f"cannot write the cache in {self.directory}: {exc.strerror or exc}"
        return None
