"""Our positions (1-based lines, 1-based columns in code points) <-> LSP positions.

LSP counts lines from 0 and columns in the code units of the negotiated encoding:
UTF-16 unless client and server agreed on UTF-8 or UTF-32. A character outside the
Basic Multilingual Plane (an emoji) is one code point but two UTF-16 units and four
UTF-8 bytes, so a column must be converted on the line's own text. Lines are split on
"\\n" only, as the engine and the fixer count them (a CRLF line's "\\r" is its last
character, which LSP clients also treat as part of the line ending, after any column
we report).
"""

from __future__ import annotations

from collections.abc import Sequence

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def split_lines(text: str) -> list[str]:
    return text.split("\n")


def units(chars: str, encoding: str = UTF16) -> int:
    """How many code units of `encoding` the string takes."""
    if encoding == UTF32 or chars.isascii():
        return len(chars)
    if encoding == UTF8:
        return len(chars.encode("utf-8", "surrogatepass"))
    return len(chars.encode("utf-16-le", "surrogatepass")) // 2


def to_lsp(lines: Sequence[str], line: int, column: int, encoding: str = UTF16) -> tuple[int, int]:
    """1-based (line, code-point column) -> 0-based (line, code-unit character).

    A position past the end of the text is clamped to the end (a whole-line edit ends
    at the start of the line after the last)."""
    if line > len(lines):
        last = len(lines) - 1
        return last, units(lines[last], encoding)
    text = lines[max(line - 1, 0)]
    return max(line - 1, 0), units(text[: max(column - 1, 0)], encoding)


def from_lsp(
    lines: Sequence[str], line: int, character: int, encoding: str = UTF16
) -> tuple[int, int]:
    """0-based (line, code-unit character) -> 1-based (line, code-point column).

    A character in the middle of a code point (half a surrogate pair) counts as that
    code point; one past the line's end is clamped to it, as LSP specifies."""
    if line >= len(lines):
        return len(lines), len(lines[-1]) + 1 if lines else 1
    text = lines[max(line, 0)]
    if encoding == UTF32 or text.isascii():
        return line + 1, min(character, len(text)) + 1
    seen = 0
    for index, char in enumerate(text):
        if seen >= character:
            return line + 1, index + 1
        seen += units(char, encoding)
    return line + 1, len(text) + 1


def minimal_edit(old: str, new: str) -> tuple[int, int, int, int, str]:
    """One replacement turning `old` into `new`: (line, column, end_line, end_column,
    text), 1-based code points, end exclusive. Only the span between the common prefix
    and the common suffix changes, so an editor keeps the cursor and folds elsewhere."""
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1

    def where(offset: int) -> tuple[int, int]:
        line = old.count("\n", 0, offset) + 1
        return line, offset - (old.rfind("\n", 0, offset) + 1) + 1

    line, column = where(start)
    end_line, end_column = where(end_old)
    return line, column, end_line, end_column, new[start:end_new]
