"""The language server's state, without the protocol: open buffers, warm project models,
and the project facts that decide deferred findings.

A buffer is checked by the engine's `check_file` under the configuration that governs
its path (the nearest config above it, as `check` finds it), with the same selection and
per-file ignores, so an editor shows what `redislint check --stdin-filename PATH` prints
for the same text. What is kept warm between checks, per configuration:

- a `ProjectIndex`: the parsed project modules a buffer imports (its clients, factories,
  key builders) and the import graph. An edited buffer is re-parsed, its imports are not,
  which is what makes a re-check cheap (bench/lsp.py). The same reuse the fixer relies on
  when it re-checks one file after each round.
- the project facts (`semantics/project_facts.py`) of every project file, gathered the
  first time a buffer has a deferred finding (`runner.add_project_facts`, the CLI's own
  project stage) and updated with each checked buffer's facts; deferred findings are
  decided on them by `runner.resolve_with_facts`, as at the end of a `check` run.

When a project file changes on disk (`workspace/didChangeWatchedFiles`), the index of
its configuration is dropped (a client or key builder it exports may have changed or
gone) and the open buffers that read it, or whose verdicts depend on project facts, are
checked again. A changed configuration file drops everything.
"""

from __future__ import annotations

import threading
import tokenize
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TypeVar

import libcst as cst

from redislint.add_noqa import add_noqa_text
from redislint.config import Config, ConfigError, ConfigSet, resolve_config
from redislint.discovery import is_python_file
from redislint.engine import (
    FileResult,
    InternalError,
    analysis_settings,
    check_file,
    facts_of_file,
    selected_codes,
)
from redislint.findings import Finding
from redislint.fixes import fix_text
from redislint.lsp.incremental import IncrementalParser
from redislint.lsp.spans import SpanKeeper
from redislint.parallel import ANALYSIS_THREAD, on_big_stack
from redislint.positions import Span, spans
from redislint.runner import add_project_facts, display_path, resolve_with_facts
from redislint.semantics.project import ProjectIndex
from redislint.semantics.project_facts import FileFacts
from redislint.semantics.reuse import NodeMemo

_T = TypeVar("_T")

# The files whose change means the configuration must be read again.
CONFIG_FILE_NAMES = frozenset({"pyproject.toml", "redislint.toml", ".redislint.toml"})


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # a configuration or internal error, for the user


@dataclass
class _Project:
    """What one configuration keeps warm."""

    config: Config
    index: ProjectIndex


@dataclass
class _Buffer:
    text: str
    findings: list[Finding] = field(default_factory=list)
    project_wide: bool = False  # its last check had a deferred finding


