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
decided in the project stage (`semantics/deferred.py`, `type_conflicts`) against the
`typed-use` records of every file (`semantics/data_facts.py`). Commands whose keys may
hold several types (SORT, DEL, EXPIRE, TYPE...) have no type and take no part.
"""

from __future__ import annotations

from redislint.rules._base import Rule
from redislint.semantics.data_facts import comparable, typed_uses
from redislint.semantics.deferred import type_conflict_effect

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
                        f" {type_conflict_effect(call.command, declared)}",
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
