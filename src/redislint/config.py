"""Load and validate `[tool.redislint]` (pyproject.toml) or redislint.toml / .redislint.toml.

INTERFACE (stable):
- `Config`: the validated settings, immutable, picklable.
- `ConfigError(message)`: raised for bad config; the message names the file, the key
  and what was expected, e.g. `pyproject.toml: [tool.redislint] cache-ttl: expected an
  integer greater than 0, got "abc"`. The CLI prints it and exits 2.
- `find_config_file(start: Path) -> Path | None`: walk upwards from `start` (a file or a
  directory) and return the first pyproject.toml that has a [tool.redislint] table, or
  redislint.toml / .redislint.toml (checked in that order in each directory:
  redislint.toml, .redislint.toml, pyproject.toml). Stops at the first config found
  (whether or not it says `root = true`) and at the filesystem root.
- `load_config(path: Path | None) -> Config`: parse and validate one file (None: defaults).
- `resolve_config(start, explicit, isolated) -> Config`: what the CLI calls.

Why the validation is strict: a typo in a config key silently does nothing, and for a
linter "nothing" means findings quietly disappear or appear. Every unknown key and every
value of the wrong shape is an error that points at the exact key.

`root = true` marks the config's directory as the top of the project: besides being
where the upward config search ends (it always ends at the first config), discovery
reads no `.gitignore` above it.

Rule selection follows ruff: each layer (the config file, then each set of command-line
overrides) is resolved by specificity (`ALL` < `RL` < `RL2` < `RL20` < `RL201`; on a tie
`ignore` wins); a layer with `select` replaces the running set, a layer without one
only adds (`extend-select`) and removes (`ignore`).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

if TYPE_CHECKING:  # imported where patterns are compiled: a warm run may need none
    import pathspec


try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python < 3.11 (pyproject pins tomli there)
    import tomli as tomllib  # type: ignore[no-redef]

Role = Literal["cache", "ephemeral", "critical", "primary"]
KeyType = Literal["string", "hash", "list", "set", "zset", "stream"]

ROLES: tuple[str, ...] = get_args(Role)
KEY_TYPES: tuple[str, ...] = get_args(KeyType)

DEFAULT_TEST_PATHS: tuple[str, ...] = (
    "tests/",
    "test/",
    "testing/",
    "test_*.py",
    "*_test.py",
    "conftest.py",
)
# Where imports of project modules are looked for (ruff's default `src`).
DEFAULT_SRC: tuple[str, ...] = (".", "src")
DEFAULT_CACHE_PATTERNS: tuple[str, ...] = ("cache:*", "*:cache:*", "*_cache:*")

CONFIG_FILE_NAMES: tuple[str, ...] = ("redislint.toml", ".redislint.toml", "pyproject.toml")

# "RL", "RL2", "RL20", "RL201" or "ALL": the only selector shapes we can resolve.
_SELECTOR_RE = re.compile(r"RL\d{0,3}")
_SELECTOR_EXPECTED = 'a rule code or prefix like "RL", "RL2", "RL201" or "ALL"'


class ConfigError(Exception):
    """Bad configuration: the message names the file, the key and what was expected."""


# The largest `EX` Redis accepts: the expiry in milliseconds since the epoch must fit a
# signed 64-bit integer (`ERR invalid expire time` otherwise); this bound holds until
# the year 2100.
MAX_EXPIRE_SECONDS = (2**63 - 1) // 1000 - 4_102_444_800


@dataclass(frozen=True)
class KeyspaceEntry:
    pattern: str
    role: Role
    type: KeyType | None = None


@dataclass(frozen=True)
class DeploymentMapping:
    """One `[[tool.redislint.deployment]]`: which roles the deployment at `path` holds.

    `path` is relative to the config root and may name any file of the deployment;
    `service` narrows it to one Compose service or Kubernetes container."""

    path: str
    serves: tuple[Role, ...]
    service: str | None = None


@dataclass(frozen=True)
class ClientName:
    """One `clients.names` entry: a name or attribute path that is a client, of which
    kind, and (optionally) only in the files a glob matches (`"app/storage.py:self.conn"`).

    Scoping matters because names repeat: declaring `self.conn` for one module must not
    make every `self.conn` of the project (a database connection elsewhere) a client.
    """

    name: str
    module: str | None = None  # gitignore-style glob, relative to the config root
    is_async: bool = False
    cluster: bool = False

    def applies_to(self, rel_path: str) -> bool:
        """Whether the entry holds in the file at `rel_path` (relative to the root)."""
        return self.module is None or _path_spec((self.module,)).match_file(
            _normalize_rel(rel_path)
        )


@dataclass(frozen=True)
class RuleSelection:
    """One layer of rule selection (the config file's, or one set of command-line options).

    Kept as layers rather than merged lists because merging loses ruff's meaning:
    `--select RL404` on the command line must win over `ignore = ["RL404"]` in the file,
    and `--ignore RL2` must win over a more specific `select = ["RL201"]` in the file.
    """

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] | None = None  # None: the default selection
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    test_paths: tuple[str, ...] = DEFAULT_TEST_PATHS
    cluster: bool = False
    cache_ttl: int | None = None
    client_factories: tuple[str, ...] = ()
    client_names: tuple[str, ...] = ()
    keyspace: tuple[KeyspaceEntry, ...] = ()
    primary_db_writes: tuple[str, ...] = ()
    # Where the config came from (None: defaults) and the directory paths are relative to.
    config_path: Path | None = None
    root: Path = field(default_factory=Path.cwd)
    # `root = true` in the file: the project's top; discovery reads no .gitignore above it.
    is_root: bool = False
    # Command-line selection layers applied after the file's own (see `with_overrides`).
    selection_overrides: tuple[RuleSelection, ...] = ()
    # RL6xx: extra places holding Redis deployment config, and which roles each serves.
    deploy_paths: tuple[str, ...] = ()
    deployments: tuple[DeploymentMapping, ...] = ()
    # Folders that imports are resolved from (ruff's `src`), relative to `root`.
    src: tuple[str, ...] = DEFAULT_SRC
    # `clients.names` with their kind and scope (`client_names` keeps the bare names)
    client_name_entries: tuple[ClientName, ...] = ()

    def source_roots(self) -> tuple[Path, ...]:
        """The folders an import of a project module is looked for in, after the
        importing file's own source root (`src`, in order, relative to the config
        root). Fixed by the configuration, so that what an import resolves to never
        depends on which files a run checks or in which order."""
        return tuple(self.root / os.path.expanduser(folder) for folder in self.src)

    def client_name_specs(self) -> tuple[ClientName, ...]:
        """The declared client names, with kind and scope (plain `client_names` given
        directly, as tests do, are unscoped sync clients)."""
        if self.client_name_entries:
            return self.client_name_entries
        return tuple(ClientName(name) for name in self.client_names)

    # [clients] replicas: names or factories that give clients reading from a replica.
    client_replicas: tuple[str, ...] = ()
    # `check --cache-dir`: where the results cache lives (None: `<root>/.redislint_cache`);
    # not part of the cache key, so it stays out of repr and equality.
    cache_dir: Path | None = field(default=None, repr=False, compare=False)

    def effective_keyspace(self) -> tuple[KeyspaceEntry, ...]:
        """The declared keyspace, or the default cache patterns when none is declared."""
        if self.keyspace:
            return self.keyspace
        return tuple(KeyspaceEntry(p, "cache") for p in DEFAULT_CACHE_PATTERNS)

    # -- rule selection -------------------------------------------------------------

    def with_overrides(
        self,
        *,
        select: Iterable[str] | None = None,
        ignore: Iterable[str] = (),
        extend_select: Iterable[str] = (),
    ) -> Config:
        """This config with command-line `--select/--ignore/--extend-select` applied.

        Command-line select replaces the file's selection; ignore and extend-select add to
        it. Values may be comma-separated ("RL1,RL2") as click passes them through.
        Raises ConfigError (naming the option) for a malformed code.
        """
        layer = RuleSelection(
            select=None if select is None else _cli_codes("--select", select),
            ignore=_cli_codes("--ignore", ignore),
            extend_select=_cli_codes("--extend-select", extend_select),
        )
        if layer == RuleSelection():
            return self
        return replace(self, selection_overrides=(*self.selection_overrides, layer))

    def selection_layers(self) -> tuple[RuleSelection, ...]:
        """The file's selection followed by the command-line layers, in the order applied."""
        own = RuleSelection(self.select, self.ignore, self.extend_select)
        inherited = tuple(layer for _, layer in self.extended_selections)
        return (*inherited, own, *self.selection_overrides)

    def selected_codes(
        self, all_codes: Iterable[str], default_codes: Iterable[str]
    ) -> frozenset[str]:
        """The rule codes to run, with ruff's selection semantics (see the module doc)."""
        known = sorted(set(all_codes))
        current = set(default_codes) & set(known)
        for layer in self.selection_layers():
            updates: dict[str, bool] = {}
            enabling = (*(layer.select or ()), *layer.extend_select)
            for spec in sorted({_specificity(s) for s in (*enabling, *layer.ignore)}):
                for selector in enabling:
                    if _specificity(selector) == spec:
                        updates.update((c, True) for c in _expand(selector, known))
                for selector in layer.ignore:
                    if _specificity(selector) == spec:
                        updates.update((c, False) for c in _expand(selector, known))
            if layer.select is not None:
                current = {code for code, on in updates.items() if on}
            else:
                for code, on in updates.items():
                    if on:
                        current.add(code)
                    else:
                        current.discard(code)
        return frozenset(current)

    def unknown_selectors(self, all_codes: Iterable[str]) -> tuple[str, ...]:
        """Selectors (anywhere in the config) that match no known rule: worth a warning."""
        known = sorted(set(all_codes))
        seen: list[str] = []
        everything = [
            *(s for layer in self.selection_layers() for s in _layer_selectors(layer)),
            *(c for _, codes in self.per_file_ignores for c in codes),
        ]
        for selector in everything:
            if selector not in seen and not _expand(selector, known):
                seen.append(selector)
        return tuple(seen)

    # -- paths ----------------------------------------------------------------------

    def relative_path(self, path: str | os.PathLike[str]) -> str:
        """`path` as a POSIX path relative to the config root, as patterns are matched.

        A path outside the root keeps its absolute form without the leading slash, so
        unanchored patterns (`tests/`, `*_test.py`) still apply to it while anchored ones
        (`/scripts`) cannot match by accident.
        """
        absolute = os.path.normpath(os.path.join(self.root, os.fspath(path)))
        root = os.path.normpath(self.root)
        if absolute == root:
            return "."
        if absolute.startswith(root.rstrip(os.sep) + os.sep):
            rel = absolute[len(root.rstrip(os.sep)) + 1 :]
        else:
            rel = os.path.splitdrive(absolute)[1].lstrip("/\\")
        return rel.replace(os.sep, "/")

    def ignored_for_path(
        self, rel_path: str, all_codes: Iterable[str] | None = None
    ) -> frozenset[str]:
        """Codes ignored for this file by `per-file-ignores` (path relative to the root).

        Without `all_codes` the selectors are returned as written (they may be prefixes
        such as "RL3" or "ALL"); with it they are expanded to the matching codes.
        A pattern starting with "!" applies to every file it does *not* match (as ruff).
        """
        path = _normalize_rel(rel_path)
        found: set[str] = set()
        for pattern, codes in self.per_file_ignores:
            negated = pattern.startswith("!")
            matched = _path_spec((pattern[1:] if negated else pattern,)).match_file(path)
            if matched != negated:
                found.update(codes)
        if all_codes is None:
            return frozenset(found)
        known = sorted(set(all_codes))
        return frozenset(c for selector in found for c in _expand(selector, known))

    def is_test_path(self, rel_path: str) -> bool:
        """Whether the file (path relative to the root) is test code, per `test-paths`."""
        if not self.test_paths:
            return False
        return _path_spec(self.test_paths).match_file(_normalize_rel(rel_path))

    def is_excluded(self, rel_path: str, is_dir: bool = False) -> bool:
        """Whether `exclude` matches the path (relative to the root; dirs end with '/')."""
        if not self.exclude:
            return False
        path = _normalize_rel(rel_path)
        if is_dir and not path.endswith("/"):
            path += "/"
        return _path_spec(self.exclude).match_file(path)

    def check_selectors(self, known_codes: Iterable[str]) -> None:
        """Refuse a selector that matches no rule, naming where it was written.

        As ruff's "Unknown rule selector": a typo such as `--select RL999` or
        `ignore = ["RL9"]` would otherwise run (or skip) nothing and look like a clean
        run. The command-line layers are checked first (the last word of the user), then
        the file's `select`, `ignore`, `extend-select` and `per-file-ignores`.
        """
        known = sorted(set(known_codes))
        sources: list[tuple[str, tuple[str, ...]]] = []
        for layer in self.selection_overrides:
            sources += [
                ("--select", layer.select or ()),
                ("--ignore", layer.ignore),
                ("--extend-select", layer.extend_select),
            ]
        if self.config_path is not None:
            shown = display_path(self.config_path)
            prefix = "[tool.redislint] " if self.config_path.name == "pyproject.toml" else ""
            for key, selectors in (
                ("select", self.select or ()),
                ("ignore", self.ignore),
                ("extend-select", self.extend_select),
            ):
                sources += [(f"{shown}: {prefix}{key}[{i}]", (s,)) for i, s in enumerate(selectors)]
            for pattern, codes in self.per_file_ignores:
                base = f"{shown}: {prefix}per-file-ignores.{_key(pattern)}"
                sources += [(f"{base}[{i}]", (c,)) for i, c in enumerate(codes)]
        for source, selectors in sources:
            for selector in selectors:
                if not _expand(selector, known):
                    raise ConfigError(
                        f"{source}: Unknown rule selector: {_show(selector)} (no rule code "
                        "starts with it; `redislint rules` lists the rules)"
                    )
        for source, layer in self.extended_selections:
            for key, selectors in (
                ("select", layer.select or ()),
                ("ignore", layer.ignore),
                ("extend-select", layer.extend_select),
            ):
                for i, selector in enumerate(selectors):
                    if not _expand(selector, known):
                        raise ConfigError(
                            f"{source}{key}[{i}]: Unknown rule selector: {_show(selector)} "
                            "(no rule code starts with it; `redislint rules` lists the rules)"
                        )

    # `check --exclude/--extend-exclude`: (replacement or None, additions), applied to every
    # configuration of the run, nested ones included (`ConfigSet.for_path`).
    exclude_overrides: tuple[tuple[str, ...] | None, tuple[str, ...]] = (None, ())
    # `extend = "../base.toml"`: the files this configuration extends (nearest first) and
    # their rule-selection layers ("file: prefix", layer), applied before its own, as ruff.
    extends: tuple[Path, ...] = ()
    extended_selections: tuple[tuple[str, RuleSelection], ...] = ()

    def with_exclude(
        self, exclude: Iterable[str] | None = None, extend_exclude: Iterable[str] = ()
    ) -> Config:
        """This config with `--exclude` (replaces `exclude`) and `--extend-exclude` (adds
        to it) applied, as ruff's options. Raises ConfigError naming the option for a
        pattern that cannot match."""
        replacing = None if exclude is None else _cli_globs("--exclude", exclude)
        adding = _cli_globs("--extend-exclude", extend_exclude)
        if replacing is None and not adding:
            return self
        patterns = (*(self.exclude if replacing is None else replacing), *adding)
        return replace(
            self, exclude=tuple(dict.fromkeys(patterns)), exclude_overrides=(replacing, adding)
        )

    def excluded_by(self, rel_path: str, is_dir: bool = False) -> str | None:
        """The `exclude` pattern that leaves the path out (the last matching one, as
        gitignore decides), or None: for `check --verbose`."""
        if not self.is_excluded(rel_path, is_dir):
            return None
        path = _normalize_rel(rel_path)
        if is_dir and not path.endswith("/"):
            path += "/"
        index = _path_spec(self.exclude).check_file(path).index
        return self.exclude[index] if index is not None else None


