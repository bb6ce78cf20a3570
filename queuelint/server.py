"""`queuelint server`: a Language Server over stdio (pygls), a thin adapter over the engine.

It analyses the workspace, uses open buffers over the disk, re-extracts only files that
changed (the engine's `Workspace` keeps the rest), and republishes diagnostics for every
file whose set changed, so fixing a worker clears the warning in the producer's file.
Config edits are picked up; a broken config is shown and the last good settings are kept.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer  # the `lsp` extra; `queuelint server` says so if missing
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import RPCMessage, RPCRequest

from queuelint import __version__, config, engine
from queuelint.findings import DEFAULT_JOB, Diagnostic, Span
from queuelint.framing import FrameReader
from queuelint.graph import QueueGraph
from queuelint.reporters.lsp import SEVERITY, lsp_range, rule_page_uri, utf16_column
from queuelint.rules import lookup

DEBOUNCE_SECONDS = 0.02  # coalesces a burst of keystrokes; the analysis itself reuses unchanged facts
CONFIG_FILES = ("queuelint.toml", "pyproject.toml")
IDLE_SECONDS = 1.0  # no edit for this long: a good time for a full garbage collection
FULL_COLLECT_EVERY = 200  # analyses: memory stays bounded in a session that never pauses


logger = logging.getLogger(__name__)


def path_of(uri: str) -> str:
    return os.path.normpath(unquote(urlparse(uri).path))


@lru_cache(maxsize=4096)
def uri_of(path: str) -> str:
    return Path(path).resolve().as_uri()


class QueuelintProtocol(LanguageServerProtocol):
    def handle_message(self, message: RPCMessage) -> None:
        # pygls 2.1 (`JsonRPCProtocol.handle_message`) drops every message after `shutdown`
        # but `exit` without a word, so a request then waits forever; LSP says to answer it
        # with InvalidRequest.
        if self._shutdown and isinstance(message, RPCRequest) and message.method != types.EXIT:
            error = JsonRpcInvalidRequest(f"{message.method}: the server is shutting down")
            self._send_response(message.id, None, error.to_response_error())
            return
        super().handle_message(message)


class QueuelintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("queuelint", __version__, protocol_cls=QueuelintProtocol)
        self.workspace_state = engine.Workspace()
        self.settings: config.Settings | None = None
        self.root = "."
        self.published: dict[str, list[types.Diagnostic]] = {}
        self.graph: QueueGraph | None = None
        self.generation = 0
        self.analyses = 0
        self._buffer_lines: dict[str, tuple[bytes, tuple[str, ...]]] = {}

    # --- transport --------------------------------------------------------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls 2.1's own loop (`pygls.io_.run_async`) knows only `Content-Length: N\\r\\n`
        exactly and reads any N at once: 10**12 is a MemoryError that ends the server, and a
        missing, negative or LF-only length header leaves it waiting for a length it never
        gets, every later body glued to the next header (deaf). This is its
        `_start_io_async` with our `FrameReader`, which drops such frames and reads on."""
        self._stop_event = stop_event = threading.Event()
        reader = stdin or sys.stdin.buffer
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def serve() -> None:
            loop = asyncio.get_running_loop()
            frames = FrameReader(lambda limit: loop.run_in_executor(self.thread_pool, reader.readline, limit),
                                 lambda size: loop.run_in_executor(self.thread_pool, reader.read, size),
                                 self._framing_fault)
            while not stop_event.is_set():
                body = await frames.next_body()
                if body is None:
                    break
                try:  # as pygls does: a body that is no JSON-RPC message is reported, not fatal
                    self.protocol.handle_message(json.loads(body, object_hook=self.protocol.structure_message))
                except Exception as error:
                    logger.exception("Unable to handle message")
                    self.report_server_error(error, JsonRpcException)

        try:
            asyncio.run(serve())
        except BrokenPipeError:
            logger.error("Connection to the client is lost! Shutting down the server.")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]  # untyped in pygls 2.1

    def _framing_fault(self, what: str) -> None:
        logger.warning("%s", what)
        self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"queuelint: {what}"))

    # --- analysis ---------------------------------------------------------------

    def load_settings(self) -> None:
        try:
            self.settings = config.load(None, self.root)
        except config.ConfigError as error:
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"queuelint: {error}"))
            if self.settings is None:
                self.settings = config.Settings(root=self.root)

    def analyse(self) -> None:
        if self.settings is None:
            self.load_settings()
        assert self.settings is not None
        buffers = self.workspace_state.buffers
        buffers.clear()
        for document in self.workspace.text_documents.values():
            # JSON lets a client send an unpaired surrogate, which strict UTF-8 refuses (one
            # such buffer stopped every analysis). Kept as the bytes a file on disk would hold,
            # the front-end reports it as it does such a file: QL001 "not valid UTF-8".
            buffers[path_of(document.uri)] = document.source.encode("utf-8", "surrogatepass")
        for path in set(self._buffer_lines) - set(buffers):
            del self._buffer_lines[path]
        started = time.perf_counter()
        result = engine.analyse([self.root], self.settings, jobs=1, workspace=self.workspace_state, relays=False)
        elapsed = (time.perf_counter() - started) * 1000
        self.window_log_message(types.LogMessageParams(types.MessageType.Log,
            f"queuelint: {result.files_analysed} files, {len(result.diagnostics)} findings, "
            f"{len(buffers)} open buffers, {elapsed:.0f} ms"))
        self.graph = result.graph
        by_uri: dict[str, list[types.Diagnostic]] = {}
        for diagnostic in result.diagnostics:
            by_uri.setdefault(uri_of(diagnostic.span.path), []).append(self.to_lsp(diagnostic))
        for uri in sorted(set(by_uri) | set(self.published)):
            diagnostics = by_uri.get(uri, [])
            if self.published.get(uri) != diagnostics:
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
        self.published = {uri: items for uri, items in by_uri.items() if items}
        for error in result.internal_errors:
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"queuelint: {error}"))

    def lines_of(self, path: str) -> Sequence[str] | None:
        """An open buffer's lines (None: the file on disk is current), split once per text."""
        buffer = self.workspace_state.buffers.get(path)
        if buffer is None:
            return None
        found = self._buffer_lines.get(path)
        if found is None or found[0] is not buffer:
            found = self._buffer_lines[path] = (buffer, tuple(buffer.decode("utf-8", "replace").splitlines()))
        return found[1]

    def to_lsp(self, d: Diagnostic) -> types.Diagnostic:
        href = rule_page_uri(d.code)
        return types.Diagnostic(
            range=_range(lsp_range(d.span, self.lines_of(d.span.path))),
            severity=types.DiagnosticSeverity(SEVERITY[d.severity]),
            code=d.code,
            code_description=types.CodeDescription(href=href) if href else None,
            source="queuelint",
            message=f"{d.message}\n{d.hint}" if d.hint else d.message,
            related_information=[
                types.DiagnosticRelatedInformation(
                    location=types.Location(uri=uri_of(r.span.path),
                                            range=_range(lsp_range(r.span, self.lines_of(r.span.path)))),
                    message=r.message,
                )
                for r in d.related
            ] or None,
        )

    def watch_files(self) -> None:
        """Ask the editor to report changes to source and config files on disk (a checkout, a
        generator): between reports the disk is only re-read every few seconds."""
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        patterns = ["**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs,py}", "**/{tsconfig,jsconfig,package}.json",
                    *(f"**/{name}" for name in CONFIG_FILES), "**/.gitignore"]
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=pattern) for pattern in patterns])
        self.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
            id="queuelint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options)]))

    def analyse_soon(self) -> None:
        """Debounced: a burst of edits leads to one analysis, of the latest text.

        The handlers that call this are plain functions: pygls keeps the task of every
        coroutine notification handler, so coroutines would grow memory with each edit.
        """
        self.generation += 1
        mine = self.generation
        asyncio.get_running_loop().call_later(DEBOUNCE_SECONDS, self._analyse_if_latest, mine)

    def _analyse_if_latest(self, generation: int) -> None:
        if generation == self.generation:
            self.analyse()
            self.analyses += 1
            if self.analyses % FULL_COLLECT_EVERY == 0:
                gc.collect()
            else:
                asyncio.get_running_loop().call_later(IDLE_SECONDS, self._collect_if_idle, generation)
        self._forget_finished_notifications()

    def _collect_if_idle(self, generation: int) -> None:
        if generation == self.generation:
            gc.collect()

    def _forget_finished_notifications(self) -> None:
        """pygls 2.1 files every notification's future under a fresh id and never removes it
        (requests are removed when answered): drop the finished ones, or memory grows with
        every keystroke."""
        futures = getattr(self.protocol, "_request_futures", None)
        if isinstance(futures, dict):
            for key in [key for key, future in futures.items() if future.done()]:
                del futures[key]


