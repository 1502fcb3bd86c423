"""The protocol side of `redislint server`: pygls handlers over a `LintSession`.

- Diagnostics are published on open and save at once, and on change after a short
  pause in typing (`DEBOUNCE_SECONDS`; a newer change cancels the pending check).
- Code actions: one quick fix per finding with a fix (an unsafe one says so in its
  title and is never preferred), "add `# redislint: ignore[CODE]`" per finding, and
  `source.fixAll.redislint` (every safe fix, as `check --fix`).
- Hover on a finding shows its message and the rule's page (`redislint explain`).
- `workspace/didChangeWatchedFiles` (registered dynamically when the client can) and
  saves re-check the open buffers that depend on the changed file.

Positions are converted with the encoding negotiated at initialisation (UTF-16 unless
the client offers UTF-8 or UTF-32; `positions.py`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from redislint import __version__
from redislint.catalogue import load_catalogue
from redislint.findings import Finding
from redislint.lsp.positions import UTF16, from_lsp, minimal_edit, split_lines, to_lsp
from redislint.lsp.session import CheckResult, LintSession

DEBOUNCE_SECONDS = 0.2
FIX_ALL_KIND = "source.fixAll.redislint"
SOURCE = "redislint"

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


class RedislintServer(LanguageServer):
    """pygls' server with the session and the pending (debounced) checks."""

    def __init__(self, root: Path | None = None) -> None:
        super().__init__("redislint", __version__)
        self._root = root
        self._session: LintSession | None = None
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.debounce = DEBOUNCE_SECONDS

    @property
    def session(self) -> LintSession:
        if self._session is None:
            root = self._root
            if root is None:
                folder = self.workspace.root_path
                root = Path(folder) if folder else Path.cwd()
            self._session = LintSession(root)
        return self._session

    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding
        if isinstance(encoding, types.PositionEncodingKind):
            return str(encoding.value)
        return encoding or UTF16

    # -- diagnostics --------------------------------------------------------------------

    def publish(self, uri: str, path: Path, result: CheckResult) -> None:
        text = self.session.text(path) or ""
        lines = split_lines(text)
        diagnostics = [self.diagnostic(lines, f) for f in result.findings]
        if result.error is not None:
            self.window_log_message(
                types.LogMessageParams(
                    type=types.MessageType.Error, message=f"redislint: {result.error}"
                )
            )
            diagnostics.append(
                types.Diagnostic(
                    range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                    message=f"redislint cannot check this file: {result.error}",
                    severity=types.DiagnosticSeverity.Error,
                    source=SOURCE,
                )
            )
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def range_of(self, lines: list[str], finding: Finding) -> types.Range:
        start = to_lsp(lines, finding.line, finding.column, self.encoding)
        end = to_lsp(lines, finding.end_line, finding.end_column, self.encoding)
        return types.Range(types.Position(*start), types.Position(*end))

    def diagnostic(self, lines: list[str], finding: Finding) -> types.Diagnostic:
        message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
        tags = [types.DiagnosticTag.Unnecessary] if finding.code == "RL002" else None
        return types.Diagnostic(
            range=self.range_of(lines, finding),
            message=message,
            severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
            code=finding.code,
            source=SOURCE,
            tags=tags,
            data={"name": finding.name, "fix": finding.fix.safety if finding.fix else None},
        )

    def check_and_publish(self, uri: str) -> None:
        path = uri_path(uri)
        if path is None:
            return
        self.publish(uri, path, self.session.check(path))

    def refresh(self, paths: list[Path]) -> None:
        for path in paths:
            self.check_and_publish(from_fs_path(str(path)) or path.as_uri())

    def schedule(self, uri: str) -> None:
        """Check `uri` once typing pauses; a newer change restarts the wait."""
        pending = self.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()

        async def later() -> None:
            await asyncio.sleep(self.debounce)
            self.pending.pop(uri, None)
            self.check_and_publish(uri)

        self.pending[uri] = asyncio.ensure_future(later())

    # -- edits --------------------------------------------------------------------------

    def edit(self, uri: str, old: str, new: str) -> types.WorkspaceEdit:
        line, column, end_line, end_column, content = minimal_edit(old, new)
        lines = split_lines(old)
        start = types.Position(*to_lsp(lines, line, column, self.encoding))
        end = types.Position(*to_lsp(lines, end_line, end_column, self.encoding))
        return types.WorkspaceEdit(
            changes={uri: [types.TextEdit(types.Range(start, end), content)]}
        )

    def findings_in(
        self, path: Path, wanted: types.Range, diagnostics: list[types.Diagnostic]
    ) -> list[Finding]:
        """The buffer's findings the request is about: those the client names in its
        context (same code and range), else those overlapping the requested range."""
        lines = split_lines(self.session.text(path) or "")
        found = self.session.findings(path)
        named = {
            (d.code, _key(d.range)) for d in diagnostics if d.source in (SOURCE, None) and d.code
        }
        if named:
            return [f for f in found if (f.code, _key(self.range_of(lines, f))) in named]
        return [f for f in found if _overlap(self.range_of(lines, f), wanted)]


def _key(span: types.Range) -> tuple[int, int, int, int]:
    return (span.start.line, span.start.character, span.end.line, span.end.character)


def _overlap(a: types.Range, b: types.Range) -> bool:
    a_start, a_end = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b_start, b_end = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a_start <= b_end and b_start <= a_end