# -- selection helpers ------------------------------------------------------------------


def _specificity(selector: str) -> int:
    """ALL < RL < RL2 < RL20 < RL201: the longer prefix is the more specific."""
    return 0 if selector == "ALL" else len(selector)


def _expand(selector: str, known: Iterable[str]) -> list[str]:
    if selector == "ALL":
        return list(known)
    return [code for code in known if code.startswith(selector)]


def _layer_selectors(layer: RuleSelection) -> tuple[str, ...]:
    return (*(layer.select or ()), *layer.ignore, *layer.extend_select)


def is_valid_selector(selector: str) -> bool:
    """`RL` followed by up to three digits, or `ALL`."""
    return selector == "ALL" or _SELECTOR_RE.fullmatch(selector) is not None


def _cli_globs(option: str, values: Iterable[str]) -> tuple[str, ...]:
    """Comma-separated gitignore-style patterns from the command line, each checked."""
    patterns: list[str] = []
    for value in [values] if isinstance(values, str) else values:
        for part in value.split(","):
            pattern = part.strip()
            if not pattern:
                continue
            problem = glob_problem(pattern)
            if problem is not None:
                raise ConfigError(f"{option}: {problem}, got {_show(pattern)}")
            patterns.append(pattern)
    return tuple(patterns)


