"""redis.conf and `redis-server` command lines, read the way Redis reads them.

Redis (7.x `config.c` / `sds.c: sdssplitargs`) splits the file on "\\n", trims each
line, skips blank lines and lines starting with `#` (there are no inline comments),
splits the rest into arguments (`"..."` with C escapes and `\\xHH`, `'...'` with only
`\\'`; a closing quote must be followed by a blank), lower-cases the directive name and
applies the lines in order: the last one wins, except `save` (the first one read
replaces the default points, later ones add to them, `save ""` clears them) and the
directives that accumulate (`rename-command`, `user`). `include` is read in place.
Command-line options (`redis-server [config] --name value...`) are appended after the
file, so they win over it.

A relative `include` resolves from the including file's directory (rules.md; Redis
itself resolves from its working directory, which for a deployment is the directory the
config is deployed to). An include that cannot be read makes absent directives unknown.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from redislint.deploy.model import DeployProblem, Directive, Location
from redislint.errors import cannot_read

# Values Redis refuses at start-up for the settings the rules read: a config with one of
# these is not what will run, so it is reported (RL001) rather than judged.
_BOOLEANS = ("appendonly", "protected-mode")
_ENUMS: dict[str, tuple[str, ...]] = {
    "appendfsync": ("always", "everysec", "no"),
    "maxmemory-policy": (
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "noeviction",
    ),
}
_MAX_INCLUDE_DEPTH = 16


class SplitError(ValueError):
    """Unbalanced quotes: `column` is the 1-based column where the bad argument starts."""

    def __init__(self, column: int) -> None:
        super().__init__("unbalanced quotes in a configuration line")
        self.column = column


def split_args(line: str) -> list[tuple[str, int, int]]:
    """`sdssplitargs`: the arguments of one line, each with its 0-based start and end."""
    result: list[tuple[str, int, int]] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return result
        start = i
        current: list[str] = []
        in_double = in_single = False
        while True:
            ch = line[i] if i < n else ""
            if in_double:
                if ch == "\\" and i + 1 < n and line[i + 1] == "x" and _hex2(line, i + 2):
                    current.append(chr(int(line[i + 2 : i + 4], 16)))
                    i += 3
                elif ch == "\\" and i + 1 < n:
                    i += 1
                    current.append(
                        {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}.get(
                            line[i], line[i]
                        )
                    )
                elif ch == '"':
                    if i + 1 < n and not line[i + 1].isspace():
                        raise SplitError(start + 1)
                    i += 1
                    break
                elif not ch:
                    raise SplitError(start + 1)
                else:
                    current.append(ch)
            elif in_single:
                if ch == "\\" and i + 1 < n and line[i + 1] == "'":
                    i += 1
                    current.append("'")
                elif ch == "'":
                    if i + 1 < n and not line[i + 1].isspace():
                        raise SplitError(start + 1)
                    i += 1
                    break
                elif not ch:
                    raise SplitError(start + 1)
                else:
                    current.append(ch)
            elif not ch or ch in " \n\r\t":
                break
            elif ch == '"':
                in_double = True
            elif ch == "'":
                in_single = True
            else:
                current.append(ch)
            i += 1
        result.append(("".join(current), start, i))


def _hex2(text: str, at: int) -> bool:
    return at + 1 < len(text) and all(c in "0123456789abcdefABCDEF" for c in text[at : at + 2])


@dataclass
class ConfRead:
    """The directives of a config file and its includes, in the order Redis applies them."""

    directives: list[Directive] = field(default_factory=list)
    problems: list[DeployProblem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every file read (the config first)
    complete: bool = True  # False: an include could not be read
    notes: list[str] = field(default_factory=list)


def parse_conf_text(
    text: str,
    reported_path: str,
    *,
    line_offset: int = 0,
    column_offset: int = 0,
    editable: bool = True,
) -> tuple[list[tuple[Directive, str]], list[DeployProblem]]:
    """Directives of one config text (includes not followed), each with its raw line.

    `line_offset`/`column_offset` place text embedded in another file (a ConfigMap's
    block scalar). A line Redis would refuse is a problem, and is skipped.
    """
    found: list[tuple[Directive, str]] = []
    problems: list[DeployProblem] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip(" \t\r\n")
        if not stripped or stripped.startswith("#"):
            continue
        lead = len(raw) - len(raw.lstrip(" \t\r\n"))
        line = number + line_offset
        try:
            args = split_args(stripped)
        except SplitError as exc:
            column = lead + exc.column + column_offset
            where = Location(reported_path, line, column, line, column)
            problems.append(DeployProblem(where, "redis.conf: unbalanced quotes in this line"))
            continue
        if not args:
            continue
        name = args[0][0].lower()
        values = _normalise(name, tuple(a[0] for a in args[1:]))
        start = lead + 1 + column_offset
        location = Location(reported_path, line, start, line, start + len(stripped))
        problem = value_problem(name, values)
        if problem is not None:
            problems.append(DeployProblem(location, f"redis.conf: {problem}"))
            continue
        found.append((Directive(name, values, location, "config", editable), raw))
    return found, problems


def value_problem(name: str, values: Sequence[str]) -> str | None:
    """Why Redis would refuse `name values` at start-up, for the settings rules read."""
    if name in _BOOLEANS:
        if len(values) != 1 or values[0].lower() not in ("yes", "no"):
            return f"'{name}' takes yes or no (Redis would not start)"
    elif name in _ENUMS:
        if len(values) != 1 or values[0].lower() not in _ENUMS[name]:
            return f"'{name}' takes one of {', '.join(_ENUMS[name])} (Redis would not start)"
    elif name == "maxmemory":
        if len(values) != 1 or memory_bytes(values[0]) is None:
            return "'maxmemory' takes a size such as 100mb (Redis would not start)"
    elif name == "save":
        points = [v for v in values if v != ""]
        if len(points) % 2 or not all(v.isdigit() for v in points):
            return "'save' takes pairs of seconds and changes, or \"\" (Redis would not start)"
    elif name == "rename-command" and len(values) != 2:
        return "'rename-command' takes a command and a new name (Redis would not start)"
    return None


def _normalise(name: str, values: tuple[str, ...]) -> tuple[str, ...]:
    if name in _BOOLEANS or name in _ENUMS:
        return tuple(v.lower() for v in values)
    return values


def memory_bytes(text: str) -> int | None:
    """Redis's `memtoull`: 1k = 1000, 1kb = 1024, and so on (case-insensitive)."""
    lowered = text.strip().lower()
    units: tuple[tuple[str, int], ...] = (
        ("gb", 1024**3),
        ("mb", 1024**2),
        ("kb", 1024),
        ("g", 10**9),
        ("m", 10**6),
        ("k", 1000),
        ("b", 1),
    )
    for suffix, factor in units:
        if lowered.endswith(suffix):
            number = lowered[: -len(suffix)]
            return int(number) * factor if number.isdigit() else None
    return int(lowered) if lowered.isdigit() else None


