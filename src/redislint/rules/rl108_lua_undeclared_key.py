"""RL108 lua-undeclared-key: a script literal that touches a key not passed in KEYS.

Redis routes and checks a script by the keys it declares: a cluster runs it on the
node of `KEYS`, refuses (7.0+) a key of another slot in scripts with a shebang, and
any key that lives on another node ("non local key"). The script analysis
(`semantics/lua.py`) tells which `redis.call` keys come from `KEYS` and which are
built from `ARGV`, literals, or `KEYS[n]` plus text. Keys of unknown origin (function
results, parameters of Lua functions) are not reported.
"""

from __future__ import annotations

from redislint.rules._base import Rule

_ORIGIN = {
    "argv": "a key built from ARGV",
    "literal": "a key made of literal text",
    "derived": "a key built from KEYS[n] plus other text",
}


class LuaUndeclaredKey(Rule):
    CODE = "RL108"

    def check(self) -> None:
        for use in self.model.lua_scripts:
            found = list(use.script.undeclared())
            if not found:
                continue
            call, origin = found[0]
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            self.report(
                use.node,
                f"the script's redis.{call.function}('{call.command}', ...) on line "
                f"{call.line} uses {_ORIGIN[origin]}, not passed in KEYS{more}: "
                "Redis Cluster cannot route or check it",
                statement=use.site.statement,
                hint="pass every key the script touches in KEYS (numkeys) and read it "
                "as KEYS[n]; build derived names in Python, with a shared hash tag",
            )
