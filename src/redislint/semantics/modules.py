"""Which project module a file is, and which file an import names: module resolution
without parsing, shared by the import scan (`semantics/project.py`), the facts of
imported modules, and a run's parent, which asks what a changed file's import lines
name (`runner._reopen_imported_hits`) without importing libcst. This module must not
import libcst.

An import is looked for in the importing file's own source root (the folder above its
top package), then in the configuration's `src` folders (`Config.source_roots`): a
fixed list, so that what an import resolves to never depends on which files a process
parsed before. Every answer is kept for the process: resolving a path is a system call
per part of it, and a scan of a 4,000-file tree asks tens of thousands of questions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from redislint.config import Config

_IMPORT_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([\w., \t]+)|import[ \t]+([\w., \t]+))",
    re.M,
)


def _import_lines(source: str) -> Iterator[re.Match[str]]:
    """`_IMPORT_LINE.finditer(source)`, trying only the lines that contain "import":
    a multi-line pattern is otherwise tried at every character of the file."""
    tried = -1
    at = source.find("import")
    while at != -1:
        start = source.rfind("\n", 0, at) + 1
        if start > tried:
            tried = start
            match = _IMPORT_LINE.match(source, start)
            if match is not None:
                yield match
        at = source.find("import", at + 6)


def imported_modules(source: str, package: str) -> list[str]:
    """Module names an import line may refer to (`from a import b` may import `a.b`)."""
    names: list[str] = []
    for match in _import_lines(source):
        base, members, plain = match.groups()
        if plain is not None:
            names += [part.split()[0] for part in plain.split(",") if part.strip()]
            continue
        dots = len(base) - len(base.lstrip("."))
        module = base[dots:]
        if dots:
            anchor = package
            for _ in range(dots - 1):
                anchor = anchor.rpartition(".")[0]
            module = f"{anchor}.{module}" if module and anchor else (module or anchor)
        if not module:
            continue
        names.append(module)
        for member in members.split(","):
            member = member.strip().split()[0] if member.strip() else ""
            if member:
                names.append(f"{module}.{member}")
    return names


def module_name_for(
    path: Path, packages: dict[Path, tuple[tuple[str, ...], Path]] | None = None
) -> tuple[str, bool, Path]:
    """(dotted module name, is a package `__init__`, the source root it is relative to).

    `packages` memoizes the walk up the folders (`_package_chain`) across calls, for a
    caller that asks about many files of one tree; then `path` must be resolved."""
    if packages is None:
        path, packages = path.resolve(), {}
    is_package = path.name in ("__init__.py", "__init__.pyi")
    chain, root = _package_chain(path.parent, packages)
    parts = [*([] if is_package else [path.stem]), *chain]
    return ".".join(reversed(parts)), is_package, root


def _package_chain(
    folder: Path, memo: dict[Path, tuple[tuple[str, ...], Path]]
) -> tuple[tuple[str, ...], Path]:
    """The package names from `folder` up (innermost first) and the first folder above
    them that is not a package (the source root)."""
    known = memo.get(folder)
    if known is not None:
        return known
    if (folder / "__init__.py").is_file() or (folder / "__init__.pyi").is_file():
        if folder.parent == folder:
            known = ((folder.name,), folder)
        else:
            above, root = _package_chain(folder.parent, memo)
            known = ((folder.name, *above), root)
    else:
        known = ((), folder)
    memo[folder] = known
    return known


class ModuleFinder:
    """Module names and module files of one configuration's project, once per path."""

    def __init__(self, config: Config) -> None:
        self.roots: list[Path] = []
        self._real_paths: dict[str, Path] = {}  # see `real_path`
        self._real_names: dict[str, str] = {}  # real paths discovery told, as strings
        self._module_paths: dict[tuple[str, Path | None], Path | None] = {}
        self._root_prefixes: dict[Path, tuple[str, str]] = {}
        self._module_names: dict[str, tuple[str, bool, Path]] = {}
        self._source_roots: dict[str, Path] = {}
        # The folders resolution listed and the package folders above the files it
        # named: what the import scan's memo records (`graph_memo.py`).
        self.listings: dict[str, frozenset[str]] = {}
        self.packages: dict[Path, tuple[tuple[str, ...], Path]] = {}
        # Whether a module was found through a symlink (a memo of the resolution could
        # then be wrong without any folder's stat changing).
        self.linked = False
        for root in config.source_roots():
            self._add_root(root)

    def _add_root(self, root: Path) -> None:
        root = self.real_path(root)
        if root not in self.roots and root.is_dir():
            self.roots.append(root)

    def real_path(self, path: Path) -> Path:
        """`path.resolve()`, once per path. A file that is not a symlink is its folder's
        real path and its name: the folder is resolved once for all of its files
        (`resolve` walks every component with system calls, 0.2 ms a file: a fifth of
        a second for a worker's share of a 2,800-file tree), and the file costs one
        `lstat`."""
        key = str(path)
        real = self._real_paths.get(key)
        if real is None:
            told = self._real_names.get(key)
            if told is not None:
                real = Path(told)
            elif path.is_absolute() and path.name not in ("", "..") and not os.path.islink(key):
                real = self.real_path(path.parent) / path.name
            else:
                real = path.resolve()
            self._real_paths[key] = real
        return real

    def real_name(self, path: str) -> str:
        """`str(self.real_path(path))` without making a `Path` when discovery listed it
        (the scan asks for each of a project's thousands of files)."""
        told = self._real_names.get(path)
        return told if told is not None else str(self.real_path(Path(path)))

    def module_name(self, path: Path) -> tuple[str, bool, Path]:
        """`module_name_for(path)`, once per path."""
        key = str(path)
        known = self._module_names.get(key)
        if known is None:
            known = module_name_for(self.real_path(path), self.packages)
            self._module_names[key] = known
        return known

    def find_module(self, name: str, near_path: str | None = None) -> Path | None:
        """The file of project module `name`, searching the importing file's root first."""
        return self.find_from(name, self.root_of(near_path))

    def find_from(self, name: str, first: Path | None) -> Path | None:
        """`find_module` with the importing file's source root known (the import scan
        asks for every import of a file: the root is looked up once per file)."""
        cache_key = (name, first)
        if cache_key in self._module_paths:
            return self._module_paths[cache_key]
        found: Path | None = None
        if name:
            *packages, last = name.split(".")
            inner = os.sep.join(packages)
            roots = ([first] if first is not None else []) + self.roots
            for root in roots:
                # Joined as text: the parts are identifiers (a scan of a 4,000-file tree
                # asks 80,000 times, and `os.path.join` was half of the scan's time).
                text, prefix = self._root_texts(root)
                base, under = (prefix + inner, prefix + inner + os.sep) if inner else (text, prefix)
                # `last/__init__.py` is looked for only when the listing of `base` shows
                # `last`: most imported names are members, not modules, and listing a
                # folder that does not exist failed thousands of times in a large tree.
                module_file = last + ".py"
                candidate = under + module_file
                if not (self.listed(base, module_file) and os.path.isfile(candidate)):
                    folder = under + last
                    candidate = folder + os.sep + "__init__.py"
                    if not (
                        self.listed(base, last)
                        and self.listed(folder, "__init__.py")
                        and os.path.isfile(candidate)
                    ):
                        continue
                found = self.real_path(Path(candidate))
                # A symlink's target can change without any folder's stat changing.
                self.linked = self.linked or str(found) != candidate
                break
        self._module_paths[cache_key] = found
        return found

    def _root_texts(self, root: Path) -> tuple[str, str]:
        """A source root as text, and as text ending with the path separator."""
        texts = self._root_prefixes.get(root)
        if texts is None:
            texts = self._root_prefixes[root] = (str(root), os.path.join(str(root), ""))
        return texts

    def listed(self, folder: str, entry: str) -> bool:
        """Whether `folder` holds `entry`, from one listing of the folder per run (most
        imported names are not project modules: a listing answers them without a system
        call each)."""
        names = self.listings.get(folder)
        if names is None:
            try:
                names = frozenset(os.listdir(folder))
            except OSError:
                names = frozenset()
            self.listings[folder] = names
        return entry in names

    def root_of(self, near_path: str | None) -> Path | None:
        if near_path is None:
            return None
        root = self._source_roots.get(near_path)
        if root is None:
            root = self.module_name(Path(near_path))[2]
            self._source_roots[near_path] = root
        return root

    def tell_real(self, listed: str, real: str) -> None:
        """Discovery's walk knows the real path of each file it listed: no resolve."""
        self._real_names.setdefault(listed, real)

    def imported_files(self, source: str, path: Path) -> Iterator[Path]:
        """The project files the import lines of `source` (the text of `path`) name, read
        textually, one at a time (`imports_redis_module` stops at the first that
        mentions Redis)."""
        if "import" not in source:
            return
        name, is_package, _ = self.module_name(path)
        package = name if is_package else name.rpartition(".")[0]
        near = str(self.real_path(path))
        for candidate in imported_modules(source, package):
            found = self.find_module(candidate, near)
            if found is not None:
                yield found

    def package_of(self, path: Path) -> str:
        """The package a file's relative imports are relative to."""
        name, is_package, _ = self.module_name(path)
        return name if is_package else name.rpartition(".")[0]