def _cli_codes(option: str, values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    codes: list[str] = []
    for value in values:
        for part in value.split(","):
            code = part.strip()
            if not code:
                continue
            if not is_valid_selector(code):
                raise ConfigError(f"{option}: expected {_SELECTOR_EXPECTED}, got {_show(code)}")
            codes.append(code)
    return tuple(codes)


# -- path pattern helpers ---------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _path_spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    """Compiled gitignore-style patterns, cached at module level so Config stays plain data
    (picklable, hashable) while matching thousands of paths stays cheap."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _normalize_rel(rel_path: str) -> str:
    path = rel_path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def glob_problem(pattern: str) -> str | None:
    """Why a gitignore-style pattern is unusable, or None when it is fine.

    pathspec silently turns some broken patterns (an unclosed '[') into patterns that never
    match; a user who wrote one meant something, so we refuse it instead.
    """
    if not pattern.strip():
        return "expected a non-empty glob pattern"
    problem = bracket_problem(pattern)
    if problem:
        return problem
    import pathspec

    try:
        spec = pathspec.GitIgnoreSpec.from_lines([pattern])
    except Exception as exc:  # pathspec raises its own error types for invalid patterns
        return f"expected a valid glob pattern ({exc})"
    if not pattern.lstrip().startswith("#") and all(p.regex is None for p in spec.patterns):
        return "expected a glob pattern that can match a path"
    return None


def bracket_problem(pattern: str) -> str | None:
    """An unbalanced '[' (honouring backslash escapes), the mistake glob libraries hide."""
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":  # a leading ']' is a literal member
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            if j >= n:
                return f"expected a valid glob pattern (unbalanced '[' at position {i + 1})"
            i = j + 1
            continue
        i += 1
    return None


# -- finding and loading ----------------------------------------------------------------


def display_path(path: str | os.PathLike[str], cwd: Path | None = None) -> str:
    """A path as the user should read it: relative to the working directory when inside."""
    base = os.path.normpath(cwd if cwd is not None else os.getcwd())
    absolute = os.path.normpath(os.path.join(base, os.fspath(path)))
    if absolute == base:
        return "."
    prefix = base.rstrip(os.sep) + os.sep
    if absolute.startswith(prefix):
        return absolute[len(prefix) :]
    return absolute


def _read_toml(path: Path) -> dict[str, Any]:
    shown = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{shown}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{shown}: is a directory, expected a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot read config file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown}: invalid TOML: not UTF-8 (byte {exc.start + 1})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: {_toml_error(exc)}") from None


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """'invalid TOML at line 3, column 7: <reason>' from tomllib's message (3.11 has no
    lineno attribute; the position is only in the text)."""
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if match:
        reason = message[: match.start()]
        return f"invalid TOML at line {match.group(1)}, column {match.group(2)}: {reason}"
    match = re.search(r"\s*\(at end of document\)\s*$", message)
    if match:
        return f"invalid TOML at end of file: {message[: match.start()]}"
    return f"invalid TOML: {message}"


