"""The quick CPython check (no Python AST objects) gives `ast.parse`'s verdicts exactly.

Files that never reach libcst only need CPython's verdict, which `precheck` takes from
`symtable` (the same parser, its tree kept in C); whatever that refuses goes the full
`ast.parse` way. With `guard=True` the full way always runs, so on inputs too shallow
for the depth guard the two must agree to the message.
"""

from __future__ import annotations

import json
from pathlib import Path

import libcst
import pytest
from support import invoke_cli

from redislint.precheck import MAX_EXPRESSION_DEPTH, precheck

CASES = [
    "x = 1\n",
    "def f(:\n",
    "print('unterminated\n",
    "nonlocal x\n",  # a symbol-table error ast.parse does not raise: still accepted
    "def f(a, a):\n    pass\n",
    "return 1\n",  # a compiler error, not a parse error: accepted as before
    "a\0b\n",
    "x = " + "(" * 300 + "1" + ")" * 300 + "\n",
    "type X = int\n",  # newer grammar than 3.11: accepted when libcst parses it
    "f'{x!}'\n",
    "if True:\npass\n",
    "x = '\\d'\n",  # a SyntaxWarning in the checked code is not a rejection
]


@pytest.mark.parametrize("source", CASES)
def test_quick_check_agrees_with_ast_parse(source: str) -> None:
    assert precheck(source, guard=False) == precheck(source, guard=True)


def test_quick_check_still_rejects_syntax_errors() -> None:
    rejection = precheck("def f(:\n", guard=False)
    assert rejection is not None
    assert (rejection.line, rejection.message) == (1, "syntax error: invalid syntax")


@pytest.mark.usefixtures("in_this_process")  # the parses are recorded here
def test_an_imported_module_libcst_cannot_survive_is_never_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module loaded on demand for an importer gets the depth guard too: its chain
    never reaches libcst, and the importer is still checked."""
    chain = "x = client" + ".get('k')" * (MAX_EXPRESSION_DEPTH + 50) + "\n"
    (tmp_path / "helpers.py").write_text(
        "from redis import Redis\nclient = Redis()\nPREFIX = 'app:'\n" + chain, encoding="utf-8"
    )
    (tmp_path / "app.py").write_text(
        "import redis\nfrom helpers import PREFIX, client\n\nr = redis.Redis()\n\n"
        "def wipe():\n    r.flushall()\n    r.set(PREFIX + 'x', 1)\n    client.set('k', 1)\n",
        encoding="utf-8",
    )
    parsed: list[str] = []
    real_parse = libcst.parse_module

    def recording_parse(source: str, *args: object, **kwargs: object) -> libcst.Module:
        parsed.append(source)
        return real_parse(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(libcst, "parse_module", recording_parse)
    result = invoke_cli(
        ["check", "--isolated", "--no-cache", "--format", "json", "app.py", "helpers.py"],
        tmp_path,
    )
    found = {(f["path"], f["code"]) for f in json.loads(result.stdout)["diagnostics"]}
    assert ("app.py", "RL301") in found
    assert ("helpers.py", "RL001") in found
    assert parsed and not any(chain in source for source in parsed)
