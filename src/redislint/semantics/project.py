"""Cross-file facts: the facts of the project modules a checked file imports, and of
those that import it.

Which module a file is and which file an import names is `semantics/modules.py`; who
imports whom, `semantics/import_scan.py`. Project modules are analysed on demand, when
a checked file imports from one of them (a client, a factory, a key builder, a
constant), and each is parsed once per process while it may still be needed: a later
check of the same file reuses the parsed tree and its facts. A run that says in which
order it checks its files (`check_in_order`) frees the trees no later file can read
(`semantics/retention.py`); one asked for again is parsed again from the text it was
parsed from.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import libcst as cst

from redislint.cache import content_hash, file_hash
from redislint.config import Config
from redislint.discovery import prefilter
from redislint.precheck import Rejection, accepts_edit, precheck
from redislint.semantics.clients import Resolver
from redislint.semantics.collect import collect
from redislint.semantics.import_scan import ImportScan, ScanRoles, ScanStore
from redislint.semantics.keys import KeyResolver
from redislint.semantics.modules import ModuleFinder
from redislint.semantics.parsing import parse_checked
from redislint.semantics.retention import Retention
from redislint.semantics.reuse import NodeMemo
from redislint.semantics.scopes import ModuleFacts
from redislint.source_shape import code_shape
from redislint.source_text import decode_source
from redislint.walk_memo import WalkMemo


class ProjectIndex:
    """The facts of every project module seen in this process, and the shared resolvers."""

    def __init__(
        self,
        config: Config,
        *,
        walk_memo: WalkMemo | None = None,
        scan_store: ScanStore | None = None,
        scan_roles: ScanRoles | None = None,
        scanned: ImportScan | None = None,
    ) -> None:
        self.config = config
        # Module names and files, resolved once per path (`semantics/modules.py`).
        self.modules = ModuleFinder(config)
        # The project's import graph, read on first need (`_scan_project`), or the one a
        # run's parent scanned for this worker (`scanned`).
        if scanned is None:
            scanned = ImportScan(config, self.modules)
        scanned.attach(
            config, self.modules, walk_memo=walk_memo, scan_store=scan_store, scan_roles=scan_roles
        )
        self.graph = scanned
        self._facts: dict[str, ModuleFacts] = {}
        self._redis_modules: dict[str, bool] = {}
        # Which files each file's analysis read (imports followed, importers read), and
        # the hash of the bytes read: what a cached result depends on. `_verdict_edges`
        # are the imported files read only for the prefilter's verdict on their text
        # (`imports_redis_module`): what those files read in turn is no dependency.
        self._edges: dict[str, set[str]] = {}
        self._verdict_edges: dict[str, set[str]] = {}
        self._hashes: dict[str, str] = {}
        self._failed: set[str] = set()
        # What an importer's result can depend on in each of those files, by file
        # (`dependency_shapes`): computed at most once per file and process.
        self._shapes: dict[str, str | None] = {}
        # The text each module was parsed from (kept when its facts are released).
        self._texts: dict[str, str] = {}
        # Modules whose facts (and syntax tree) were released: parsed again from `_texts`.
        self._released: set[str] = set()
        self._retention: Retention | None = None
        # CPython's verdict per file: (text, guarded, rejection), see `precheck`.
        self._prechecked: dict[str, tuple[str, bool, Rejection | None]] = {}
        self.resolver = Resolver(
            self.load_module,
            self.facts_by_path,
            config.client_factories,
            (),
            importers=self.importer_facts,
            client_name_entries=config.client_name_specs(),
            relative_path=config.relative_path,
            replicas=config.client_replicas,
        )
        self.keys = KeyResolver(self.resolver, self.facts_by_path)

    def __enter__(self) -> ProjectIndex:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Let reference counting free every syntax tree this index holds.

        The resolvers call back into the index (bound methods), a reference cycle that
        keeps every parsed module alive until the cyclic collector runs, and a full
        collection over a project's trees costs about a fifth of a cold run. Breaking the
        cycle when a run is done frees the trees at once, for nothing. The index is not
        used after this.
        """
        self._facts.clear()
        self._released.clear()
        self._retention = None
        self._texts.clear()
        self._prechecked.clear()
        self.graph.forget_texts()
        self.resolver.close()
        self.keys = KeyResolver(self.resolver, lambda _path: None)

    def facts_by_path(self, path: str) -> ModuleFacts | None:
        facts = self._facts.get(path)
        if facts is None and path in self._released:
            facts = self._parse_again(path)
        return facts

    # -- freeing syntax trees (issue 13: memory) ---------------------------------------

    def by_source_root(self, paths: Sequence[Path]) -> list[list[int]]:
        """The positions of `paths` grouped by source root (the folder above a file's
        package), the roots in the order they first come: a worker checks one project's
        files together, so that another project's trees do not live through them
        (Sphinx's, kept to the end of a worker's Sphinx files, under all of Django's)."""
        groups: dict[Path, list[int]] = {}
        for position, path in enumerate(paths):
            groups.setdefault(self.modules.module_name(path)[2], []).append(position)
        return list(groups.values())

    def memory_order(self, paths: Sequence[Path]) -> list[int]:
        """The positions of `paths` (files of one source root, `by_source_root`) in the
        order to check them in so that few syntax trees are alive when a large module
        is parsed (issue 13: memory).

        A check parses what it reads that is not parsed yet: its imports and, to learn
        what its functions are called with, the project files that import it (all that
        mention the function's name, `importer_facts`). So the module the most text
        imports may parse the most at once: redis-py's `redis/utils.py` defines a
        `pipeline` helper, and its check parses 3 MB of the test modules that call
        `r.pipeline()`. Checked first, those trees are built while few others are kept;
        checked in path order, they were built on top of the whole package's.

        Only the files that will be parsed trade places, by their own text plus that
        of the project files importing them, largest first (ties in the given order);
        a file the prefilter will let through unparsed builds no tree and keeps its
        place. The root's import graph is read for this (`_scan_project`, which a
        project's first cross-module question reads anyway); a single file keeps its
        place, and no graph is read for it."""
        order = list(range(len(paths)))
        if len(paths) < 2:
            return order
        self._scan_project(paths[0])
        weights: dict[int, int] = {}
        for position, path in enumerate(paths):
            key = str(self.modules.real_path(path))
            if self.graph.may_parse(key):
                weights[position] = self.graph.sizes.get(key, 0) + sum(
                    self.graph.sizes.get(importer, 0)
                    for importer in self.graph.importers.get(key, ())
                )
        slots = list(weights)  # the places of the files that will be parsed
        for slot, position in zip(slots, sorted(slots, key=lambda p: -weights[p]), strict=True):
            order[slot] = position
        return order

    def check_in_order(self, paths: Sequence[Path]) -> None:
        """The files this index will check, in this order: from now on `finished(path)`
        releases the facts of every module that no later one of them may read."""
        self._retention = Retention(
            [str(self.modules.real_path(path)) for path in paths],
            lambda module: self.graph.imports.get(module, ()),
            lambda module: self.graph.importers.get(module, ()),
        )

    def reorder(self, start: int, paths: Sequence[Path]) -> None:
        """The files at positions `start`, `start + 1`, ... of the order given to
        `check_in_order` are checked in this order instead (the same files: a root's
        order is decided when its turn comes, `memory_order`)."""
        if self._retention is not None:
            self._retention.reorder(start, [str(self.modules.real_path(path)) for path in paths])

    def finished(self, path: Path) -> None:
        """`path` is checked: release the modules the files after it cannot need.

        Only modules the project's import graph covers are released (it is read on first
        need, `_scan_project`; until then nothing is): for the others, who imports them
        is unknown."""
        retention = self._retention
        if retention is None or not self.graph.scanned:
            return
        done = retention.position(str(self.modules.real_path(path)))
        unneeded = [
            key
            for key in self._facts
            if key in self.graph.files and not retention.needed(key, done)
        ]
        for key in unneeded:
            self.release(key)

    def release(self, key: str) -> None:
        """Forget a module's facts, and with them its syntax tree; the text stays, so a
        later request parses the same text again (the same facts, the same findings)."""
        if self._facts.pop(key, None) is not None:
            self._released.add(key)
            self.resolver.forget(key)

    def _parse_again(self, key: str) -> ModuleFacts:
        text = self._texts[key]
        return self.register(Path(key), parse_checked(text), key, text)

    def imports_redis_module(self, source: str, path: Path) -> bool:
        """Whether the file imports a project module that could hand it a Redis client.

        The textual prefilter skips files that never mention Redis; such a file can
        still use a client imported from a project module (`from app.db import r`), and
        that module need not be among the files of this run (pre-commit and editors
        check one file). Only the import lines are read, and each imported module's
        text is checked once per process.
        """
        near = str(self.modules.real_path(path))
        for found in self.modules.imported_files(source, path):
            self._verdict_edges.setdefault(near, set()).add(str(found))
            if self._mentions_redis(found):
                return True
        return False

    def _mentions_redis(self, path: Path) -> bool:
        key = str(path)
        known = self._redis_modules.get(key)
        if known is None:
            try:
                data = path.read_bytes()
            except OSError:
                data = b""
            self._hashes.setdefault(key, content_hash(data))
            text = data.decode("utf-8", errors="replace")
            known = self._redis_modules[key] = prefilter(text, self.config)
        return known

    def load_module(self, name: str, near_path: str | None = None) -> ModuleFacts | None:
        path = self.modules.find_module(name, near_path)
        if path is None:
            return None
        if near_path is not None:
            self._edges.setdefault(near_path, set()).add(str(path))
        # `find_module` resolved the path already (a resolve is a system call per part
        # of the path, and each use of an imported name comes here).
        return self._facts_for_key(str(path), path, None)

    def dependencies(self, path: Path) -> dict[str, str]:
        """The project files `path`'s analysis read, transitively, with their content hash."""
        found: dict[str, str] = {}
        for dependency in sorted(self.dependency_paths(path)):
            digest = self._hashes.get(dependency) or file_hash(dependency)
            if digest is not None:
                found[dependency] = digest
        return found

    def dependency_paths(self, path: Path) -> set[str]:
        """The project files `path`'s analysis read, transitively (without hashing them,
        for the language server, which asks at every save which buffers a file feeds).

        A file read for its facts is followed to what its analysis read; a file read
        only for the prefilter's verdict on its text is not (the verdict depends on
        those bytes alone): on a sparse tree most files are skipped, and following their
        imports made every entry depend on most of the import graph."""
        start = str(self.modules.real_path(path))
        seen: set[str] = set()
        expanded = {start}  # a file first seen through a verdict may be read later
        pending = [start]
        while pending:
            node = pending.pop()
            for target in self._edges.get(node, ()):
                if target not in expanded:
                    expanded.add(target)
                    pending.append(target)
            seen.update(self._edges.get(node, ()))
            seen.update(self._verdict_edges.get(node, ()))
        seen.discard(start)
        return seen

    def dependency_shapes(self, dependencies: dict[str, str]) -> dict[str, str]:
        """What the analysis of an importer can see of each dependency (`dependencies`:
        path -> content hash), for the cache to keep a result when a dependency's text
        changed but this did not: "v1" / "v0" for a module only read for the
        prefilter's verdict (it mentions Redis or not), "s" + `code_shape` for a module
        that was parsed. A module that failed to parse, or whose text is not the one
        hashed, has none (its importers are re-checked whenever it changes). A parsed
        module whose tree was freed already (`finished` runs before the importer's
        entry is written) was parsed all the same."""
        shapes: dict[str, str] = {}
        for path, digest in dependencies.items():
            if path in self._failed:
                continue
            if path in self._facts or path in self._released:  # parsed, for any file
                if path not in self._shapes:
                    self._shapes[path] = self._code_shape(path, digest)
                shape = self._shapes[path]
            else:  # only the prefilter's verdict was read, so far
                verdict = self._redis_modules.get(path)
                shape = None if verdict is None else ("v1" if verdict else "v0")
            if shape is not None:
                shapes[path] = shape
        return shapes

    def _code_shape(self, path: str, digest: str) -> str | None:
        try:
            data = Path(path).read_bytes()
            if content_hash(data) != digest:
                return None  # changed since it was analysed
            shape = code_shape(decode_source(data), lambda comment: prefilter(comment, self.config))
        except (OSError, UnicodeDecodeError, SyntaxError):
            return None
        return None if shape is None else "s" + shape

    def facts_for_file(self, path: Path, source: str | None = None) -> ModuleFacts | None:
        """Parse and collect a file once; None when it cannot be read or parsed."""
        key = str(self.modules.real_path(path)) if source is None else str(path)
        return self._facts_for_key(key, path, source)

    def _facts_for_key(self, key: str, path: Path, source: str | None) -> ModuleFacts | None:
        if key in self._facts:
            return self._facts[key]
        if key in self._released:
            return self._parse_again(key)
        if key in self._failed:
            return None
        try:
            data = source.encode() if source is not None else path.read_bytes()
            self._hashes[key] = content_hash(data)
            text = source if source is not None else decode_source(data)
            if self.precheck(key, text, guard=True) is not None:
                raise SyntaxError("refused by the CPython check")
            module = parse_checked(text)
        except (OSError, UnicodeDecodeError, SyntaxError, cst.ParserSyntaxError, RecursionError):
            self._failed.add(key)
            return None
        return self.register(path, module, key, text)

    def precheck(self, key: str, source: str, *, guard: bool) -> Rejection | None:
        """CPython's verdict on a file's text (`precheck.precheck`), once per text.

        A module parsed on demand for an importer is guarded like a checked file (a
        chain libcst cannot survive must not stop its importer's analysis), and when
        its own turn comes the verdict is not computed again."""
        known = self._prechecked.get(key)
        if known is not None and known[0] == source and (known[1] or not guard):
            return known[2]
        rejection = precheck(source, guard=guard)
        self._prechecked[key] = (source, guard, rejection)
        return rejection

    def precheck_edited(
        self,
        key: str,
        source: str,
        previous: str,
        region: tuple[int, int],
        indents: Sequence[str] = (),
    ) -> None:
        """Record CPython's verdict on an edited text without checking it whole, when the
        verdict on the text it was made from (`previous`, the language server's buffer
        before the edit) was "accepted" and the replaced statements `source[start:end]`
        (at the indentation `indents`) prove it is still (`precheck.accepts_edit`);
        otherwise `precheck` decides later, on the whole text."""
        known = self._prechecked.get(key)
        if known is None or known[0] != previous or not known[1] or known[2] is not None:
            return
        if accepts_edit(source, region, indents):
            self._prechecked[key] = (source, True, None)

    def parse(self, path: Path, source: str) -> ModuleFacts:
        """The facts of a file being checked, parsing it only if this exact text was not
        already parsed (as an import of an earlier file). Raises ParserSyntaxError."""
        key = str(self.modules.real_path(path))
        facts = self._facts.get(key)
        if facts is not None and self._texts.get(key) == source:
            return facts
        module = parse_checked(source)
        return self.register(path, module, key, source)

    def register(
        self,
        path: Path,
        module: cst.Module,
        key: str | None = None,
        source: str | None = None,
        reuse: NodeMemo | None = None,
    ) -> ModuleFacts:
        name, is_package, _ = self.modules.module_name(path)
        key = key or str(self.modules.real_path(path))
        if key in self._facts or key in self._released:
            self._replacing(key, source)
        facts = collect(module, key, name, is_package, reuse=reuse)
        self._facts[facts.path] = facts
        self._released.discard(facts.path)
        if source is not None:
            self._texts[facts.path] = source
        return facts

    def _replacing(self, key: str, source: str | None) -> None:
        """A module's facts are about to be replaced (the language server checks each
        edit of a buffer, a fix round re-checks the fixed text): its call sites are
        new objects, and when the text changed, what the resolvers concluded from the
        old facts may be wrong for the new ones (a client that is now a dict, a key
        constant that changed), so it is dropped. The same text parsed again (a
        released module) has the same facts."""
        self.resolver.forget(key)
        if source is None or self._texts.get(key) != source:
            self.resolver.invalidate(key)
            self.keys.invalidate(key)

    # -- the project's import graph (cross-module callers) ----------------------------

    def _scan_project(self, near: Path) -> dict[str, list[str]]:
        """The import graph with the projects around `near` scanned (`ImportScan.scan`):
        imported project file -> the files importing it."""
        if self.graph.scan(near) and self._retention is not None:
            self._retention.graph_changed()
        return self.graph.importers

    def imported_by_redis_module(self, path: Path) -> bool:
        """Whether a file that mentions Redis imports this one: its functions may be
        called with a client (`wipe(r)`, `Inbox(connection=r)`), so it is analysed."""
        self._scan_project(path)
        key = str(self.modules.real_path(path))
        importers = self.graph.helpers.get(key)
        if not importers:
            return False
        # What makes it a helper is its importers' text: a cached result depends on them
        # (an importer that drops the import or stops using Redis makes it skipped again).
        self._edges.setdefault(key, set()).update(importers)
        return True

    def importer_facts(self, path: str, name: str) -> list[ModuleFacts] | None:
        """The facts of the project modules that import module `path` and mention `name`
        (a function or class it defines), parsed on demand; None when one of them cannot
        be parsed (its calls are unknown, so nothing may be concluded from the others)."""
        found: list[ModuleFacts] = []
        for importer in self._scan_project(Path(path)).get(path, ()):
            if not self.graph.mentions(importer, name):
                continue
            self._edges.setdefault(path, set()).add(importer)
            facts = self.facts_for_file(Path(importer))
            if facts is None:
                return None
            found.append(facts)
        return found
