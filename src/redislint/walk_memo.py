"""A memo of a directory walk, so that a warm run lists an unchanged tree without
walking it again (issue 13: discovery was a third of a warm run on a 4,000-file tree).

What a walk finds depends only on the listings of the directories it read, the ignore
files it read, which ancestor directories hold `.git` or `.gitignore`, the
configuration and the arguments. A directory's listing changes only with its mtime or
ctime (an entry created, removed or renamed; its permissions changed), so the memo
records, per walked directory, (mtime, ctime, inode), the stat of every ignore file
read, and the answer of every ancestor probe: git's untracked cache and Mercurial's
dirstate trust directory mtimes the same way. The memo is used only when all of that
is unchanged; otherwise the tree is walked again and the memo rewritten.

A directory whose stat changed can still hold the same listing for the walk: an editor's
atomic save (a temporary renamed over the file), a log or a report written beside the
modules. So each directory also records a digest of the entries the walk acts on (its
subdirectories, the files `wanted` lists, `pyvenv.cfg` and `.gitignore`, each with its
type), and one whose stat changed is listed again and trusted while that digest is
unchanged. A directory changed too recently for its stat to be trusted is recorded by
its digest alone: every replay lists it again.

A walk is not memoized when an answer could change without any of those stats
changing: a symlink anywhere in it (its target may change elsewhere), a `--fix`
temporary (removed once its writer is gone, a matter of time), an ignore file (or a
directory listed under another path than its real one: no digest) changed within the
last `RACY_SECONDS` (a second change in the same clock tick would keep the mtime), or an
error. The payload is compressed JSON with paths relative to the working directory, a
few hundred kilobytes for a 4,000-directory tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# A stat younger than this may hide a second change in the same clock tick.
RACY_SECONDS = 2.0


class WalkStore(Protocol):
    """Where memos are kept (the results cache of the project root)."""

    salt: str

    def load_walk(self, key: str) -> bytes | None: ...

    def save_walk(self, key: str, payload: bytes) -> None: ...


@dataclass(frozen=True)
class WalkMemo:
    """A store, and what the caller's `wanted` lists (memos of different callers differ:
    the runner also lists deployment files, the import scan only Python files)."""

    store: WalkStore
    label: str
    # False: the memo is read, never written (another process of the same run writes
    # it: the workers of a run each scan the same project).
    record: bool = True


def walk_key(memo: WalkMemo, cwd: str, tops: Sequence[str], force_exclude: bool) -> str:
    """The memo's key: the store's salt (the tool and the configuration), the caller's
    label and the arguments."""
    text = json.dumps([memo.store.salt, memo.label, cwd, list(tops), force_exclude])
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


@dataclass
class WalkRecorder:
    """What one walk read, collected as it goes (see the module docstring)."""

    tops: list[tuple[str, str]] = field(default_factory=list)  # (top, its real path)
    # (real path, mtime, ctime, inode, digest of the listing or ""); a racy stat is
    # recorded as UNTRUSTED, so that a replay always lists the directory again
    dirs: list[tuple[str, int, int, int, str]] = field(default_factory=list)
    ignores: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    probes: list[tuple[str, str, bool]] = field(default_factory=list)  # (kind, path, answer)
    usable: bool = True
    started: float = field(default_factory=time.time)
    _stat_of: dict[str, os.stat_result] = field(default_factory=dict, repr=False)

    def directory(self, real: str) -> None:
        """Record a directory's stat before it is listed (a change after the stat
        changes the mtime, so the memo can never hold a listing newer than its stat)."""
        try:
            info = os.stat(real)
        except OSError:
            self.usable = False
            return
        self._stat_of[real] = info

    def listed(self, real: str, digest: str | None) -> None:
        """Record the digest of the listing of `real` (the walker's, see the module
        docstring), None when there is none (the memo then needs its stat unchanged)."""
        info = self._stat_of.pop(real, None)
        if info is None:
            return
        stat = (info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        if not settled(info.st_mtime_ns, info.st_ctime_ns, self.started):
            if digest is None:
                self.usable = False
                return
            stat = UNTRUSTED
        self.dirs.append((real, *stat, digest or ""))

    def ignore_file(self, path: str) -> None:
        info = self._stat(path)
        if info is not None:
            self.ignores.append(
                (path, info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino)
            )

    def _stat(self, path: str) -> os.stat_result | None:
        """The stat to record, or None (and the walk not memoized) when it cannot be
        taken; a racy one leaves the walk unmemoized too."""
        try:
            info = os.stat(path)
        except OSError:
            self.usable = False
            return None
        self._check_racy(info)
        return info

    def probe(self, kind: str, path: str) -> bool:
        """`os.path.exists` ("e") or `os.path.isfile` ("f") of `path`, recorded."""
        answer = PROBES[kind](path)
        self.probes.append((kind, path, answer))
        return answer

    def _check_racy(self, info: os.stat_result) -> None:
        if not settled(info.st_mtime_ns, info.st_ctime_ns, self.started):
            self.usable = False

    def payload(self, cwd: str, files: Sequence[tuple[str, str]]) -> bytes:
        """The memo: `files` are (path as listed, real path) in the walk's order."""

        def short(path: str) -> str:
            return relative(path, cwd)

        document: dict[str, Any] = {
            "tops": self.tops,
            "dirs": [[short(d), m, c, i, digest] for d, m, c, i, digest in self.dirs],
            "ignores": [[short(p), *rest] for p, *rest in self.ignores],
            "probes": [[k, short(p), a] for k, p, a in self.probes],
            "files": [[short(p), "" if real == p else short(real)] for p, real in files],
        }
        return pack(document)


