"""Baselines: adopt redislint on a legacy codebase by recording today's findings.

`--write-baseline FILE` records every current finding; `--baseline FILE` then reports
only findings that are not in it. A finding is recognised by its code, its path and
the fingerprint of its statement (`Finding.fingerprint`: a hash of the code and the
statement's text without whitespace), never by its line, so unrelated edits above it
(or reformatting it) do not make it "new".

Matching is a multiset on (code, path, fingerprint): two identical statements in one
file need two entries, so copying a baselined line creates a new finding. When several
findings share a key, the first ones in location order take the entries.

The file (JSON, sorted, one entry per finding, so that it diffs well in review):

    {"version": 1, "tool": "redislint",
     "entries": [{"code": "RL301", "path": "app/jobs.py",
                  "fingerprint": "4f0c...", "message": "FLUSHDB deletes ..."}]}

Paths are POSIX and relative to the baseline file's directory, so the baseline works
from whichever directory redislint runs in. `message` is for the reader; it is not
matched, so rewording a message does not invalidate a baseline.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from redislint.findings import Finding

BASELINE_VERSION = 1

Key = tuple[str, str, str]  # (code, path relative to the baseline's folder, fingerprint)


class BaselineError(Exception):
    """The baseline file cannot be read or is not a redislint baseline (exit 2)."""


def fingerprint_of(finding: Finding) -> str:
    """The finding's fingerprint; findings without a statement (RL001) use their message."""
    if finding.fingerprint:
        return finding.fingerprint
    text = f"{finding.code}\0{finding.message}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _relative(path: str, cwd: Path, folder: Path) -> str:
    absolute = os.path.normpath(os.path.join(cwd, path))
    try:
        rel = os.path.relpath(absolute, folder)
    except ValueError:  # another drive (Windows)
        rel = absolute
    return rel.replace(os.sep, "/")


@dataclass
class Baseline:
    """Recorded findings, as a multiset of keys, for one baseline file."""

    folder: Path  # paths in the file are relative to this
    counts: Counter[Key] = field(default_factory=Counter)

    def key(self, finding: Finding, cwd: Path) -> Key:
        return (finding.code, _relative(finding.path, cwd, self.folder), fingerprint_of(finding))

    def filter(self, findings: Iterable[Finding], cwd: Path | None = None) -> list[Finding]:
        """The findings the baseline does not cover (each entry covers one finding).

        Entries go to the first findings in location order; the result keeps the input order.
        """
        cwd = cwd or Path.cwd()
        findings = list(findings)
        left = Counter(self.counts)
        covered: set[int] = set()
        for n in sorted(range(len(findings)), key=lambda i: findings[i].sort_key):
            key = self.key(findings[n], cwd)
            if left[key] > 0:
                left[key] -= 1
                covered.add(n)
        return [f for n, f in enumerate(findings) if n not in covered]

    def __len__(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class BaselineFilter:
    """A picklable `findings -> findings` (the fix loop's re-checks run in workers)."""

    baseline: Baseline
    cwd: Path

    def __call__(self, findings: list[Finding]) -> list[Finding]:
        return self.baseline.filter(findings, self.cwd)


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file; BaselineError names the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a redislint baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        raise BaselineError(
            f"{path}: not a redislint baseline of version {BASELINE_VERSION} "
            "(write a new one with --write-baseline)"
        )
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: 'entries' must be a list")
    baseline = Baseline(path.absolute().parent)
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("code", "path", "fingerprint")
        ):
            raise BaselineError(
                f"{path}: entry {number} needs string 'code', 'path' and 'fingerprint'"
            )
        baseline.counts[(entry["code"], entry["path"], entry["fingerprint"])] += 1
    return baseline


def baseline_text(findings: Iterable[Finding], folder: Path, cwd: Path) -> str:
    """The baseline file's content for `findings` (stable order, trailing newline)."""
    entries = []
    for finding in findings:
        entries.append(
            {
                "code": finding.code,
                "path": _relative(finding.path, cwd, folder),
                "fingerprint": fingerprint_of(finding),
                "message": finding.message,
            }
        )
    entries.sort(key=lambda e: (e["path"], e["code"], e["fingerprint"], e["message"]))
    document = {"version": BASELINE_VERSION, "tool": "redislint", "entries": entries}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_baseline(path: Path, findings: Iterable[Finding], cwd: Path | None = None) -> int:
    """Record `findings` in `path` (atomically); returns how many entries were written."""
    from redislint.fixes import write_atomic

    cwd = cwd or Path.cwd()
    findings = list(findings)
    text = baseline_text(findings, path.absolute().parent, cwd)
    data = text.encode("utf-8")
    if path.exists():
        write_atomic(path, data)
    else:
        path.write_bytes(data)
    return len(findings)


__all__ = [
    "BASELINE_VERSION",
    "Baseline",
    "BaselineError",
    "BaselineFilter",
    "baseline_text",
    "fingerprint_of",
    "load_baseline",
    "write_baseline",
]
