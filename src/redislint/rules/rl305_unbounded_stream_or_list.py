"""RL305 unbounded-stream-or-list: a stream or list that only ever grows.

XADD without `maxlen`/`minid`, and LPUSH/RPUSH, add an entry on every call. The data
structure stays bounded only if something removes entries: for a list, a consumer that
pops or moves them, LTRIM or LREM; for a stream, XTRIM/XDEL or a capped XADD; for
either, deleting or expiring the whole key. rules.md's binding decision: any of these
*anywhere in the project* exempts the key (a work queue pushed here and popped in a
worker module is not a leak). So every candidate is a deferred finding, decided in
the project stage (`semantics/deferred.py`, `unconsumed_growth`) against the project
facts of `semantics/data_facts.py`.

Keys in a critical namespace are exempt (their growth is the data itself), and keys the
model cannot resolve are not judged.
"""

from __future__ import annotations

from redislint.rules._base import Rule
from redislint.semantics.data_facts import xadd_capped

_PUSHES = frozenset({"LPUSH", "RPUSH"})


class UnboundedStreamOrList(Rule):
    CODE = "RL305"

    def check(self) -> None:
        for call in self.model.redis_calls:
            if call.command == "XADD":
                if xadd_capped(self.model, call) is not False:
                    continue
                kind = "stream"
            elif call.command in _PUSHES:
                kind = "list"
            else:
                continue
            if not call.keys or call.keys[0].pattern is None:
                continue
            pattern = call.keys[0].pattern
            if self.model.role(pattern) == "critical":
                continue
            glob = pattern.glob
            if kind == "stream":
                message = (
                    f"XADD to stream '{glob}' with no maxlen/minid, and nothing in the project"
                    " trims (XTRIM/XDEL), deletes or expires it: the stream grows without bound"
                )
                hint = (
                    "cap it on write: xadd(key, fields, maxlen=N, approximate=True)"
                    " (MAXLEN ~ N) or minid=..., or XTRIM it from the consumer"
                )
            else:
                message = (
                    f"{call.command} to list '{glob}', which nothing in the project pops,"
                    " trims (LTRIM), deletes or expires: the list grows without bound"
                )
                hint = (
                    "bound it: LTRIM after the push (pipe.lpush(k, v); pipe.ltrim(k, 0, N-1))"
                    " or consume it (BLPOP/LMOVE in a worker), or give it an expiry"
                )
            root = str(self.model.config.root)
            self.report_call(call, message, hint=hint, deferred=(root, kind, glob))
