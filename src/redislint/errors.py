"""The error every stage raises for a bug in redislint itself.

In a module of its own, below the engine: the project stage raises it too, and the warm
path (`warm.py`), which decides deferred findings without importing the engine or the
parser, catches the same class.
"""

from __future__ import annotations


class InternalError(Exception):
    """A bug in redislint while checking a file; the message names the file."""
