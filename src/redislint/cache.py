"""A results cache, so that re-checking an unchanged tree is near instant.

An entry is keyed by the file's path as reported, the configuration, the selected rules
and the tool itself (its version and the fingerprint of its own files, so a development
checkout never serves results of older code), and holds a hash of the file's bytes. A
file's findings also depend on the project modules it imports (clients, key builders,
constants): the entry lists them (relative to the project root, so a moved checkout
still hits) with the hash of their content, and is used only while every one is
unchanged; each module is hashed at most once per run.

Content is read only when a file's stat (size, mtime, ctime, inode) differs from the one
recorded with its hash (the `stats` table, shared by every selection): an unchanged tree
is validated without reading a byte of it. A stat younger than `walk_memo.RACY_SECONDS` is never
recorded (a file rewritten within the clock's resolution keeps its mtime), so such a
file is hashed on every run until it settles.

Storage is one SQLite database per project root (`<root>/.redislint_cache/`, WAL mode,
so concurrent runs such as pre-commit and an editor never see half an entry). Workers
buffer their entries and write them in one transaction. Anything in the database that
is not what this version writes is a miss and is rewritten; a database that cannot be
opened is recreated, and a folder that cannot be written is skipped with one warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
import warnings
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

from redislint import __version__, walk_memo
from redislint.catalogue import catalogue_dir
from redislint.config import Config
from redislint.findings import Edit, Finding, Fix
from redislint.semantics.facts_types import FileFacts

CACHE_DIR_NAME = ".redislint_cache"
DATABASE_NAME = "cache.sqlite3"
# Bumped whenever the tables or the payload change: an older database is recreated.
_SCHEMA_VERSION = "9"
# Selections (configuration x rules) kept per database; older ones are dropped.
_SALTS_KEPT = 8
# Entries a worker buffers before writing them (one transaction each time).
_FLUSH_EVERY = 512
# (size, mtime_ns, ctime_ns, inode) of a file, as recorded with its content hash.
_Stat = tuple[int, int, int, int]
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by redislint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


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
    for folder in (os.path.dirname(__file__), str(catalogue_dir())):
        found: list[str] = []
        for directory, subdirs, names in os.walk(folder):
            subdirs[:] = [name for name in subdirs if name != "__pycache__"]
            found += [
                os.path.join(directory, name)
                for name in names
                if name.endswith((".py", ".md", ".json"))
            ]
        for path in sorted(found):
            info = os.stat(path)
            name = os.path.basename(path)
            digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
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


def finding_from_json(data: Any) -> Finding:
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
    """Findings and project facts per file, in one database per project root.

    Picklable: a worker gets a copy without the connection and opens its own."""

    def __init__(
        self, config: Config, selected: frozenset[str], directory: Path | None = None
    ) -> None:
        self.root = Path(config.root)
        self._root_prefix = os.path.join(str(self.root), "")
        # `--cache-dir` / REDISLINT_CACHE_DIR: one folder for every configuration (rows
        # are keyed by configuration, so they never mix).
        self.directory = directory or config.cache_dir or self.root / CACHE_DIR_NAME
        salt = "\0".join((tool_fingerprint(), repr(config), ",".join(sorted(selected))))
        self.salt = hashlib.sha256(salt.encode()).hexdigest()[:32]
        self._connection: sqlite3.Connection | None = None
        self._pending: list[tuple[str, str, str, bytes | None]] = []
        self._hashes: dict[str, str | None] = {}
        self._answered: dict[str, tuple[str, ...]] = {}  # see `entry_dependencies`
        self._shapes: dict[tuple[str, str], str | None] = {}
        self._config = config
        self._broken = False
        # Loaded on first need, each in one query: this selection's rows (`preload`)
        # and the recorded stats (root-relative path -> stat and content hash).
        self._rows: dict[str, tuple[str, bytes | None]] | None = None
        self._stats: dict[str, tuple[_Stat, str]] | None = None
        self._stat_rows: dict[str, tuple[_Stat, str] | None] = {}  # rows read one by one
        self._pending_stats: list[tuple[str, int, int, int, int, str]] = []
        self._pending_walks: list[tuple[str, str, bytes]] = []
        # The import scan's rows (`load_scan`), read in one query on first need.
        self._scans: dict[str, tuple[str, bytes]] | None = None
        self._pending_scans: list[tuple[str, str, str, bytes]] = []

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_connection=None, _pending=[], _hashes={}, _rows=None, _stats=None)
        state.update(_answered={})
        state.update(_stat_rows={})
        state.update(_shapes={})
        state.update(_pending_stats=[], _pending_walks=[], _scans=None, _pending_scans=[])
        return state

    @property
    def database(self) -> Path:
        return self.directory / DATABASE_NAME

    # -- reading ------------------------------------------------------------------------
    def lookup(self, rel_path: str, data: bytes) -> tuple[list[Finding], FileFacts] | None:
        """The file's findings and project facts from an earlier run, or None."""
        row = self._row(rel_path)
        if row is None or row[0] != _digest(data):
            return None
        return self._decoded(rel_path, row)

    def lookup_file(
        self, rel_path: str, path: Path
    ) -> tuple[tuple[list[Finding], FileFacts] | None, bytes | None]:
        """`lookup` for a file on disk, reading it only when its stat changed.

        Returns (the cached result or None, the file's bytes when they were read: the
        caller reads them itself when they are needed and were not)."""
        row = self._row(rel_path)
        digest, data = self._current_hash(path)  # a miss records the stat for next time
        if row is None or digest is None or row[0] != digest[:32]:
            return None, data
        return self._decoded(rel_path, row), data

    def preload(self) -> None:
        """Read this selection's rows and the recorded stats in two queries (a run of
        many files; a run of one file looks its row up alone)."""
        if self._rows is not None:
            return
        try:
            connection = self._connect(create=False)
            if connection is None:
                self._rows, self._stats = {}, {}
                return
            self._rows = {
                path: (digest, payload)
                for path, digest, payload in connection.execute(
                    "SELECT path, digest, payload FROM entries WHERE salt = ?", (self.salt,)
                )
            }
            self._load_stats(connection)
        except sqlite3.Error:
            self._rows, self._stats = {}, {}

    def _row(self, rel_path: str) -> tuple[str, bytes | None] | None:
        if self._rows is not None:
            return self._rows.get(_text(rel_path))
        try:
            connection = self._connect(create=False)
            if connection is None:
                return None
            row = connection.execute(
                "SELECT digest, payload FROM entries WHERE salt = ? AND path = ?",
                (self.salt, _text(rel_path)),
            ).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else (row[0], row[1])

    def _decoded(
        self, rel_path: str, row: tuple[str, bytes | None]
    ) -> tuple[list[Finding], FileFacts] | None:
        try:
            return self._decode(rel_path, row)
        except (ValueError, KeyError, TypeError, RecursionError, AttributeError):
            return None

    def _decode(
        self, rel_path: str, row: tuple[str, bytes | None]
    ) -> tuple[list[Finding], FileFacts] | None:
        payload = row[1]
        if payload is None:
            return [], FileFacts()  # a file with no findings, facts or dependencies
        entry = _expect(_unpack(_expect(payload, bytes, "payload")), dict, "entry")
        dependencies = _expect(entry.get("dependencies", {}), dict, "dependencies")
        shapes = _expect(entry.get("shapes", {}), dict, "shapes")
        self._answered[rel_path] = tuple(str(self.root / path) for path in dependencies)
        moved: dict[str, str] = {}
        known = self._hashes
        for dependency, expected in dependencies.items():
            # `_hash_of`, inlined for the common case: a warm run checks every entry's
            # dependencies (tens of thousands on a large tree), most already hashed.
            current = known[dependency] if dependency in known else self._hash_of(dependency)
            if current == expected and type(expected) is str:
                continue
            _expect(expected, str, "dependency hash")
            shape = shapes.get(dependency)
            if current is None or shape is None or self._shape_now(dependency, shape) != shape:
                return None
            moved[dependency] = current
        if moved:
            # Valid still (only comments or blank lines changed, or nothing the result
            # depends on): recorded with the new hashes, so the next run compares
            # hashes again, without reading the dependency.
            entry["dependencies"] = {**dependencies, **moved}
            packed = _pack(entry)
            self._pending.append((self.salt, _text(rel_path), row[0], packed))
            if self._rows is not None:
                self._rows[_text(rel_path)] = (row[0], packed)  # as `row_token` sees it
        findings = [
            finding_from_json(item) for item in _expect(entry.get("findings", []), list, "findings")
        ]
        return findings, FileFacts.from_json(entry.get("facts", {}))

    def _shape_now(self, dependency: str, recorded: str) -> str | None:
        """What the dependency's current text shows of the kind `recorded` is
        (`ProjectIndex.dependency_shapes`), once per run; None when that cannot be
        trusted. A shape is trusted only for a text CPython compiles (the lexer that
        strips comments agrees with CPython's on such a text, `source_shape.py`)."""
        key = (dependency, recorded[:1])
        if key not in self._shapes:
            self._shapes[key] = self._compute_shape(dependency, recorded[:1])
        return self._shapes[key]

    def _compute_shape(self, dependency: str, kind: str) -> str | None:
        import ast  # for a flag; the warm path of an unchanged tree never needs it

        from redislint.discovery import prefilter
        from redislint.source_shape import code_shape
        from redislint.source_text import decode_source

        try:
            data = (self.root / dependency).read_bytes()
        except OSError:
            return None
        if _digest(data) != self._hash_of(dependency):
            return None  # changed again while this run looked at it
        if kind == "v":  # as `ProjectIndex._mentions_redis` reads it
            return "v1" if prefilter(data.decode("utf-8", errors="replace"), self._config) else "v0"
        if kind != "s":
            return None
        try:
            text = decode_source(data)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the checked code's invalid escapes...
                compile(text, dependency, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        except (SyntaxError, UnicodeDecodeError, ValueError, RecursionError, MemoryError):
            return None
        shape = code_shape(text, lambda comment: prefilter(comment, self._config))
        return None if shape is None else "s" + shape

    def _hash_of(self, dependency: str) -> str | None:
        """The content hash of a project file (relative to the root), once per run, as
        entries record it (half of it, as row digests: 128 bits)."""
        if dependency not in self._hashes:
            digest = self._current_hash(self.root / dependency)[0]
            self._hashes[dependency] = None if digest is None else digest[:32]
        return self._hashes[dependency]

    def _current_hash(self, path: str | Path) -> tuple[str | None, bytes | None]:
        """(content hash, bytes read or None): from the recorded stats when the file's
        stat is unchanged, else by reading it (and recording the new stat)."""
        key = _text(self._relative(str(path)))
        try:
            info = os.stat(path)
        except OSError:
            return None, None
        signature = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        known = self._recorded_stat(key)
        if known is not None and known[0] == signature:
            return known[1], None
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return None, None
        digest = content_hash(data)
        newest = max(info.st_mtime_ns, info.st_ctime_ns)
        if len(data) == info.st_size and time.time_ns() - newest > walk_memo.RACY_SECONDS * 1e9:
            self._pending_stats.append((key, *signature, digest))
            known_now = self._stats if self._stats is not None else self._stat_rows
            known_now[key] = (signature, digest)
        return digest, data

    def _recorded_stat(self, key: str) -> tuple[_Stat, str] | None:
        """The stat and hash recorded for a root-relative path: from the whole table when
        `preload` read it, else one query per path (a one-file run, an editor's, reads
        the rows of the file and its dependencies, not the whole tree's)."""
        if self._stats is not None:
            return self._stats.get(key)
        if key not in self._stat_rows:
            self._stat_rows[key] = self._query_stat(key)
        return self._stat_rows[key]

    def _query_stat(self, key: str) -> tuple[_Stat, str] | None:
        try:
            connection = self._connect(create=False)
            if connection is None:
                return None
            row = connection.execute(
                "SELECT size, mtime, ctime, inode, digest FROM stats WHERE path = ?", (key,)
            ).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else ((row[0], row[1], row[2], row[3]), row[4])

    def _load_stats(self, connection: sqlite3.Connection) -> None:
        self._stats = {
            path: ((size, mtime, ctime, inode), digest)
            for path, size, mtime, ctime, inode, digest in connection.execute(
                "SELECT path, size, mtime, ctime, inode, digest FROM stats"
            )
        }
        # What this run read or recorded one by one is as new as the table, or newer.
        self._stats.update((k, v) for k, v in self._stat_rows.items() if v is not None)

    def entries_written(self) -> int | None:
        """How many flushes of any selection have written entries to this database (None
        when it cannot be read): unchanged, no entry is other than it was."""
        try:
            connection = self._connect(create=False)
            return 0 if connection is None else _entries_written(connection)
        except sqlite3.Error:
            return None

    def snapshot_tokens(self, rel_paths: Iterable[str]) -> tuple[int, dict[str, int]] | None:
        """(`entries_written`, `row_token` of each path's entry) read in one transaction,
        so that the tokens are those of that generation; None when it cannot be read."""
        try:
            connection = self._connect(create=False)
            if connection is None:
                return None
            connection.execute("BEGIN")
            try:
                written = _entries_written(connection)
                rows = {
                    path: _token(digest, payload)
                    for path, digest, payload in connection.execute(
                        "SELECT path, digest, payload FROM entries WHERE salt = ?", (self.salt,)
                    )
                }
            finally:
                connection.execute("COMMIT")
        except sqlite3.Error:
            return None
        wanted = {_text(path): path for path in rel_paths}
        return written, {wanted[path]: token for path, token in rows.items() if path in wanted}

    def row_token(self, rel_path: str) -> int | None:
        """A checksum of the entry stored for `rel_path` (its content hash and payload),
        or None: `run_memo.py` keeps a file's answer only while its entry is the one it
        was taken from (another run may have stored a new one: a module that became a
        helper of a file that run checked)."""
        row = self._row(rel_path)
        return None if row is None else _token(*row)

    def entry_dependencies(self) -> dict[str, tuple[str, ...]]:
        """The dependencies (absolute paths) of each entry this run's look-ups answered
        from, by the path it was looked up as (`run_memo.py` records them)."""
        return dict(self._answered)

    # -- directory walks (`walk_memo.py`) ---------------------------------------------
    def load_walk(self, key: str) -> bytes | None:
        """The memo of an earlier walk with this key, or None."""
        try:
            connection = self._connect(create=False)
            if connection is None:
                return None
            row = connection.execute("SELECT payload FROM walks WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row is not None and isinstance(row[0], bytes) else None

    def save_walk(self, key: str, payload: bytes) -> None:
        """Record a walk's memo (buffered; written by `flush`)."""
        if not self._broken:
            self._pending_walks.append((key, self.salt, payload))

    # -- the import scan (`ImportScan._scan_file`) ------------------------------------
    def scan_digest(self, path: str | Path) -> tuple[str | None, bytes | None]:
        """(content hash, bytes when they had to be read) of a project file, from the
        recorded stats (read in one query: the scan asks for every file of the project)."""
        if self._stats is None:
            self._preload_stats()
        return self._current_hash(path)

    def _preload_stats(self) -> None:
        try:
            connection = self._connect(create=False)
            if connection is not None:
                self._load_stats(connection)
                return
        except sqlite3.Error:
            pass
        self._stats = {k: v for k, v in self._stat_rows.items() if v is not None}

    def load_scan(self, path: Path, digest: str) -> Any:
        """What an earlier scan read of the file with this content hash (the JSON value
        `save_scan` stored), or None."""
        if self._scans is None:
            self._scans = {}
            try:
                connection = self._connect(create=False)
                if connection is not None:
                    self._scans = {
                        row_path: (row_digest, payload)
                        for row_path, row_digest, payload in connection.execute(
                            "SELECT path, digest, payload FROM scans WHERE salt = ?",
                            (self.salt,),
                        )
                    }
            except sqlite3.Error:
                pass
        row = self._scans.get(_text(self._relative(str(path))))
        if row is None or row[0] != digest[:32]:
            return None
        try:
            return _unpack(row[1])
        except (ValueError, TypeError):
            return None

    def save_scan(self, path: Path, digest: str, value: object) -> None:
        """Record what the scan read of a file (buffered; written by `flush`)."""
        if not self._broken:
            key = _text(self._relative(str(path)))
            self._pending_scans.append((self.salt, key, digest[:32], _pack(value)))

    # -- writing ------------------------------------------------------------------------
    def store(
        self,
        rel_path: str,
        data: bytes,
        findings: list[Finding],
        dependencies: dict[str, str],
        facts: FileFacts | None = None,
        shapes: dict[str, str] | None = None,
    ) -> str | None:
        """Record one file's findings (buffered; see `flush`). A cache that cannot be
        written (read-only folder, full disk) is skipped: the reason is returned, for
        one warning per run."""
        if self._broken:
            return None
        facts_json = (facts or FileFacts()).to_json()
        if not findings and not dependencies and facts_json == FileFacts().to_json():
            payload = None
        else:
            relative = {self._relative(path): d[:32] for path, d in dependencies.items()}
            payload = _pack(
                {
                    "findings": [asdict(f) for f in findings],
                    "dependencies": relative,
                    "shapes": {
                        self._relative(path): shape for path, shape in (shapes or {}).items()
                    },
                    "facts": facts_json,
                }
            )
        self._pending.append((self.salt, _text(rel_path), _digest(data), payload))
        return self.flush() if len(self._pending) >= _FLUSH_EVERY else None

    def finish(self) -> str | None:
        """`flush`, then close the database: a run's last use of this cache.

        Closed now, not whenever the collector gets to the connection: closing the last
        connection of a WAL database removes its -wal and -shm files, which by then may
        belong to a database made again at the same path (a damaged one is replaced), and
        in a long-lived process (the language server, in-process runs) the new database
        would see a disk I/O error. A later use opens it again."""
        problem = self.flush()
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None
        return problem

    def flush(self) -> str | None:
        """Write the buffered entries in one transaction; the reason when it fails."""
        pending = self._pending or self._pending_stats or self._pending_walks
        if not (pending or self._pending_scans) or self._broken:
            return None
        rows, self._pending = self._pending, []
        stats, self._pending_stats = self._pending_stats, []
        walks, self._pending_walks = self._pending_walks, []
        scans, self._pending_scans = self._pending_scans, []
        try:
            connection = self._connect(create=True)
            if connection is None:
                raise sqlite3.OperationalError("cannot open the database")
            with _transaction(connection):
                connection.executemany(
                    "INSERT OR REPLACE INTO entries (salt, path, digest, payload)"
                    " VALUES (?, ?, ?, ?)",
                    rows,
                )
                connection.executemany(
                    "INSERT OR REPLACE INTO stats (path, size, mtime, ctime, inode, digest)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    stats,
                )
                connection.executemany(
                    "INSERT OR REPLACE INTO walks (key, salt, payload) VALUES (?, ?, ?)", walks
                )
                connection.executemany(
                    "INSERT OR REPLACE INTO scans (salt, path, digest, payload)"
                    " VALUES (?, ?, ?, ?)",
                    scans,
                )
                connection.execute(
                    "INSERT OR REPLACE INTO salts (salt, used) VALUES (?, ?)",
                    (self.salt, time.time()),
                )
                if rows:
                    connection.execute(
                        "INSERT INTO generation (id, n) VALUES (0, 1)"
                        " ON CONFLICT(id) DO UPDATE SET n = n + 1"
                    )
                # Rows of selections not used lately go; the DELETE scans a whole table,
                # so it runs only when there is a selection to evict.
                (salts,) = connection.execute("SELECT count(*) FROM salts").fetchone()
                evicted = ("entries", "walks", "scans", "salts") if salts > _SALTS_KEPT else ()
                for table in evicted:  # `salts` last: the others' subquery reads it
                    connection.execute(
                        f"DELETE FROM {table} WHERE salt NOT IN"
                        " (SELECT salt FROM salts ORDER BY used DESC LIMIT ?)",
                        (_SALTS_KEPT,),
                    )
        except (OSError, sqlite3.Error) as exc:
            self._broken = True
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            return f"cannot write the cache in {self.directory}: {reason}"
        return None

    def _relative(self, path: str) -> str:
        prefix = self._root_prefix
        if path.startswith(prefix) and ".." not in path:  # the common case, without relpath
            return path[len(prefix) :]
        try:
            return os.path.relpath(path, self.root)
        except ValueError:
            return path

    # -- the database -------------------------------------------------------------------
    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        """The open database; with `create`, made (with its folder) when missing.

        A file that is not a database of this version is deleted and made again. A busy
        database is not a damaged one: workers of one run create it at the same moment,
        and switching a new database to WAL is not covered by the busy timeout. That is
        waited out, never "repaired" by deleting what the other worker just wrote."""
        if self._connection is not None:
            return self._connection
        if not create and not self.database.is_file():
            return None
        if create:
            _make_directory(self.directory)
        try:
            self._connection = _open_when_free(self.database)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError:  # not a database, or a malformed one
            if not create:
                raise
            self._connection = _made_again(self.database)
        return self._connection


def _open_when_free(database: Path) -> sqlite3.Connection:
    """`_open`, tried again while another process holds the database: switching to WAL
    and setting the tables up can be refused at once ("database is locked") instead of
    waiting, while a worker that found it damaged writes the new one."""
    for attempt in range(_OPEN_ATTEMPTS):
        try:
            return _open(database)
        except sqlite3.OperationalError as error:
            if attempt == _OPEN_ATTEMPTS - 1 or not _is_busy(error):
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover (the loop returns or raises)


def _open(database: Path) -> sqlite3.Connection:
    # The lookups run on the main thread and the in-process shard on the analysis
    # thread (`parallel.on_big_stack`), one after the other, never at once.
    connection = sqlite3.connect(
        database, timeout=30, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        # One process at a time sets the tables up (workers open it concurrently).
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if str(version) != _SCHEMA_VERSION:
                connection.execute("DROP TABLE IF EXISTS entries")
                connection.execute("DROP TABLE IF EXISTS salts")
                connection.execute("DROP TABLE IF EXISTS stats")
                connection.execute("DROP TABLE IF EXISTS walks")
                connection.execute("DROP TABLE IF EXISTS scans")
                connection.execute("DROP TABLE IF EXISTS generation")
                connection.execute(
                    "CREATE TABLE entries (salt TEXT, path TEXT, digest TEXT, payload BLOB,"
                    " PRIMARY KEY (salt, path)) WITHOUT ROWID"
                )
                connection.execute("CREATE TABLE salts (salt TEXT PRIMARY KEY, used REAL)")
                connection.execute(
                    "CREATE TABLE stats (path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER,"
                    " ctime INTEGER, inode INTEGER, digest TEXT) WITHOUT ROWID"
                )
                connection.execute(
                    "CREATE TABLE walks (key TEXT PRIMARY KEY, salt TEXT, payload BLOB)"
                    " WITHOUT ROWID"
                )
                connection.execute(
                    "CREATE TABLE scans (salt TEXT, path TEXT, digest TEXT, payload BLOB,"
                    " PRIMARY KEY (salt, path)) WITHOUT ROWID"
                )
                # How many flushes wrote entries: a memo of answers taken from entries
                # (`run_memo.py`) holds while it is unchanged.
                connection.execute("CREATE TABLE generation (id INTEGER PRIMARY KEY, n INTEGER)")
                connection.execute(f"PRAGMA user_version = {int(_SCHEMA_VERSION)}")
            connection.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def _entries_written(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT n FROM generation WHERE id = 0").fetchone()
    return 0 if row is None else int(row[0])


def _token(digest: str, payload: bytes | None) -> int:
    """`ResultCache.row_token` of an entry's row."""
    return zlib.crc32(payload or b"", zlib.crc32(digest.encode()))


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, committed at the end or rolled back on an error.

    The connection is in autocommit mode (`isolation_level=None`), where `with
    connection` opens no transaction: each row was then a transaction of its own (the
    first flush of a 4,240-file tree's stats took 0.27 s instead of 0.02 s). IMMEDIATE
    takes the write lock at once, so a busy database is waited for (the busy timeout)
    instead of failing when a read lock cannot be upgraded."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _made_again(database: Path) -> sqlite3.Connection:
    """A damaged database replaced by an empty one, by one process at a time.

    Every worker of a run can find the damage at the same moment. Without the lock, a
    second worker deletes the database (and its -wal and -shm files) that the first one
    has just made and is writing to, and that write fails with a disk I/O error. Under
    the lock, a worker first looks again: another one may have made it already."""
    with _repair_lock(database):
        try:
            return _open_when_free(database)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError:
            _remove_database(database)
        return _open_when_free(database)


@contextlib.contextmanager
def _repair_lock(database: Path) -> Iterator[None]:
    """An exclusive lock beside the database (`flock`; none where there is no `fcntl`)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover (Windows)
        yield
        return
    with open(f"{database}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _make_directory(directory: Path) -> None:
    """The cache folder, ignored by git and tagged as a cache for backup tools."""
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Created by redislint.\n*\n", encoding="utf-8")
    tag = directory / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(_CACHEDIR_TAG, encoding="utf-8")


# How often a busy database is tried before the run goes on without the cache
# (waits of 20, 40, ... ms: about 3 s in all).
_OPEN_ATTEMPTS = 18


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _remove_database(database: Path) -> None:
    """The damaged database's files, its -wal and -shm first and the database last.

    Once the database is gone, a worker that is not repairing (its first open is not
    under the lock) creates a new one at the same path at once, with its own -wal and
    -shm: removed after the database, they would be that new database's files, and its
    next write fails with a disk I/O error (the race seen in CI, about one run in ten
    of `test_workers_that_find_the_cache_damaged_at_once_make_it_again_once`)."""
    for suffix in ("-wal", "-shm", ""):
        with contextlib.suppress(OSError):
            os.unlink(f"{database}{suffix}")


# Payloads shorter than this are stored as they are: compressing one costs zlib's set-up
# (about 15 microseconds), which for the import scan's rows (4,240 on the sparse tree,
# each a short list) was most of writing them, for a few bytes saved.
_COMPRESS_FROM = 512


def _pack(value: object) -> bytes:
    """A row's payload: compact JSON, compressed when it is long enough to gain (the
    paths of dependencies repeat: a third of the size, for microseconds per row)."""
    text = json.dumps(value, separators=(",", ":")).encode()
    return text if len(text) < _COMPRESS_FROM else zlib.compress(text, 1)


def _unpack(payload: bytes) -> Any:
    """The value of `_pack`: JSON as it is (it starts with a bracket or a brace) or
    compressed (a zlib stream starts with 0x78)."""
    try:
        if payload[:1] in (b"[", b"{"):
            return json.loads(payload)
        return json.loads(zlib.decompress(payload))
    except zlib.error as exc:
        raise _BadEntry("payload") from exc


def _digest(data: bytes) -> str:
    """A file's content hash as stored in a row (half of `content_hash`: still 128 bits)."""
    return content_hash(data)[:32]


def _text(path: str) -> str:
    """A path as SQLite text: names that are not UTF-8 keep their bytes as escapes."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
