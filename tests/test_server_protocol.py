"""The language server survives what a client should not send: garbage, unknown methods,
a workspace without queue code, broken framing, requests after `shutdown`."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest


def frame(message: dict[str, Any] | bytes) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_malformed_messages_do_not_stop_the_server(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text("no queue code here")
    messages: list[dict[str, Any] | bytes] = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        b"{ this is not json",
        {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"bogus": True}},
        {"jsonrpc": "2.0", "id": 2, "method": "no/such/method", "params": {}},
        {"jsonrpc": "2.0", "id": 3, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    done = subprocess.run([sys.executable, "-m", "queuelint", "server"], input=b"".join(frame(m) for m in messages),
                          capture_output=True, timeout=60)
    replies = [json.loads(part.split(b"\r\n\r\n", 1)[1]) for part in done.stdout.split(b"Content-Length: ")[1:]]
    by_id = {r.get("id"): r for r in replies if "id" in r}
    assert "result" in by_id[1]
    assert by_id[2]["error"]["code"] == -32601  # method not found, and the server carries on
    assert by_id[3] == {"id": 3, "jsonrpc": "2.0", "result": None}
    assert done.returncode == 0


REPLY_SECONDS = 4.0  # bounded: a server that went deaf fails the test instead of hanging it


class Server:
    """The real server over stdio, spoken to in raw bytes; its output is read on a thread so
    that every wait for a reply is bounded."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "queuelint", "server"], cwd=root,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.logged: list[str] = []  # window/logMessage texts seen while waiting for replies
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stdout: IO[bytes]) -> None:
        while True:
            length = 0
            while (line := stdout.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if not line:
                return
            self.messages.put(json.loads(stdout.read(length)))

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def reply(self, msg_id: int) -> dict[str, Any]:
        """The answer to request `msg_id` (notifications and other answers are passed over)."""
        deadline = time.monotonic() + REPLY_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if message.get("method") == "window/logMessage":
                self.logged.append(message["params"]["message"])
            if message.get("id") == msg_id and "method" not in message:
                return message
        alive = "alive" if self.process.poll() is None else f"dead (exit status {self.process.returncode})"
        raise AssertionError(f"no answer to request {msg_id} within {REPLY_SECONDS} s; the server is {alive}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=REPLY_SECONDS)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    (tmp_path / "readme.md").write_text("no queue code here")
    started = Server(tmp_path)
    try:
        yield started
    finally:
        started.close()


def initialize(msg_id: int, root: Path) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "initialize",
            "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}}


SHUTDOWN_BODY = json.dumps({"jsonrpc": "2.0", "id": 9, "method": "shutdown"}).encode()


@pytest.mark.parametrize("fault", [
    pytest.param(b"Content-Length: 1000000000000\r\n\r\n{}", id="absurd-length"),
    pytest.param(b"Content-Length: 67108865\r\n\r\n" + SHUTDOWN_BODY, id="just-over-the-maximum"),
    pytest.param(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + SHUTDOWN_BODY,
                 id="missing-length"),
    pytest.param(b"Content-Length: -5\r\n\r\n" + SHUTDOWN_BODY, id="negative-length"),
    pytest.param(b"Content-Length: five\r\n\r\n" + SHUTDOWN_BODY, id="length-not-a-number"),
    pytest.param(b"\r\n" + SHUTDOWN_BODY, id="no-headers"),
    pytest.param(SHUTDOWN_BODY, id="a-bare-body-glued-to-the-next-header"),
    pytest.param(b"\x00\xff garbage\r\nmore garbage\n\n", id="garbage-lines"),
    # the next header straddles the 8 KiB pieces a line without end is read in
    pytest.param(b"x" * (8 * 1024 - 5), id="a-long-line-glued-to-the-next-header"),
])
def test_a_broken_frame_is_skipped_and_the_next_message_answered(server: Server, tmp_path: Path,
                                                                 fault: bytes) -> None:
    server.send(fault)
    server.send(frame(initialize(1, tmp_path)))
    assert "capabilities" in server.reply(1)["result"]
    server.send(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    assert server.reply(2) == {"id": 2, "jsonrpc": "2.0", "result": None}
    assert any(text.startswith("queuelint: dropped ") for text in server.logged)  # and the editor's log says so


def test_lf_only_header_lines_are_accepted(server: Server, tmp_path: Path) -> None:
    body = json.dumps(initialize(1, tmp_path)).encode()
    server.send(b"Content-Length: %d\n\n" % len(body) + body)
    assert "capabilities" in server.reply(1)["result"]
    server.send(b"content-length: %d\r\n\r\n" % len(SHUTDOWN_BODY) + SHUTDOWN_BODY)  # names are case-insensitive
    assert server.reply(9)["result"] is None


def test_requests_after_shutdown_are_invalid_requests(server: Server, tmp_path: Path) -> None:
    server.send(frame(initialize(1, tmp_path)) + frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    server.reply(1)
    server.send(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    assert server.reply(2)["result"] is None
    server.send(frame({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": (tmp_path / "readme.md").as_uri()}, "position": {"line": 0, "character": 0}}}))
    assert server.reply(3)["error"]["code"] == -32600
    server.send(frame({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}))
    assert server.reply(4)["error"]["code"] == -32600
    server.send(frame({"jsonrpc": "2.0", "method": "exit"}))
    assert server.process.stdin is not None
    server.process.stdin.close()  # as an editor does; pygls's reader thread waits for it
    assert server.process.wait(timeout=REPLY_SECONDS) == 0
