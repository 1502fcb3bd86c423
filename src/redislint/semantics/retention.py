"""Which parsed modules a worker still needs, so the others' syntax trees can be freed.

A worker checks its files in a fixed order, and a module's facts hold its whole libcst
tree (every scope, binding and call site points into it): keeping every module parsed
in a run costs about 2 MiB per thousand lines (issue 13: 414 MiB on the redis sdist).
After each file, a module is needed again only when a file still to be checked may read
it: the module is one of those files, one of them imports it (directly or through the
modules they import: re-exports, base classes), or it imports one of them (callers of
their functions, `Resolver.project_callers`). Everything else is released.

The prediction uses the project's textual import graph (`semantics/import_scan.py`).
It is never a condition for correct findings: a released module asked for again is
parsed again from the same text, so the only cost of a wrong guess is that parse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

# A module's facts key -> the facts keys of project files on one side of its imports.
Neighbours = Callable[[str], Iterable[str]]


class Retention:
    """`needed(module, done)`: whether a file after position `done` may read `module`.

    `imports(m)` are the project files `m` imports, `importers(m)` the files that import
    `m`. Answers are remembered per module and forgotten by `graph_changed()` (a scan
    of another part of the project can add importers).
    """

    def __init__(self, order: Sequence[str], imports: Neighbours, importers: Neighbours) -> None:
        self._position = {path: index for index, path in enumerate(order)}
        self._imports = imports
        self._importers = importers
        self._last: dict[str, int] = {}

    def position(self, path: str) -> int:
        """Where `path` stands in the check order (-1: not one of the files)."""
        return self._position.get(path, -1)

    def graph_changed(self) -> None:
        self._last.clear()

    def reorder(self, start: int, paths: Sequence[str]) -> None:
        """The files at positions `start`... come in this order instead (a permutation
        of the files there: the other positions keep theirs)."""
        for offset, path in enumerate(paths):
            self._position[path] = start + offset
        self._last.clear()

    def needed(self, module: str, done: int) -> bool:
        return self._last_use(module) > done

    def _last_use(self, module: str) -> int:
        """The last position (in check order) of a file that may read `module`; -1: none."""
        known = self._last.get(module)
        if known is not None:
            return known
        position = self._position
        last = position.get(module, -1)
        for imported in self._imports(module):  # `module` may hold callers of its functions
            last = max(last, position.get(imported, -1))
        seen = {module}
        pending = [module]
        while pending:  # every file that imports `module`, directly or not
            for importer in self._importers(pending.pop()):
                if importer not in seen:
                    seen.add(importer)
                    pending.append(importer)
                    last = max(last, position.get(importer, -1))
        self._last[module] = last
        return last
