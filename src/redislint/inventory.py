"""The keyspace inventory (`redislint keys`): every key pattern the semantic model finds.

For each key pattern (`KeyPattern.glob`) it says which commands and data types are used
on it, how often it is read and written, whether the writes give it a TTL, which
declared namespace (role) it falls in, and where it is used. Keys the model cannot
resolve are listed on their own, with their locations: they match no namespace, so no
rule can say anything about them, and the user should know which ones those are.

Why it exists: RL101, RL202 and RL302 only speak once roles are declared, and nobody
declares a keyspace from memory. The inventory is the model's own view of the keyspace,
so a config started from it (`--format toml`) names exactly the patterns the rules see.

The work is split so that it can run in parallel workers: `file_uses` turns one file's
`FileModel` into plain, picklable `KeyUse` records (in the worker that built the model);
`build_inventory` merges them. No CLI code lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from redislint.config import Config, ConfigSet, KeyspaceEntry
from redislint.engine import FileAnalysis
from redislint.positions import spans
from redislint.semantics import ir
from redislint.semantics.model import FileModel, RedisCall

TTL_SETS = "sets a TTL"
TTL_NEVER = "never sets a TTL"
TTL_READ_ONLY = "read only"
# The same facts when part of the code is not seen (unresolved keys, files with no proven
# client): "never" and "only" cannot be claimed there.
TTL_UNSEEN = "no TTL seen"
TTL_NO_WRITE_SEEN = "no write seen"

UNDECLARED = "undeclared"
# Text output and the JSON `role` values; the order puts the riskiest data first.
ROLE_ORDER: tuple[str, ...] = ("critical", "primary", "ephemeral", "cache", UNDECLARED)


@dataclass(frozen=True, order=True)
class Location:
    """Where a key is used: the command call, 1-based line and column."""

    path: str
    line: int
    column: int
    command: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class KeyUse:
    """One key of one command call, as plain data (it crosses worker processes).

    `glob` is None when the model could not resolve the key; `key` is the key
    expression as written, for the unresolved list.
    """

    glob: str | None
    key: str
    command: str
    data_type: str | None
    is_read: bool
    is_write: bool
    sets_ttl: bool
    namespace: KeyspaceEntry | None
    default_namespace: bool  # the namespace is a built-in default cache pattern
    function: str | None  # "Class.method", "function"; None for module level code
    location: Location
    reason: str | None = None  # unresolved keys: the part the model could not follow


@dataclass(frozen=True)
class PatternEntry:
    """Everything the inventory says about one key pattern."""

    pattern: str
    namespace: KeyspaceEntry | None
    default_namespace: bool
    commands: tuple[str, ...]
    types: tuple[str, ...]
    reads: int
    writes: int
    ttl: str  # TTL_SETS | TTL_NEVER | TTL_READ_ONLY | TTL_UNSEEN | TTL_NO_WRITE_SEEN
    locations: tuple[Location, ...]
    # what the facts do not include, when they rest on part of the code (else None)
    basis: str | None = None

    @property
    def role(self) -> str:
        return self.namespace.role if self.namespace is not None else UNDECLARED

    @property
    def uses(self) -> int:
        return len(self.locations)

    @property
    def too_broad(self) -> bool:
        """True when the pattern has no literal letter or digit (`*`, `*:*`): declaring
        it as a namespace would give every key of the project that role."""
        return not any(c.isalnum() for c in self.pattern.replace("[*]", "").replace("[?]", ""))


@dataclass(frozen=True)
class UnresolvedKey:
    """A key argument the model could not turn into a pattern."""

    key: str
    command: str
    function: str | None
    location: Location
    reason: str | None = None  # the part of the key the model could not follow
    # concrete keys the test suite sent from this call site (`keys --observed`)
    observed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inventory:
    patterns: tuple[PatternEntry, ...]  # sorted by pattern
    unresolved: tuple[UnresolvedKey, ...]  # sorted by location
    files: int = 0  # files looked at (tests excluded unless asked for)
    tests_excluded: int = 0
    declared: tuple[KeyspaceEntry, ...] = ()  # the config's own keyspace (no defaults)
    # files that import redis (or a project module that does) with no proven client
    blind_files: tuple[str, ...] = ()

    def by_role(self) -> list[tuple[str, list[PatternEntry]]]:
        """Patterns grouped by role, in `ROLE_ORDER`, empty groups left out."""
        groups: list[tuple[str, list[PatternEntry]]] = []
        for role in ROLE_ORDER:
            members = [p for p in self.patterns if p.role == role]
            if members:
                groups.append((role, members))
        return groups


@dataclass
class InventoryOutcome:
    inventory: Inventory
    errors: list[str]  # exit code 2 (a path that does not exist, an internal error)
    unparsed: list[str]  # files whose keys are missing: "path:line:col: reason"


# -- one file -------------------------------------------------------------------------


def file_uses(analysis: FileAnalysis) -> list[KeyUse]:
    """The key uses of one analysed file (module-level: runs in parallel workers)."""
    model = analysis.model
    calls: list[tuple[RedisCall, list[str]]] = []
    for call in model.redis_calls:
        hidden = _hidden_keys(call)
        if call.keys or hidden:
            calls.append((call, hidden))
    if not calls:
        return []
    located = spans(analysis.module, [call.node for call, _ in calls], analysis.model.source)
    uses: list[KeyUse] = []
    for call, hidden in calls:
        span = located.get(id(call.node))
        if span is None:  # pragma: no cover - every call node is in the module
            continue
        location = Location(model.path, span.line, span.column, call.command)
        function = _function_name(model, call.site.scope)
        data_type = call.info.data_type if call.info is not None else None
        # keepttl counts: the key keeps the expiry the code gave it
        sets_ttl = model.expiry(call).kind in ("sets", "keeps")
        keys = [
            (k.pattern, _render(analysis.module, k.expr, k.node), model.key_reason(call, k))
            for k in call.keys
        ]
        keys += [(None, text, _hidden_reason(text)) for text in hidden]
        seen: set[tuple[str | None, str]] = set()
        for pattern, text, reason in keys:
            glob = pattern.glob if pattern is not None else None
            # One call with several keys of one pattern (DEL a:1 a:2) is one use of it.
            identity = (glob, "" if glob is not None else text)
            if identity in seen:
                continue
            seen.add(identity)
            namespace = model.namespace(pattern)
            uses.append(
                KeyUse(
                    glob=glob,
                    key=text,
                    command=call.command,
                    data_type=data_type,
                    is_read=call.info is not None and call.info.is_readonly,
                    is_write=call.is_write or sets_ttl,
                    sets_ttl=sets_ttl,
                    namespace=namespace,
                    default_namespace=namespace is not None and not model.config.keyspace,
                    function=function,
                    location=location,
                    reason=reason,
                )
            )
    return uses


@dataclass(frozen=True)
class FileKeys:
    """One file's contribution to the inventory: its key uses, and whether the model is
    blind there (it uses Redis, but no client was proven)."""

    uses: list[KeyUse]
    blind: bool


def file_keys(analysis: FileAnalysis) -> FileKeys:
    """`file_uses` plus the blind-file check (module-level: runs in parallel workers)."""
    from redislint.semantics.coverage import is_blind

    uses = file_uses(analysis)
    return FileKeys(uses, not uses and is_blind(analysis.model))


def _hidden_reason(text: str) -> str:
    if text.startswith("keys of "):
        return f"the {text} are built elsewhere: the model does not list them"
    return f"`{text}` is unpacked into the call: the model does not list its keys"


def _hidden_keys(call: RedisCall) -> list[str]:
    """Key arguments the model cannot even enumerate, as the user would read them.

    `r.delete(*keys)`, `r.mset(mapping)` and a script called with `keys=some_list`
    touch keys that appear in no `KeyArg`; listing them as unresolved is what tells the
    user the inventory is incomplete there.
    """
    site = call.site
    if call.method == "<script>":
        keys_arg = site.ir.kwarg("keys")
        if keys_arg is None and site.ir.args:
            keys_arg = site.ir.args[0]
        if keys_arg is None or isinstance(keys_arg, ir.Seq):
            return []
        return [ir.render(keys_arg)]
    info = call.method_info
    if info is None:
        return []
    hidden: list[str] = []
    positional = 0
    for argument in call.node.args:
        if argument.keyword is not None:
            continue
        if argument.star == "*":
            key_positions = [info.params.index(p) for p in info.key_params if p in info.params]
            bound_by_keyword = {a.keyword.value for a in call.node.args if a.keyword is not None}
            unbound = [
                i
                for i in key_positions
                if i >= positional and info.params[i] not in bound_by_keyword
            ]
            varargs_keys = info.varargs_are_keys and info.numkeys_param is None
            if unbound or varargs_keys:
                hidden.append("*" + ir.render(ir.from_cst(argument.value)))
        elif not argument.star:
            positional += 1
    mapping_param = info.mapping_keys_param
    if mapping_param is not None:
        mapping = call.param(mapping_param)
        if mapping is not None and not mapping.star:
            value = ir.from_cst(mapping.value)
            if not isinstance(value, ir.Dict):
                hidden.append(f"keys of {ir.render(value)}")
    return hidden


def _render(module: cst.Module, expr: ir.IR, node: cst.BaseExpression | None) -> str:
    """The key expression as text: `ir.render`, or the source itself where the IR
    has no readable form (subscripts, conditionals: rendered as `…`)."""
    text = ir.render(expr)
    if "…" in text and node is not None:
        source = " ".join(module.code_for_node(node).split())
        text = source if len(source) <= 80 else source[:79] + "…"
    return text


def _function_name(model: FileModel, scope_key: str) -> str | None:
    """`Class.method` / `function` / `outer.<locals>.inner`; None at module level."""
    names: list[str] = []
    key: str | None = scope_key
    while key:
        scope = model.facts.scopes.get(key)
        if scope is None or scope.kind == "module":
            break
        names.append(scope.name if scope.kind != "lambda" else "<lambda>")
        key = scope.parent
    return ".".join(reversed(names)) or None


# -- many files -----------------------------------------------------------------------


def build_inventory(
    uses: Iterable[KeyUse],
    *,
    files: int = 0,
    tests_excluded: int = 0,
    declared: Sequence[KeyspaceEntry] = (),
    blind_files: Sequence[str] = (),
) -> Inventory:
    """Group key uses by pattern; unresolved keys go to their own list.

    "never sets a TTL" and "read only" are claimed only when every write was seen: an
    unresolved key or a file with no proven client may be a key of any pattern, so
    where they may set a TTL (or write) the facts say what they rest on instead.
    """
    grouped: dict[str, list[KeyUse]] = {}
    unresolved: list[UnresolvedKey] = []
    unseen_ttl = unseen_writes = 0
    for use in uses:
        if use.glob is None:
            unresolved.append(
                UnresolvedKey(use.key, use.command, use.function, use.location, use.reason)
            )
            unseen_ttl += use.sets_ttl
            unseen_writes += use.is_write
        else:
            grouped.setdefault(use.glob, []).append(use)
    patterns: list[PatternEntry] = []
    for glob in sorted(grouped):
        members = grouped[glob]
        writes = sum(1 for u in members if u.is_write)
        basis = None
        if any(u.sets_ttl for u in members):
            ttl = TTL_SETS
        elif writes:
            ttl = TTL_NEVER
            if unseen_ttl or blind_files:
                ttl, basis = TTL_UNSEEN, _basis(unseen_ttl, "are given a TTL", blind_files)
        else:
            ttl = TTL_READ_ONLY
            if unseen_writes or blind_files:
                ttl, basis = TTL_NO_WRITE_SEEN, _basis(unseen_writes, "are written", blind_files)
        first = members[0]
        patterns.append(
            PatternEntry(
                pattern=glob,
                namespace=first.namespace,
                default_namespace=first.default_namespace,
                commands=tuple(sorted({u.command for u in members})),
                types=tuple(sorted({u.data_type for u in members if u.data_type is not None})),
                reads=sum(1 for u in members if u.is_read),
                writes=writes,
                ttl=ttl,
                locations=tuple(sorted({u.location for u in members})),
                basis=basis,
            )
        )
    unresolved.sort(key=lambda u: (u.location, u.key))
    return Inventory(
        patterns=tuple(patterns),
        unresolved=tuple(unresolved),
        files=files,
        tests_excluded=tests_excluded,
        declared=tuple(declared),
        blind_files=tuple(sorted(blind_files)),
    )


def _basis(unseen: int, doing: str, blind_files: Sequence[str]) -> str:
    """`2 unresolved keys that get a TTL and 1 file with no proven client are not seen`."""
    parts = []
    if unseen:
        verb = doing if unseen != 1 else doing.replace("are ", "is ", 1)
        parts.append(f"{unseen} unresolved key{'s' if unseen != 1 else ''} that {verb}")
    if blind_files:
        count = len(blind_files)
        parts.append(f"{count} file{'s' if count != 1 else ''} with no proven client")
    return " and ".join(parts) + " are not included: they may be keys of this pattern"


def collect_inventory(
    paths: Sequence[str],
    config: Config | ConfigSet,
    *,
    cwd: Path | None = None,
    include_tests: bool = False,
    jobs: int | None = None,
) -> InventoryOutcome:
    """The inventory of every file under `paths` (test paths only with `include_tests`:
    tests use throwaway keys that would only blur the picture of the real keyspace)."""
    from redislint.runner import collect_models

    outcome = collect_models(
        paths, config, file_keys, cwd=cwd, jobs=jobs, include_tests=include_tests
    )
    inventory = build_inventory(
        (use for _, found in outcome.results for use in found.uses),
        files=outcome.files_seen,
        tests_excluded=outcome.tests_excluded,
        declared=(config.base if isinstance(config, ConfigSet) else config).keyspace,
        blind_files=[path for path, found in outcome.results if found.blind],
    )
    return InventoryOutcome(inventory, outcome.errors, outcome.unparsed)
