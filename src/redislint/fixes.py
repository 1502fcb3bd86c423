"""Applying fixes: safety levels, conflicts, convergence, re-parse check, imports, atomic write.

The pieces, from the inside out:

- `apply_fixes(text, findings)`: one round. Every fix's edits become offsets in `text`
  (the exact text the engine saw: lines split on "\\n" only, columns in characters,
  1-based, end exclusive, as `findings.Edit` says). Fixes are taken in a deterministic
  order (position, then code, then content) and a fix that overlaps one accepted before
  it is skipped whole; the next round re-checks the new text and applies it then.
- `fix_text(text, check)`: the loop for one file. Apply a round, validate the result
  (it re-parses with libcst and still encodes in the file's encoding; a bad round is
  retried fix by fix so that only the offending fix is dropped), re-check it with
  `check`, and repeat until no applicable fix remains or `max_rounds` rounds ran.
- `write_atomic(path, data, expected=...)`: a temporary file in the same directory,
  fsync, then `os.replace`, so a reader (or a crash, or SIGKILL) sees either the old
  file or the new one, never half of each. The file mode is copied; a file whose bytes
  are no longer `expected` is left alone (`StaleFileError`).
- `fix_files(...)`: what `check --fix` / `--diff` run over many files, in parallel
  workers when there are many.

`SourceFormat` remembers what decoding threw away (encoding, BOM) and the newline style,
so that the written bytes differ from the original only where a fix changed something.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import os
import tempfile
import tokenize
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path

import libcst as cst

from redislint.config import Config
from redislint.deploy_engine import conf_parses, recheck_file
from redislint.discovery import FIX_TEMP_SUFFIX as TEMP_SUFFIX
from redislint.discovery import fix_temporary_prefix
from redislint.engine import InternalError, analysis_settings, check_file
from redislint.errors import cannot_read
from redislint.findings import Edit, Finding, Fix
from redislint.parallel import run_sharded
from redislint.semantics.project import ProjectIndex, decode_source

DEFAULT_MAX_ROUNDS = 10
# Temporary files end with this, never with ".py": a leftover after SIGKILL must not be
# picked up as source by the next run (or by anyone's `*.py` glob).

Check = Callable[[str], list[Finding]]
Validate = Callable[[str], bool]


class EditError(ValueError):
    """An edit whose position does not exist in the text (a bug in the rule)."""


class StaleFileError(OSError):
    """The file changed on disk after redislint read it; it was not overwritten."""


# -- text and bytes ---------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFormat:
    """How a decoded text goes back to the file's bytes.

    The engine strips a UTF-8 BOM and decodes with the coding cookie (`decode_source`);
    newlines stay in the text as they were, so only the encoding and the BOM need
    remembering. `newline` is the file's first line ending, used for the text a fix
    inserts so that a CRLF file does not end up with mixed endings.
    """

    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"

    @classmethod
    def detect(cls, data: bytes) -> SourceFormat:
        try:
            encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
        except SyntaxError:
            encoding = "utf-8"
        bom = data.startswith(b"\xef\xbb\xbf")
        if encoding == "utf-8-sig":
            encoding = "utf-8"
        first = data.find(b"\n")
        newline = "\r\n" if first > 0 and data[first - 1 : first] == b"\r" else "\n"
        return cls(encoding, bom, newline)

    @classmethod
    def of_text(cls, text: str) -> SourceFormat:
        first = text.find("\n")
        return cls(newline="\r\n" if first > 0 and text[first - 1] == "\r" else "\n")

    def encode(self, text: str) -> bytes:
        """The file's bytes for `text`. Raises UnicodeEncodeError when it does not fit."""
        data = text.encode(self.encoding)
        return b"\xef\xbb\xbf" + data if self.bom else data

    def can_encode(self, text: str) -> bool:
        try:
            text.encode(self.encoding)
        except UnicodeEncodeError:
            return False
        return True


def line_starts(text: str) -> list[int]:
    """Offset of each line's first character; lines split on "\\n" exactly as the engine counts.

    A CRLF file's "\\r" belongs to the end of its line, which is also how the engine's
    position pass counts columns, so (line, column) -> offset needs no CRLF special case.
    """
    starts = [0]
    find = text.find
    pos = find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = find("\n", pos + 1)
    return starts


