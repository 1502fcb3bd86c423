"""Suppression comments: `# redislint: ignore[...]`, `# noqa: ...` and `# redislint: skip-file`.

Forms (the marker is case-insensitive, codes are upper-cased):

- `# redislint: ignore[RL301]`, `# redislint: ignore[RL301, RL201]`: those codes on this line;
- `# redislint: ignore`: every code on this line;
- `# noqa: RL301`, `# noqa: RL301,RL201` (ruff/flake8 style): those codes. Codes of other tools
  (`E501`) are dropped, so `# noqa: E501` suppresses nothing here;
- `# noqa` (bare): every code, as flake8 and ruff read it;
- `# redislint: skip-file` on a line of its own, anywhere: the whole file is not checked.

The engine asks `match(code, lines)` with the reported line and the statement's first line
(rules.md), records which `(line, code)` pairs were used, and asks `unused(used)` for RL002.

Precision trade-off: the text is scanned with one regular expression, not tokenized, so a
marker inside a string literal (`s = "# noqa"`) also counts. A tokenizer pass would cost
about as much as a large part of the parse for every file that mentions a marker, to handle a
case that practically only occurs in linters' own test suites; a stray suppression is visible
in review, and RL002 reports it when it suppresses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

# One pass over the whole text: `re` finds the literal `#` with a fast scan, and `[ \t]`
# (never `\s`) keeps every match on a single line.
_DIRECTIVE = re.compile(
    r"""
    \#[ \t]*
    (?:
        redislint[ \t]*:[ \t]*
        (?:
            (?P<skip>skip-file)(?![\w-])
          | ignore
            (?:[ \t]*\[(?P<rl_codes>[^\]\n]*)\]
              | (?![\w\[-])            # bare `ignore`; an unclosed `ignore[` is no directive
            )
        )
      | noqa
        (?:[ \t]*:[ \t]*
            (?P<noqa_codes>[A-Za-z]+[0-9]+(?:(?:[ \t]*,[ \t]*|[ \t]+)[A-Za-z]+[0-9]+)*)
          | (?![\w:-])                 # bare `noqa`; `noqa:` without a code is no directive
        )
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_CODE_SPLIT = re.compile(r"[\s,]+")
_OWN_CODE = re.compile(r"RL[0-9]+")


class SuppressionComment(NamedTuple):
    """A suppression on `line` for `codes` (None: every code)."""

    line: int
    codes: frozenset[str] | None


@dataclass(frozen=True)
class Suppressions:
    """The suppression comments of one file, by line."""

    skip_file: bool = False
    comments: tuple[SuppressionComment, ...] = ()
    # Lines whose only "all codes" marker is a bare noqa comment. That comment belongs to every
    # flake8-style tool at once, so redislint never calls it unused.
    shared_lines: frozenset[int] = frozenset()
    _by_line: dict[int, frozenset[str] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_line", {c.line: c.codes for c in self.comments})

    def __bool__(self) -> bool:
        """False when the file has nothing to suppress: the engine can skip all matching."""
        return self.skip_file or bool(self.comments)

    def match(self, code: str, lines: Iterable[int]) -> int | None:
        """The line of the comment that suppresses `code` on one of `lines`, or None.

        `lines` are 1-based and tried in order (the engine passes the reported line first,
        then the statement's first line), so the returned line is the one to mark as used.
        """
        if not self._by_line:
            return None
        wanted = code.upper()
        for line in lines:
            if line not in self._by_line:
                continue
            codes = self._by_line[line]
            if codes is None or wanted in codes:
                return line
        return None

    def unused(
        self,
        used: Collection[tuple[int, str]],
        *,
        active_codes: Collection[str] | None = None,
    ) -> list[SuppressionComment]:
        """The comments, or the codes of comments, that suppressed nothing (for RL002).

        `used` holds the `(line, code)` pairs for which `match` returned `line`. A comment for
        all codes is unused when no code was suppressed on its line. For a comment with codes,
        the result holds only its unused codes. Codes outside `active_codes` (rules that did
        not run for this file: not selected, per-file ignored) are not reported, since a rule
        that did not run cannot have used them; None means every code is active.
        """
        used_by_line: dict[int, set[str]] = {}
        for line, code in used:
            used_by_line.setdefault(line, set()).add(code.upper())
        active = None if active_codes is None else {c.upper() for c in active_codes}
        result: list[SuppressionComment] = []
        for comment in self.comments:
            hit = used_by_line.get(comment.line, set())
            if comment.codes is None:
                if not hit and comment.line not in self.shared_lines:
                    result.append(comment)
                continue
            left = comment.codes - hit
            if active is not None:
                left &= active
            if left:
                result.append(SuppressionComment(comment.line, frozenset(left)))
        return result


NO_SUPPRESSIONS = Suppressions()


def _codes(raw: str) -> frozenset[str]:
    return frozenset(part.upper() for part in _CODE_SPLIT.split(raw) if part)


def _own_line(source: str, start: int, end: int) -> bool:
    """Whether the directive at source[start:end] stands alone on its line (comments may follow)."""
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", end)
    rest = source[end : None if line_end < 0 else line_end].strip()
    return not source[line_start:start].strip() and (not rest or rest.startswith("#"))


def parse_suppressions(source: str) -> Suppressions:
    """Find every suppression comment in `source` (the file's text)."""
    # Cheap gate first: most files mention neither marker. Lower-casing first keeps the
    # marker case-insensitive (NOQA in capitals) for the price of one copy, far below a parse.
    lowered = source.lower()
    if "redislint" not in lowered and "noqa" not in lowered:
        return NO_SUPPRESSIONS
    if "\r" in source:
        # Count lines as the parser does: CRLF and a lone CR end a line too.
        source = source.replace("\r\n", "\n").replace("\r", "\n")

    skip_file = False
    per_line: dict[int, frozenset[str] | None] = {}
    shared: set[int] = set()
    explicit_all: set[int] = set()
    line, pos = 1, 0
    for m in _DIRECTIVE.finditer(source):
        line += source.count("\n", pos, m.start())
        pos = m.start()
        codes: frozenset[str] | None
        if m.group("skip"):
            skip_file = skip_file or _own_line(source, m.start(), m.end())
            continue
        if m.group("rl_codes") is not None:
            codes = _codes(m.group("rl_codes"))
            if not codes:
                continue  # `ignore[]` names nothing: suppress nothing rather than everything
        elif m.group("noqa_codes") is not None:
            codes = frozenset(c for c in _codes(m.group("noqa_codes")) if _OWN_CODE.fullmatch(c))
            if not codes:
                continue  # another tool's codes only
        else:
            codes = None
            if m.group(0).lower().lstrip("# \t").startswith("noqa"):
                shared.add(line)
            else:
                explicit_all.add(line)
        if line in per_line:
            previous = per_line[line]
            codes = None if previous is None or codes is None else previous | codes
        per_line[line] = codes

    comments = tuple(SuppressionComment(n, per_line[n]) for n in sorted(per_line))
    return Suppressions(
        skip_file=skip_file,
        comments=comments,
        shared_lines=frozenset(shared - explicit_all),
    )


__all__ = ["NO_SUPPRESSIONS", "SuppressionComment", "Suppressions", "parse_suppressions"]
