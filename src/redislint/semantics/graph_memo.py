"""A memo of the import scan's resolved graph, so that re-checking a helper module does
not resolve every import of the project again (issue 13: on a 2,800-file project the
scan made 22,000 module look-ups at each such edit, a third of the run).

What the scan finds of one file (whether it mentions Redis, its length, the project
files its import lines name) depends only on the file's bytes and on what module
resolution reads: the listings of the folders it looked in, the package folders above
the file (which `__init__.py` exist) and the source roots searched. A folder's listing
changes only with its mtime or ctime, as in `walk_memo.py`. So the memo records, for
every file, its content hash with what the scan found, and the stat of every folder
resolution read (a missing folder as missing) and, for a folder it listed, a digest of
the listed names resolution can ask about (`module_entries`: names that can be a
module), as resolution saw them. A later scan whose folders all still stat the same,
or list the same such names, takes a file's entry when the file's content hash is
unchanged, and resolves only the files that changed: a report, a log or an editor's
temporary created beside the modules (an atomic save writes one) changes a folder's
mtime, not what an import resolves to. A listed folder changed too recently for its
stat to be trusted is recorded by its digest alone. The memo is written again only
when the graph changed (or many files were edited: `GraphMemo.save`).

The memo is not written when it could be wrong without a recorded stat changing: a
resolved module whose real path differs from the path looked for (a symlink, whose
target may change elsewhere), or a folder changed within `RACY_SECONDS` of the scan's
start (a change in the same clock tick keeps the mtime). It is one row of the walk
store (a few tens of kilobytes for a 2,800-file project). This module must not import
libcst.
"""

from __future__ import annotations

import hashlib
import os
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from redislint.walk_memo import (
    WalkMemo,
    WalkStore,
    absolute,
    pack,
    relative,
    settled,
    unpack,
    walk_key,
)

# Files resolved again only because their hash changed, above which the memo is written.
_STALE_LIMIT = 64


@dataclass(frozen=True)
class Scanned:
    """What the scan found of one file; `targets` are real paths, in import order."""

    digest: str
    uses_redis: bool
    size: int
    targets: tuple[str, ...]


@dataclass
class FolderReadings:
    """The stat and listing digest of each folder, taken once for all the memos of one
    scan: a scan of several tops saves a memo for each, and each memo records every
    folder resolution read (five memos of up to 6,000 folders on the sparse tree, each
    stat and digest taken again). A stat taken at the first memo's save still holds for
    the later ones: a change after it changes the folder's stat, and a change since the
    scan began is caught by `settled`."""

    stats: dict[str, os.stat_result | None] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)

    def stat(self, folder: str) -> os.stat_result | None:
        if folder not in self.stats:
            try:
                self.stats[folder] = os.stat(folder)
            except OSError:
                self.stats[folder] = None
        return self.stats[folder]

    def entries(self, folder: str, names: Iterable[str]) -> str:
        """`module_entries` of the names the scan listed in `folder` (listed once a run)."""
        if folder not in self.digests:
            self.digests[folder] = module_entries(names)
        return self.digests[folder]