def encode_buffer(text: str) -> bytes:
    """The bytes of an editor buffer, in the encoding its coding cookie names (the
    engine decodes as the interpreter would; a UTF-8 encoding of a latin-1 file would
    then be misread). Text the cookie's encoding cannot hold stays UTF-8, which the
    engine reports as undecodable, as it would for the saved file."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
    except SyntaxError:
        return data
    if encoding in ("utf-8", "utf-8-sig"):
        return data
    try:
        return text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return data


def _on_big_stack(function: Callable[..., _T], *args: object) -> _T:
    """`function(*args)` on a thread with the analysis stack, unless already on one
    (the server runs its whole loop there: a thread start per keystroke costs ms)."""
    if threading.current_thread().name == ANALYSIS_THREAD:
        return function(*args)
    return on_big_stack(function, *args)


class LintSession:
    """Open buffers and the warm state that checks them (one per server process)."""

    def __init__(
        self, root: Path, *, config_file: Path | None = None, isolated: bool = False
    ) -> None:
        self.root = root.absolute()
        self._config_file = config_file
        self._isolated = isolated
        self._buffers: dict[Path, _Buffer] = {}
        self._configs: ConfigSet | None = None
        self._projects: dict[int, _Project] = {}
        self._facts: dict[str, FileFacts] = {}
        self._facts_loaded: set[Path] = set()  # config roots whose project facts were read
        self.parser = IncrementalParser()
        self.spans = SpanKeeper()
        # Per buffer, what its last check derived from single nodes (`semantics/reuse.py`).
        self._reuse: dict[str, NodeMemo] = {}
        # by kind, the values taken from a buffer's previous check (tests, the bench)
        self.reused: Counter[str] = Counter()
        # Per buffer, the text its configuration's index holds (registered by its last
        # check): saving that text changes nothing the index knows.
        self._indexed: dict[Path, str] = {}

    # -- buffers ------------------------------------------------------------------------

    def open(self, path: Path, text: str) -> None:
        self._buffers[path.absolute()] = _Buffer(text)

    def update(self, path: Path, text: str) -> None:
        buffer = self._buffers.get(path.absolute())
        if buffer is None:
            self.open(path, text)
        else:
            buffer.text = text

    def close(self, path: Path) -> None:
        """Forget the buffer; its facts fall back to the saved file's on the next
        change of the project (the buffer's may have been unsaved edits)."""
        self._buffers.pop(path.absolute(), None)
        self._indexed.pop(path.absolute(), None)
        self.parser.forget(str(path.resolve()))
        self.spans.forget(str(path.resolve()))
        self._reuse.pop(str(path.resolve()), None)
        self._facts.pop(str(path.absolute()), None)
        if self._facts_loaded:
            self._refresh_facts(path.absolute())

    def text(self, path: Path) -> str | None:
        buffer = self._buffers.get(path.absolute())
        return None if buffer is None else buffer.text

    def findings(self, path: Path) -> list[Finding]:
        buffer = self._buffers.get(path.absolute())
        return [] if buffer is None else list(buffer.findings)

    def open_paths(self) -> list[Path]:
        return sorted(self._buffers)

    # -- checking -----------------------------------------------------------------------

    def check(self, path: Path) -> CheckResult:
        """Check the open buffer of `path` (project-wide verdicts included)."""
        path = path.absolute()
        buffer = self._buffers.get(path)
        if buffer is None:
            return CheckResult()
        try:
            result = self._check(path, buffer.text)
        except ConfigError as exc:
            buffer.findings = []
            return CheckResult(error=str(exc))
        except (InternalError, RecursionError) as exc:
            buffer.findings = []
            return CheckResult(error=str(exc) or "internal error: nesting too deep to analyse")
        buffer.findings = result.findings
        return result

    def _configs_set(self) -> ConfigSet:
        if self._configs is None:
            base = resolve_config(self.root, self._config_file, self._isolated)
            hierarchical = not (self._config_file or self._isolated)
            self._configs = ConfigSet(base, hierarchical=hierarchical)
        return self._configs

    def _project(self, config: Config) -> _Project:
        project = self._projects.get(id(config))
        if project is None or project.config is not config:
            project = self._projects[id(config)] = _Project(config, ProjectIndex(config))
        return project

    def _lint(
        self, path: Path, text: str, incremental: bool = False
    ) -> tuple[Config, FileResult] | None:
        """One text through the engine, as `check` runs it; None when the file is not
        one `check` would analyse (not Python, or excluded by its configuration).

        With `incremental`, the tree is spliced from the buffer's previous one when it
        can be (`incremental.py`) and registered in the index, where the engine's parse
        step finds it; the engine itself runs unchanged."""
        configs = self._configs_set()
        config = configs.for_path(path)
        if not is_python_file(path.name):
            return None
        if config.is_excluded(config.relative_path(path)):
            return None
        index = self._project(config).index
        key = str(path.resolve())

        def locate(
            module: cst.Module, nodes: Iterable[cst.CSTNode], source: str | None
        ) -> dict[int, Span]:
            splice = self.parser.last_splice(key, module)
            return self.spans.spans(key, module, nodes, source, splice)

        reuse = NodeMemo(self._reuse.get(key)) if incremental else None
        if reuse is not None:
            self._reuse[key] = reuse

        @analysis_settings()
        def run() -> FileResult:
            if incremental:
                module = self.parser.parse(key, text)
                if module is not None:
                    splice = self.parser.last_splice(key, module)
                    if splice is not None:  # CPython's verdict from the edited statements
                        index.precheck_edited(
                            key, text, splice.previous_text, splice.region, splice.indents
                        )
                    index.register(path, module, key, text, reuse)
            return check_file(
                path,
                display_path(path, self.root),
                config,
                index,
                data=encode_buffer(text),
                selected=selected_codes(config),
                locate=locate if incremental else spans,
                reuse=reuse,
            )

        result = _on_big_stack(run)
        if reuse is not None:
            self.reused.update(reuse.reused)
        facts = index.facts_by_path(key)
        module = facts.module if facts is not None else None
        if incremental and result.parsed and result.source is not None and module is not None:
            self.parser.remember(key, result.source, module)
        if result.parsed and module is not None:
            self._indexed[path] = text
        else:
            self._indexed.pop(path, None)
        return config, result

    def _check(self, path: Path, text: str) -> CheckResult:
        linted = self._lint(path, text, incremental=True)
        buffer = self._buffers[path]
        if linted is None:
            buffer.project_wide = False
            return CheckResult()
        config, result = linted
        self._facts[str(path)] = result.facts
        findings = result.findings
        buffer.project_wide = any(f.deferred is not None for f in findings)
        if buffer.project_wide:
            configs = self._configs_set()
            root = config.root.resolve()
            if root not in self._facts_loaded:
                add_project_facts(self._facts, configs, [str(path)], self.root)
                self._facts_loaded.add(root)
            findings = resolve_with_facts(findings, self._facts, configs, self.root)
        return CheckResult(findings)

    def check_text(self, path: Path, text: str) -> list[Finding]:
        """The findings of `text` as the file `path`, decided within the file (deferred
        ones dropped, as the fixer's rounds do), without touching the buffer's state."""
        linted = self._lint(path.absolute(), text)
        if linted is None:
            return []
        return [f for f in linted[1].findings if f.deferred is None]

    # -- edits --------------------------------------------------------------------------

    def fix_one(self, path: Path, finding: Finding) -> str | None:
        """The buffer with this finding's fix applied (safe or unsafe: the user chose
        it), validated as `--fix` validates (re-parse, imports); None if it cannot."""
        text = self.text(path)
        if text is None or finding.fix is None:
            return None
        fixed = fix_text(text, lambda _text: [], unsafe=True, findings=[finding], max_rounds=1)
        return fixed.text if fixed.text != text else None

    def fix_all(self, path: Path) -> str | None:
        """The buffer with every safe fix applied until none is left (`check --fix`)."""
        text = self.text(path)
        if text is None:
            return None
        path = path.absolute()
        buffer = self._buffers[path]
        found = [f for f in buffer.findings if f.deferred is None]

        def check(current: str) -> list[Finding]:
            return self.check_text(path, current)

        try:
            fixed = fix_text(text, check, findings=found)
        except (InternalError, ConfigError, RecursionError):
            return None
        return fixed.text if fixed.text != text else None

    def add_ignore(self, path: Path, findings: Iterable[Finding]) -> str | None:
        """The buffer with `# redislint: ignore[CODE]` added for `findings` (the same
        placement and merging as `check --add-noqa`)."""
        text = self.text(path)
        if text is None:
            return None
        edited = add_noqa_text(text, findings)
        return edited.text if edited.text != text else None

    # -- changes on disk ----------------------------------------------------------------

    def files_changed(self, paths: Iterable[Path]) -> list[Path]:
        """Take changes of files on disk into account; the open buffers to check again.

        A Python file: the warm index of every configuration is dropped (the file may
        export a client, a factory or a key builder that other files resolve through
        it), its project facts are read again, and the buffers that read it or whose
        last check needed project facts are returned. A configuration file: everything
        is dropped and every buffer is returned.
        """
        changed = [path.absolute() for path in paths]
        if any(path.name in CONFIG_FILE_NAMES for path in changed):
            self._configs = None
            self._projects.clear()
            self._facts = {str(p): f for p, f in self._facts.items() if Path(p) in self._buffers}
            self._facts_loaded.clear()
            return self.open_paths()
        python = [path for path in changed if is_python_file(path.name)]
        if not python:
            return []
        resolved = {str(path.resolve()) for path in python}
        dependants: set[Path] = set()
        for project in self._projects.values():
            for open_path in self._buffers:
                if resolved & project.index.dependency_paths(open_path):
                    dependants.add(open_path)
        if not all(self._is_indexed(path) for path in python):
            self._projects.clear()
        for path in python:
            if path not in self._buffers:
                self._refresh_facts(path)
        dependants |= {p for p, buffer in self._buffers.items() if buffer.project_wide}
        return sorted(dependants)

    def _is_indexed(self, path: Path) -> bool:
        """Whether `path` is an open buffer whose text is what the warm index holds (a
        save of a checked buffer): the index then stays warm; a file the index only read
        from disk, or a buffer changed since its check, drops it."""
        buffer = self._buffers.get(path)
        return (
            buffer is not None
            and self._indexed.get(path) == buffer.text
            and len(self._projects) <= 1
        )

    def _refresh_facts(self, path: Path) -> None:
        """The saved file's facts (or none when it is gone), when facts are kept."""
        if not self._facts_loaded:
            return
        if not path.is_file():
            self._facts.pop(str(path), None)
            return
        try:
            config = self._configs_set().for_path(path)
        except ConfigError:
            return
        index = self._project(config).index
        relative = display_path(path, self.root)
        try:
            facts = _on_big_stack(analysis_settings()(facts_of_file), path, relative, config, index)
        except Exception:  # a file outside the buffers must never break the server
            return
        self._facts[str(path)] = facts
