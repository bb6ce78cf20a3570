"""The language server as an editor drives it (pytest-lsp as the client, the real server
over stdio): diagnostics appear in the producer, clear when the worker is fixed, and a code
action inserts a suppression."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.helpers import write_project
from tests.test_cli import BAD

DYNAMIC = {
    "src/persona.service.ts": """
        import Queue from 'bull';
        const personas = new Queue('personas');
        export async function generate(orgId: string) {
          const jobId = `preset-${Date.now()}`;
          await personas.add(jobId, { orgId }, { attempts: 3 });
        }
    """,
    "src/persona.processor.ts": """
        import { Processor, Process } from '@nestjs/bull';
        @Processor('personas')
        export class PersonaProcessor {
          @Process()
          async handle(job: any) {}
        }
    """,
}
FIXED_WORKER = BAD["src/worker.ts"].replace("case 'welcome': return welcome(job.data);",
                                            "case 'welcome': return welcome(job.data);\n"
                                            "            case 'digest': return digest(job.data);")


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "queuelint", "server"]))  # type: ignore[untyped-decorator]
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LanguageClient]:
    root = tmp_path_factory.mktemp("workspace")
    write_project(root, {**BAD, **DYNAMIC})
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="workspace")],
    ))
    lsp_client.root = root  # type: ignore[attr-defined]
    yield lsp_client
    await lsp_client.shutdown_session()


async def wait_for(client: LanguageClient, uri: str, predicate: Callable[[Sequence[types.Diagnostic]], bool],
                   timeout: float = 20) -> Sequence[types.Diagnostic]:
    async def poll() -> Sequence[types.Diagnostic]:
        while True:
            found = client.diagnostics.get(uri)
            if found is not None and predicate(found):
                return found
            await asyncio.sleep(0.05)
    return await asyncio.wait_for(poll(), timeout)


async def open_and_ask_for_fixes(client: LanguageClient, path: Path,
                                 diagnostic: types.Diagnostic) -> Sequence[types.Command | types.CodeAction]:
    """Open `path` in the editor and ask for the code actions of `diagnostic`."""
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=path.as_uri(), language_id="typescript", version=1, text=path.read_text())))
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic])))
    assert actions is not None
    return actions


@pytest.mark.asyncio
async def test_fixing_the_worker_clears_the_producer(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    producer, worker = (root / "src/producer.ts").as_uri(), (root / "src/worker.ts").as_uri()

    (diagnostic,) = await wait_for(client, producer, lambda d: len(d) == 1)
    assert diagnostic.code == "QL102" and diagnostic.source == "queuelint"
    assert diagnostic.range.start == types.Position(line=4, character=12)
    assert diagnostic.code_description is not None and diagnostic.code_description.href.endswith("QL102-unhandled-job-name.md")
    assert diagnostic.related_information and diagnostic.related_information[0].location.uri == worker

    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=worker, language_id="typescript", version=1, text=BAD["src/worker.ts"])))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=worker, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=FIXED_WORKER)]))
    assert len(await wait_for(client, producer, lambda d: len(d) == 0)) == 0

    # Undo in the buffer (not on disk): the finding comes back.
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=worker, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=BAD["src/worker.ts"])]))
    await wait_for(client, producer, lambda d: len(d) == 1)


@pytest.mark.asyncio
async def test_code_action_inserts_a_suppression(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    producer = (root / "src/producer.ts").as_uri()
    (diagnostic,) = await wait_for(client, producer, lambda d: len(d) == 1)
    actions = await open_and_ask_for_fixes(client, root / "src/producer.ts", diagnostic)
    (action,) = actions
    assert isinstance(action, types.CodeAction) and action.title == "Suppress QL102 on this line"
    assert action.edit is not None and action.edit.changes is not None
    (edit,) = action.edit.changes[producer]
    assert edit.new_text == "// queuelint-disable-next-line QL102\n" and edit.range.start.line == 4


@pytest.mark.asyncio
async def test_config_changes_apply_and_a_broken_config_keeps_the_last_good(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    producer, config_file = (root / "src/producer.ts").as_uri(), root / "queuelint.toml"
    await wait_for(client, producer, lambda d: len(d) == 1)

    config_file.write_text('ignore = ["QL102"]\n')
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(config_file.as_uri())))
    await wait_for(client, producer, lambda d: len(d) == 0)

    config_file.write_text('ignore = ["QL102"\n')  # invalid TOML
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(config_file.as_uri())))
    message = await client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
    assert message.type == types.MessageType.Error and "invalid TOML" in message.message
    await asyncio.sleep(0.5)
    assert len(client.diagnostics[producer]) == 0  # still the last good settings


@pytest.mark.asyncio
async def test_ql101_quick_fix_moves_the_id_into_opts(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    service = (root / "src/persona.service.ts").as_uri()
    (diagnostic,) = await wait_for(client, service, lambda d: len(d) == 1)
    assert diagnostic.code == "QL101"
    actions = await open_and_ask_for_fixes(client, root / "src/persona.service.ts", diagnostic)
    fix = next(a for a in actions if isinstance(a, types.CodeAction) and a.title.startswith("Move jobId"))
    assert fix.edit is not None and fix.edit.changes is not None
    (edit,) = fix.edit.changes[service]
    assert edit.new_text == "{ orgId }, { jobId: jobId, attempts: 3 }"
    assert (edit.range.start.line, edit.range.start.character) == (5, 21)


@pytest.mark.asyncio
async def test_a_storm_of_edits_ends_with_the_last_text(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    producer, worker = (root / "src/producer.ts").as_uri(), (root / "src/worker.ts").as_uri()
    await wait_for(client, producer, lambda d: len(d) == 1)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=worker, language_id="typescript", version=1, text=BAD["src/worker.ts"])))
    for version in range(2, 1002):
        text = FIXED_WORKER if version % 2 == 0 else BAD["src/worker.ts"]
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=worker, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    # version 1001 is the broken worker: the finding stays (or comes back)
    await asyncio.sleep(1)
    assert len(await wait_for(client, producer, lambda d: len(d) == 1)) == 1


@pytest.mark.asyncio
async def test_a_file_deleted_while_open(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    producer, worker_path = (root / "src/producer.ts").as_uri(), root / "src/worker.ts"
    await wait_for(client, producer, lambda d: len(d) == 1)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=worker_path.as_uri(), language_id="typescript", version=1, text=worker_path.read_text())))
    worker_path.unlink()
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(worker_path.as_uri())))
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=worker_path.as_uri(), type=types.FileChangeType.Deleted)]))
    # No worker any more: no name mismatch, only a queue nobody consumes (and no crash).
    remaining = await wait_for(client, producer, lambda d: all(x.code != "QL102" for x in d))
    assert [d.code for d in remaining] == ["QL105"]


@pytest.mark.asyncio
async def test_a_change_on_disk_reported_by_the_watcher_is_analysed(client: LanguageClient) -> None:
    """A checkout or a generator changes a file the editor has not opened."""
    root: Path = client.root  # type: ignore[attr-defined]
    producer, worker_path = (root / "src/producer.ts").as_uri(), root / "src/worker.ts"
    await wait_for(client, producer, lambda d: len(d) == 1)
    worker_path.write_text(FIXED_WORKER)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=worker_path.as_uri(), type=types.FileChangeType.Changed)]))
    assert len(await wait_for(client, producer, lambda d: len(d) == 0, timeout=1.5)) == 0


@pytest.mark.asyncio
async def test_a_buffer_that_is_not_unicode_is_reported_and_the_others_still_checked(client: LanguageClient) -> None:
    """JSON lets an editor send an unpaired surrogate ("\\ud800"), which no UTF-8 can hold."""
    root: Path = client.root  # type: ignore[attr-defined]
    producer, worker = (root / "src/producer.ts").as_uri(), (root / "src/worker.ts").as_uri()
    service_path = root / "src/persona.service.ts"
    await wait_for(client, producer, lambda d: len(d) == 1)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=service_path.as_uri(), language_id="typescript", version=1,
        text=service_path.read_text() + "const broken = '\ud800';\n")))
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=worker, language_id="typescript", version=1, text=FIXED_WORKER)))
    assert len(await wait_for(client, producer, lambda d: len(d) == 0, timeout=4)) == 0
    found = await wait_for(client, service_path.as_uri(), lambda d: any(x.code == "QL001" for x in d), timeout=4)
    (problem,) = [d for d in found if d.code == "QL001"]
    assert problem.message.startswith("not valid UTF-8 (byte 0xed at offset ")  # as the CLI says it of a file
    assert problem.range.start.line == 7
    assert "QL101" in {d.code for d in found}  # the rest of that file is still checked


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "queuelint", "server"]))  # type: ignore[untyped-decorator]
async def watching_client(lsp_client: LanguageClient,
                          tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LanguageClient]:
    root = tmp_path_factory.mktemp("workspace")
    write_project(root, BAD)
    registrations: list[types.Registration] = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)  # type: ignore[untyped-decorator]
    def register(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True))),
        root_uri=root.as_uri()))
    lsp_client.registrations = registrations  # type: ignore[attr-defined]
    yield lsp_client
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_the_server_asks_to_watch_source_and_config_files(watching_client: LanguageClient) -> None:
    registrations: list[types.Registration] = watching_client.registrations  # type: ignore[attr-defined]
    await asyncio.wait_for(_until(lambda: bool(registrations)), 20)
    (registration,) = registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    options: Any = registration.register_options  # raw JSON on the client side
    patterns = [w["globPattern"] for w in options["watchers"]]
    assert "**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs,py}" in patterns and "**/queuelint.toml" in patterns


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.05)