@dataclass
class GraphMemo:
    """One scan's memo: the entries an earlier scan recorded (valid as to folders; each
    still to be matched with its file's hash) and what this scan records."""

    store: WalkStore
    key: str
    top: str
    recorded: dict[str, Scanned] = field(default_factory=dict)
    recorded_folders: list[str] = field(default_factory=list)
    recorded_entries: dict[str, str] = field(default_factory=dict)  # folder -> digest
    entries: dict[str, Scanned] = field(default_factory=dict)
    changed: bool = False  # a file's imports resolve differently (or it is new)
    stale: int = 0  # files resolved again, only to find what the memo said
    usable: bool = True
    # When the first folder may have been read: one changed since then (or a clock tick
    # before) may have changed after it was read.
    started: float = field(default_factory=time.time)

    @classmethod
    def open(cls, store: WalkStore, top: str, roots: Sequence[str]) -> GraphMemo:
        """The memo of the scan of `top` with these source roots (the roots searched
        decide what an import resolves to: they are part of the key)."""
        key = walk_key(WalkMemo(store, "graph"), top, list(roots), False)
        memo = cls(store, key, top)
        memo._load(store.load_walk(key))
        return memo

    def lookup(self, key: str, digest: str | None) -> Scanned | None:
        """The recorded entry of a file whose content hash is `digest`, or None."""
        found = self.recorded.get(key)
        return (
            found if found is not None and digest is not None and found.digest == digest else None
        )

    def record(self, key: str, entry: Scanned, fresh: bool) -> None:
        """What the scan found of a file (`fresh`: resolved now, not from the memo)."""
        self.entries[key] = entry
        if not fresh:
            return
        before = self.recorded.get(key)
        if before is None or (before.uses_redis, before.targets) != (
            entry.uses_redis,
            entry.targets,
        ):
            self.changed = True
        else:
            self.stale += 1

    def save(
        self,
        folders: Iterable[str],
        listings: Mapping[str, Iterable[str]],
        readings: FolderReadings | None = None,
    ) -> None:
        """Write the memo when the graph changed, with the stat of every folder
        resolution read in this scan (`folders`; `listings`: the names of each it
        listed, as resolution read them) or in the one it reused (`readings`: what the
        scan's other memos read of the folders already).

        An edit that changes no import (most edits) leaves the memo as it is: the edited
        file's entry no longer matches its hash, so each scan resolves that file alone
        again, which costs less than writing the memo at every edit; it is written once
        `_STALE_LIMIT` files are in that case."""
        if not (self.changed or self.stale > _STALE_LIMIT) or not self.usable:
            return
        if not self.entries:
            return
        readings = readings or FolderReadings()
        stats: list[list[Any]] = []
        for folder in sorted({*folders, *self.recorded_folders}):
            names = listings.get(folder)
            before = self.recorded_entries.get(folder)  # what the reused entries saw
            entries = readings.entries(folder, names) if names is not None else before
            short = self._short(folder)
            info = readings.stat(folder)
            if info is None:
                stats.append([short])
                continue
            if settled(info.st_mtime_ns, info.st_ctime_ns, self.started):
                stats.append([short, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, entries])
                continue
            # Changed since the scan began: kept by its names alone, when they agree with
            # what this scan listed, what the reused entries saw and the folder now.
            if entries is None or before not in (None, entries):
                return
            if names is None and _listed_entries(folder) != entries:
                return
            stats.append([short, 0, 0, 0, entries])  # its listing is compared at each load
        files = list(self.entries)
        index = {path: position for position, path in enumerate(files)}
        document = {
            "folders": stats,
            "files": [
                [
                    self._short(path),
                    entry.digest,
                    entry.uses_redis,
                    entry.size,
                    [index.get(target, self._short(target)) for target in entry.targets],
                ]
                for path, entry in self.entries.items()
            ],
        }
        self.store.save_walk(self.key, pack(document))

    # -- reading ------------------------------------------------------------------------
    def _load(self, payload: bytes | None) -> None:
        if payload is None:
            return
        try:
            document = unpack(payload)
            folders: list[str] = []
            digests: dict[str, str] = {}
            missing: list[str] = []
            unchanged: set[str] = set()  # folders whose stat is the recorded one
            for folder, *stat in document["folders"]:
                full = self._full(folder)
                folders.append(full)
                if not stat:
                    missing.append(full)
                    continue
                try:
                    info = os.stat(full)
                except OSError:
                    return  # a folder that existed is gone
                entries = stat[3] if len(stat) > 3 and isinstance(stat[3], str) else None
                if entries is not None:
                    digests[full] = entries
                if [info.st_mtime_ns, info.st_ctime_ns, info.st_ino] == stat[:3]:
                    unchanged.add(full)
                    continue
                if entries is None or _listed_entries(full) != entries:
                    return  # what it lists may differ: every entry is resolved again
            if not _still_missing(missing, unchanged):
                return
            paths = [self._full(row[0]) for row in document["files"]]
            recorded: dict[str, Scanned] = {}
            for path, (_, digest, uses_redis, size, targets) in zip(
                paths, document["files"], strict=True
            ):
                resolved = tuple(paths[t] if isinstance(t, int) else self._full(t) for t in targets)
                if not (isinstance(digest, str) and isinstance(uses_redis, bool)):
                    return
                recorded[path] = Scanned(digest, uses_redis, int(size), resolved)
        except (ValueError, KeyError, TypeError, IndexError, zlib.error):
            return  # a damaged memo is no memo
        self.recorded, self.recorded_folders = recorded, folders
        self.recorded_entries = digests

    def _short(self, path: str) -> str:
        return relative(path, self.top)

    def _full(self, path: str) -> str:
        return absolute(path, self.top)


def _still_missing(folders: Iterable[str], unchanged: set[str]) -> bool:
    """Whether every folder resolution found missing still is. One is without a system
    call when its parent folder's stat is the recorded one (its names are the same, as
    for a listing) or a folder above it is missing: most are (an import of a module
    outside the project is looked for under every source root: 2,182 missing folders of
    2,842 in the Django scan, each a failing `stat`)."""
    gone: set[str] = set()
    for folder in sorted(folders, key=len):  # a folder above another comes first
        parent = os.path.dirname(folder)
        if parent not in unchanged:
            above = parent
            while above not in gone and os.path.dirname(above) != above:
                above = os.path.dirname(above)
            if above not in gone and os.path.exists(folder):
                return False
        gone.add(folder)
    return True


def module_entries(names: Iterable[str]) -> str:
    """A digest of the names in a folder's listing that module resolution can ask about:
    `name.py` or `name` where `name` can be a module (`__init__.py` among them)."""
    kept = sorted(
        name
        for name in names
        if name.isidentifier() or (name.endswith(".py") and name[:-3].isidentifier())
    )
    text = "\0".join(kept).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def _listed_entries(folder: str) -> str | None:
    """`module_entries` of the folder as it is now, or None when it cannot be listed."""
    try:
        return module_entries(os.listdir(folder))
    except OSError:
        return None
