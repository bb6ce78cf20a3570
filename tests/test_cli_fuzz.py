"""The whole command line against generated hostile trees: special files, bad encodings, deep
nesting and odd file names, mixed in beside files with real findings. Whatever the mix, the
real findings are reported, the output parses, and the run exits 1 (never 101, never a signal,
never a hang). Each run is a separate process, as a user's CI runs it, so a crash of a native
parser would show here as the signal it is."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import write_project

# Two real findings, one per front-end: each must survive whatever is put beside it.
REAL = {
    "src/producer.ts": "import { Queue } from 'bullmq';\nconst q = new Queue('mail');\n"
    "await q.add('welcome', {});\nawait q.add('digest', {});\n",
    "src/worker.ts": "import { Worker } from 'bullmq';\nnew Worker('mail', async (job) => {\n"
    "  switch (job.name) {\n    case 'welcome': return 1;\n"
    "    default: throw new Error('unknown');\n  }\n});\n",
    "py/tasks.py": "from celery import shared_task\n\n\n@shared_task(name='mail.ping')\ndef ping():\n    pass\n",
    "py/use.py": "from celery import current_app\n\ncurrent_app.send_task('mail.pong')\n",
}
WANTED = {("src/producer.ts", 4, "QL102"), ("py/use.py", 3, "QL102")}

TS_QUEUE = "import { Queue } from 'bullmq';\nconst q = new Queue('other');\n"
PY_QUEUE = "import celery\nfrom celery import shared_task\n"


@dataclass(frozen=True)
class Hostile:
    """One hostile entry: a file name (bytes, so that it may be no UTF-8 at all) and what to
    put there (None for a FIFO)."""

    name: bytes
    content: bytes | None


def _nested(language: str, depth: int, shape: str) -> bytes:
    # One bracket a line, so that the file reaches the parser (one long line would be skipped
    # as minified).
    if shape == "brackets":
        body = "(\n" * depth + "1" + ")" * depth if language == "py" else "[\n" * depth + "]" * depth
    else:  # a long chain of additions: deep in the parser's tree, flat in the text
        body = " +\n".join(f"'s{i}'" for i in range(depth))
    head = PY_QUEUE if language == "py" else TS_QUEUE
    end = "\n" if language == "py" else ";\n"
    return (head + "x = " + body + end).encode()


def _encoded(language: str, how: str) -> bytes:
    text = (
        PY_QUEUE + "current_app.send_task('enc.x')\n"
        if language == "py"
        else TS_QUEUE + "q.add('enc', {});\n"
    )
    if how == "invalid-utf8":
        return text.encode() + b"const bad = '\xff\xfe\xc3';\n"
    if how == "utf-16-bom":
        return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")
    if how == "utf-16-no-bom":
        return text.encode("utf-16-be")
    return b"# -*- coding: undefined -*-\n" + text.encode()  # "coding-undefined"


ODD_PARTS = ["\x01", "\x1b[31m", "\u202e", "\u200f", "\t", "\n", " ", "\ufeff", "é", "\x7f"]


@st.composite
def odd_name(draw: st.DrawFn, suffix: str) -> bytes:
    parts = draw(st.lists(st.sampled_from(ODD_PARTS), min_size=1, max_size=3))
    raw = draw(st.sampled_from([b"", b"\xff", b"\xc3(", b"\xed\xa0\x80"]))  # no UTF-8, or a lone surrogate
    return raw + "".join(parts).encode() + f"{draw(st.integers(0, 99))}{suffix}".encode()


@st.composite
def hostile(draw: st.DrawFn) -> Hostile:
    language = draw(st.sampled_from(["ts", "py"]))
    suffix = "." + language
    kind = draw(st.sampled_from(["fifo", "encoding", "nesting", "odd-name"]))
    plain = f"h{draw(st.integers(0, 9999))}{suffix}".encode()
    if kind == "fifo":
        return Hostile(draw(st.one_of(st.just(plain), odd_name(suffix))), None)
    if kind == "encoding":
        how = draw(st.sampled_from(["invalid-utf8", "utf-16-bom", "utf-16-no-bom", "coding-undefined"]))
        return Hostile(plain, _encoded(language, how))
    if kind == "nesting":
        depth = draw(st.sampled_from([50, 400, 1_500, 6_000]))
        return Hostile(plain, _nested(language, depth, draw(st.sampled_from(["brackets", "chain"]))))
    content = (TS_QUEUE + "q.add('odd', {});\n" if language == "ts" else PY_QUEUE).encode()
    return Hostile(draw(odd_name(suffix)), content)


def _plant(root: Path, entries: list[Hostile]) -> None:
    for index, entry in enumerate(entries):
        directory = os.fsencode(root / "hostile" / str(index))
        os.makedirs(directory)
        path = os.path.join(directory, entry.name)
        if entry.content is None:
            os.mkfifo(path)
        else:
            with open(path, "wb") as handle:
                handle.write(entry.content)


def _reported(output_format: str, stdout: str) -> set[tuple[str, int, str]]:
    """The findings in the output, which must parse in its format."""
    if output_format == "json":
        return {(f["path"], f["line"], f["code"]) for f in json.loads(stdout)}
    if output_format == "sarif":
        (sarif_run,) = json.loads(stdout)["runs"]
        return {
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
                r["ruleId"],
            )
            for r in sarif_run["results"]
        }
    return {
        (match[1], int(match[2]), match[3])
        for match in re.finditer(r"^([^\n]+?):(\d+):\d+: (QL\d{3}) ", stdout, re.MULTILINE)
    }


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=st.lists(hostile(), min_size=1, max_size=4),
    output_format=st.sampled_from(["json", "sarif", "text"]),
    jobs=st.sampled_from(["1", "2"]),
    under_git=st.booleans(),
    cache=st.booleans(),
)
def test_real_findings_survive_any_mix_of_hostile_files(
    entries: list[Hostile], output_format: str, jobs: str, under_git: bool, cache: bool
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        write_project(root, REAL)
        _plant(root, entries)
        if under_git:
            subprocess.run(["git", "init", "-q", str(root)], check=True)
        command = [
            sys.executable,
            "-m",
            "queuelint",
            "check",
            ".",
            "--output-format",
            output_format,
            "--jobs",
            jobs,
        ]
        if not cache:
            command.append("--no-cache")
        done = subprocess.run(
            command,
            cwd=root,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
        assert "Traceback" not in done.stderr
        assert _reported(output_format, done.stdout) >= WANTED, done.stdout[-3000:]


def test_the_generated_hostile_files_reach_the_reader_and_the_parser(tmp_path: Path) -> None:
    """What the fuzz test plants is what it means to plant: the deep files are parsed (not
    skipped as minified), the encodings are read and reported, the FIFO is named."""
    entries = [
        Hostile(b"deep.py", _nested("py", 1_500, "brackets")),
        Hostile(b"deep.ts", _nested("ts", 6_000, "brackets")),
        Hostile(b"chain.py", _nested("py", 6_000, "chain")),
        Hostile(b"enc.py", _encoded("py", "coding-undefined")),
        Hostile(b"u16.py", _encoded("py", "utf-16-bom")),
        Hostile(b"\xffodd" + "\u202e".encode() + b".ts", TS_QUEUE.encode()),
        Hostile(b"pipe.ts", None),
    ]
    write_project(tmp_path, REAL)
    _plant(tmp_path, entries)
    done = subprocess.run(
        [sys.executable, "-m", "queuelint", "check", ".", "--output-format", "json", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)
    problems = {Path(f["path"]).name: f["message"] for f in findings if f["code"] == "QL001"}
    assert "nested more than" in problems["deep.py"]  # parsed, and refused by the parser's guard
    assert "enc.py" in problems and "UTF-16" in problems["u16.py"]
    assert "not a regular file" in problems["pipe.ts"]
    assert {(f["path"], f["line"], f["code"]) for f in findings} >= WANTED
