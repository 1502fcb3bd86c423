"""The project stage: deferred findings decided on the facts of the whole project.

A rule whose verdict needs every file (rules.md: RL104 lock keys, RL105 released keys,
RL305 consumed keys, RL306 first use) reports a deferred finding with a payload; once
every file is done, the runner (or the warm path, from cached facts) merges the files'
`FileFacts` and asks the rule's resolver here, registered by code in `RESOLVERS`.

The resolvers live here and not in the rule modules because they read only finding
payloads and fact strings: the warm path (`warm.py`) decides the deferred findings of a
re-run that the cache answers without importing libcst or any rule (a rule module
imports the model, which imports the parser). Nothing here may import libcst
(`tests/test_project_stage_warm.py` checks). `Rule.resolve_project` delegates here, so
a rule's project stage is still asked through its class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from redislint.errors import InternalError
from redislint.findings import Finding
from redislint.semantics.facts_types import ProjectFacts, in_project, parse_use_record
from redislint.semantics.globs import matches_lock, subsumes

# (a rule's deferred findings in path, line, column order, the project's facts) -> the
# findings to report, their payload cleared or their message replaced
Resolver = Callable[[list[Finding], ProjectFacts], list[Finding]]


def resolve_deferred(findings: list[Finding], facts: ProjectFacts) -> list[Finding]:
    """Every finding, with the deferred ones decided by their rules' resolvers (a rule
    without one keeps them all).

    A bug in a resolver names the rule (there is no single file to name)."""
    kept = [f for f in findings if f.deferred is None]
    by_code: dict[str, list[Finding]] = {}
    for finding in sorted((f for f in findings if f.deferred is not None), key=_sort_key):
        by_code.setdefault(finding.code, []).append(finding)
    for code, deferred in sorted(by_code.items()):
        resolver = RESOLVERS.get(code)
        if resolver is None:
            kept.extend(deferred)
            continue
        try:
            kept.extend(resolver(deferred, facts))
        except Exception as exc:
            raise InternalError(f"internal error in {code} (project stage): {exc!r}") from exc
    kept.sort(key=_sort_key)
    return kept


def _sort_key(finding: Finding) -> tuple[str, int, int, str]:
    return finding.sort_key


# -- RL104 lock-release-without-owner-check ----------------------------------------------


def lock_key_deletes(findings: list[Finding], facts: ProjectFacts) -> list[Finding]:
    """Keep the DELs whose key falls under a lock key pattern of the project."""
    locks = facts.globs("lock-key")
    return _kept_by_glob(findings, lambda glob: any(matches_lock(glob, lock) for lock in locks))


# -- RL105 lock-without-timeout ------------------------------------------------------------


def released_nx_keys(findings: list[Finding], facts: ProjectFacts) -> list[Finding]:
    """Keep the NX keys that some file of the project releases."""
    released = facts.globs("released-key")
    return _kept_by_glob(findings, lambda glob: any(matches_lock(r, glob) for r in released))


def _kept_by_glob(findings: list[Finding], keep: Callable[[str], bool]) -> list[Finding]:
    """The findings whose payload glob (`deferred[0]`) passes `keep`, reported as they are."""
    return [
        replace(finding, deferred=None)
        for finding in findings
        if keep(finding.deferred[0] if finding.deferred else "")
    ]


# -- RL305 unbounded-stream-or-list --------------------------------------------------------

_CONSUMED_BY = {"list": "list-consumed", "stream": "stream-trimmed"}


def unconsumed_growth(findings: list[Finding], facts: ProjectFacts) -> list[Finding]:
    """Keep the pushes (payload: root, kind, glob) that nothing in their project pops,
    trims, deletes or expires."""
    kept = []
    # What consumes each (project, kind): the same for every finding of it, as the
    # set of globs and the globs with a wildcard (two plain keys overlap only when
    # equal, so a plain key is compared with those alone, after the set).
    consumers: dict[tuple[str, str], tuple[set[str], list[str]]] = {}
    for finding in findings:
        if finding.deferred is None or len(finding.deferred) != 3:
            kept.append(finding)
            continue
        root, kind, glob = finding.deferred
        known = consumers.get((root, kind))
        if known is None:
            globs = in_project(facts.globs(_CONSUMED_BY.get(kind, "")), root)
            globs |= in_project(facts.globs("key-dropped"), root)
            known = consumers[(root, kind)] = (globs, [g for g in globs if not _plain(g)])
        everything, patterns = known
        if glob in everything:
            continue
        others = patterns if _plain(glob) else everything
        if not any(_overlap(glob, other) for other in others):
            kept.append(finding)
    return kept


def _plain(glob: str) -> bool:
    """A glob without wildcard or class: it stands for that one key only."""
    return "*" not in glob and "?" not in glob and "[" not in glob


def _overlap(a: str, b: str) -> bool:
    """Whether two key globs may name one key (one contains the other): a pop of
    `queue:*` consumes a push to `queue:default`, and the reverse."""
    return a == b or subsumes(a, b) or subsumes(b, a)


# -- RL306 key-type-conflict ---------------------------------------------------------------

# Commands that replace a key of any type instead of failing with WRONGTYPE.
_OVERWRITE_ANY_TYPE = frozenset({"SET", "SETEX", "PSETEX", "MSET"})


def type_conflicts(findings: list[Finding], facts: ProjectFacts) -> list[Finding]:
    """The uses (payload: root, glob, type, order, command) whose type differs from the
    first use of their pattern in the project (path order, then source order), with the
    message that names it."""
    # (project root, glob) -> (path, order, type) of the first use
    first: dict[tuple[str, str], tuple[str, int, str]] = {}
    records = facts.globs("typed-use")
    for root in {f.deferred[0] for f in findings if f.deferred}:
        for record in in_project(records, root):
            parsed = parse_use_record(record)
            if parsed is None:
                continue
            glob, data_type, path, order = parsed
            seen = first.get((root, glob))
            if seen is None or (path, order) < seen[:2]:
                first[(root, glob)] = (path, order, data_type)
    kept = []
    for finding in findings:
        payload = finding.deferred
        if payload is None or len(payload) != 5 or not payload[3].isdigit():
            continue
        root, glob, data_type, position, command = payload
        found = first.get((root, glob))
        if found is None:  # no facts for it (should not happen): the earliest finding
            found = (finding.path, int(position), data_type)
            first[(root, glob)] = found
        path, _, first_type = found
        if first_type == data_type:
            continue
        where = "earlier in this file" if path == finding.path else f"in {path}"
        message = (
            f"{command} uses '{glob}' as a {data_type}, but its first use ({where}) makes"
            f" it a {first_type}: {type_conflict_effect(command, first_type)}"
        )
        kept.append(replace(finding, message=message))
    return kept


def type_conflict_effect(command: str, other_type: str) -> str:
    """What running `command` on a key of `other_type` does (RL306's messages)."""
    if command in _OVERWRITE_ANY_TYPE:
        return f"{command} silently replaces the {other_type} with a string"
    return "WRONGTYPE at run time"


# A rule that defers findings registers its resolver here, under its code.
RESOLVERS: dict[str, Resolver] = {
    "RL104": lock_key_deletes,
    "RL105": released_nx_keys,
    "RL305": unconsumed_growth,
    "RL306": type_conflicts,
}
