"""A module's code without its comments and blank lines: what an importer's analysis
can see of it, so that editing a comment does not re-check every file importing it.

A cached result lists the project modules its analysis read, each with its content hash
(`cache.py`). When one of them changed, the result is still valid if the module's
*shape* is unchanged: the same text once comments, blank lines and trailing whitespace
are dropped. Everything redislint reads of an imported module survives that: the
libcst tree differs only in whitespace and comment nodes that the model never reads,
and positions are only ever reported inside the checked file itself. Two textual
readings of imported modules also see comments, so the shape keeps what they look at:
every comment the prefilter would match (`keep_comment`: "redis", configured names).
The import-line scan cannot match a comment (it reads lines that start with `from` or
`import`). The shape is of the decoded text, which is all the analysis reads: a coding
cookie matters only through it.

Comments are found by a small lexer that skips string literals. It agrees with
CPython's tokenizer on code that compiles, so a caller trusts an unchanged shape only
for a text that compiles (`cache.py` checks the edited module once); a text where the
lexer could be wrong (an f-string whose braces do not balance: Python 3.12 lets it
nest its own quotes) or that Python reads differently (a NUL byte) has no shape, and
its importers are re-checked as before. This module must not import libcst.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

# A string literal (single or triple quoted, escapes skipped), or a comment
# (to the end of the line: `\r` ends a line for Python too).
_SQ3 = r"'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
_DQ3 = r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
_SQ = r"'[^'\\\r\n]*(?:\\.[^'\\\r\n]*)*'"
_DQ = r'"[^"\\\r\n]*(?:\\.[^"\\\r\n]*)*"'
# Every alternative starts with a literal character, so the regex engine skips to the
# next quote or `#` instead of trying a match at every character (4x faster).
_LEXEME = re.compile(rf"{_SQ3}|{_DQ3}|{_SQ}|{_DQ}|#[^\r\n]*", re.S)
# A run of newlines: the empty lines after a line end.
_NEWLINES = re.compile(r"\n\n+")


def code_shape(text: str, keep_comment: Callable[[str], bool]) -> str | None:
    """The hash of `text` without its comments and blank lines (see the module
    docstring), or None when it cannot be trusted for this text."""
    if "\0" in text:
        return None
    pieces: list[str] = []
    last = 0
    for match in _LEXEME.finditer(text):
        lexeme = match.group()
        if lexeme[0] == "#":
            if match.start() and text[match.start() - 1] == "\\":
                return None  # `\#` does not compile; without the comment it would
            if not keep_comment(lexeme):
                pieces.append(text[last : match.start()])
                last = match.end()
            continue
        prefix = text[max(match.start() - 2, 0) : match.start()].lower()
        if "f" in prefix and not _balanced(lexeme):
            return None
    pieces.append(text[last:])
    code = _NEWLINES.sub(_one_newline, _without_trailing_blanks("".join(pieces)).lstrip("\n"))
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _without_trailing_blanks(code: str) -> str:
    """Each line without the spaces and tabs at its end, unless they follow a backslash
    (`\\ ` + newline does not continue the line: stripping it would make such a text
    compile). The last line, which no newline ends, keeps them."""
    lines = code.split("\n")
    for number in range(len(lines) - 1):
        line = lines[number]
        stripped = line.rstrip(" \t")
        if len(stripped) != len(line) and not stripped.endswith("\\"):
            lines[number] = stripped
    return "\n".join(lines)


def _one_newline(run: re.Match[str]) -> str:
    """A run of newlines as one: the empty lines dropped, except the one after a
    backslash (dropping it would join the lines around it)."""
    at = run.start()
    return "\n\n" if at and run.string[at - 1] == "\\" else "\n"


def _balanced(literal: str) -> bool:
    """Whether an f-string's replacement fields close (doubled braces are text)."""
    inner = literal.replace("{{", "").replace("}}", "")
    depth = 0
    for char in inner:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
