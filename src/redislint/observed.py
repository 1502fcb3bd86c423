"""`redislint keys --observed FILE.json`: what the test suite saw, next to the inventory.

`pytest --redislint --redislint-report FILE.json` records, for each application line
that sent a command, the concrete keys it sent. The static inventory lists the keys it
could not resolve with their call sites; merging the two shows, for such a site, which
keys it really used (`key  DEL  app/cache.py:30:5 ... observed: 'cache:product:9'`),
which is what the user needs to declare its namespace.

A site matches when the absolute file and the line are the same (the report's paths
are relative to its `root`, the inventory's to the working directory) and the command
is the same. Bad files are usage errors (`ObservedError`), never tracebacks.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from redislint.errors import cannot_read
from redislint.inventory import Inventory

# Per site, at most this many distinct keys are kept (a loop over ids writes thousands).
MAX_KEYS_PER_SITE = 20

Site = tuple[str, int, str]  # absolute path, line, command


class ObservedError(Exception):
    """An --observed file that cannot be read or is not a pytest --redislint report."""


def load_observed(paths: Iterable[str]) -> dict[Site, tuple[str, ...]]:
    """The observed keys of every report, by site (absolute path, line, command)."""
    sites: dict[Site, dict[str, None]] = {}
    for name in paths:
        document = _read(Path(name))
        root = Path(str(document.get("root") or Path(name).resolve().parent))
        for row in document["observed"]:
            try:
                path, line, command, key = row["path"], row["line"], row["command"], row["key"]
                site = (_absolute(root / str(path)), int(line), str(command).upper())
            except (KeyError, TypeError, ValueError):
                raise ObservedError(
                    f"{name}: an `observed` entry lacks path/line/command/key"
                ) from None
            keys = sites.setdefault(site, {})
            if len(keys) < MAX_KEYS_PER_SITE:
                keys[str(key)] = None
    return {site: tuple(keys) for site, keys in sites.items()}


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ObservedError(cannot_read(str(path), exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ObservedError(f"{path}: not a JSON report: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("observed"), list):
        raise ObservedError(
            f"{path}: not a `pytest --redislint --redislint-report` file (no `observed` list)"
        )
    return document


def _absolute(path: Path | str) -> str:
    return os.path.normcase(os.path.realpath(path))


def merge_observed(
    inventory: Inventory, observed: Mapping[Site, tuple[str, ...]], cwd: Path | None = None
) -> Inventory:
    """The inventory with each unresolved key's `observed` keys filled in."""
    base = cwd or Path.cwd()
    unresolved = []
    for key in inventory.unresolved:
        site = (_absolute(base / key.location.path), key.location.line, key.command.upper())
        seen = observed.get(site, ())
        unresolved.append(dataclasses.replace(key, observed=seen) if seen else key)
    return dataclasses.replace(inventory, unresolved=tuple(unresolved))