def _range(data: dict[str, Any]) -> types.Range:
    return types.Range(
        start=types.Position(line=data["start"]["line"], character=data["start"]["character"]),
        end=types.Position(line=data["end"]["line"], character=data["end"]["character"]),
    )


server = QueuelintServer()


@server.feature(types.INITIALIZED)
def initialized(ls: QueuelintServer, params: types.InitializedParams) -> None:
    ls.root = ls.workspace.root_path or os.getcwd()
    ls.load_settings()
    ls.watch_files()
    ls.analyse()
    # The first analysis builds what stays for the session (facts of every file). Frozen, it
    # is no longer scanned by the cycle collector, whose full passes otherwise cost 150 ms
    # in a 5,000-file workspace; facts freed later are still freed (by reference counting).
    gc.collect()
    gc.freeze()
    # Full collections only when idle (or every so many analyses in a session that never
    # pauses), not in the middle of an edit's analysis: young generations stay automatic.
    gc.set_threshold(700, 10, 1_000_000)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: QueuelintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.analyse_soon()


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: QueuelintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.analyse_soon()


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: QueuelintServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.workspace_state.disk_changed()
    if os.path.basename(path_of(params.text_document.uri)) in CONFIG_FILES:
        ls.load_settings()
    ls.analyse_soon()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: QueuelintServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.workspace_state.disk_changed()
    ls.analyse_soon()  # the file on disk counts again


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def watched_files(ls: QueuelintServer, params: types.DidChangeWatchedFilesParams) -> None:
    ls.workspace_state.disk_changed()
    if any(os.path.basename(path_of(change.uri)) in CONFIG_FILES for change in params.changes):
        ls.load_settings()
    ls.analyse_soon()


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
)
def code_action(ls: QueuelintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Insert a suppression for a queuelint finding on that line."""
    document = ls.workspace.get_text_document(params.text_document.uri)
    lines = document.source.splitlines()
    actions = []
    for diagnostic in params.context.diagnostics:
        if diagnostic.source != "queuelint" or not isinstance(diagnostic.code, str) or lookup(diagnostic.code) is None:
            continue
        line = diagnostic.range.start.line
        text = lines[line] if line < len(lines) else ""
        if document.uri.endswith(".py"):
            edit = types.TextEdit(range=types.Range(types.Position(line, len(text)), types.Position(line, len(text))),
                                  new_text=f"  # noqa: {diagnostic.code}")
        else:
            indent = text[: len(text) - len(text.lstrip())]
            edit = types.TextEdit(range=types.Range(types.Position(line, 0), types.Position(line, 0)),
                                  new_text=f"{indent}// queuelint-disable-next-line {diagnostic.code}\n")
        fix = _job_id_fix(ls, document.uri, document.source, diagnostic) if diagnostic.code == "QL101" else None
        if fix is not None:
            actions.append(fix)
        actions.append(types.CodeAction(
            title=f"Suppress {diagnostic.code} on this line",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            edit=types.WorkspaceEdit(changes={document.uri: [edit]}),
        ))
    return actions


def _job_id_fix(ls: QueuelintServer, uri: str, source: str, diagnostic: types.Diagnostic) -> types.CodeAction | None:
    """Seed 000's fix, where it is certain: a Bull `queue.add(perInstanceId, data[, opts])` on a
    queue whose consumers only handle unnamed jobs becomes `queue.add(data, { jobId, …opts })`."""
    if ls.graph is None:
        return None
    path = path_of(uri)
    line = diagnostic.range.start.line + 1
    for site in ls.graph.producers():
        producer = site.producer
        if site.path != path or producer.span.line != line or producer.library != "bull" or producer.call != "add":
            continue
        if not site.queue.is_value or set(ls.graph.handled(site.queue.value).names) != {DEFAULT_JOB}:
            return None
        if len(producer.arguments) not in (2, 3):
            return None
        texts = [_text(source, span) for span in producer.arguments]
        name, data = texts[0], texts[1]
        if len(texts) == 3:
            opts = texts[2].strip()
            if not (opts.startswith("{") and opts.endswith("}")):
                return None
            rest = opts[1:].strip()
            new_opts = f"{{ jobId: {name}, {rest}" if rest != "}" else f"{{ jobId: {name} }}"
        else:
            new_opts = f"{{ jobId: {name} }}"
        first, last = producer.arguments[0], producer.arguments[-1]
        lines = source.splitlines()
        edit_range = types.Range(
            types.Position(first.line - 1, utf16_column(lines, first.line, first.column)),
            types.Position(last.end_line - 1, utf16_column(lines, last.end_line, last.end_column)),
        )
        return types.CodeAction(
            title=f"Move {name} to opts.jobId (the job keeps the default name)",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            is_preferred=True,
            edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(range=edit_range, new_text=f"{data}, {new_opts}")]}),
        )
    return None


def _text(source: str, span: Span) -> str:
    """The source text of a span (1-based lines, 1-based character columns)."""
    lines = source.splitlines(keepends=True)
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    parts = [lines[span.line - 1][span.column - 1 :], *lines[span.line : span.end_line - 1],
             lines[span.end_line - 1][: span.end_column - 1]]
    return "".join(parts)


def main() -> None:
    server.start_io()