def to_offset(text: str, starts: Sequence[int], line: int, column: int) -> int:
    """The offset of 1-based (line, column) in `text`; EditError when it is not in the text."""
    if not 1 <= line <= len(starts) or column < 1:
        raise EditError(f"position {line}:{column} is outside the file")
    start = starts[line - 1]
    line_end = starts[line] - 1 if line < len(starts) else len(text)  # offset of its "\n"
    offset = start + column - 1
    if offset > line_end:
        raise EditError(f"position {line}:{column} is past the end of line {line}")
    return offset


def _with_newline(content: str, newline: str) -> str:
    """Inserted text in the file's newline style (rules generate "\\n")."""
    if newline == "\n" or "\n" not in content:
        return content
    return content.replace("\r\n", "\n").replace("\n", newline)


# -- one round --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    content: str


@dataclass
class RoundResult:
    """The text after one round, which findings' fixes went in, and which waited."""

    text: str
    applied: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)  # overlapped an earlier fix
    invalid: list[Finding] = field(default_factory=list)  # positions outside the text

    @property
    def imports(self) -> list[tuple[str, str | None]]:
        wanted: list[tuple[str, str | None]] = []
        for finding in self.applied:
            assert finding.fix is not None
            for item in finding.fix.imports:
                if item not in wanted:
                    wanted.append(item)
        return wanted


def _overlaps(a: _Span, b: _Span) -> bool:
    """Whether two edits touch the same text, or insert at the same point (order unknown)."""
    if a.start < b.end and b.start < a.end:
        return True
    if a.start == a.end == b.start == b.end:
        return True
    # An insertion strictly inside the other's range.
    return (a.start == a.end and b.start < a.start < b.end) or (
        b.start == b.end and a.start < b.start < a.end
    )


def _spans(text: str, starts: Sequence[int], fix: Fix, newline: str) -> list[_Span]:
    spans = []
    for edit in fix.edits:
        start = to_offset(text, starts, edit.line, edit.column)
        end = to_offset(text, starts, edit.end_line, edit.end_column)
        if end < start:
            raise EditError(f"edit {edit.line}:{edit.column} ends before it starts")
        if not edit.content:
            start, end = _whole_line(text, start, end)
        spans.append(_Span(start, end, _with_newline(edit.content, newline)))
    spans.sort(key=lambda s: (s.start, s.end))
    for first, second in itertools.pairwise(spans):
        if _overlaps(first, second):
            raise EditError("the fix's own edits overlap")
    return spans


def _whole_line(text: str, start: int, end: int) -> tuple[int, int]:
    """A deletion that empties its line(s) (a removed statement) takes the line with it:
    its indentation and line break, so no whitespace-only line is left behind. A
    deletion of whole lines already (ending after a line break) is kept as it is."""
    if end > start and text[end - 1] == "\n":
        return start, end
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if line_end == -1:
        return start, end
    if text[line_start:start].strip() or text[end:line_end].strip():
        return start, end
    return line_start, line_end + 1


def fix_order_key(finding: Finding) -> tuple[object, ...]:
    """The order in which fixes are considered: first edit, then code, then content.

    Only values of the finding enter the key, so the same findings give the same result
    whatever order the rules reported them in.
    """
    assert finding.fix is not None
    edits = tuple(sorted(finding.fix.edits))
    first = edits[0] if edits else Edit(0, 0, 0, 0, "")
    return (first.line, first.column, finding.code, edits, finding.fix.description)


