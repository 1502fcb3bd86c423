"""Which files to check: explicit paths, directory walks, excludes and .gitignore.

- An explicitly named file is always checked (whatever its name, even when excluded or
  gitignored): the user asked for it, as in ruff without `--force-exclude`.
- A directory (explicit or found) is walked for `*.py` and `*.pyi` (and, when the caller
  passes `wanted`, other files: the runner adds deployment files for RL6xx), skipping the
  built-in tool/VCS/virtualenv directories (`DEFAULT_EXCLUDED_DIRS`, and any directory
  holding a `pyvenv.cfg`), the config's `exclude` patterns (relative to the config root)
  and whatever `.gitignore` files ignore. An explicitly named directory is walked even if
  its own name would be excluded.
- `.gitignore` semantics come from `pathspec` (gitwildmatch, git's precedence: a deeper
  .gitignore overrides a shallower one, the last matching line wins, `!` re-includes).
  The files read are every .gitignore from the walked directory up to the git root (the
  nearest directory holding `.git`; its `.git/info/exclude` too), or up to the config
  root when there is no repository or when the config says `root = true`; below it, each
  nested .gitignore applies to its own subtree.
- Symlinked directories are followed, after the real tree, and each real directory is
  walked once: a symlink loop cannot hang the walk, and a file reachable twice is listed
  once, under its real location when the walk saw that.
- Problems (a path that does not exist, a directory that cannot be read) become entries in
  `DiscoveryResult.errors`; discovery itself never raises for them.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from redislint.config import Config, display_path
from redislint.walk_memo import PROBES, WalkMemo, WalkRecorder, replay, walk_key

if TYPE_CHECKING:
    import pathspec

PYTHON_SUFFIXES: tuple[str, ...] = (".py", ".pyi")

# Never worth walking: VCS metadata, virtualenvs, caches, build output, vendored JS.
DEFAULT_EXCLUDED_DIRS: frozenset[str] = frozenset(
    {
        ".bzr",
        ".direnv",
        ".eggs",
        ".git",
        ".hg",
        ".ipynb_checkpoints",
        ".mypy_cache",
        ".nox",
        ".pytest_cache",
        ".redislint_cache",
        ".ruff_cache",
        ".svn",
        ".tox",
        ".venv",
        "__pycache__",
        "__pypackages__",
        "_build",
        "buck-out",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        "venv",
    }
)

_IgnoreStack = tuple[tuple[str, "pathspec.PathSpec"], ...]


@dataclass
class DiscoveryResult:
    """The files to check (absolute, sorted, unique by real path) and what went wrong.

    `errors` holds (path as the user should read it, message) pairs, e.g.
    ("missing.py", "No such file or directory").
    """

    names: list[str] = field(default_factory=list)  # the files, as strings (see `files`)
    errors: list[tuple[str, str]] = field(default_factory=list)
    # With `explain` (`check --verbose`): (absolute path, why it was left out), for each
    # walked file or directory not listed; directories end with "/".
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Each listed file's real path (symlinks resolved), by the path as listed: the walk
    # knows it, and `Path.resolve()` costs a system call per component of every path.
    real_paths: dict[str, str] = field(default_factory=dict)
    # Whether the list came from the memo of an earlier walk (no walked folder changed).
    replayed: bool = False

    @cached_property
    def files(self) -> list[Path]:
        """The files as `Path`s, made on first use: a warm run answered from the cache
        needs only `names` (a `Path` costs microseconds, for thousands of files)."""
        return _as_paths(self.names)


def discover(
    paths: Sequence[str],
    config: Config,
    cwd: Path,
    *,
    force_exclude: bool = False,
    wanted: Callable[[str, str], bool] | None = None,
    explain: bool = False,
    memo: WalkMemo | None = None,
) -> DiscoveryResult:
    """Expand the command-line paths (relative to `cwd`; none means ".") into files.

    Returned paths are absolute and normalised but not symlink-resolved, so reports can
    show them as the user knows them; duplicates (the same real file reached twice) are
    dropped. Files named explicitly are checked even when `exclude` matches them, unless
    `force_exclude` (ruff's `--force-exclude`: pre-commit names every file it checks).

    With `memo` (a warm run), walks of directories are answered from the memo of an
    earlier identical walk when nothing it read changed (`walk_memo.py`), and recorded
    otherwise. `memo.label` must name what `wanted` lists.
    """
    walker = _Walker(config, cwd)
    walker.force_exclude = force_exclude
    if wanted is not None:
        walker.wanted = wanted
    walker.explain = explain
    args = list(paths or ["."])
    tops = [os.path.normpath(os.path.join(walker.cwd, arg)) for arg in args]
    key = None
    if memo is not None and not explain and all(os.path.isdir(top) for top in tops):
        key = walk_key(memo, str(walker.cwd), tops, force_exclude)
        found = replay(memo.store.load_walk(key), str(walker.cwd), walker.relisted_digest)
        if found is not None:  # recorded from a result: sorted, one path per real file
            return DiscoveryResult(
                names=[path for path, _ in found],
                real_paths=dict(found),
                replayed=True,
            )
        walker.recorder = WalkRecorder() if memo.record else None
    for arg in args:
        walker.explicit(arg)
    result = walker.result()
    recorder = walker.recorder
    if memo and key and recorder and recorder.usable and not result.errors:
        listed = [(path, result.real_paths[path]) for path in result.names]
        memo.store.save_walk(key, recorder.payload(str(walker.cwd), listed))
    return result


# `--fix` writes `.NAME.<pid>.XXXX.redislint-tmp` beside the file and renames it over
# the file; a process killed in between leaves it behind. Every later run that walks
# the directory removes those whose writer is gone (or that are over an hour old), so
# no debris stays for `git add .` to pick up.
FIX_TEMP_SUFFIX = ".redislint-tmp"
# Files in a listing that change what the walk does there, whatever `wanted` says.
_WALK_CHANGING_NAMES = ("pyvenv.cfg", ".gitignore")
_STALE_AFTER_SECONDS = 3600


def fix_temporary_prefix(target_name: str) -> str:
    return f".{target_name}.{os.getpid()}."


def remove_if_stale(path: str) -> bool:
    """Remove one of `--fix`'s temporaries when the process that wrote it is gone."""
    parts = os.path.basename(path).removesuffix(FIX_TEMP_SUFFIX).split(".")
    pid = int(parts[-2]) if len(parts) >= 3 and parts[-2].isdigit() else None
    try:
        fresh = time.time() - os.lstat(path).st_mtime < _STALE_AFTER_SECONDS
        if pid is not None and fresh and _is_running(pid):
            return False
        os.unlink(path)
        return True
    except OSError:
        return False


def _is_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's process
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed process nobody has reaped yet (containers whose init does not reap)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()[:1] == ["Z"]
    except OSError:
        return False


def is_python_file(name: str) -> bool:
    """Whether a walked file is one we check (explicit files are checked whatever the name)."""
    return name.endswith(PYTHON_SUFFIXES)


def prefilter(text: str, config: Config) -> bool:
    """Whether the source mentions Redis at all; False means: do not even parse it.

    Plain substring tests (the parse costs far more than this): "redis" in any case
    (imports, `Redis(`, `get_redis_connection`, `RedisCluster`), and the last component of
    each configured factory and client name (a file may use them with no import of redis).
    A file that uses a client imported from another project module passes through
    `ProjectIndex.imports_redis_module` instead. It may say True for a file that has
    nothing to do with Redis.
    """
    if "redis" in text.lower():
        return True
    for dotted in (*config.client_factories, *config.client_names, *config.client_replicas):
        needle = dotted.rpartition(".")[2]
        if needle and needle in text:
            return True
    return False


# What a file the prefilter lets through costs, per byte, against one it skips: libcst's
# parse with the model and the rules (about 1.3 us a character, and the modules it
# imports), against CPython's syntax check alone (about 0.1 us).
PARSED_WEIGHT = 20


def check_weight(data: bytes, config: Config) -> int:
    """An estimate of what checking a file costs, for sharing work out between workers
    (`parallel.balanced_shards`): its size, many times over when the prefilter will let
    it through. On the bytes, without decoding: the parent weighs every file of the run
    (40 ms for 42 MB), and a wrong guess only costs balance."""
    if b"redis" in data.lower():
        return len(data) * PARSED_WEIGHT
    for dotted in (*config.client_factories, *config.client_names, *config.client_replicas):
        needle = dotted.rpartition(".")[2].encode("utf-8", "surrogateescape")
        if needle and needle in data:
            return len(data) * PARSED_WEIGHT
    return len(data)


def _as_paths(ordered: Sequence[str]) -> list[Path]:
    """`Path` objects for sorted file paths, each made from its folder's (made once):
    half the cost of parsing every whole path, for thousands of files."""
    folders: dict[str, Path] = {}
    paths: list[Path] = []
    for path in ordered:
        folder, name = os.path.split(path)
        parent = folders.get(folder)
        if parent is None:
            parent = folders[folder] = Path(folder)
        paths.append(parent / name)
    return paths


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _sorted_listing(directory: str) -> list[os.DirEntry[str]]:
    """The entries of `directory` by name, as the walk lists them and as a memo's replay
    lists them again to compare (`_Walker.listing_digest`)."""
    with os.scandir(directory) as iterator:
        return sorted(iterator, key=_entry_name)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class _Walker:
    """The state of one discovery run: files found so far, errors, directories walked."""

    def __init__(self, config: Config, cwd: Path) -> None:
        self.config = config
        self.cwd = Path(os.path.abspath(cwd))
        self.config_root = os.path.normpath(os.path.abspath(config.root))
        self.files: dict[str, str] = {}  # real path -> path as walked
        self.errors: list[tuple[str, str]] = []
        self.visited: set[str] = set()  # real paths of directories already walked
        self.deferred: list[tuple[str, str, _IgnoreStack]] = []  # symlinked dirs
        self.force_exclude = False  # apply `exclude` to explicitly named files too
        # Which walked files are listed, by (name, path): Python files unless the caller
        # also wants deployment files (the runner, for RL6xx).
        self.wanted: Callable[[str, str], bool] = lambda name, _path: is_python_file(name)
        self.explain = False  # `check --verbose`: record why each left-out path is
        self.skipped: list[tuple[str, str]] = []
        self.recorder: WalkRecorder | None = None  # what a memoized walk read

    def probe(self, kind: str, path: str) -> bool:
        """`os.path.exists` ("e") or `os.path.isfile` ("f"), recorded for the memo."""
        if self.recorder is not None:
            return self.recorder.probe(kind, path)
        return PROBES[kind](path)

    def result(self) -> DiscoveryResult:
        # Sorted as `Path` objects compare (component by component), without building
        # a `Path` for each comparison.
        ordered = sorted(self.files.values(), key=lambda p: os.path.normcase(p).split(os.sep))
        return DiscoveryResult(
            names=ordered,
            real_paths={path: real for real, path in self.files.items()},
            errors=self.errors,
            skipped=self.skipped,
        )

    def display(self, path: str) -> str:
        return display_path(path, self.cwd)

    def add_file(self, path: str, real: str) -> None:
        known = self.files.get(real)
        # Prefer the file's own location over a path through a symlink.
        if known is None or (known != real and path == real):
            self.files[real] = path

    # -- explicit arguments ---------------------------------------------------------

    def explicit(self, arg: str) -> None:
        path = os.path.normpath(os.path.join(self.cwd, arg))
        try:
            info = os.stat(path)
        except OSError as exc:
            self.errors.append((arg, _reason(exc)))
            return
        if stat.S_ISDIR(info.st_mode):
            self.walk(path)
        elif stat.S_ISREG(info.st_mode):
            if self.force_exclude and self.config.is_excluded(self.config.relative_path(path)):
                if self.explain:
                    self.skip(
                        path, False, f"{self.ignore_reason(path, False, ())} (--force-exclude)"
                    )
                return
            self.add_file(path, os.path.realpath(path))
        else:
            self.errors.append((arg, "not a regular file or directory"))

    # -- walking --------------------------------------------------------------------

    def walk(self, top: str) -> None:
        top_real = os.path.realpath(top)
        if self.recorder is not None:
            self.recorder.tops.append((top, top_real))
        stack: list[tuple[str, str, _IgnoreStack]] = [(top, top_real, self.ancestor_ignores(top))]
        while stack or self.deferred:
            if not stack:  # the real tree is done: now follow symlinked directories
                stack.append(self.deferred.pop(0))
            directory, real, ignores = stack.pop()
            if real in self.visited:
                continue
            self.visited.add(real)
            if self.recorder is not None:
                self.recorder.directory(real)  # before the listing: see walk_memo.py
            stack.extend(reversed(self.walk_one(directory, real, ignores, directory == top)))

    def listing_digest(self, directory: str, entries: Sequence[os.DirEntry[str]]) -> str | None:
        """A digest of what `walk_one` acts on in a listing (`walk_memo.py`): each
        subdirectory, each file `wanted` lists and the names that change the walk
        (`pyvenv.cfg`, `.gitignore`), each with its type. Whatever else comes and goes
        beside them (an editor's temporary, a log, a report) changes nothing. None when
        the listing holds a symlink or a `--fix` temporary: no listing vouches for those."""
        kept: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                if entry.is_symlink() or name.endswith(FIX_TEMP_SUFFIX):
                    return None
                if entry.is_dir():
                    if name not in DEFAULT_EXCLUDED_DIRS:  # never walked (the cache's own)
                        kept.append("d" + name)
                elif name in _WALK_CHANGING_NAMES or self.wanted(name, entry.path):
                    kept.append(("f" if entry.is_file() else "o") + name)
            except OSError:
                return None
        # 64 bits tell one folder's listings apart; the memo holds one per folder
        text = "\0".join(kept).encode("utf-8", "surrogateescape")
        return hashlib.blake2b(text, digest_size=8).hexdigest()

    def relisted_digest(self, directory: str) -> str | None:
        """`listing_digest` of `directory` listed now (a memo's replay asks)."""
        try:
            return self.listing_digest(directory, _sorted_listing(directory))
        except OSError:
            return None

    def walk_one(
        self, directory: str, real: str, ignores: _IgnoreStack, named: bool = False
    ) -> list[tuple[str, str, _IgnoreStack]]:
        """List one directory: record its files, return its subdirectories to walk.

        A virtualenv (a folder holding `pyvenv.cfg`, under any name) is left out when
        its listing shows it, unless it is the folder the user named: one listing per
        folder, not one more system call per subfolder to look for the file."""
        try:
            entries = _sorted_listing(directory)
        except OSError as exc:
            self.errors.append((self.display(directory), _reason(exc)))
            return []
        if self.recorder is not None:
            # a directory listed under another path: `wanted` saw that one, no digest
            same = directory == real
            self.recorder.listed(real, self.listing_digest(real, entries) if same else None)
        if not named and any(e.name == "pyvenv.cfg" for e in entries):
            if self.explain:
                self.skip(directory, True, "a virtualenv (it holds pyvenv.cfg)")
            return []
        if any(e.name == ".gitignore" for e in entries):
            spec = self.read_ignore_file(os.path.join(directory, ".gitignore"))
            if spec is not None:
                ignores = (*ignores, (directory, spec))
        subdirs: list[tuple[str, str, _IgnoreStack]] = []
        for entry in entries:
            if entry.name.endswith(FIX_TEMP_SUFFIX):
                remove_if_stale(entry.path)
                if self.recorder is not None:
                    self.recorder.usable = False  # its removal is a matter of time
                continue
            try:
                is_dir = entry.is_dir()
                is_link = entry.is_symlink()
            except OSError:  # e.g. a symlink loop pointing at itself
                continue
            if is_link and self.recorder is not None:
                self.recorder.usable = False  # its target may change elsewhere
            if is_dir:
                if entry.name in DEFAULT_EXCLUDED_DIRS or self.ignored(entry.path, True, ignores):
                    if self.explain:
                        reason = (
                            f"a directory excluded by default ({entry.name})"
                            if entry.name in DEFAULT_EXCLUDED_DIRS
                            else self.ignore_reason(entry.path, True, ignores)
                        )
                        self.skip(entry.path, True, reason)
                    continue
                child_real = (
                    os.path.realpath(entry.path) if is_link else os.path.join(real, entry.name)
                )
                if child_real in self.visited:
                    continue
                if is_link:
                    self.deferred.append((entry.path, child_real, ignores))
                else:
                    subdirs.append((entry.path, child_real, ignores))
            elif self.wanted(entry.name, entry.path):
                try:
                    if not entry.is_file():
                        continue  # a broken symlink, a socket...
                except OSError:
                    continue
                if self.ignored(entry.path, False, ignores):
                    if self.explain:
                        self.skip(entry.path, False, self.ignore_reason(entry.path, False, ignores))
                    continue
                child_real = (
                    os.path.realpath(entry.path) if is_link else os.path.join(real, entry.name)
                )
                self.add_file(entry.path, child_real)
            elif self.explain and entry.name != ".gitignore":
                self.skip(entry.path, False, "not a Python or Redis deployment file")
        return subdirs

    # -- `check --verbose`: why a path was left out -----------------------------------

    def skip(self, path: str, is_dir: bool, reason: str) -> None:
        self.skipped.append((path + ("/" if is_dir else ""), reason))

    def ignore_reason(self, path: str, is_dir: bool, ignores: _IgnoreStack) -> str:
        """Which `exclude` pattern or .gitignore rule leaves the path out (as `ignored`)."""
        pattern = self.config.excluded_by(self.config.relative_path(path), is_dir)
        if pattern is not None:
            where = (
                display_path(self.config.config_path, self.cwd) if self.config.config_path else ""
            )
            overrides = self.config.exclude_overrides
            if pattern in (*(overrides[0] or ()), *overrides[1]):
                where = "--exclude" if pattern in (overrides[0] or ()) else "--extend-exclude"
            source = f" ({where})" if where else ""
            return f"excluded by pattern {pattern!r}{source}"
        for base, spec in reversed(ignores):
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if rel.startswith("../"):
                continue
            found = spec.check_file(rel + "/" if is_dir else rel)
            if found.include is not None and found.index is not None:
                line = spec.patterns[found.index]
                text = getattr(line, "pattern", None) or "a rule"
                shown = self.display(base).rstrip("/") + "/"
                return f"ignored by {text!r} (the .gitignore rules of {shown})"
        return "ignored"

    def ignored(self, path: str, is_dir: bool, ignores: _IgnoreStack) -> bool:
        """Whether `exclude` or a .gitignore leaves this walked path out."""
        if self.config.exclude and self.config.is_excluded(self.config.relative_path(path), is_dir):
            return True
        # The deepest .gitignore with an opinion decides (git's precedence).
        for base, spec in reversed(ignores):
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if rel.startswith("../"):
                continue
            if is_dir:
                rel += "/"
            include = spec.check_file(rel).include
            if include is not None:
                return include
        return False

    # -- .gitignore files above the walked directory ----------------------------------

    def ancestor_ignores(self, top: str) -> _IgnoreStack:
        """The ignore specs that apply to `top` from directories above it (and the
        repository's .git/info/exclude), shallowest first."""
        git_root = find_git_root(top, lambda path: self.probe("e", path))
        boundary: str | None = git_root
        config_root = self.config_root
        config_contains_top = _is_within(top, config_root)
        if config_contains_top and (
            git_root is None or (self.config.is_root and _is_within(config_root, git_root))
        ):
            boundary = config_root
        stack: list[tuple[str, pathspec.PathSpec]] = []
        if git_root is not None and boundary == git_root:
            info_exclude = os.path.join(git_root, ".git", "info", "exclude")
            if self.probe("f", info_exclude):
                spec = self.read_ignore_file(info_exclude)
                if spec is not None:
                    stack.append((git_root, spec))
        if boundary is None:
            return tuple(stack)
        chain: list[str] = []
        current = os.path.dirname(top)
        if top != boundary:
            while True:
                chain.append(current)
                if current == boundary or os.path.dirname(current) == current:
                    break
                current = os.path.dirname(current)
        for directory in reversed(chain):
            gitignore = os.path.join(directory, ".gitignore")
            if self.probe("f", gitignore):
                spec = self.read_ignore_file(gitignore)
                if spec is not None:
                    stack.append((directory, spec))
        return tuple(stack)

    def read_ignore_file(self, path: str) -> pathspec.PathSpec | None:
        import pathspec  # only a tree with ignore files pays for its import

        if self.recorder is not None:
            self.recorder.ignore_file(path)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError as exc:
            self.errors.append((self.display(path), _reason(exc)))
            return None
        try:
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except Exception:  # one bad line must not drop the file: keep the good lines
            good: list[str] = []
            for line in lines:
                try:
                    pathspec.GitIgnoreSpec.from_lines([line])
                except Exception:  # git itself skips lines it cannot parse
                    continue
                good.append(line)
            spec = pathspec.GitIgnoreSpec.from_lines(good)
        return spec if spec.patterns else None


def _is_within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def find_git_root(start: str, exists: Callable[[str], bool] = os.path.exists) -> str | None:
    """The nearest directory at or above `start` holding `.git` (a directory, or a file
    in worktrees and submodules)."""
    current = start
    while True:
        if exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
