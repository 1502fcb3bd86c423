"""The project's import graph, read textually: which project files import which.

A file's analysis follows its imports (the facts of imported modules) and, to learn
what its functions are called with, the project files that import it
(`ProjectIndex.importer_facts`); a file that never mentions Redis is analysed while a
Redis-using file imports it (a helper, `ProjectIndex.imported_by_redis_module`). Both
need the whole project's graph: every file's import lines, read once per process
without parsing, resolved with `ModuleFinder`, and kept between runs in the cache (the
rows of what each file's scan read, and the memo of the resolved graph,
`graph_memo.py`). A scan is picklable without its store: a run's parent that has the
time scans for the worker it hands a small check to (`runner.py`). This module must not
import libcst.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from redislint.config import Config
from redislint.discovery import discover, prefilter
from redislint.semantics.graph_memo import FolderReadings, GraphMemo, Scanned
from redislint.semantics.modules import ModuleFinder, imported_modules
from redislint.walk_memo import WalkMemo

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ScanRoles:
    """Which worker of a run stores what the import scan of a project reads.

    Every worker scans the projects of its own files (`ImportScan.scan`), so
    one project may be scanned by several: the one holding the run's `first` file
    stores what the scan read of each file, the one holding its `last` the memos of the
    scan's walk and graph (the same rows, written once each; split, so that neither
    worker waits for the other's writing). A project that the holder of that file does
    not scan (shards are runs of neighbours, `parallel.balanced_shards`: a worker may
    hold another project's files only) is stored by each worker that scans it (its
    rows only when it is not inside a project the holder of the first file scans);
    else the run after a cold one scanned it again without a memo (0.25 s on Django)."""

    first: Path
    last: Path
    holds_first: bool
    holds_last: bool


class ScanStore(Protocol):
    """What the import scan keeps between runs (`ResultCache` is one)."""

    def scan_digest(self, path: str | Path) -> tuple[str | None, bytes | None]: ...

    def load_scan(self, path: Path, digest: str) -> Any: ...

    def save_scan(self, path: Path, digest: str, value: object) -> None: ...


def _is_scan_row(row: Any) -> bool:
    """A stored scan as `_read_imports` writes it: [package, mentions Redis, names,
    length of the text]."""
    return (
        isinstance(row, list)
        and len(row) == 4
        and isinstance(row[0], str)
        and isinstance(row[1], bool)
        and isinstance(row[2], list)
        and all(isinstance(name, str) for name in row[2])
        and type(row[3]) is int
    )


class ImportScan:
    """The import graph of the projects scanned in this process (real paths)."""

    def __init__(
        self,
        config: Config,
        modules: ModuleFinder,
        *,
        walk_memo: WalkMemo | None = None,
        scan_store: ScanStore | None = None,
        scan_roles: ScanRoles | None = None,
    ) -> None:
        self.attach(
            config, modules, walk_memo=walk_memo, scan_store=scan_store, scan_roles=scan_roles
        )
        # Imported project file -> the files importing it, and the same graph the other
        # way; the files a Redis-using module imports (helpers that may receive its
        # client) -> those importers.
        self.importers: dict[str, list[str]] = {}
        self.imports: dict[str, set[str]] = {}
        self.helpers: dict[str, set[str]] = {}
        self.scanned: set[Path] = set()  # the projects (tops) scanned
        self.files: set[str] = set()  # the files scanned
        self.sizes: dict[str, int] = {}  # characters of each scanned file's text
        self.redis_users: set[str] = set()  # scanned files that mention Redis (`prefilter`)
        self._folder_readings = FolderReadings()  # shared by the memos of its scans
        self._started = time.time()
        # An importer's text until `mentions` first asks about it, then its words.
        self._importer_texts: dict[str, str] = {}
        self._importer_words: dict[str, frozenset[str]] = {}

    def attach(
        self,
        config: Config,
        modules: ModuleFinder,
        *,
        walk_memo: WalkMemo | None = None,
        scan_store: ScanStore | None = None,
        scan_roles: ScanRoles | None = None,
    ) -> None:
        """Where this scan resolves modules, and where what it reads is kept (a run with
        the results cache: `walk_memo.py`, `cache.py`); `scan_roles`: which of those
        writes it makes when the workers of one run scan the same projects (None: all)."""
        self.config = config
        self.modules = modules
        self._walk_memo = walk_memo
        self._scan_store = scan_store
        self._scan_roles = scan_roles

    def __getstate__(self) -> dict[str, Any]:
        """The graph without what belongs to one process: the store and the memo (an
        open database), the module finder (rebuilt on demand) and the texts kept for
        `mentions` (read again from the files)."""
        state = dict(self.__dict__)
        for name in ("config", "modules", "_walk_memo", "_scan_store", "_scan_roles"):
            state[name] = None
        state["_importer_texts"] = {}
        state["_importer_words"] = {}
        state["_folder_readings"] = FolderReadings()
        return state

    def forget_texts(self) -> None:
        """Drop the importers' texts and words kept for `mentions` (a run is done)."""
        self._importer_texts.clear()
        self._importer_words.clear()

    def may_parse(self, key: str) -> bool:
        """Whether the check of a scanned file will parse it, as far as the import graph
        tells (`engine.analyze_file`'s test, read from the scan): it mentions Redis, it
        imports a file that does, or such a file imports it."""
        users = self.redis_users
        return (
            key in users
            or key in self.helpers
            or any(imported in users for imported in self.imports.get(key, ()))
        )

    def scan(self, near: Path) -> bool:
        """Read the import lines of every project file once (no parse): who imports whom.
        Returns whether a project was scanned now (the graph grew).

        The project around `near` is its source root (the folder above its package) and,
        when a configuration file was found, the configuration's root; discovery's
        excludes and .gitignore apply. Without a configuration the root is only the
        working directory, which may be far larger than the project, so it is not
        walked. A module imported by a file that mentions Redis is a helper that may
        receive its client (architecture.md "Performance design": the prefilter lets it
        through).
        """
        grew = False
        for top in self._scan_tops(near):
            if not top.is_dir() or any(top.is_relative_to(done) for done in self.scanned):
                continue
            self.scanned.add(top)
            grew = True
            rows, memos = self._scan_writes(top)
            walk_memo = self._walk_memo
            if walk_memo is not None and walk_memo.record != memos:
                walk_memo = replace(walk_memo, record=memos)
            found = discover([str(top)], self.config, top, memo=walk_memo)
            for listed, real in found.real_paths.items():  # the walk knows: no resolve()
                self.modules.tell_real(listed, real)
            memo = None
            if walk_memo is not None and self._scan_store is not None:
                roots = [str(root) for root in self.modules.roots]
                memo = GraphMemo.open(walk_memo.store, str(top), roots)
            for path in found.names:
                self._scan_file(path, memo, rows)
            if memo is not None and memos:
                memo.usable = not self.modules.linked
                memo.started = self._started  # folders may have been listed since then
                folders = [*self.modules.listings, *map(str, self.modules.packages)]
                memo.save(folders, self.modules.listings, self._folder_readings)
        return grew

    def _scan_tops(self, near: Path) -> list[Path]:
        """The projects a scan for `near` walks: its source root and, when a
        configuration file was found, the configuration's root."""
        tops = [self.modules.module_name(near)[2]]
        if self.config.config_path is not None:
            tops.append(Path(self.config.root).resolve())
        return tops

    def _scan_writes(self, top: Path) -> tuple[bool, bool]:
        """(whether to store what the scan of `top` reads of each file, whether to store
        the memos of its walk and graph): see `ScanRoles`."""
        roles = self._scan_roles
        if roles is None:
            return True, True
        # The scan of a project walks the projects inside it too: their files' rows are
        # written by the scan that holds the first file. A memo is kept per project.
        rows = roles.holds_first or not any(
            top.is_relative_to(other) for other in self._scan_tops(roles.first)
        )
        memos = roles.holds_last or top not in self._scan_tops(roles.last)
        return rows, memos

    def _scan_file(self, path: str, memo: GraphMemo | None = None, record: bool = True) -> None:
        """Add one file's imports to the graph: from the memo of an earlier scan when
        the file is unchanged (`graph_memo.py`), else read and resolved (and what was
        read stored, when `record`)."""
        key = self.modules.real_name(path)
        if key in self.files:
            return
        self.files.add(key)
        store = self._scan_store
        digest, data = store.scan_digest(path) if store is not None else (None, None)
        short = digest[:32] if digest is not None else None
        text: str | None = None
        entry = memo.lookup(key, short) if memo is not None else None
        if entry is None:
            read = self._read_imports(Path(path), digest, data, record)
            if read is None:
                return
            uses_redis, candidates, text, size = read
            entry = Scanned(short or "", uses_redis, size, self._resolve_imports(key, candidates))
            if memo is not None and short is not None:
                memo.record(key, entry, fresh=True)
        elif memo is not None:
            memo.record(key, entry, fresh=False)
        self.sizes[key] = entry.size
        if entry.uses_redis:
            self.redis_users.add(key)
        for target in entry.targets:
            self.imports.setdefault(key, set()).add(target)
            known = self.importers.setdefault(target, [])
            if key not in known:
                known.append(key)
            if entry.uses_redis:
                self.helpers.setdefault(target, set()).add(key)
        if entry.targets and text is not None:
            self._importer_texts[key] = text

    def _resolve_imports(self, key: str, candidates: list[str]) -> tuple[str, ...]:
        """The project files (real paths) that a file's imported module names resolve
        to, in order, without the file itself."""
        targets: list[str] = []
        first = self.modules.root_of(key)
        for candidate in candidates:
            found = self.modules.find_from(candidate, first)
            if found is not None and str(found) != key:
                targets.append(str(found))
        return tuple(targets)

    def _read_imports(
        self, path: Path, digest: str | None, data: bytes | None, record: bool = True
    ) -> tuple[bool, list[str], str | None, int] | None:
        """(whether the file mentions Redis, the module names its import lines may name,
        its text when it was read, its length in characters), or None when it cannot be
        read. `digest` and `data` are the scan store's (`ScanStore.scan_digest`). With a
        scan store (a run with the results cache), a file whose stat is unchanged since a
        run stored what it read is not read again: the scan of a 2,800-file project read
        every file at each run that re-checked a helper module."""
        store = self._scan_store
        package = self.modules.package_of(path) if digest is not None else ""
        if store is not None and digest is not None:
            row = store.load_scan(path, digest)
            if _is_scan_row(row) and row[0] == package:
                return row[1], row[2], None, row[3]
        try:
            text = (data if data is not None else path.read_bytes()).decode("utf-8", "replace")
        except OSError:
            return None
        # Whether it mentions Redis also for a file without imports: the check order
        # (`memory_order`) asks which files will be parsed.
        uses_redis = prefilter(text, self.config)
        if "import" not in text:
            candidates = []
        else:
            package = package or self.modules.package_of(path)
            candidates = list(dict.fromkeys(imported_modules(text, package)))
        if store is not None and digest is not None and record:
            store.save_scan(path, digest, [package, uses_redis, candidates, len(text)])
        return uses_redis, candidates, text, len(text)

    def mentions(self, importer: str, name: str) -> bool:
        """Whether the importer's text has `name` as a word (`\\bname\\b`): its words,
        the maximal runs of word characters, are read once per importer, on the first
        question (a search per (importer, name) read a test suite's texts hundreds of
        times over). An importer the scan store answered is read now."""
        words = self._importer_words.get(importer)
        if words is None:
            text = self._importer_texts.pop(importer, None)
            if text is None:
                try:
                    text = Path(importer).read_bytes().decode("utf-8", errors="replace")
                except OSError:
                    text = ""
            words = self._importer_words[importer] = frozenset(_WORD.findall(text))
        return name in words if name.isidentifier() else True
