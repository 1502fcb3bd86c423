"""The `redislint` command (and `python -m redislint`): before the command line
interface is imported, a `check` run forks its standby worker (`parallel.Standby`).

The worker then prepares the checks (libcst and the rules: about 0.4 s) while this
process imports click, reads the configuration and plans the run, instead of after
(issue 13: a warm run after an edit waited for those imports). A run that needs no
check (the cache answers it, `--help`, `--show-files`) ends the worker unused; one text
on stdin gets none (it is planned in milliseconds: nothing to overlap).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redislint.parallel import Standby


def main() -> None:
    with _standby_for(sys.argv[1:]) as standby:
        from redislint.cli import main as cli

        cli(obj=standby)  # exits (click's standalone mode); the block ends the worker


def _standby_for(args: Sequence[str]) -> AbstractContextManager[Standby | None]:
    stdin = any(arg == "--stdin-filename" or arg.startswith("--stdin-filename=") for arg in args)
    if args[:1] == ["check"] and not stdin:
        # Imported here: pickle and signal are not needed for `--version` or stdin.
        from redislint.jobs import PREPARE_WORKER
        from redislint.parallel import Standby

        return Standby.started(PREPARE_WORKER)
    return nullcontext()
