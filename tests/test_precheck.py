"""The quick CPython check (no Python AST objects) gives `ast.parse`'s verdicts exactly.

Files that never reach libcst only need CPython's verdict, which `precheck` takes from
`symtable` (the same parser, its tree kept in C); whatever that refuses goes the full
`ast.parse` way. With `guard=True` the full way always runs, so on inputs too shallow
for the depth guard the two must agree to the message.
"""

from __future__ import annotations

import pytest

from redislint.precheck import precheck

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
