"""RL109 eval-numkeys-mismatch: `numkeys` that disagrees with the keys given or read.

`EVAL script numkeys k1 .. kN a1 ..` takes the first `numkeys` arguments as KEYS.
A `numkeys` larger than the arguments that follow is refused by the server
("Number of keys can't be greater than number of args"); a script that reads
`KEYS[n]` beyond `numkeys` gets `nil` for it (then usually fails inside the script,
"Lua redis lib command arguments must be strings or integers"). A registered script
is judged at each call in the file: the `keys=[...]` it passes against the highest
`KEYS[n]` its body reads. Counts are judged only when they are literal.
"""

from __future__ import annotations

from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.lua import ScriptUse
from redislint.semantics.model import RedisCall

_EVALS = frozenset({"eval", "evalsha", "eval_ro", "evalsha_ro"})
HINT = "make numkeys the number of keys passed, and pass every KEYS[n] the script reads"


class EvalNumkeysMismatch(Rule):
    CODE = "RL109"

    def check(self) -> None:
        scripts = {id(use.node): use for use in self.model.lua_scripts}
        for call in self.model.redis_calls:
            if call.method in _EVALS:
                self._eval(call, scripts.get(id(call.node)))
        for use in scripts.values():
            if use.method == "register_script":
                self._registered(use)

    def _eval(self, call: RedisCall, use: ScriptUse | None) -> None:
        numkeys_arg = call.arg("numkeys", 1)
        if numkeys_arg is None or numkeys_arg.keyword is not None:
            return
        count = ir.from_cst(numkeys_arg.value)
        if not isinstance(count, ir.Num) or not isinstance(count.value, int):
            return
        numkeys = count.value
        if not any(a.star for a in call.node.args):
            following = sum(1 for a in call.node.args if a.keyword is None) - 2
            if numkeys > following:
                self.report_call(
                    call,
                    f"numkeys is {numkeys} but only {following} argument(s) follow it: the "
                    "server refuses the call (Number of keys can't be greater than number "
                    "of args)",
                    hint=HINT,
                )
                return
        if use is not None and use.script.max_key_index > numkeys:
            self.report_call(
                call,
                f"the script reads KEYS[{use.script.max_key_index}] but numkeys is "
                f"{numkeys}: that key is nil in the script",
                hint=HINT,
            )

    def _registered(self, use: ScriptUse) -> None:
        wanted = use.script.max_key_index
        if wanted == 0:
            return
        origin = (self.model.facts.path, use.site.scope)
        for call in self.model.redis_calls:
            client = call.client
            if call.method != "<script>" or client.origin_scope != origin:
                continue
            if client.origin != use.site.ir:
                continue
            passed = _keys_passed(call.site.ir)
            if passed is not None and passed < wanted:
                text = " ".join(self.code_for(call.node).split())
                if len(text) > 60:
                    text = text[:57] + "..."
                self.report(
                    use.node,
                    f"the script reads KEYS[{wanted}] but `{text}` passes {passed} key(s): "
                    "that key is nil in the script",
                    statement=use.site.statement,
                    hint=HINT,
                )
                return


def _keys_passed(call: ir.Call) -> int | None:
    """How many keys a registered script's call passes; None when not literal."""
    keys = call.kwarg("keys")
    if keys is None and call.args:
        keys = call.args[0]
    if keys is None:
        return None if call.star else 0
    if isinstance(keys, ir.Seq):
        return len(keys.items)
    if isinstance(keys, ir.Const) and keys.value is None:
        return 0
    return None
