"""The language server survives what a client should not send: garbage, unknown methods,
a workspace without queue code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


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