def _pyproject_has_table(path: Path) -> bool:
    """Whether a pyproject.toml configures us; cheap text check before parsing it."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if "redislint" not in text:
        return False
    tool = _read_toml(path).get("tool")
    return isinstance(tool, dict) and "redislint" in tool


def find_config_file(start: Path) -> Path | None:
    """The nearest config at or above `start` (a file or directory), or None.

    In each directory: redislint.toml, .redislint.toml, then pyproject.toml when it has a
    [tool.redislint] table (a pyproject.toml without one is skipped, so a sub-package's
    packaging file does not hide the project's config). Raises ConfigError when a
    pyproject.toml on the way mentions redislint but is not valid TOML.
    """
    current = Path(os.path.abspath(start))
    if not current.is_dir():
        current = current.parent
    for directory in (current, *current.parents):
        found = config_file_in(directory)
        if found is not None:
            return found
    return None


def config_file_in(directory: Path) -> Path | None:
    """The configuration file of `directory` itself (not its parents), or None: the
    first of `CONFIG_FILE_NAMES` there, a pyproject.toml only with a [tool.redislint]
    table."""
    for name in CONFIG_FILE_NAMES:
        candidate = directory / name
        if not candidate.is_file():
            continue
        if name != "pyproject.toml" or _pyproject_has_table(candidate):
            return candidate
    return None


def load_config(path: Path | None) -> Config:
    """Parse and validate one config file; None gives the defaults rooted at the cwd.

    A file named pyproject.toml is read from its [tool.redislint] table (an explicit
    pyproject.toml without one gives the defaults, rooted at its directory); any other
    file holds the keys at its top level.
    """
    if path is None:
        return Config()
    path = Path(os.path.abspath(path))
    table, shown, prefix = _config_table(path)
    if "extend" not in table:
        return _Validator(shown, prefix).config(table, path)
    merged, layers, chain = _extended_table(path, table, shown, prefix, (path,))
    config = _Validator(shown, prefix).config(merged, path)
    return replace(config, extends=chain, extended_selections=layers)


def _config_table(path: Path) -> tuple[dict[str, Any], str, str]:
    """The redislint table of one file, how to name the file, and the key prefix."""
    data = _read_toml(path)
    shown = display_path(path)
    if path.name != "pyproject.toml":
        return data, shown, ""
    tool = data.get("tool", {})
    table = tool.get("redislint", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{shown}: [tool.redislint]: expected a table, got {_show(table)}")
    return table, shown, "[tool.redislint] "


# Options whose tables merge key by key under `extend` (ruff merges its sub-tables so);
# every other option of the extending file replaces the base's value whole.
_MERGED_TABLES = ("clients", "primary-db")
_SELECTION_KEYS = ("select", "ignore", "extend-select")


def _extended_table(
    path: Path, table: dict[str, Any], shown: str, prefix: str, chain: tuple[Path, ...]
) -> tuple[dict[str, Any], tuple[tuple[str, RuleSelection], ...], tuple[Path, ...]]:
    """`table` merged over the chain of files it extends (ruff's `extend`).

    Every file is validated on its own first, so an error names the file it is in. The
    extending file's options win; `clients` and `primary-db` merge key by key; `root`
    is never inherited (it says where *this* file's project starts). Rule selection is
    not merged but layered, base first, exactly as ruff combines `select`, `ignore` and
    `extend-select` across `extend`: a `select` in the extending file replaces what the
    base selected, an `ignore` or `extend-select` adjusts it. Returns the merged table,
    the bases' selection layers (farthest base first) and the chain of bases.
    """
    validator = _Validator(shown, prefix)
    value = table["extend"]
    if not isinstance(value, str) or not value.strip():
        raise validator.expected(
            "extend", 'a path to a configuration file like "../base.toml"', value
        )
    target = Path(os.path.abspath(path.parent / os.path.expandvars(os.path.expanduser(value))))
    if target in chain:
        names = " extends ".join(display_path(p) for p in (*chain, target))
        raise validator.fail(
            "extend", f"circular extension: {names} (a configuration cannot extend itself)"
        )
    if not target.is_file():
        raise validator.fail(
            "extend",
            f"no such configuration file {_show(value)} (looked for {display_path(target)})",
        )
    base, base_shown, base_prefix = _config_table(target)
    if target.name == "pyproject.toml" and not base:
        raise validator.fail(
            "extend", f"{display_path(target)} has no [tool.redislint] table to extend"
        )
    _Validator(base_shown, base_prefix).config(base, target)  # its own errors, named so
    layers: tuple[tuple[str, RuleSelection], ...] = ()
    bases: tuple[Path, ...] = (target,)
    if "extend" in base:
        base, layers, more = _extended_table(
            target, base, base_shown, base_prefix, (*chain, target)
        )
        bases += more
    own = _Validator(base_shown, base_prefix).config(base, target)
    if any(key in base for key in _SELECTION_KEYS):
        layer = RuleSelection(own.select, own.ignore, own.extend_select)
        layers = (*layers, (f"{base_shown}: {base_prefix}", layer))
    merged = {
        key: item for key, item in base.items() if key not in (*_SELECTION_KEYS, "root", "extend")
    }
    for key, item in table.items():
        if key in _MERGED_TABLES and isinstance(merged.get(key), dict) and isinstance(item, dict):
            merged[key] = {**merged[key], **item}
        else:
            merged[key] = item
    return merged, layers, bases


def resolve_config(start: Path, explicit: Path | None, isolated: bool) -> Config:
    """The config for a run: an explicit --config file wins, then --isolated (defaults
    rooted at the cwd), then the nearest config above `start`, else the defaults."""
    if explicit is not None:
        return load_config(explicit)
    if isolated:
        return Config(root=Path.cwd())
    return load_config(find_config_file(start))


# -- validation -------------------------------------------------------------------------


def _show(value: object) -> str:
    """A value as the user wrote it in TOML, for 'got ...' in messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime | date | time):
        return f"a date/time ({value.isoformat()})"
    return repr(value)


def _key(name: str) -> str:
    """A key as it would be written in a TOML key path (quoted when not bare)."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return name
    return json.dumps(name, ensure_ascii=False)


class _Validator:
    """Turns one parsed table into a Config, raising ConfigError at the first problem."""

    def __init__(self, shown: str, prefix: str) -> None:
        self.shown = shown
        self.prefix = prefix

    def fail(self, key_path: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.shown}: {self.prefix}{key_path}: {problem}")

    def expected(self, key_path: str, what: str, got: object) -> ConfigError:
        return self.fail(key_path, f"expected {what}, got {_show(got)}")

    def check_keys(self, table: Mapping[str, Any], allowed: Iterable[str], base: str) -> None:
        allowed = list(allowed)
        for key in table:
            if key in allowed:
                continue
            full = f"{base}{_key(key)}"
            message = f"{self.shown}: {self.prefix}unknown key '{full}'"
            suggestion = _suggest(key, allowed)
            if suggestion is not None:
                message += f" (did you mean '{base}{suggestion}'?)"
            raise ConfigError(message)

    # value checkers: each returns the validated value

    def table(self, value: object, key_path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.expected(key_path, "a table", value)
        return value

    def boolean(self, value: object, key_path: str) -> bool:
        if not isinstance(value, bool):
            raise self.expected(key_path, "a boolean (true or false)", value)
        return value

    def expire_seconds(self, value: object, key_path: str) -> int:
        """A TTL in seconds that Redis accepts: RL201's fix writes it into `ex=`."""
        seconds = self.positive_int(value, key_path)
        if seconds > MAX_EXPIRE_SECONDS:
            raise self.expected(
                key_path, f"at most {MAX_EXPIRE_SECONDS} seconds (Redis's limit)", value
            )
        return seconds

    def positive_int(self, value: object, key_path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.expected(key_path, "an integer greater than 0", value)
        return value

    def string_list(
        self,
        value: object,
        key_path: str,
        what: str,
        check: Callable[[str], str | None],
    ) -> tuple[str, ...]:
        """An array of strings, each passing `check` (which returns a problem or None)."""
        if not isinstance(value, list):
            raise self.expected(key_path, f"an array of {what}", value)
        items: list[str] = []
        for index, item in enumerate(value):
            item_path = f"{key_path}[{index}]"
            if not isinstance(item, str):
                raise self.expected(item_path, "a string", item)
            problem = check(item)
            if problem is not None:
                raise self.fail(item_path, f"{problem}, got {_show(item)}")
            items.append(item)
        return tuple(items)

    def selectors(self, value: object, key_path: str) -> tuple[str, ...]:
        return self.string_list(value, key_path, "rule codes", _selector_problem)

    def globs(self, value: object, key_path: str) -> tuple[str, ...]:
        return self.string_list(value, key_path, "glob patterns", glob_problem)

    def dotted(self, value: object, key_path: str) -> tuple[str, ...]:
        return self.string_list(value, key_path, "dotted names", _dotted_problem)

    def config(self, table: dict[str, Any], path: Path) -> Config:
        self.check_keys(table, _TOP_KEYS, "")
        kwargs: dict[str, Any] = {}
        if "select" in table:
            kwargs["select"] = self.selectors(table["select"], "select")
        if "ignore" in table:
            kwargs["ignore"] = self.selectors(table["ignore"], "ignore")
        if "extend-select" in table:
            kwargs["extend_select"] = self.selectors(table["extend-select"], "extend-select")
        if "exclude" in table:
            kwargs["exclude"] = self.globs(table["exclude"], "exclude")
        if "per-file-ignores" in table:
            kwargs["per_file_ignores"] = self.per_file_ignores(table["per-file-ignores"])
        if "test-paths" in table:
            kwargs["test_paths"] = self.globs(table["test-paths"], "test-paths")
        if "cluster" in table:
            kwargs["cluster"] = self.boolean(table["cluster"], "cluster")
        if "cache-ttl" in table:
            kwargs["cache_ttl"] = self.expire_seconds(table["cache-ttl"], "cache-ttl")
        if "root" in table:
            kwargs["is_root"] = self.boolean(table["root"], "root")
        if "clients" in table:
            clients = self.table(table["clients"], "clients")
            self.check_keys(clients, ("factories", "names", "replicas"), "clients.")
            if "factories" in clients:
                kwargs["client_factories"] = self.dotted(clients["factories"], "clients.factories")
            if "names" in clients:
                entries = self.client_names(clients["names"])
                kwargs["client_name_entries"] = entries
                kwargs["client_names"] = tuple(dict.fromkeys(e.name for e in entries))
            if "replicas" in clients:
                kwargs["client_replicas"] = self.dotted(clients["replicas"], "clients.replicas")
        if "keyspace" in table:
            kwargs["keyspace"] = self.keyspace(table["keyspace"])
        if "primary-db" in table:
            primary = self.table(table["primary-db"], "primary-db")
            self.check_keys(primary, ("writes",), "primary-db.")
            if "writes" in primary:
                kwargs["primary_db_writes"] = self.dotted(primary["writes"], "primary-db.writes")
        if "deploy-paths" in table:
            kwargs["deploy_paths"] = self.string_list(
                table["deploy-paths"], "deploy-paths", "paths", _path_problem
            )
        if "deployment" in table:
            kwargs["deployments"] = self.deployments(table["deployment"])
        if "src" in table:
            kwargs["src"] = self.string_list(table["src"], "src", "folders", _path_problem)
        return Config(config_path=path, root=path.parent, **kwargs)

    def deployments(self, value: object) -> tuple[DeploymentMapping, ...]:
        """`[[tool.redislint.deployment]]` entries: path, optional service, serves."""
        entries: list[DeploymentMapping] = []
        for base, entry in self.array_of_tables(value, "deployment", ("path", "service", "serves")):
            if "path" not in entry:
                raise self.fail(
                    f"{base}.path", 'missing (expected a path like "deploy/redis.conf")'
                )
            path_value = entry["path"]
            if not isinstance(path_value, str) or _path_problem(path_value):
                raise self.expected(f"{base}.path", 'a path like "deploy/redis.conf"', path_value)
            service = entry.get("service")
            if service is not None and (not isinstance(service, str) or not service):
                raise self.expected(f"{base}.service", "a service or container name", service)
            if "serves" not in entry:
                raise self.fail(
                    f"{base}.serves", f"missing (expected roles among {', '.join(ROLES)})"
                )
            serves = self.string_list(entry["serves"], f"{base}.serves", "roles", _role_problem)
            entries.append(DeploymentMapping(path_value, cast(tuple[Role, ...], serves), service))
        return tuple(entries)

    def client_names(self, value: object) -> tuple[ClientName, ...]:
        """`names = ["self.client", "app/db.py:conn", { name = "self.conn", async = true }]`."""
        key_path = "clients.names"
        if not isinstance(value, list):
            raise self.expected(key_path, "an array of dotted names or tables", value)
        entries: list[ClientName] = []
        for index, item in enumerate(value):
            item_path = f"{key_path}[{index}]"
            options: dict[str, bool] = {}
            if isinstance(item, dict):
                self.check_keys(item, ("name", "async", "cluster"), f"{item_path}.")
                if "name" not in item:
                    raise self.fail(
                        f"{item_path}.name", 'missing (expected a name like "self.conn")'
                    )
                for flag in ("async", "cluster"):
                    if flag in item:
                        options[flag] = self.boolean(item[flag], f"{item_path}.{flag}")
                item_path += ".name"
                item = item["name"]
            if not isinstance(item, str):
                what = "a string" if item_path.endswith(".name") else "a string or a table"
                raise self.expected(item_path, what, item)
            module, _, name = item.rpartition(":")
            problem = _dotted_problem(name)
            if problem is not None:
                raise self.fail(item_path, f"{problem}, got {_show(item)}")
            if ":" in item:
                problem = glob_problem(module)
                if problem is not None:
                    raise self.fail(item_path, f"{problem} before ':', got {_show(item)}")
            entries.append(
                ClientName(
                    name,
                    module or None,
                    is_async=options.get("async", False),
                    cluster=options.get("cluster", False),
                )
            )
        return tuple(entries)

    def per_file_ignores(self, value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
        table = self.table(value, "per-file-ignores")
        entries: list[tuple[str, tuple[str, ...]]] = []
        for pattern, codes in table.items():
            key_path = f"per-file-ignores.{_key(pattern)}"
            problem = glob_problem(pattern[1:] if pattern.startswith("!") else pattern)
            if problem is not None:
                raise self.fail(key_path, f"{problem}, got {_show(pattern)}")
            entries.append((pattern, self.selectors(codes, key_path)))
        return tuple(entries)

    def array_of_tables(
        self, value: object, name: str, keys: tuple[str, ...]
    ) -> list[tuple[str, dict[str, Any]]]:
        """`[[name]]` entries as (key path, table), each table checked for unknown keys."""
        if not isinstance(value, list):
            table_name = f"tool.redislint.{name}" if self.prefix else name
            raise self.expected(name, f"an array of tables ([[{table_name}]])", value)
        entries = []
        for index, item in enumerate(value):
            base = f"{name}[{index}]"
            entry = self.table(item, base)
            self.check_keys(entry, keys, f"{base}.")
            entries.append((base, entry))
        return entries

    def keyspace(self, value: object) -> tuple[KeyspaceEntry, ...]:
        entries: list[KeyspaceEntry] = []
        for base, entry in self.array_of_tables(value, "keyspace", ("pattern", "role", "type")):
            if "pattern" not in entry:
                raise self.fail(
                    f"{base}.pattern", 'missing (expected a key pattern like "cache:*")'
                )
            pattern = entry["pattern"]
            if not isinstance(pattern, str) or not pattern:
                raise self.expected(
                    f"{base}.pattern", 'a non-empty key pattern like "cache:*"', pattern
                )
            problem = bracket_problem(pattern)
            if problem is not None:
                raise self.fail(f"{base}.pattern", f"{problem}, got {_show(pattern)}")
            if "role" not in entry:
                raise self.fail(f"{base}.role", f"missing (expected one of {', '.join(ROLES)})")
            role = entry["role"]
            if not isinstance(role, str) or role not in ROLES:
                raise self.expected(f"{base}.role", f"one of {', '.join(ROLES)}", role)
            key_type = entry.get("type")
            if key_type is not None and (
                not isinstance(key_type, str) or key_type not in KEY_TYPES
            ):
                raise self.expected(f"{base}.type", f"one of {', '.join(KEY_TYPES)}", key_type)
            entries.append(KeyspaceEntry(pattern, cast(Role, role), cast(KeyType | None, key_type)))
        return tuple(entries)


_TOP_KEYS: tuple[str, ...] = (
    "select",
    "ignore",
    "extend-select",
    "exclude",
    "per-file-ignores",
    "test-paths",
    "cluster",
    "cache-ttl",
    "root",
    "clients",
    "keyspace",
    "primary-db",
    "deploy-paths",
    "deployment",
    "src",
    "extend",
)


def _path_problem(path: str) -> str | None:
    return None if path.strip() else "expected a non-empty path"


def _role_problem(role: str) -> str | None:
    return None if role in ROLES else f"expected one of {', '.join(ROLES)}"


def _suggest(key: str, allowed: list[str]) -> str | None:
    """The key the user probably meant: snake_case spelled with dashes, else difflib's."""
    dashed = key.replace("_", "-").lower()
    if dashed in allowed:
        return dashed
    import difflib  # only for a config that has an error

    close = difflib.get_close_matches(dashed, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _selector_problem(code: str) -> str | None:
    return None if is_valid_selector(code) else f"expected {_SELECTOR_EXPECTED}"


def _dotted_problem(name: str) -> str | None:
    if name and all(part.isidentifier() for part in name.split(".")):
        return None
    return 'expected a dotted name like "myapp.db.get_redis"'


def config_from_table(table: dict[str, Any], source_name: str, root: Path) -> Config:
    """A validated Config from an in-memory table (fixture headers, tests), rooted at `root`.

    Errors name `source_name` the way they would name a file.
    """
    return _Validator(source_name, "").config(table, root / source_name)


class ConfigSet:
    """The configuration of each file of a run.

    Like ruff, every file is governed by the nearest configuration above it, so a
    repository holding several projects (or fixture folders with their own keyspace)
    is checked with each project's own settings. `--config` and `--isolated` give one
    configuration for every file (`hierarchical=False`). Command-line selection
    (`--select`, `--ignore`, ...) applies on top of every file's configuration.
    """

    def __init__(
        self, base: Config, *, hierarchical: bool, known_codes: Iterable[str] | None = None
    ) -> None:
        self.base = base
        self.hierarchical = hierarchical
        self._nearest: dict[Path, Path | None] = {}
        self._loaded: dict[Path, Config] = {}
        self._roots: dict[str, Path] = {}
        # With `known_codes`, every configuration handed out has only selectors that
        # match a rule (`Config.check_selectors`); nested files are checked when loaded.
        self.known_codes = None if known_codes is None else frozenset(known_codes)
        if self.known_codes is not None:
            base.check_selectors(self.known_codes)

    def project_root(self, path: Path) -> Path:
        """The resolved root of the configuration governing `path`: the project whose
        facts decide its deferred findings. Remembered per path (a language server asks
        for every project file at each check; resolving is a system call per part)."""
        key = str(path)
        root = self._roots.get(key)
        if root is None:
            root = self._roots[key] = self.for_path(path).root.resolve()
        return root

    def _nearest_to(self, directory: Path) -> Path | None:
        """`find_config_file(directory)`, each folder on the way asked once per run: a
        folder without a configuration file has its parent's (a tree of 1,000 folders
        asked its 8 ancestors' 3 names each, 27,000 system calls on every warm run)."""
        if directory in self._nearest:
            return self._nearest[directory]
        unanswered: list[Path] = []
        found: Path | None = None
        current = directory
        while True:
            if current in self._nearest:
                found = self._nearest[current]
                break
            unanswered.append(current)
            found = config_file_in(current)
            if found is not None or current.parent == current:
                break
            current = current.parent
        for folder in unanswered:
            self._nearest[folder] = found
        return found

    def lookups(self) -> dict[Path, Path | None]:
        """The folders whose nearest configuration file was looked up, and what each
        found (`run_memo.py` records what those look-ups read)."""
        return dict(self._nearest)

    def for_path(self, path: Path) -> Config:
        if not self.hierarchical:
            return self.base
        found = self._nearest_to(Path(os.path.abspath(path)).parent)
        if found is None or found == self.base.config_path:
            return self.base
        config = self._loaded.get(found)
        if config is None:
            config = replace(
                load_config(found),
                selection_overrides=self.base.selection_overrides,
                cache_dir=self.base.cache_dir,
            ).with_exclude(*self.base.exclude_overrides)
            if self.known_codes is not None:
                config.check_selectors(self.known_codes)
            self._loaded[found] = config
        return config