# -- what every memo of this kind shares (`graph_memo.py`, `run_memo.py`) ---------------


def settled(mtime_ns: int, ctime_ns: int, since: float) -> bool:
    """Whether a stat with these times can be trusted by a memo taken at `since`: not
    changed within `RACY_SECONDS` before it (a second change in that clock tick could
    keep the times)."""
    return since - max(mtime_ns, ctime_ns) / 1e9 >= RACY_SECONDS


def relative(path: str, base: str) -> str:
    """`path` as a memo stores it: relative to `base` when under it, else as it is."""
    prefix = base if base.endswith(os.sep) else base + os.sep  # os.path.join(base, "")
    return path[len(prefix) :] if path.startswith(prefix) else path


def absolute(path: str, base: str) -> str:
    """The inverse of `relative` (`os.path.join`'s result, in a third of its time: a
    memo holds thousands of paths)."""
    if _is_absolute(path):
        return path
    return base + path if base.endswith(os.sep) else base + os.sep + path


def _posix_absolute(path: str) -> bool:
    """`os.path.isabs` on POSIX, without its argument checks (a memo's load asks for
    every path it holds: 11,700 on the sparse tree's import scan)."""
    return path.startswith("/")


_is_absolute: Callable[[str], bool] = _posix_absolute if os.sep == "/" else os.path.isabs


def pack(document: object) -> bytes:
    """A memo's payload: compact JSON (ASCII: names that are not UTF-8 are escaped),
    compressed."""
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 1)


def unpack(payload: bytes) -> Any:
    """The document of `pack`; ValueError or zlib.error for a damaged one."""
    return json.loads(zlib.decompress(payload))


# The stat of a directory recorded too soon after it changed: it never matches.
UNTRUSTED = (-1, -1, -1)


def replay(
    payload: bytes | None, cwd: str, relisted: Callable[[str], str | None] | None = None
) -> list[tuple[str, str]] | None:
    """The (path, real path) pairs of a memo that still holds, or None (no memo, a
    damaged one, or one that something changed since). `relisted` gives the listing
    digest of a directory listed now (the walker's): a directory whose stat changed
    holds while that digest is the recorded one."""
    if payload is None:
        return None
    try:
        document = unpack(payload)

        def full(path: str) -> str:
            return absolute(path, cwd)

        for top, real in document["tops"]:
            if os.path.realpath(top) != real:
                return None
        for directory, mtime, ctime, inode, digest in document["dirs"]:
            real = full(directory)
            info = os.stat(real)
            if (info.st_mtime_ns, info.st_ctime_ns, info.st_ino) == (mtime, ctime, inode):
                continue
            if not digest or relisted is None or relisted(real) != digest:
                return None
        for path, mtime, ctime, size, inode in document["ignores"]:
            info = os.stat(full(path))
            if (info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino) != (
                mtime,
                ctime,
                size,
                inode,
            ):
                return None
        for kind, path, answer in document["probes"]:
            if PROBES[kind](full(path)) != answer:
                return None
        found: list[tuple[str, str]] = []
        for path, real in document["files"]:
            listed = full(path)
            found.append((listed, full(real) if real else listed))
        return found
    except (OSError, ValueError, KeyError, TypeError, zlib.error):
        return None


PROBES: dict[str, Callable[[str], bool]] = {"e": os.path.exists, "f": os.path.isfile}
