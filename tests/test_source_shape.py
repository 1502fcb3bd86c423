"""`source_shape.code_shape`: equal for texts that differ only in comments and blank
lines, different whenever the code (strings included) differs, and None where the
lexer that finds comments could be wrong."""

from __future__ import annotations

import ast

import pytest

from redislint.source_shape import code_shape

BASE = '''"""Doc.

# not a comment: part of the docstring
"""
import redis

URL = "redis://h#frag"  # a '#' inside a string stays
r = redis.Redis.from_url(URL)


def key(uid):
    return f"user:{uid}#{{x}}"
'''


def _shape(text: str) -> str | None:
    return code_shape(text, lambda comment: "redis" in comment.lower())


@pytest.mark.parametrize(
    "edited",
    [
        "# header\n\n" + BASE,
        BASE + "\n\n# the end\n",
        BASE.replace("import redis\n", "import redis  # the client\n\n\n"),
        BASE.replace("r = ", "   \n\nr = "),
        BASE.replace("(uid):\n", "(uid):   \n    # the key\n"),
    ],
)
def test_comments_and_blank_lines_do_not_change_the_shape(edited: str) -> None:
    ast.parse(edited)
    assert _shape(edited) == _shape(BASE) is not None


@pytest.mark.parametrize(
    "edited",
    [
        BASE.replace("# not a comment", "# changed"),  # inside the docstring
        BASE.replace("h#frag", "h#other"),  # inside a string
        BASE.replace("{{x}}", "{{y}}"),
        BASE.replace("    return", "     return"),  # indentation is code
        BASE.replace("r = redis", "r = (redis").replace("from_url(URL)", "from_url(URL))"),
        BASE + "# uses Redis\n",  # the prefilter reads such a comment
        BASE.replace("\n", "\r\n"),  # other line ends: conservative, not normalised
    ],
)
def test_code_and_kept_comments_change_the_shape(edited: str) -> None:
    assert _shape(edited) != _shape(BASE)


@pytest.mark.parametrize(
    "text",
    [
        "x = 1\0\n",  # Python reads NUL bytes differently
        "x = f'{a['#']}'\n",  # 3.12 nesting: the lexer would see a comment
        "x = 1 + \\# c\n",  # without the comment it would continue the line
    ],
)
def test_no_shape_where_the_lexer_may_be_wrong(text: str) -> None:
    assert _shape(text) is None


def test_a_blank_line_after_a_backslash_is_kept() -> None:
    # `\` + an empty line does not compile; dropping the line would make it compile.
    assert _shape("x = 1 + \\\n\n2\n") != _shape("x = 1 + \\\n2\n")


def test_blanks_after_a_backslash_stay_and_other_trailing_blanks_go() -> None:
    # `\ ` + newline does not continue the line (it does not compile); stripping the
    # space would make it compile. Elsewhere trailing blanks are not code.
    assert _shape("x = 1 + \\ \n2\n") != _shape("x = 1 + \\\n2\n")
    assert _shape("x = 1 \t\ny = 2  \n\t\n") == _shape("x = 1\ny = 2\n") is not None
    # several empty lines after a backslash count as one, as after any other line
    assert _shape("x = 1 + \\\n\n\n\n2\n") == _shape("x = 1 + \\\n\n2\n")