def apply_fixes(
    text: str, findings: Iterable[Finding], *, newline: str | None = None
) -> RoundResult:
    """Apply the fixes of `findings` to `text`, skipping any that overlaps an earlier one.

    A fix whose edits are exactly those of one already accepted (two rules, or two
    findings, proposing the same change) counts as applied: it is done. `newline` is the
    file's line ending for inserted text (default: detected from `text`).
    """
    if newline is None:
        newline = SourceFormat.of_text(text).newline
    starts = line_starts(text)
    result = RoundResult(text)
    accepted: list[_Span] = []
    accepted_sets: set[tuple[_Span, ...]] = set()
    candidates = sorted((f for f in findings if f.fix is not None), key=fix_order_key)
    for finding in candidates:
        assert finding.fix is not None
        try:
            spans = _spans(text, starts, finding.fix, newline)
        except EditError:
            result.invalid.append(finding)
            continue
        if not spans:
            # Nothing to replace: only an import-adding fix (imports come after the edits).
            (result.applied if finding.fix.imports else result.invalid).append(finding)
            continue
        key = tuple(spans)
        if key in accepted_sets:
            result.applied.append(finding)
            continue
        if any(_overlaps(span, other) for span in spans for other in accepted):
            result.skipped.append(finding)
            continue
        accepted.extend(spans)
        accepted_sets.add(key)
        result.applied.append(finding)
    if not accepted:
        return result
    # Stable sort by position; an insertion sorts before a replacement that starts at the
    # same offset, and building left to right keeps it there.
    accepted.sort(key=lambda s: (s.start, s.end))
    parts: list[str] = []
    pos = 0
    for span in accepted:
        parts.append(text[pos : span.start])
        parts.append(span.content)
        pos = span.end
    parts.append(text[pos:])
    result.text = "".join(parts)
    return result


def add_imports(text: str, imports: Sequence[tuple[str, str | None]]) -> str:
    """`text` with each (module, name) imported (`import module` when name is None).

    libcst's AddImportsVisitor puts them after the docstring and `__future__` imports and
    skips any already present, which a text edit computed by a rule could not know about
    when several fixes need the same import. Raises cst.ParserSyntaxError if `text` does
    not parse.
    """
    if not imports:
        return text
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    module = cst.parse_module(text)
    context = CodemodContext()
    for module_name, name in imports:
        AddImportsVisitor.add_needed_import(context, module_name, name)
    return AddImportsVisitor(context).transform_module(module).code


# -- the loop for one file --------------------------------------------------------------


def applicable(findings: Iterable[Finding], *, unsafe: bool = False) -> list[Finding]:
    """Findings whose fix `--fix` applies (safe ones; unsafe ones too with `unsafe`)."""
    return [f for f in findings if f.fix is not None and (f.fix.safety == "safe" or unsafe)]


@dataclass
class FixedText:
    """The outcome of fixing one text.

    `findings` are those of the final text (the last `check`); `fixed` counts applied
    fixes; `converged` is False when fixable findings remain after `max_rounds` rounds
    or fixes had to be dropped; `problems` says why, one line each, for the user.
    """

    text: str
    findings: list[Finding]
    fixed: int = 0
    rounds: int = 0
    converged: bool = True
    rejected: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def is_valid_source(text: str, fmt: SourceFormat) -> bool:
    """The text still encodes in the file's encoding and parses with libcst."""
    if not fmt.can_encode(text):
        return False
    try:
        cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, MemoryError):
        return False
    return True


def _keep_trailing_newline(original: str, text: str, newline: str) -> str:
    """Keep the original's "ends with a newline or not", whatever a fix did at the end."""
    if text == original or not text:
        return text
    if original.endswith("\n") and not text.endswith("\n"):
        return text + newline
    if not original.endswith("\n") and text.endswith("\n"):
        return text[: -len(newline)] if text.endswith(newline) else text[:-1]
    return text


def _round(
    text: str,
    fixes: list[Finding],
    fmt: SourceFormat,
    original: str,
    validate: Validate | None = None,
) -> tuple[RoundResult, str | None]:
    """One round: the result and its validated new text (None when nothing valid applied)."""
    attempt = apply_fixes(text, fixes, newline=fmt.newline)
    new_text = _finish(text, attempt, fmt, original, validate)
    if new_text is not None or not attempt.applied:
        return attempt, new_text
    # The round as a whole is invalid: take the fixes one at a time, in the same order,
    # keeping each that still leaves a valid text. Only the culprit is dropped.
    kept: list[Finding] = []
    rejected: list[Finding] = []
    new_text = None
    for finding in attempt.applied:
        trial = apply_fixes(text, [*kept, finding], newline=fmt.newline)
        if finding not in trial.applied:
            continue
        candidate = _finish(text, trial, fmt, original, validate)
        if candidate is None:
            rejected.append(finding)
        else:
            kept.append(finding)
            new_text = candidate
    final = apply_fixes(text, kept, newline=fmt.newline) if kept else RoundResult(text)
    final.invalid.extend(rejected)
    final.invalid.extend(attempt.invalid)
    final.skipped = [f for f in attempt.skipped if f not in kept]
    return final, new_text


