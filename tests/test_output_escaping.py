"""File names that would mislead a terminal or break a parser, end to end: a real file with
the name is analysed by the real command, and every output format is read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import write_project
from tests.test_cli import BAD

# (command line, whether people read it): people's formats must carry no raw control character.
FORMATS = {
    "text": (["check"], True),
    "github": (["check", "--output-format", "github"], True),
    "json": (["check", "--output-format", "json"], False),
    "sarif": (["check", "--output-format", "sarif"], False),
    "lsp": (["check", "--output-format", "lsp"], False),
    "mermaid": (["graph", "--format", "mermaid"], True),
    "dot": (["graph", "--format", "dot"], True),
    "graph-json": (["graph", "--format", "json"], False),
}

# An escape sequence, CR, LF and a bidi override, next to what must stay as it is (space, é).
CONTROLS = "src/evil\x1b[31m red\u202e\r\nfile é.ts"
CONTROLS_SHOWN = "src/evil\\x1b[31m red\\u202e\\r\\nfile é.ts"
# Byte 0xff is not UTF-8: Python names the file with the surrogate '\udcff'.
NOT_UTF8 = b"src/bad\xff name.ts"
NOT_UTF8_SHOWN = "src/bad\\xff name.ts"


def tree(root: Path, producer: bytes) -> None:
    """BAD (one QL102, in the producer), with the producer under the name given."""
    write_project(root, {"src/worker.ts": BAD["src/worker.ts"]})
    (root / os.fsdecode(producer)).write_text(textwrap.dedent(BAD["src/producer.ts"]), encoding="utf-8")


def queuelint(root: Path, args: list[str], errors: str = "strict") -> tuple[int, str]:
    """The real command; its stdout read strictly as UTF-8, as a UTF-8 terminal or a CI log reads it.
    `errors`: how Python's stdout encodes what UTF-8 cannot (strict under en_US.UTF-8 and the
    like; surrogateescape under C, POSIX and C.UTF-8, which writes a file name's raw bytes)."""
    env = {**os.environ, "PYTHONIOENCODING": f"utf-8:{errors}", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "queuelint", *args, "--no-cache", "--jobs", "1"],
                          cwd=root, capture_output=True, env=env)
    assert done.returncode in (0, 1), done.stderr.decode("utf-8", "replace")  # 101: an internal error
    return done.returncode, done.stdout.decode("utf-8")  # strict: raises on bytes that are not UTF-8


def raw_controls(output: str) -> list[str]:
    # Line ends of the format itself are expected; anything else unprintable came from a name.
    return [c for c in output if not c.isprintable() and c != "\n"]


def check_the_finding(name: str, output: str, shown: str, uri: str) -> None:
    """The finding in the producer is in the output, its file named as a person or a parser needs."""
    if name == "text":
        assert f"{shown}:5:13: QL102 [unhandled-job-name]" in output
    elif name == "github":
        assert f"::error file={shown},line=5,col=13," in output
    elif name == "json":
        (finding,) = json.loads(output)
        assert (finding["code"], finding["path"], finding["line"]) == ("QL102", shown, 5)
    elif name == "sarif":
        (result,) = json.loads(output)["runs"][0]["results"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert (result["ruleId"], location["uri"]) == ("QL102", uri)
    elif name == "lsp":
        assert any(item["code"] == "QL102" for params in json.loads(output) for item in params["diagnostics"])
    elif name == "mermaid":
        assert f"{shown}:5" in output
    elif name == "dot":  # in a dot string a backslash is written `\\`; Graphviz shows `shown`
        assert f'[label="{shown}:5"'.replace("\\", "\\\\") in output
    else:
        producers = [p for q in json.loads(output)["queues"] for p in q["producers"]]
        assert {(p["path"], p["line"]) for p in producers} == {(shown, 4), (shown, 5)}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_control_characters_in_file_names_are_escaped_where_people_read(tmp_path: Path, name: str) -> None:
    tree(tmp_path, os.fsencode(CONTROLS))
    args, for_people = FORMATS[name]
    status, output = queuelint(tmp_path, args)
    assert status == (1 if args[0] == "check" else 0), output
    # Machine formats keep the name exactly (their encoder escapes it); SARIF as a URI.
    check_the_finding(name, output, CONTROLS_SHOWN if for_people else CONTROLS,
                      "src/evil%1B%5B31m%20red%E2%80%AE%0D%0Afile%20%C3%A9.ts")
    if for_people:
        assert raw_controls(output) == []


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_file_names_that_are_not_utf8_keep_every_output_valid(tmp_path: Path, name: str, errors: str) -> None:
    tree(tmp_path, NOT_UTF8)
    args, for_people = FORMATS[name]
    status, output = queuelint(tmp_path, args, errors)  # decoded strictly as UTF-8
    assert status == (1 if args[0] == "check" else 0), output
    check_the_finding(name, output, NOT_UTF8_SHOWN, "src/bad%FF%20name.ts")
    if for_people:
        assert raw_controls(output) == []