def read_conf(
    path: Path,
    display: Callable[[Path], str],
    *,
    text: str | None = None,
    depth: int = 0,
    result: ConfRead | None = None,
    known: Mapping[Path, str] | None = None,
) -> ConfRead:
    """A config file with its includes (`text` when already read; `known` holds texts
    by resolved path that take precedence over the disk, for re-checks after a fix)."""
    result = result if result is not None else ConfRead()
    if text is None and known is not None:
        text = known.get(path.resolve())
    if text is None:
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            result.complete = False
            result.notes.append(cannot_read(display(path), exc))
            return result
    result.files.append(path)
    found, problems = parse_conf_text(text, display(path))
    result.problems.extend(problems)
    for directive, _raw in found:
        if directive.name != "include":
            result.directives.append(directive)
            continue
        if len(directive.args) != 1 or depth >= _MAX_INCLUDE_DEPTH:
            result.complete = False
            continue
        target = directive.args[0]
        pattern = target if os.path.isabs(target) else str(path.parent / target)
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        existing = [Path(m) for m in matches if os.path.isfile(m)]
        if not existing:
            result.complete = False
            result.notes.append(
                f"{directive.location.path}:{directive.location.line}: "
                f"include {target} not found in the tree"
            )
            continue
        for included in existing:
            read_conf(included, display, depth=depth + 1, result=result, known=known)
    return result


@dataclass(frozen=True)
class Token:
    """One command-line argument and where it is written."""

    text: str
    location: Location


def parse_command_line(tokens: Sequence[Token]) -> tuple[Token | None, list[Directive]]:
    """`redis-server [config] [--name value...]`, as Redis 7's `main()` reads it.

    `tokens` are the arguments after the program name. Returns the config file argument
    (None when there is none) and the options as directives, in order.
    """
    config: Token | None = None
    index = 0
    if tokens and not tokens[0].text.startswith("-"):
        config = tokens[0]
        index = 1
    options: list[tuple[Token, list[Token]]] = []
    handled_last = True
    while index < len(tokens):
        token = tokens[index]
        if token.text == "-" and (index == 0 or index == len(tokens) - 1):
            pass  # config from stdin: nothing to read here
        elif handled_last and token.text.startswith("--"):
            words = token.text[2:].split()
            head = Token(words[0] if words else "", token.location)
            values = [Token(w, token.location) for w in words[1:]]
            options.append((head, values))
            handled_last = len(words) > 1
            if not handled_last and head.text.lower() == "save":
                last = index == len(tokens) - 1
                if last or tokens[index + 1].text.startswith("--"):
                    options[-1][1].append(Token("", token.location))
                    handled_last = True
        elif options:
            options[-1][1].append(token)
            handled_last = True
        index += 1
    directives = []
    for head, values in options:
        name = head.text.lower()
        args = _normalise(name, tuple(v.text for v in values))
        end = values[-1].location if values else head.location
        if end.line != head.location.line:
            end = head.location
        where = Location(
            head.location.path,
            head.location.line,
            head.location.column,
            end.end_line,
            end.end_column,
        )
        directives.append(Directive(name, args, where, "command"))
    return config, directives


def command_problems(directives: Sequence[Directive]) -> list[DeployProblem]:
    """Command-line options Redis would refuse (same checks as the config file)."""
    problems = []
    for directive in directives:
        problem = value_problem(directive.name, directive.args)
        if problem is not None:
            problems.append(DeployProblem(directive.location, f"redis-server: {problem}"))
    return problems