def _finish(
    text: str,
    attempt: RoundResult,
    fmt: SourceFormat,
    original: str,
    validate: Validate | None = None,
) -> str | None:
    """Add imports and keep the trailing newline; None when the result is not valid.

    `validate` replaces the Python re-parse check for other files (a redis.conf)."""
    if not attempt.applied:
        return None
    new_text = _keep_trailing_newline(original, attempt.text, fmt.newline)
    if validate is not None:
        return new_text if fmt.can_encode(new_text) and validate(new_text) else None
    imports = attempt.imports
    if imports:
        try:
            new_text = add_imports(new_text, imports)
        except (cst.ParserSyntaxError, RecursionError):
            return None
    return new_text if is_valid_source(new_text, fmt) else None


def _where(finding: Finding) -> str:
    return f"{finding.code} at line {finding.line}"


def fix_text(
    text: str,
    check: Check,
    *,
    unsafe: bool = False,
    findings: Sequence[Finding] | None = None,
    fmt: SourceFormat | None = None,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    validate: Validate | None = None,
) -> FixedText:
    """Fix `text` until no applicable fix remains, at most `max_rounds` rounds.

    `validate(text)` is the re-parse check for files that are not Python (deployment
    files, whose fixes are plain text edits); None means libcst must parse the result.

    `check(text)` lints a text (the engine, with the file's config); `findings` are those
    of `text` when the caller already has them. A round whose result does not re-parse
    or encode is retried fix by fix; a fix that still breaks the text is dropped and
    reported (it is a bug in its rule) and never written.
    """
    fmt = fmt or SourceFormat.of_text(text)
    current = text
    found = list(findings) if findings is not None else check(text)
    outcome = FixedText(text, found)
    rejected_keys: set[tuple[str, str, Fix]] = set()
    while True:
        fixes = [
            f
            for f in applicable(found, unsafe=unsafe)
            if (f.code, f.fingerprint, _relative(f)) not in rejected_keys
        ]
        if not fixes:
            break
        if outcome.rounds >= max_rounds:
            outcome.converged = False
            codes = ", ".join(sorted({f.code for f in fixes}))
            outcome.problems.append(
                f"fixes did not converge after {max_rounds} rounds ({codes} still fixable); "
                "the last valid result was kept"
            )
            break
        outcome.rounds += 1
        result, new_text = _round(current, fixes, fmt, text, validate)
        for bad in result.invalid:
            rejected_keys.add((bad.code, bad.fingerprint, _relative(bad)))
            outcome.rejected.append(bad)
            outcome.converged = False
            problem = (
                f"the fix for {_where(bad)} was not applied: its edits do not fit the file or "
                "leave code that does not parse or encode (a bug in the rule; please report it)"
            )
            if problem not in outcome.problems:
                outcome.problems.append(problem)
        if new_text is None:
            if result.skipped:
                continue  # fixes that waited behind a rejected one may apply now
            break
        if new_text == current:
            outcome.converged = False
            outcome.problems.append(
                "fixes for "
                + ", ".join(_where(f) for f in result.applied)
                + " change nothing; stopped"
            )
            break
        outcome.fixed += len(result.applied)
        current = new_text
        found = check(current)
    outcome.text = current
    outcome.findings = found
    return outcome


def _relative(finding: Finding) -> Fix:
    """A fix's identity that survives other fixes moving it: edits relative to its start."""
    assert finding.fix is not None
    fix = finding.fix
    if not fix.edits:
        return fix
    base = min(e.line for e in fix.edits)
    edits = tuple(replace(e, line=e.line - base, end_line=e.end_line - base) for e in fix.edits)
    return replace(fix, edits=edits)


