"""The rule catalogue: one Markdown file per rule, the single source of its metadata and docs.

Each `rules/RLNNN-<name>.md` opens with a ```toml block (code, name, severity, fix,
since, status, mission, options, summary) followed by ruff's doc headings. The CLI's
`rules` and `explain`, the generated `docs/rules/` pages, SARIF rule metadata and the
fixture harness (which runs the Example / Use instead blocks) all read it from here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import cast, get_args

from redislint.findings import Severity

SEVERITIES = get_args(Severity)
FIX_KINDS = ("safe", "unsafe", "hint")
STATUSES = ("stable", "preview", "removed")
REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.S | re.M)
_SECTION = re.compile(r"^## (.+)$", re.M)


class CatalogueError(Exception):
    """A catalogue file is malformed (a bug in redislint, caught by the test suite)."""


@dataclass(frozen=True)
class RuleDoc:
    code: str
    name: str
    severity: Severity
    fix: str
    since: str
    status: str
    mission: bool
    options: tuple[str, ...]
    summary: str
    sections: tuple[tuple[str, str], ...]  # (heading, markdown body) in file order
    source_name: str  # file name, for error messages and doc generation

    @property
    def enabled_by_default(self) -> bool:
        return self.status == "stable" and self.code not in DEFAULT_OFF

    def section(self, heading: str) -> str:
        for title, body in self.sections:
            if title == heading:
                return body
        return ""

    def code_blocks(self, heading: str, language: str = "python") -> list[str]:
        return [body for lang, body in _FENCE.findall(self.section(heading)) if lang == language]

    def markdown(self) -> str:
        """The rule's page, as `explain` prints it and docs/rules/ stores it."""
        star = " ★ mission rule" if self.mission else ""
        lines = [
            f"# {self.name} ({self.code})",
            "",
            f"Severity: **{self.severity}** · Fix: **{self.fix}** · Status: {self.status} "
            f"(since {self.since}){star}",
            "",
        ]
        if not self.enabled_by_default and self.status == "stable":
            lines += [f"Off by default: enable it with `--extend-select {self.code}`.", ""]
        for title, body in self.sections:
            lines += [f"## {title}", "", body.strip(), ""]
        return "\n".join(lines).rstrip() + "\n"


# Rules that are stable but opt-in (rules.md "Default selection").
DEFAULT_OFF = frozenset({"RL002", "RL404", "RL605"})


def catalogue_dir() -> Traversable:
    packaged = resources.files("redislint") / "catalogue_data"
    if packaged.is_dir():
        return packaged
    # Source tree or editable install: the top-level rules/ folder beside src/.
    return Path(__file__).resolve().parents[2] / "rules"


def parse_rule_doc(text: str, source_name: str) -> RuleDoc:
    first = _FENCE.search(text)
    if first is None or first.group(1) != "toml":
        raise CatalogueError(f"{source_name}: the first block must be a ```toml block")
    try:
        meta = tomllib.loads(first.group(2))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source_name}: bad toml block: {exc}") from exc
    for key in ("code", "name", "severity", "fix", "since", "status", "summary"):
        if not isinstance(meta.get(key), str):
            raise CatalogueError(f"{source_name}: toml key {key!r} must be a string")
    if meta["severity"] not in SEVERITIES:
        raise CatalogueError(f"{source_name}: severity must be one of {SEVERITIES}")
    if meta["fix"] not in FIX_KINDS:
        raise CatalogueError(f"{source_name}: fix must be one of {FIX_KINDS}")
    if meta["status"] not in STATUSES:
        raise CatalogueError(f"{source_name}: status must be one of {STATUSES}")
    expected_file = f"{meta['code']}-{meta['name']}.md"
    if source_name != expected_file:
        raise CatalogueError(f"{source_name}: must be named {expected_file}")
    body = text[first.end() :]
    heads = list(_SECTION.finditer(body))
    sections = tuple(
        (m.group(1).strip(), body[m.end() : heads[i + 1].start() if i + 1 < len(heads) else None])
        for i, m in enumerate(heads)
    )
    titles = [t for t, _ in sections]
    for required in REQUIRED_SECTIONS:
        if required not in titles:
            raise CatalogueError(f"{source_name}: missing section '## {required}'")
    return RuleDoc(
        code=meta["code"],
        name=meta["name"],
        severity=cast(Severity, meta["severity"]),
        fix=meta["fix"],
        since=meta["since"],
        status=meta["status"],
        mission=bool(meta.get("mission", False)),
        options=tuple(meta.get("options", ())),
        summary=meta["summary"],
        sections=tuple((t, b.strip("\n")) for t, b in sections),
        source_name=source_name,
    )


@cache
def load_catalogue() -> dict[str, RuleDoc]:
    """All catalogue entries by code, sorted by code."""
    docs: dict[str, RuleDoc] = {}
    folder = catalogue_dir()
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".md") or not entry.name.startswith("RL"):
            continue
        doc = parse_rule_doc(entry.read_text(encoding="utf-8"), entry.name)
        if doc.code in docs:
            raise CatalogueError(f"{entry.name}: duplicate code {doc.code}")
        docs[doc.code] = doc
    return dict(sorted(docs.items()))


def lookup(code_or_name: str) -> RuleDoc | None:
    """Find a rule by code (`RL201`, any case) or kebab name (`cache-key-without-ttl`)."""
    catalogue = load_catalogue()
    wanted = code_or_name.strip()
    if wanted.upper() in catalogue:
        return catalogue[wanted.upper()]
    for doc in catalogue.values():
        if doc.name == wanted.lower():
            return doc
    return None
