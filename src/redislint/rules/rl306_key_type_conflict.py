"""RL306 key-type-conflict: one key pattern used as two data types.

Redis keys are typed: a key created by HSET is a hash, and GET, LPUSH or SADD on it fail
with WRONGTYPE (SET silently replaces the hash with a string). A pattern used with
commands of different types in different places (`HSET user:{id}` in one module,
`GET user:{id}` in another) is a run-time error or a silent overwrite waiting for the
first request that touches both.

rules.md: identical patterns are compared; each use whose type disagrees with the
*first use seen* in the project (path order, then source order) is reported, or, when
the keyspace declares the namespace's `type`, each use that disagrees with it (reported
directly: the declaration is in the configuration, no other file is needed). The
first-use comparison needs the whole project, so those uses are deferred findings,
decided in `resolve_project` against the `typed-use` records of every file
(`semantics/data_facts.py`). Commands whose keys may hold several types (SORT, DEL,
EXPIRE, TYPE...) have no type and take no part.
"""

from __future__ import annotations

from dataclasses import replace

from redislint.findings import Finding
from redislint.rules._base import Rule
from redislint.semantics.data_facts import comparable, typed_uses
from redislint.semantics.facts_types import in_project, parse_use_record
from redislint.semantics.project_facts import ProjectFacts

# Commands that replace a key of any type instead of failing with WRONGTYPE.
_OVERWRITE_ANY_TYPE = frozenset({"SET", "SETEX", "PSETEX", "MSET"})
_HINT = (
    "use one data type per key pattern (give the other use its own prefix, e.g."
    " `user:{id}:name`), or declare the namespace's `type` in the keyspace"
)


class KeyTypeConflict(Rule):
    CODE = "RL306"

    def check(self) -> None:
        for call, pattern, data_type in typed_uses(self.model):
            glob = comparable(pattern)
            entry = self.model.namespace(pattern)
            if entry is not None and entry.type is not None:
                declared = entry.type
                if declared != data_type:
                    self.report_call(
                        call,
                        f"{call.command} uses '{glob}' as a {data_type}, but the keyspace"
                        f" declares '{entry.pattern}' as type {declared}:"
                        f" {_effect(call.command, declared)}",
                        hint=_HINT,
                    )
                continue
            self.report_call(
                call,
                f"{call.command} uses '{glob}' as a {data_type}",
                hint=_HINT,
                deferred=(
                    str(self.model.config.root),
                    glob,
                    data_type,
                    str(call.site.order),
                    call.command,
                ),
            )

    @classmethod
    def resolve_project(cls, findings: list[Finding], facts: ProjectFacts) -> list[Finding]:
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
                f" it a {first_type}: {_effect(command, first_type)}"
            )
            kept.append(replace(finding, message=message))
        return kept


def _effect(command: str, other_type: str) -> str:
    if command in _OVERWRITE_ANY_TYPE:
        return f"{command} silently replaces the {other_type} with a string"
    return "WRONGTYPE at run time"
