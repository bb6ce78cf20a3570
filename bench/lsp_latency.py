"""Time from an edit to republished diagnostics in the language server, on a real workspace.

    python bench/lsp_latency.py PATH [--edits 20]

Starts `queuelint server` over stdio (or `$QUEUELINT_SERVER_COMMAND`), opens the first
`producer.ts` it finds, and alternately breaks and fixes a job name; prints the median and
worst latency (and, with `--memory`, the server's resident memory before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


class Client:
    def __init__(self) -> None:
        command = os.environ.get("QUEUELINT_SERVER_COMMAND", f"{sys.executable} -m queuelint server").split()
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 0

    def send(self, method: str, params: dict[str, Any], request: bool = False) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while True:
            line = self.process.stdout.readline().strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        data: dict[str, Any] = json.loads(self.process.stdout.read(length))
        return data

    def wait_for(self, method: str, uri: str | None = None) -> dict[str, Any]:
        while True:
            message = self.receive()
            if message.get("method") == method and (uri is None or message["params"]["uri"] == uri):
                return message


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--memory", action="store_true", help="report the server's resident memory before and after")
    args = parser.parse_args()
    root = Path(args.tree).resolve()
    producer = next(Path(d) / f for d, _, fs in os.walk(root) for f in fs if f == "producer.ts")
    text = producer.read_text()
    broken = text.replace("JobName.Export", "'no-such-job'")
    client = Client()
    started = time.perf_counter()
    client.send("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}, request=True)
    client.receive()
    client.send("initialized", {})
    client.wait_for("window/logMessage")
    print(f"first analysis: {time.perf_counter() - started:.2f} s")
    uri = producer.as_uri()
    client.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "typescript", "version": 1,
                                                          "text": text}})
    client.wait_for("window/logMessage")
    before = rss_mb(client.process.pid)
    latencies = []
    samples: list[tuple[int, float]] = []
    for version in range(2, args.edits + 2):
        edited = broken if version % 2 == 0 else text
        sent = time.perf_counter()
        client.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": edited}]})
        client.wait_for("textDocument/publishDiagnostics", uri)
        latencies.append((time.perf_counter() - sent) * 1000)
        done = version - 1
        if args.memory and done % max(1, args.edits // 10) == 0:
            samples.append((done, rss_mb(client.process.pid)))
    if args.memory:
        series = ", ".join(f"{mb:.0f}" for _, mb in samples)
        print(f"server memory: {before:.0f} MB after the first analysis, {rss_mb(client.process.pid):.0f} MB "
              f"after {args.edits} edits (every {max(1, args.edits // 10)} edits: {series} MB)")
    client.send("shutdown", {}, request=True)
    client.send("exit", {})
    print(f"edit -> diagnostics: median {statistics.median(latencies):.0f} ms, worst {max(latencies):.0f} ms "
          f"over {len(latencies)} edits")


if __name__ == "__main__":
    main()
