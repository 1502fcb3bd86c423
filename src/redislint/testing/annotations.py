"""The fixture annotation grammar (style.md section 4), parsed once for every fixture.

- `code  # expect: RL201` / `# expect: RL101, RL201` / `# expect: RL201@5` (column)
- a comment-only `# expect: RL108` line applies to the next code line
- `# ok: RL201` documents a deliberate negative (strictness already forbids findings)
- `# todo-expect: RL201` a known false negative: asserted *not* reported today
- `# todo-ok: RL201` a known false positive: tolerated, not required
- first line `# redislint-test: select = ["RL201"], cache-ttl = 60` sets options (TOML)

Deployment files (redis.conf, Compose, Kubernetes, Dockerfiles) use the same grammar in
their own `#` comments. redis.conf and Dockerfiles have no trailing comments, so there
the annotation is a comment-only line before the directive it is about (the form above
for "the next code line"). A finding about a directive a bare redis.conf lacks points at
its line 1, which no line precedes: `# expect-file: RL601` (anywhere in the file) expects
it there.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

_ANNOTATION = re.compile(
    r"#\s*(expect-file|expect|ok|todo-expect|todo-ok):\s*([A-Z0-9@,\s]+?)\s*(?=#|$)"
)
_CODE = re.compile(r"^(RL\d{3})(?:@(\d+))?$")
_HEADER = re.compile(r"^#\s*redislint-test:\s*(.*)$")


class AnnotationError(Exception):
    """A malformed annotation in a fixture (a bug in the fixture)."""


@dataclass(frozen=True, order=True)
class Expected:
    line: int
    code: str
    column: int | None = None


@dataclass
class Annotations:
    expected: list[Expected] = field(default_factory=list)
    todo_expected: list[Expected] = field(default_factory=list)
    tolerated: set[tuple[int, str]] = field(default_factory=set)
    options: dict[str, Any] = field(default_factory=dict)


def _codes(text: str, line: int) -> list[Expected]:
    result = []
    for part in text.split(","):
        part = part.strip()
        match = _CODE.match(part)
        if match is None:
            raise AnnotationError(f"line {line}: bad code {part!r} in annotation")
        column = int(match.group(2)) if match.group(2) else None
        result.append(Expected(line, match.group(1), column))
    return result


def parse_annotations(source: str) -> Annotations:
    lines = source.splitlines()
    result = Annotations()
    if lines:
        header = _HEADER.match(lines[0].strip())
        if header:
            try:
                result.options = tomllib.loads(f"options = {{ {header.group(1)} }}")["options"]
            except tomllib.TOMLDecodeError as exc:
                raise AnnotationError(f"line 1: bad redislint-test header: {exc}") from exc
    pending: list[tuple[str, str, int]] = []
    for number, text in enumerate(lines, start=1):
        stripped = text.strip()
        comment_only = stripped.startswith("#")
        if not stripped:
            continue
        target = number
        if not comment_only and pending:
            for kind, codes, origin in pending:
                _record(result, kind, codes, number, origin)
            pending = []
        for match in _ANNOTATION.finditer(text):
            kind, codes = match.group(1), match.group(2)
            if kind == "expect-file":
                _record(result, "expect", codes, 1, number)
            elif comment_only:
                pending.append((kind, codes, number))
            else:
                _record(result, kind, codes, target, number)
    if pending:
        raise AnnotationError(f"line {pending[0][2]}: annotation with no code line after it")
    return result


def _record(result: Annotations, kind: str, codes: str, line: int, origin: int) -> None:
    parsed = _codes(codes, origin)
    for item in parsed:
        item = Expected(line, item.code, item.column)
        if kind == "expect":
            result.expected.append(item)
        elif kind == "todo-expect":
            result.todo_expected.append(item)
        elif kind == "todo-ok":
            result.tolerated.add((line, item.code))
