"""Colour for the human formats on a terminal, styled as ruff styles its output.

Why a pass over the rendered report rather than colour inside each reporter: reporters
stay pure functions of the result (tested byte for byte, written to files unchanged),
and colour can only ever be added, never change a character of the text itself
(`strip_ansi(colourize(report)) == report`).

When colour is used (`use_colour`), in this order, the first that speaks decides:
1. `--color always` / `--color never` (the user's explicit word for this run);
2. `NO_COLOR` set to any non-empty value: no colour (no-color.org);
3. `FORCE_COLOR` set to any non-empty value: colour (force-color.org), even in a pipe;
4. otherwise (`--color auto`): colour only when the report goes to a terminal and
   `TERM` is not `dumb`.
Never in `--output-file`, and never in the machine formats, whatever the above say.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any

COLOUR_CHOICES = ("auto", "always", "never")
# The formats people read; every other one is parsed by a tool and stays plain.
COLOURED_FORMATS = ("text", "concise", "full", "grouped")


def use_colour(
    choice: str,
    stream: IO[Any] | None,
    output_format: str,
    *,
    to_file: bool = False,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Whether the report of this run is coloured (precedence in the module doc)."""
    if to_file or output_format not in COLOURED_FORMATS or choice == "never":
        return False
    if choice == "always":
        return True
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    try:
        tty = stream is not None and stream.isatty()
    except (ValueError, OSError):  # a closed or detached stream
        tty = False
    return bool(tty) and env.get("TERM") != "dumb"


def colourize(report: str) -> str:
    """The report with ANSI styles added; its text is unchanged (`click.unstyle`)."""
    from redislint.report.styling import style_line  # its patterns: only when colouring

    return "\n".join(style_line(line) for line in report.split("\n"))
