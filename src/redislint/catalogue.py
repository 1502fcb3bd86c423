"""The rule catalogue: one Markdown file per rule, the single source of its metadata and docs.

Each `rules/RLNNN-<name>.md` opens with a ```toml block (code, name, severity, fix,
since, status, mission, options, summary) followed by ruff's doc headings. The CLI's
`rules` and `explain`, the generated `docs/rules/` pages, SARIF rule metadata and the
fixture harness (which runs the Example / Use instead blocks) all read it from here.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast, get_args

from redislint.findings import Severity

if TYPE_CHECKING:
    from redislint.config import Config

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
        shown_deploy_config = False
        for title, body in self.sections:
            if title in ("Example", "Use instead"):
                body = reader_blocks(body, deploy_config=not shown_deploy_config)
                shown_deploy_config = shown_deploy_config or DEPLOY_EXAMPLE_CONFIG in body
            lines += [f"## {title}", "", body.strip(), ""]
        return "\n".join(lines).rstrip() + "\n"


# What the fixture harness assumes for a deployment example (tests/test_fixtures.py:
# EXAMPLE_CONFIG): a keyspace holding data Redis cannot get back. The page shows it.
DEPLOY_EXAMPLE_CONFIG = """```toml
# pyproject.toml (the keyspace these deployment examples assume)
[[tool.redislint.keyspace]]
pattern = "order:*"
role = "primary"
```"""
_DEPLOY_LANGUAGES = ("conf", "yaml", "dockerfile")
_EXPECT_LINE = re.compile(r"^[ \t]*#\s*expect:[^\n]*\n", re.M)
_EXPECT_TAIL = re.compile(r"[ \t]*#\s*expect:[^\n]*$", re.M)
_TEST_HEADER = re.compile(r"^#\s*redislint-test:\s*(.*)\n")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise CatalogueError(f"cannot show {value!r} as TOML")


def pyproject_block(options: dict[str, object]) -> str:
    """A fixture header's options as the `[tool.redislint]` block a reader would write."""
    plain = [f"{k} = {_toml_value(v)}" for k, v in options.items() if not _is_tables(v)]
    lines = ["```toml", "# pyproject.toml"]
    if plain:
        lines += ["[tool.redislint]", *plain]
    for key, value in options.items():
        if _is_tables(value):
            for table in cast(list[dict[str, object]], value):
                lines += (
                    ["", f"[[tool.redislint.{key}]]"]
                    if len(lines) > 2
                    else [f"[[tool.redislint.{key}]]"]
                )
                lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join([*lines, "```"])


def _is_tables(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def reader_blocks(body: str, *, deploy_config: bool = True) -> str:
    """An Example / Use instead section as a reader copies it: the harness's `# expect:`
    markers removed, a `# redislint-test:` header turned into a visible pyproject.toml
    block, and deployment examples preceded by the keyspace they assume (once a page)."""

    def block(match: re.Match[str]) -> str:
        language, code = match.group(1), match.group(2)
        before = ""
        header = _TEST_HEADER.match(code)
        if header:
            options = tomllib.loads(f"options = {{ {header.group(1)} }}")["options"]
            before = pyproject_block(options) + "\n\n"
            code = code[header.end() :]
        elif language in _DEPLOY_LANGUAGES and deploy_config:
            before = DEPLOY_EXAMPLE_CONFIG + "\n\n"
        code = _EXPECT_TAIL.sub("", _EXPECT_LINE.sub("", code))
        return f"{before}```{language}\n{code}```"

    return _FENCE.sub(block, body)


# Rules that are stable but opt-in (rules.md "Default selection").
DEFAULT_OFF = frozenset({"RL002", "RL404", "RL605"})


def catalogue_dir() -> Path:
    """The rule files: packaged beside the code in a wheel (a plain folder: redislint is
    never imported from a zip, its cache and workers need real files), else the source
    tree's `rules/`. Not `importlib.resources`, whose import costs a one-file check more
    than reading the folder."""
    packaged = Path(__file__).parent / "catalogue_data"
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


# -- the selection (here, not in engine.py, so the warm path needs no parser) ----------


def default_codes() -> frozenset[str]:
    return frozenset(code for code, doc in load_catalogue().items() if doc.enabled_by_default)


def all_codes() -> frozenset[str]:
    return frozenset(code for code, doc in load_catalogue().items() if doc.status != "removed")


def selected_codes(config: Config) -> frozenset[str]:
    return config.selected_codes(all_codes(), default_codes())
