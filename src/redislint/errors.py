"""The error every stage raises for a bug in redislint itself, and the message every
stage gives for a file it cannot read.

In a module of its own, below the engine: the project stage raises it too, and the warm
path (`warm.py`), which decides deferred findings without importing the engine or the
parser, catches the same class.
"""

from __future__ import annotations


class InternalError(Exception):
    """A bug in redislint while checking a file; the message names the file."""


def cannot_read(name: str, exc: OSError) -> str:
    """`name: cannot read: reason`, the one wording of an unreadable file (the plan, the
    workers, fixes, add-noqa and the deployment reader report it alike)."""
    return f"{name}: cannot read: {exc.strerror or exc}"
