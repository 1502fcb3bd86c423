"""The quick CPython check (no Python AST objects) gives `ast.parse`'s verdicts exactly.

Files that never reach libcst only need CPython's verdict, which `precheck` takes from
`symtable` (the same parser, its tree kept in C); whatever that refuses goes the full
`ast.parse` way. With `guard=True` a bounded symbol-table pass proves most files
shallow without an AST; the rest go the full way (`ast.parse` and the depth walk), and
the two ways must give the same verdict on every input.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import libcst
import pytest
from support import invoke_cli

from redislint import precheck as precheck_module
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
    assert precheck(source, guard=False) == precheck(source, guard=False, quick=False)
    assert precheck(source, guard=False) == precheck(source, guard=True)


def _chain(link: str, links: int) -> str:
    return "import redis\nr = redis.Redis()\nx = r" + link * links + "\n"


# Around both bounds: the quick guard's (about 120 levels) and MAX_EXPRESSION_DEPTH.
DEPTH_CASES = [
    *CASES,
    *(_chain(".a", n) for n in (50, 117, 118, 119, 120, 121, 122, 125, 249, 250, 251, 400)),
    *(_chain(" + r", n) for n in (118, 121, 249, 251)),
    *(_chain('.set("k", 1)', n) for n in (59, 60, 61, 124, 126)),
    "x = " + "-" * 130 + "1\n",
    "x = " + "lambda: " * 130 + "1\n",
    "x = " + "f(a=" * 130 + "1" + ")" * 130 + "\n",  # a keyword between every two calls
    "def f():\n"
    + "".join("    " * d + "if x:\n" for d in range(1, 90))
    + ("    " * 90 + "y = r.a.a\n"),
    "x = " + " and ".join(["r"] * 3000) + "\n",  # flat in CPython's tree
]


@pytest.mark.parametrize("source", DEPTH_CASES, ids=range(len(DEPTH_CASES)))
def test_shallow_guard_gives_the_full_ways_verdict(source: str) -> None:
    assert precheck(source, guard=True) == precheck(source, guard=True, quick=False)


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="CPython 3.11's symbol table")
def test_on_this_interpreter_an_ordinary_file_is_guarded_without_an_ast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The quick guard calibrates itself on 3.11 (later versions take the full way), and
    an ordinary Redis module (the size real code has: deeper than 40 levels) needs no
    Python AST; a deeper one does, and the limit is restored either way."""
    assert precheck_module._depth_bounded_symtable()
    limit = sys.getrecursionlimit()

    def no_ast(*args: object, **kwargs: object) -> ast.Module:
        raise AssertionError("ast.parse ran")

    monkeypatch.setattr(ast, "parse", no_ast)
    assert precheck(_chain(".a", 60), guard=True) is None
    assert sys.getrecursionlimit() == limit
    with pytest.raises(AssertionError, match=r"ast\.parse ran"):
        precheck(_chain(".a", 125), guard=True)
    assert sys.getrecursionlimit() == limit


def test_quick_check_still_rejects_syntax_errors() -> None:
    rejection = precheck("def f(:\n", guard=False)
    assert rejection is not None
    assert (rejection.line, rejection.message) == (1, "syntax error: invalid syntax")


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
