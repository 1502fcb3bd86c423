"""Reporters: turn one run's findings into text, JSON, SARIF, GitHub annotations or JUnit XML.

Every reporter takes the same `RunResult` and returns a string; the CLI decides where it goes
(stdout or `--output-file`). Keeping reporters pure functions of the result makes them easy to
test byte for byte and keeps I/O, colour and exit codes in the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import import_module

from redislint.findings import Finding

FORMATS = ("text", "json", "sarif", "github", "junit")
# ruff's extra formats (issue 14): each a module of this package; json-lines -> json_lines.
EXTRA_FORMATS = ("concise", "full", "grouped", "json-lines", "gitlab", "pylint")
ALL_FORMATS = FORMATS + EXTRA_FORMATS


@dataclass(frozen=True)
class RunResult:
    """What a whole `check` run produced, as the reporters need it.

    `findings` are the findings that remain (after fixes were applied, if any), always in
    `Finding.sort_key` order: the constructor sorts them so that every reporter, whatever
    order the parallel workers finished in, prints the same bytes for the same tree.
    `checked_paths` is optional: only the JUnit reporter uses it, to emit a passing test case
    for each clean file.
    """

    findings: tuple[Finding, ...] = ()
    files_checked: int = 0
    fixed: int = 0
    checked_paths: tuple[str, ...] = field(default=())
    # Paths that could not be checked (printed on stderr by the CLI): the text summary
    # must not say "All checks passed!" when some files were never checked.
    errors: int = 0
    # The messages of those errors ("path: problem"), for the machine formats: JSON's
    # `errors`, SARIF's tool execution notifications, JUnit's `<error>` (a run that could
    # not check everything must not read as a clean one to a CI either).
    error_messages: tuple[str, ...] = ()
    # Findings the `--baseline` file hid, so the summary can say so.
    baseline_hidden: int = 0

    def __post_init__(self) -> None:
        # Accept any iterable from callers, store a sorted tuple (the dataclass is frozen).
        object.__setattr__(self, "findings", tuple(sorted(self.findings, key=lambda f: f.sort_key)))
        object.__setattr__(self, "checked_paths", tuple(self.checked_paths))
        object.__setattr__(self, "error_messages", tuple(self.error_messages))
        if self.error_messages and not self.errors:
            object.__setattr__(self, "errors", len(self.error_messages))

    @property
    def fixable(self) -> int:
        """Findings whose fix `--fix` would apply (safe fixes)."""
        return sum(1 for f in self.findings if f.fix is not None and f.fix.safety == "safe")

    @property
    def unsafe_fixable(self) -> int:
        """Findings whose fix needs `--unsafe-fixes` as well."""
        return sum(1 for f in self.findings if f.fix is not None and f.fix.safety == "unsafe")


@dataclass(frozen=True)
class CodeStatistic:
    """One row of `--statistics`: how often a code was reported, and whether `--fix` helps."""

    code: str
    name: str
    count: int
    # As in ruff's JSON statistics: True when at least one of these findings has a safe fix.
    fixable: bool


def statistics(findings: Iterable[Finding]) -> list[CodeStatistic]:
    """Per-code counts, most frequent first (ties by code), as ruff orders `--statistics`."""
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    fixable: dict[str, bool] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
        names.setdefault(f.code, f.name)
        safe = f.fix is not None and f.fix.safety == "safe"
        fixable[f.code] = fixable.get(f.code, False) or safe
    rows = [CodeStatistic(code, names[code], n, fixable[code]) for code, n in counts.items()]
    rows.sort(key=lambda r: (-r.count, r.code))
    return rows


def render(
    fmt: str,
    result: RunResult,
    *,
    statistics: bool = False,
    show_source_fixes: bool = True,
) -> str:
    """Render `result` in format `fmt` (one of `FORMATS`).

    `statistics` adds the per-code table (text: replaces the per-finding lines, as ruff does;
    json: adds a top-level "statistics" array; other formats ignore it, their consumers
    aggregate themselves). `show_source_fixes` only affects the text format: whether each
    finding is followed by its `fix (...)` line; machine formats always carry the fix.
    """
    if fmt not in ALL_FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(ALL_FORMATS)}")
    # One module per format, imported on demand: a text run never pays for xml.etree or SARIF.
    module = import_module(f"redislint.report.{fmt.replace('-', '_')}")
    rendered: str = module.render(
        result, statistics=statistics, show_source_fixes=show_source_fixes
    )
    return rendered


__all__ = [
    "ALL_FORMATS",
    "EXTRA_FORMATS",
    "FORMATS",
    "CodeStatistic",
    "RunResult",
    "render",
    "statistics",
]
