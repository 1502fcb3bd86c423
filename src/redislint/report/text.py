"""Human output: one `path:line:col: CODE [name] message` line per finding, then a summary.

The first line of each finding is the de-facto editor format (vim's errorformat, VS Code's
problem matchers and Emacs' compilation mode all parse `path:line:col: message`), so the hint
and fix go on indented lines below it where they cannot confuse those parsers.
"""

from __future__ import annotations

import re

from redislint.findings import Finding
from redislint.report import RunResult
from redislint.report import statistics as code_statistics


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# A quoted key pattern longer than this is shortened in text output (JSON keeps it whole).
MAX_PATTERN = 80
_QUOTED = re.compile("'([^'\\n]{" + str(MAX_PATTERN + 1) + ",})'")


def shorten_patterns(message: str) -> str:
    """Shorten each quoted key pattern over `MAX_PATTERN` characters to its start and its
    end around an ellipsis, so that one generated key does not push a finding off the
    screen; both ends stay, as they tell the namespace and the varying part apart."""

    def short(match: re.Match[str]) -> str:
        text = match.group(1)
        head = MAX_PATTERN * 2 // 3
        tail = MAX_PATTERN - head - 1
        return f"'{text[:head]}…{text[-tail:]}'"

    return _QUOTED.sub(short, message)


def format_finding(finding: Finding, *, show_fix: bool = True) -> list[str]:
    """The lines for one finding: the locator line, then `hint:` and `fix (...)` lines."""
    lines = [
        f"{finding.path}:{finding.line}:{finding.column}: "
        f"{finding.code} [{finding.name}] {shorten_patterns(finding.message)}"
    ]
    if finding.hint:
        lines.append(f"  hint: {finding.hint}")
    if show_fix and finding.fix is not None:
        lines.append(f"  fix ({finding.fix.safety}): {finding.fix.description}")
    return lines


def summary_lines(result: RunResult) -> list[str]:
    """`Fixed N findings.` (when fixes were applied) and the `Found ...` / all-clear line."""
    lines: list[str] = []
    if result.fixed:
        lines.append(f"Fixed {_plural(result.fixed, 'finding')}.")
    total = len(result.findings)
    if total == 0:
        if result.errors:
            lines.append(f"No findings, but {_plural(result.errors, 'error')} (see above).")
        else:
            lines.append("All checks passed!")
        return lines
    lines.append(f"Found {_plural(total, 'finding')}.")
    lines.extend(fix_available_lines(result.fixable, result.unsafe_fixable))
    return lines


def _fixes(n: int) -> str:
    return "fix" if n == 1 else "fixes"


def fix_available_lines(safe: int, unsafe: int) -> list[str]:
    """The commands that really apply the fixes: `--fix` alone applies only the safe ones,
    an unsafe fix needs `--fix --unsafe-fixes` (which applies the safe ones as well)."""
    lines = []
    if safe:
        lines.append(f"{safe} {_fixes(safe)} available with `redislint check --fix`.")
    if unsafe:
        more = " more" if safe else ""
        lines.append(
            f"{unsafe}{more} {_fixes(unsafe)} available with "
            "`redislint check --fix --unsafe-fixes`."
        )
    return lines


def closing_lines(result: RunResult) -> list[str]:
    """The summary, then how many findings `--baseline` hid (every text-like format)."""
    lines = summary_lines(result)
    if result.baseline_hidden:
        lines.append(f"{_plural(result.baseline_hidden, 'finding')} hidden by the baseline.")
    return lines


def statistics_lines(result: RunResult) -> list[str]:
    """ruff-style table: count (right-aligned), code, name, and `[*]` when `--fix` helps."""
    rows = code_statistics(result.findings)
    if not rows:
        return []
    count_w = max(3, *(len(str(r.count)) for r in rows))
    code_w = max(len(r.code) for r in rows)
    name_w = max(len(r.name) for r in rows)
    return [
        f"{r.count:>{count_w}}  {r.code:<{code_w}}  {r.name:<{name_w}}  "
        f"{'[*]' if r.fixable else ''}".rstrip()
        for r in rows
    ]


def render(result: RunResult, *, statistics: bool = False, show_source_fixes: bool = True) -> str:
    """The whole text report, ending with a newline."""
    lines: list[str] = []
    if statistics:
        # As `ruff check --statistics`: the table stands in for the per-finding lines.
        lines.extend(statistics_lines(result))
    else:
        for finding in result.findings:
            lines.extend(format_finding(finding, show_fix=show_source_fixes))
    if lines:
        lines.append("")
    lines.extend(closing_lines(result))
    return "\n".join(lines) + "\n"
