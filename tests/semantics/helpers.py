"""Build a FileModel from sources in a temporary project, for unit tests of the model."""

from __future__ import annotations

import textwrap
from pathlib import Path

from redislint.config import Config, KeyspaceEntry
from redislint.semantics.clients import Client
from redislint.semantics.commands import CommandTable
from redislint.semantics.model import FileModel
from redislint.semantics.project import ProjectIndex


def write_project(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def model_for(
    root: Path,
    files: dict[str, str],
    main: str = "app.py",
    *,
    keyspace: tuple[KeyspaceEntry, ...] = (),
    **options: object,
) -> FileModel:
    write_project(root, files)
    config = Config(root=root, keyspace=keyspace, **options)  # type: ignore[arg-type]
    index = ProjectIndex(config)
    path = root / main
    facts = index.parse(path, path.read_text(encoding="utf-8"))
    return FileModel(
        facts, path.read_text(), main, config, index.resolver, index.keys, CommandTable.load()
    )


def receivers(model: FileModel) -> dict[str, Client | None]:
    """`receiver text -> Client` for every `x.method(...)` call whose method is `probe`."""
    found: dict[str, Client | None] = {}
    module = model.facts.module
    assert module is not None
    for site in model.facts.calls:
        if site.method == "probe" and site.receiver is not None:
            text = module.code_for_node(site.node.func.value)  # type: ignore[attr-defined]
            found[text] = model.client_of(site.scope, site.receiver)
    return found
