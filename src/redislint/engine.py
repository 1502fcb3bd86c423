"""One file in, findings out: decode, prefilter, parse once, traverse once, run the rules.

`check_file` is a pure function of the source text, the config and the project's
other modules (read through the `ProjectIndex`), so files can be checked in parallel
workers and results cached by content.
"""

from __future__ import annotations

import gc
import hashlib
import re
import sys
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from redislint.catalogue import (  # the selection lives there: the warm path needs it
    RuleDoc,
    all_codes,
    load_catalogue,
    selected_codes,
)
from redislint.config import Config
from redislint.discovery import prefilter
from redislint.errors import InternalError
from redislint.findings import Edit, Finding, Fix
from redislint.positions import Span, render_at, spans
from redislint.rules import all_rules
from redislint.rules._base import Report
from redislint.semantics.commands import CommandTable
from redislint.semantics.deferred import resolve_deferred as resolve_deferred  # harness, API
from redislint.semantics.model import FileModel
from redislint.semantics.project import ProjectIndex, decode_source
from redislint.semantics.project_facts import FileFacts, file_facts
from redislint.semantics.reuse import NodeMemo
from redislint.suppressions import Suppressions, parse_suppressions

# In test paths only parse errors and the client-bug family apply (rules.md "Test paths").
_TEST_PATH_PREFIXES = ("RL001", "RL5")


# Syntax trees are walked recursively (ours and libcst's code generator); a module
# that is one long implicit string concatenation (pydoc_data/topics.py) nests
# thousands deep. Python-to-Python calls do not use the C stack since 3.11.
_RECURSION_LIMIT = 20_000


@contextmanager
def analysis_settings() -> Iterator[None]:
    """Run the cyclic garbage collector less often, and allow deep syntax trees.

    Also a decorator (`@analysis_settings()`) for the functions workers run.

    Parsing allocates millions of short-lived nodes and the index keeps the trees that
    later files may read, so with the default thresholds the collector keeps re-scanning
    a large heap (measured: a third of a cold run on redis-py). Syntax trees hold no
    reference cycles, so they are freed by reference counting anyway.
    """
    saved_gc, saved_limit = gc.get_threshold(), sys.getrecursionlimit()
    gc.set_threshold(100_000, 50, 50)
    sys.setrecursionlimit(max(saved_limit, _RECURSION_LIMIT))
    try:
        yield
    finally:
        gc.set_threshold(*saved_gc)
        sys.setrecursionlimit(saved_limit)


# Why the textual prefilter lets a file through unparsed (`check --verbose`); the three
# tests of `analyze_file`, in the user's words.
PREFILTER_REASON = (
    "not analysed: prefilter: no Redis use (it never mentions redis or a configured "
    "client or factory name, imports no Redis-using project module, and no Redis-using "
    "module imports it)"
)


@dataclass
class FileResult:
    findings: list[Finding] = field(default_factory=list)
    parsed: bool = False
    source: str | None = None
    facts: FileFacts = field(default_factory=FileFacts)  # the file's share of ProjectFacts
    blind: bool = False  # with `report_blind`: uses Redis, but no client was proven
    # with `explain`: why the file was read but not analysed (None: analysed, or RL001)
    skipped: str | None = None


def _parse_error(rel_path: str, doc: RuleDoc, line: int, column: int, message: str) -> Finding:
    return Finding(
        code=doc.code,
        name=doc.name,
        severity=doc.severity,
        message=message,
        path=rel_path,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
        hint=None,
        fix=None,
    )


# How positions are found: `positions.spans`, or the language server's derivation from
# the buffer's previous check (`lsp/spans.py`), which must give the same spans.
Locator = Callable[[cst.Module, Iterable[cst.CSTNode], "str | None"], dict[int, Span]]