def uri_path(uri: str) -> Path | None:
    path = to_fs_path(uri)
    return Path(path) if path else None


def hover_text(finding: Finding) -> str:
    doc = load_catalogue().get(finding.code)
    head = f"**{finding.code}** `{finding.name}`: {finding.message}"
    if finding.hint:
        head += f"\n\nhint: {finding.hint}"
    return head if doc is None else f"{head}\n\n---\n\n{doc.markdown()}"


def create_server(root: Path | None = None) -> RedislintServer:
    """The server with its handlers (a function, so that tests can build several)."""
    server = RedislintServer(root)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: RedislintServer, params: types.InitializedParams) -> None:
        watch = ls.client_capabilities.workspace
        dynamic = (
            watch is not None
            and watch.did_change_watched_files is not None
            and watch.did_change_watched_files.dynamic_registration
        )
        if not dynamic:
            return
        watchers = [
            types.FileSystemWatcher(glob_pattern=pattern)
            for pattern in ("**/*.py", "**/*.pyi", "**/pyproject.toml", "**/redislint.toml")
        ]
        options = types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
        registration = types.Registration(
            id="redislint-watched-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options,
        )
        try:
            await ls.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception as exc:  # a client that refuses still gets everything else
            ls.window_log_message(
                types.LogMessageParams(type=types.MessageType.Warning, message=f"redislint: {exc}")
            )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RedislintServer, params: types.DidOpenTextDocumentParams) -> None:
        path = uri_path(params.text_document.uri)
        if path is None:
            return
        ls.session.open(path, params.text_document.text)
        ls.check_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RedislintServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = uri_path(uri)
        if path is None:
            return
        # pygls applied the (incremental) changes to its copy of the document.
        ls.session.update(path, ls.workspace.get_text_document(uri).source)
        ls.schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RedislintServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = uri_path(uri)
        if path is None:
            return
        pending = ls.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        if params.text is not None:
            ls.session.update(path, params.text)
        ls.check_and_publish(uri)
        ls.refresh([p for p in ls.session.files_changed([path]) if p != path.absolute()])

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RedislintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = uri_path(uri)
        pending = ls.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        if path is not None:
            ls.session.close(path)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: RedislintServer, params: types.DidChangeWatchedFilesParams) -> None:
        paths = [p for change in params.changes if (p := uri_path(change.uri)) is not None]
        ls.refresh(ls.session.files_changed(paths))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    def code_action(ls: RedislintServer, params: types.CodeActionParams) -> list[Any] | None:
        uri = params.text_document.uri
        path = uri_path(uri)
        text = ls.session.text(path) if path is not None else None
        if path is None or text is None:
            return None
        only = params.context.only
        actions: list[types.CodeAction] = []
        if only is None or any(
            types.CodeActionKind.QuickFix.value.startswith(kind) for kind in only
        ):
            actions += _quick_fixes(ls, uri, path, text, params)
        if only is None or any(FIX_ALL_KIND.startswith(kind) for kind in only):
            fixed = ls.session.fix_all(path)
            if fixed is not None:
                actions.append(
                    types.CodeAction(
                        title="redislint: fix all safe fixes",
                        kind=FIX_ALL_KIND,
                        edit=ls.edit(uri, text, fixed),
                    )
                )
        return list(actions)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: RedislintServer, params: types.HoverParams) -> types.Hover | None:
        path = uri_path(params.text_document.uri)
        text = ls.session.text(path) if path is not None else None
        if path is None or text is None:
            return None
        lines = split_lines(text)
        line, column = from_lsp(lines, params.position.line, params.position.character, ls.encoding)
        here = [
            f
            for f in ls.session.findings(path)
            if (f.line, f.column) <= (line, column) <= (f.end_line, f.end_column)
        ]
        if not here:
            return None
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown,
                value="\n\n".join(hover_text(f) for f in here),
            ),
            range=ls.range_of(lines, here[0]),
        )

    return server


def _quick_fixes(
    ls: RedislintServer, uri: str, path: Path, text: str, params: types.CodeActionParams
) -> list[types.CodeAction]:
    actions: list[types.CodeAction] = []
    lines = split_lines(text)
    for finding in ls.findings_in(path, params.range, list(params.context.diagnostics)):
        diagnostic = ls.diagnostic(lines, finding)
        if finding.fix is not None:
            fixed = ls.session.fix_one(path, finding)
            if fixed is not None:
                unsafe = finding.fix.safety == "unsafe"
                title = f"redislint: {finding.fix.description} ({finding.code})"
                actions.append(
                    types.CodeAction(
                        title=title + (" [unsafe fix: check the change]" if unsafe else ""),
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=not unsafe,
                        edit=ls.edit(uri, text, fixed),
                    )
                )
        ignored = ls.session.add_ignore(path, [finding])
        if ignored is not None:
            actions.append(
                types.CodeAction(
                    title=f"redislint: add `# redislint: ignore[{finding.code}]`",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=ls.edit(uri, text, ignored),
                )
            )
    return actions


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit.

    The whole loop runs on the analysis thread (a big stack, the analysis settings), so
    a check needs no thread of its own."""
    from redislint.engine import analysis_settings
    from redislint.parallel import on_big_stack

    on_big_stack(analysis_settings()(create_server().start_io))