# -- writing ----------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes, *, expected: bytes | None = None) -> None:
    """Replace `path`'s content by `data` atomically, keeping its mode.

    A temporary file in the same directory (same filesystem, so `os.replace` is an atomic
    rename) is written and fsynced first; on any error it is removed. With `expected`, a
    file whose current bytes differ is not touched (StaleFileError): someone edited it
    after we read it, and their edit wins. A symlink is followed, so the link stays a link.
    The comparison and the rename are two steps; an edit landing between them is lost,
    a window of microseconds that no editor-save sequence hits in practice.
    """
    target = Path(os.path.realpath(path))
    stat = target.stat()
    if expected is not None and target.read_bytes() != expected:
        raise StaleFileError(f"{path}: changed on disk since it was read; not overwritten")
    fd, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=fix_temporary_prefix(target.name), suffix=TEMP_SUFFIX
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, stat.st_mode & 0o7777)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def unified_diff(rel_path: str, before: str, after: str) -> str:
    """A `--- a/path` / `+++ b/path` unified diff, git-style "no newline" markers included."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    lines = []
    for line in difflib.unified_diff(old, new, fromfile=f"a/{rel_path}", tofile=f"b/{rel_path}"):
        if line.endswith("\n"):
            lines.append(line)
        else:
            lines.append(line + "\n\\ No newline at end of file\n")
    return "".join(lines)


# -- many files (the CLI) ---------------------------------------------------------------


@dataclass(frozen=True)
class FileToFix:
    """One file with applicable fixes, as the check run saw it."""

    path: Path  # absolute
    rel_path: str  # as reported
    source: str  # the decoded text the findings were computed on
    findings: tuple[Finding, ...]
    data: bytes | None = None  # the bytes, when they do not come from disk (stdin)
    # A deployment file: (absolute, reported) paths of the deployment files checked with
    # it; its fixes are text edits re-checked by deploy_engine (empty: a Python file).
    deploy_context: tuple[tuple[str, str], ...] = ()


@dataclass
class FileFixResult:
    rel_path: str
    before: str
    after: str
    findings: list[Finding]  # remaining after the fixes (the originals when not fixed)
    fixed: int = 0
    data: bytes = b""  # the bytes of `after` in the file's encoding (as read when unchanged)
    written: bool = False
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.after != self.before


@dataclass(frozen=True)
class FixOptions:
    unsafe: bool = False
    write: bool = True
    max_rounds: int = DEFAULT_MAX_ROUNDS


FindingFilter = Callable[[list[Finding]], list[Finding]]


def _fix_one(
    item: FileToFix,
    config: Config,
    index: ProjectIndex,
    selected: frozenset[str],
    options: FixOptions,
    keep: FindingFilter | None,
) -> FileFixResult:
    result = FileFixResult(item.rel_path, item.source, item.source, list(item.findings))
    try:
        data = item.data if item.data is not None else item.path.read_bytes()
    except OSError as exc:
        result.error = cannot_read(item.rel_path, exc)
        return result
    result.data = data
    try:
        current = decode_source(data)
    except (UnicodeDecodeError, SyntaxError, LookupError):
        current = None
    if current != item.source:
        result.warnings.append(f"{item.rel_path}: changed on disk since it was checked; not fixed")
        return result
    fmt = SourceFormat.detect(data)
    validate: Validate | None = None

    def check(text: str) -> list[Finding]:
        if item.deploy_context:
            found = recheck_file(
                item.path,
                item.rel_path,
                text,
                config,
                selected,
                item.deploy_context,
                Path.cwd(),  # reported paths are relative to it (see fix_requests)
            )
            return keep(found) if keep is not None else found
        found = check_file(
            item.path,
            item.rel_path,
            config,
            index,
            data=fmt.encode(text),
            selected=selected,
        ).findings
        # Deferred findings are decided on the whole project, which one file's rounds do
        # not see; none has a fix, and the next check reports them (never undecided).
        found = [f for f in found if f.deferred is None]
        return keep(found) if keep is not None else found

    if item.deploy_context:
        fmt = SourceFormat(bom=data.startswith(b"\xef\xbb\xbf"), newline=fmt.newline)
        validate = conf_parses
    try:
        fixed = fix_text(
            item.source,
            check,
            unsafe=options.unsafe,
            findings=item.findings,
            fmt=fmt,
            max_rounds=options.max_rounds,
            validate=validate,
        )
    except InternalError as exc:
        result.error = str(exc)
        return result
    except RecursionError:
        result.error = f"{item.rel_path}: internal error: nesting too deep to analyse"
        return result
    result.warnings.extend(f"{item.rel_path}: {problem}" for problem in fixed.problems)
    result.after = fixed.text
    result.findings = fixed.findings
    result.fixed = fixed.fixed
    if not result.changed:
        return result
    result.data = fmt.encode(fixed.text)
    if options.write and item.data is None:
        try:
            write_atomic(item.path, result.data, expected=data)
        except StaleFileError:
            result.warnings.append(
                f"{item.rel_path}: changed on disk while being fixed; not overwritten"
            )
            result.after, result.findings, result.fixed = item.source, list(item.findings), 0
            result.data = data
            return result
        except OSError as exc:
            result.error = f"{item.rel_path}: cannot write: {exc.strerror or exc}"
            result.after, result.findings, result.fixed = item.source, list(item.findings), 0
            result.data = data
            return result
        result.written = True
    return result


@analysis_settings()
def _fix_shard(
    config: Config,
    items: list[FileToFix],
    selected: frozenset[str],
    options: FixOptions,
    keep: FindingFilter | None,
) -> list[FileFixResult]:
    with ProjectIndex(config) as index:
        return [_fix_one(item, config, index, selected, options, keep) for item in items]


def fix_files(
    items: Sequence[FileToFix],
    config: Config,
    *,
    selected: Collection[str],
    options: FixOptions = FixOptions(),
    keep: FindingFilter | None = None,
    jobs: int | None = None,
) -> list[FileFixResult]:
    """Fix each file (write it unless `options.write` is False); results in `items` order.

    `keep` filters each re-check's findings (the baseline), so that fixes touch only what
    is reported. Each file is written as soon as it is done, atomically, so an interrupted
    run leaves every file either untouched or fully fixed. `keep` must be picklable when
    the work runs in worker processes.
    """
    order = {item.rel_path: n for n, item in enumerate(items)}
    parts = run_sharded(
        _fix_shard,
        config,
        items,
        jobs,
        frozenset(selected),
        options,
        keep,
    )
    results = [result for part in parts for result in part]
    results.sort(key=lambda r: order[r.rel_path])
    return results


def fix_requests(
    findings: Iterable[Finding],
    sources: Mapping[str, str],
    cwd: Path,
    *,
    unsafe: bool = False,
    stdin: tuple[str, bytes] | None = None,
    deploy_context: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
) -> list[FileToFix]:
    """The files among `findings` that have an applicable fix, in path order.

    `sources` are the texts the findings were computed on (`RunOutcome.sources`); a file
    without one (it could not be decoded) has nothing to fix. With `stdin`, its one file
    takes its bytes from there instead of from disk, and is never written.
    """
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    items = []
    for rel in sorted(by_path):
        found = by_path[rel]
        if rel not in sources or not applicable(found, unsafe=unsafe):
            continue
        data = stdin[1] if stdin is not None else None
        context = (deploy_context or {}).get(rel, ())
        items.append(
            FileToFix((cwd / rel).absolute(), rel, sources[rel], tuple(found), data, context)
        )
    return items


# -- suppression comments (`--add-noqa`) ------------------------------------------------


__all__ = [
    "DEFAULT_MAX_ROUNDS",
    "TEMP_SUFFIX",
    "EditError",
    "FileFixResult",
    "FileToFix",
    "FixOptions",
    "FixedText",
    "RoundResult",
    "SourceFormat",
    "StaleFileError",
    "add_imports",
    "applicable",
    "apply_fixes",
    "fix_files",
    "fix_order_key",
    "fix_requests",
    "fix_text",
    "line_starts",
    "to_offset",
    "unified_diff",
    "write_atomic",
]