def check_file(
    path: Path,
    rel_path: str,
    config: Config,
    index: ProjectIndex,
    *,
    data: bytes | None = None,
    selected: Collection[str] | None = None,
    report_blind: bool = False,
    explain: bool = False,
    locate: Locator = spans,
    reuse: NodeMemo | None = None,
) -> FileResult:
    """Check one file. `data` is the file's bytes when already read (stdin).

    With `report_blind`, `FileResult.blind` says whether the model is blind there
    (`semantics/coverage.py`), for `check --verbose`. `locate` and `reuse` are the
    language server's: positions, and what the last check derived from the nodes this
    tree shares with it (`semantics/reuse.py`)."""
    reuse = reuse if reuse is not None else NodeMemo()
    codes = frozenset(selected if selected is not None else selected_codes(config))
    config_rel = config.relative_path(path)
    if config.is_test_path(config_rel):
        codes = frozenset(c for c in codes if c.startswith(_TEST_PATH_PREFIXES))
    codes -= config.ignored_for_path(config_rel, all_codes())
    catalogue = load_catalogue()
    result = FileResult()
    why: list[str] | None = [] if explain else None
    try:
        analysis = analyze_file(path, rel_path, config, index, data=data, why=why, reuse=reuse)
    except SourceError as exc:
        suppressed = exc.suppressions is not None and exc.suppressions.match("RL001", [exc.line])
        if "RL001" in codes and not suppressed:
            result.findings.append(
                _parse_error(rel_path, catalogue["RL001"], exc.line, exc.column, exc.message)
            )
        return result
    if analysis is None:
        result.skipped = why[0] if why else None
        return result
    result.parsed = True
    module, model, suppressions = analysis.module, analysis.model, analysis.suppressions
    result.facts = file_facts(model)
    source = result.source = model.source
    reports: list[Report] = []
    rules = all_rules()
    for code in sorted(codes):
        rule_class = rules.get(code)
        if rule_class is None or rule_class.TARGET != "python":
            continue
        rule = rule_class(model, catalogue[code])
        try:
            rule.check()
        except Exception as exc:  # a bug in a rule must name the file, never leak a traceback
            raise InternalError(f"{rel_path}: internal error in {code}: {exc!r}") from exc
        reports.extend(rule.reports)
    used: set[tuple[int, str]] = set()
    if reports:
        result.findings.extend(
            _located(
                module, rel_path, reports, catalogue, suppressions, used, source, locate, reuse
            )
        )
    if "RL002" in codes and suppressions.comments:
        result.findings.extend(_unused_suppressions(source, rel_path, suppressions, used, codes))
    result.findings.sort(key=lambda f: f.sort_key)
    if report_blind:
        from redislint.semantics.coverage import is_blind

        result.blind = is_blind(model)
    return result


def facts_of_file(
    path: Path, rel_path: str, config: Config, index: ProjectIndex, *, data: bytes | None = None
) -> FileFacts:
    """A file's project facts without running any rule: for the files of the project
    that a run does not check (pre-commit and editors pass a few files)."""
    try:
        analysis = analyze_file(path, rel_path, config, index, data=data)
    except SourceError:
        return FileFacts()
    return FileFacts() if analysis is None else file_facts(analysis.model)


def _unused_suppressions(
    source: str,
    rel_path: str,
    suppressions: Suppressions,
    used: set[tuple[int, str]],
    codes: frozenset[str],
) -> list[Finding]:
    """RL002: suppression comments that suppressed nothing in this run."""
    doc = load_catalogue()["RL002"]
    lines = source.splitlines()
    findings = []
    for comment in suppressions.unused(used, active_codes=codes):
        text = lines[comment.line - 1] if comment.line <= len(lines) else ""
        column = text.find("#") + 1 or 1
        what = "all codes" if comment.codes is None else ", ".join(sorted(comment.codes))
        findings.append(
            Finding(
                code=doc.code,
                name=doc.name,
                severity=doc.severity,
                message=f"unused suppression ({what}): nothing was reported here",
                path=rel_path,
                line=comment.line,
                column=column,
                end_line=comment.line,
                end_column=len(text) + 1,
                hint="remove the comment, or the codes that no longer apply",
            )
        )
    return findings


