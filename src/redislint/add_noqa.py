"""`--add-noqa`: append `# redislint: ignore[CODE]` to each current finding.

Adopting redislint on a legacy code base starts either with a baseline file or with
suppressions written into the code; this writes the latter. A comment goes on the
finding's line, or on the statement's first line when the finding's line ends inside
a multi-line string or a continuation (the two lines the suppression matcher reads);
codes merge into an existing `# redislint: ignore[...]` on that line. Files are
written atomically, and a file that changed since it was checked is left alone.
"""

from __future__ import annotations

import re
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from redislint.errors import cannot_read
from redislint.findings import Finding
from redislint.fixes import SourceFormat, StaleFileError, is_valid_source, write_atomic
from redislint.semantics.project import decode_source

_IGNORE_COMMENT = re.compile(r"(#[ \t]*redislint[ \t]*:[ \t]*ignore[ \t]*\[)([^\]\n]*)(\])", re.I)
_IGNORE_ALL = re.compile(r"#[ \t]*redislint[ \t]*:[ \t]*ignore(?![\w\[-])", re.I)


@dataclass
class NoqaText:
    """`text` with suppression comments added; `skipped` could not take one."""

    text: str
    added: int = 0  # findings now covered by a comment that was added or extended
    skipped: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, why)


def _line_facts(text: str) -> tuple[set[int], dict[int, int], dict[int, tokenize.TokenInfo]]:
    """Lines that can take a trailing comment, each line's logical-line start, comments.

    A line can take one when the tokenizer ends it with NEWLINE or NL: not inside a
    triple-quoted string, not continued with a backslash. Lines inside brackets do end
    with NL, so a call spread over lines can take a comment on its first line.
    """
    closable: set[int] = set()
    first_of: dict[int, int] = {}
    comments: dict[int, tokenize.TokenInfo] = {}
    start: int | None = None
    layout = (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE)
    for token in tokenize.generate_tokens(StringIO(text).readline):
        if token.type in (tokenize.NEWLINE, tokenize.NL):
            closable.add(token.start[0])
        elif token.type == tokenize.COMMENT:
            comments[token.start[0]] = token
        if start is None and token.type not in (*layout, tokenize.ENDMARKER):
            start = token.start[0]
        if start is not None:
            for row in range(token.start[0], token.end[0] + 1):
                first_of.setdefault(row, start)
        if token.type == tokenize.NEWLINE:
            start = None
    return closable, first_of, comments


def add_noqa_text(text: str, findings: Iterable[Finding]) -> NoqaText:
    """Add `# redislint: ignore[CODE, ...]` so that each finding is suppressed.

    The comment goes at the end of the finding's line, where the engine looks first;
    when that line ends inside a string or a backslash continuation, at the end of the
    statement's first line (where it looks second); when neither can take a comment,
    the finding is skipped and reported. An existing `# redislint: ignore[...]` on the
    line gets the new codes merged in (sorted), so a line never carries two of them.
    """
    result = NoqaText(text)
    findings = sorted(findings, key=lambda f: f.sort_key)
    if not findings:
        return result
    try:
        closable, first_of, comments = _line_facts(text)
    except (tokenize.TokenError, SyntaxError) as exc:
        reason = f"the file does not tokenize ({exc.args[0] if exc.args else exc})"
        result.skipped = [(f, reason) for f in findings]
        return result
    wanted: dict[int, set[str]] = {}
    counted: dict[int, int] = {}
    for finding in findings:
        line = finding.line
        if line not in closable:
            line = first_of.get(finding.line, finding.line)
        if line not in closable:
            result.skipped.append(
                (finding, "the line ends inside a string or a backslash continuation")
            )
            continue
        wanted.setdefault(line, set()).add(finding.code)
        counted[line] = counted.get(line, 0) + 1
    lines = text.split("\n")
    for line, codes in sorted(wanted.items()):
        raw = lines[line - 1]
        body = raw[:-1] if raw.endswith("\r") else raw
        ending = raw[len(body) :]
        comment = comments.get(line)
        if comment is not None and _IGNORE_ALL.search(comment.string):
            continue  # already suppresses every code (the finding came from elsewhere)
        match = _IGNORE_COMMENT.search(comment.string) if comment is not None else None
        if comment is not None and match is not None:
            existing = {c.strip().upper() for c in re.split(r"[\s,]+", match.group(2)) if c}
            merged = ", ".join(sorted(existing | codes))
            start = comment.start[1] + match.start(2)
            end = comment.start[1] + match.end(2)
            body = body[:start] + merged + body[end:]
        else:
            body = body.rstrip() + f"  # redislint: ignore[{', '.join(sorted(codes))}]"
        lines[line - 1] = body + ending
        result.added += counted[line]
    result.text = "\n".join(lines)
    return result


@dataclass
class NoqaOutcome:
    added: int = 0
    files: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def add_noqa_files(
    findings: Iterable[Finding], sources: Mapping[str, str], cwd: Path
) -> NoqaOutcome:
    """Add suppression comments for `findings` to their files, each written atomically.

    A file whose bytes changed since it was checked, or whose new text would not parse,
    is left alone with a warning.
    """
    outcome = NoqaOutcome()
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    for rel in sorted(by_path):
        found = by_path[rel]
        source = sources.get(rel)
        if source is None:
            outcome.warnings.append(f"{rel}: cannot be decoded; no suppression added")
            continue
        path = (cwd / rel).absolute()
        try:
            data = path.read_bytes()
        except OSError as exc:
            outcome.errors.append(cannot_read(rel, exc))
            continue
        try:
            unchanged = decode_source(data) == source
        except (UnicodeDecodeError, SyntaxError, LookupError):
            unchanged = False
        if not unchanged:
            outcome.warnings.append(f"{rel}: changed on disk since it was checked; not edited")
            continue
        edited = add_noqa_text(source, found)
        for finding, why in edited.skipped:
            outcome.warnings.append(
                f"{rel}:{finding.line}: no suppression added for {finding.code}: {why}"
            )
        if edited.text == source:
            continue
        fmt = SourceFormat.detect(data)
        parsed_before = is_valid_source(source, fmt)
        if parsed_before and not is_valid_source(edited.text, fmt):
            outcome.warnings.append(f"{rel}: adding suppressions would break the file; not edited")
            continue
        try:
            write_atomic(path, fmt.encode(edited.text), expected=data)
        except StaleFileError:
            outcome.warnings.append(f"{rel}: changed on disk while being edited; not overwritten")
            continue
        except OSError as exc:
            outcome.errors.append(f"{rel}: cannot write: {exc.strerror or exc}")
            continue
        outcome.added += edited.added
        outcome.files += 1
    return outcome
