"""The styles of the human report formats' lines (`colour.colourize`): which part of each
known line shape gets which style, as ruff styles its output.

Apart from `colour.py` so that a run whose report is not coloured (a pipe, an editor, a
file) compiles none of these patterns.
"""

from __future__ import annotations

import re

import click


def _path(text: str) -> str:
    return click.style(text, bold=True)


def _sep(text: str = ":") -> str:
    return click.style(text, fg="cyan")


def _code(text: str) -> str:
    return click.style(text, fg="red", bold=True)


def _name(text: str) -> str:
    return click.style(text, dim=True)


# `path:line:col: RL201 [name] message` (text, concise, full), and grouped's
# `  line:col RL201 [name] message` under a `path:` heading.
_HEAD = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>RL\d+) (?P<rest>.*)$")
_GROUPED = re.compile(
    r"^(?P<indent>\s+)(?P<where>\d+:\d+)(?P<pad>\s+)(?P<code>RL\d+) (?P<rest>.*)$"
)
_NAME = re.compile(r"^(?P<name>\[[A-Za-z0-9_-]+\])(?P<message>.*)$")
_HINT = re.compile(r"^(?P<indent>\s+)hint:(?P<rest>.*)$")
_FIX = re.compile(r"^(?P<indent>\s+)fix \((?P<safety>[a-z-]+)\):(?P<rest>.*)$")
_GUTTER = re.compile(r"^(?P<indent>  )(?P<number>\s*\d*) \|(?P<rest>.*)$")
_CARETS = re.compile(r"^(?P<lead>\s*)(?P<marks>\^+)\s*$")
_STAT = re.compile(r"^(?P<count>\s*\d+)  (?P<code>RL\d+)(?P<rest>.*)$")
_COMMAND = re.compile(r"`([^`]+)`")


def _rest(rest: str) -> str:
    match = _NAME.match(rest)
    if match is None:
        return rest
    return _name(match.group("name")) + match.group("message")


def style_line(line: str) -> str:
    """One line of a report, styled (unchanged when it is none of the known shapes)."""
    if match := _HEAD.match(line):
        return (
            _path(match.group("path"))
            + _sep()
            + match.group("line")
            + _sep()
            + match.group("col")
            + _sep()
            + " "
            + _code(match.group("code"))
            + " "
            + _rest(match.group("rest"))
        )
    if match := _HINT.match(line):
        return match.group("indent") + click.style("hint:", fg="cyan", bold=True) + match["rest"]
    if match := _FIX.match(line):
        safety = match.group("safety")
        colour = "green" if safety == "safe" else "yellow"
        label = click.style(f"fix ({safety}):", fg=colour, bold=True)
        return match.group("indent") + label + match.group("rest")
    if match := _GUTTER.match(line):
        rest = match.group("rest")
        number = click.style(match.group("number") + " |", fg="blue", bold=True)
        carets = _CARETS.match(rest)
        if carets is not None and not match.group("number").strip():
            rest = carets.group("lead") + click.style(carets.group("marks"), fg="red", bold=True)
        return match.group("indent") + number + rest
    if match := _GROUPED.match(line):
        styled = (
            match.group("indent")
            + click.style(match.group("where"), dim=True)
            + match.group("pad")
            + _code(match.group("code"))
            + " "
            + _rest(match.group("rest"))
        )
        return styled
    if match := _STAT.match(line):
        return match.group("count") + "  " + _code(match.group("code")) + match.group("rest")
    if line.endswith(":") and not line.startswith(" ") and line.strip():
        return _path(line[:-1]) + _sep()  # grouped's file heading
    if line == "All checks passed!":
        return click.style(line, fg="green", bold=True)
    if line.startswith(("Found ", "No findings, but ")):
        return click.style(line, bold=True)
    if line.startswith("Fixed "):
        return click.style(line, fg="green")
    if "available with `" in line:
        return _COMMAND.sub(lambda m: "`" + click.style(m.group(1), fg="cyan") + "`", line)
    return line