class SourceError(Exception):
    """A file `analyze_file` cannot decode or parse; `line`/`column` are 1-based.

    `suppressions` are the file's comments when it could be decoded, so that RL001 can
    honour `# redislint: ignore[RL001]`."""

    def __init__(
        self, line: int, column: int, message: str, suppressions: Suppressions | None = None
    ) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.line = line
        self.column = column
        self.message = message
        self.suppressions = suppressions


@dataclass
class FileAnalysis:
    """A parsed file and its semantic model, for tools that read the model without
    running rules (`redislint keys`). The module is kept so that positions can be
    computed (`positions.spans`) for whatever the tool reports."""

    module: cst.Module
    model: FileModel
    suppressions: Suppressions


def analyze_file(
    path: Path,
    rel_path: str,
    config: Config,
    index: ProjectIndex,
    *,
    data: bytes | None = None,
    why: list[str] | None = None,
    reuse: NodeMemo | None = None,
) -> FileAnalysis | None:
    """One file's `FileModel`, without running any rule.

    The same steps as `check_file` up to the model (decode, skip-file, prefilter, parse,
    register in the shared index), so a tool sees exactly the files and facts the rules
    see. None when the file is deliberately not analysed (`# redislint: skip-file`, or it
    cannot touch Redis); `SourceError` when it cannot be decoded or parsed (where
    `check_file` would report RL001). When None, `why` (if given) receives the reason.
    """
    if data is None:
        data = path.read_bytes()
    try:
        source = decode_source(data)
    except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise SourceError(1, 1, f"cannot decode the file: {reason}") from None
    suppressions = parse_suppressions(source)
    if suppressions.skip_file:
        if why is not None:
            why.append("not analysed: it says `# redislint: skip-file`")
        return None
    # CPython's parser sees every Python file, so a syntax error is RL001 even in a file
    # that never mentions Redis; files that will be parsed with libcst are also guarded.
    relevant = (
        prefilter(source, config)
        or index.imports_redis_module(source, path)
        or index.imported_by_redis_module(path)
    )
    rejection = index.precheck(str(index.modules.real_path(path)), source, guard=relevant)
    if rejection is not None:
        raise SourceError(rejection.line, rejection.column, rejection.message, suppressions)
    if not relevant:
        if why is not None:
            why.append(PREFILTER_REASON)
        return None
    try:
        facts = index.parse(path, source)
    except cst.ParserSyntaxError as exc:
        raise SourceError(*_syntax_error_location(source, exc), suppressions) from None
    except (RecursionError, MemoryError) as exc:
        raise SourceError(1, 1, f"cannot parse: {type(exc).__name__}", suppressions) from None
    module = facts.module
    assert module is not None
    model = FileModel(
        facts, source, rel_path, config, index.resolver, index.keys, CommandTable.load(), reuse
    )
    return FileAnalysis(module, model, suppressions)


def _syntax_error_location(source: str, exc: cst.ParserSyntaxError) -> tuple[int, int, str]:
    """Where the syntax error is, as CPython would say it.

    libcst's native parser sometimes reports the token after the error (an unclosed
    parameter list is reported on the next line); CPython's own compiler is exact and
    cheap, and it only runs for files that already failed to parse.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the checked code's warnings are not ours
            compile(source, "<redislint>", "exec", dont_inherit=True)
    except SyntaxError as error:
        if error.lineno:
            return error.lineno, max(error.offset or 1, 1), f"syntax error: {error.msg}"
    except (ValueError, RecursionError, MemoryError):
        pass
    else:
        # Valid for this interpreter, but outside what libcst parses (e.g. a
        # parenthesised annotated target, `(x): int`): say so, the file is not wrong.
        line, column = _libcst_location(exc)
        return line, column, f"libcst cannot parse this file (CPython can): {exc.message}"
    line, column = _libcst_location(exc)
    return line, column, f"syntax error: {exc.message}"


def _libcst_location(exc: cst.ParserSyntaxError) -> tuple[int, int]:
    """libcst's native parser names the position in its message (`error at 25:8`,
    line 1-based, column 0-based); its `raw_line` can be one line off."""
    match = re.search(r"error at (\d+):(\d+)", exc.message)
    if match:
        return int(match.group(1)), int(match.group(2)) + 1
    return exc.raw_line, exc.raw_column + 1


def _located(
    module: cst.Module,
    rel_path: str,
    reports: list[Report],
    catalogue: dict[str, RuleDoc],
    suppressions: Suppressions,
    used: set[tuple[int, str]],
    source: str,
    locate: Locator,
    reuse: NodeMemo,
) -> list[Finding]:
    wanted: list[cst.CSTNode] = []
    for report in reports:
        wanted.append(report.node)
        if report.statement is not None:
            wanted.append(report.statement)
        if report.fix is not None:
            wanted.extend(edit.node for edit in report.fix.edits)
    located = locate(module, wanted, source)
    findings: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    for report in reports:
        span = located.get(id(report.node))
        if span is None:
            continue
        statement_span = located.get(id(report.statement)) if report.statement is not None else None
        lines = [span.line] + ([statement_span.line] if statement_span else [])
        suppressed_by = suppressions.match(report.code, lines)
        if suppressed_by is not None:
            used.add((suppressed_by, report.code))
            continue
        key = (report.code, span.line, span.column)
        if key in seen:
            continue
        seen.add(key)
        doc = catalogue[report.code]
        findings.append(
            Finding(
                code=report.code,
                name=doc.name,
                severity=doc.severity,
                message=report.message,
                path=rel_path,
                line=span.line,
                column=span.column,
                end_line=span.end_line,
                end_column=span.end_column,
                hint=report.hint,
                fix=_fix(module, report, located),
                fingerprint=_fingerprint(module, report, reuse),
                deferred=report.deferred,
            )
        )
    return findings


def _fix(module: cst.Module, report: Report, located: dict[int, Span]) -> Fix | None:
    if report.fix is None:
        return None
    edits = []
    for edit in report.fix.edits:
        span = located.get(id(edit.node))
        if span is None:
            return None
        content = edit.content
        if not isinstance(content, str):
            content = render_at(module, content, span.indent)
        if edit.whole_lines:
            edits.append(Edit(span.line, 1, span.end_line + 1, 1, content))
            continue
        edits.append(Edit(span.line, span.column, span.end_line, span.end_column, content))
    return Fix(
        report.fix.safety,  # type: ignore[arg-type]
        report.fix.description,
        tuple(sorted(edits)),
        imports=tuple(report.fix.imports),
    )


def _fingerprint(module: cst.Module, report: Report, reuse: NodeMemo) -> str:
    """The statement's text without whitespace: stable when unrelated lines move. The
    text is kept between checks of one buffer (`reuse`): generating the code of a large
    statement for each finding is a good part of a warm re-check."""
    anchor = report.statement if report.statement is not None else report.node

    def anchor_text(node: cst.CSTNode) -> str:
        return "".join(module.code_for_node(node).split())

    text = reuse.get("anchor", anchor, anchor_text)
    digest = hashlib.sha256(f"{report.code}\0{text}".encode()).hexdigest()
    return digest[:16]


def file_codes(config: Config, path: Path) -> frozenset[str]:
    """The rule codes `check_file` runs on `path`: the selection, narrowed in test paths
    and by `per-file-ignores` (for `check --show-settings`)."""
    codes = selected_codes(config)
    config_rel = config.relative_path(path)
    if config.is_test_path(config_rel):
        codes = frozenset(c for c in codes if c.startswith(_TEST_PATH_PREFIXES))
    return codes - config.ignored_for_path(config_rel, all_codes())
