"""Facts exported from one repository and checked against another (`extract`, `--facts`)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from queuelint.cli import cli
from tests.helpers import write_project
from tests.test_cli import BAD


def invoke(cwd: Path, *args: str) -> tuple[int, str, str]:
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, [*args])
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


def test_producer_repository_checked_against_the_worker_repository(tmp_path: Path) -> None:
    worker, api = tmp_path / "worker", tmp_path / "api"
    write_project(worker, {"src/worker.ts": BAD["src/worker.ts"], "src/names.ts": "export const MAIL = 'mail';\n"})
    write_project(api, {"src/producer.ts": BAD["src/producer.ts"]})
    status, _, err = invoke(worker, "extract", ".", "-o", str(tmp_path / "worker-facts.json"), "--no-cache")
    assert status == 0 and "facts of 1 file" in err
    data = json.loads((tmp_path / "worker-facts.json").read_text())
    assert data["format"] == "queuelint-facts/1" and data["files"][0]["path"] == "src/worker.ts"

    assert invoke(api, "check", ".", "--no-cache")[0] == 0  # alone: no consumer, nothing to say
    status, out, _ = invoke(api, "check", ".", "--no-cache", "--facts", str(tmp_path / "worker-facts.json"))
    assert status == 1
    assert "src/producer.ts:5:13: QL102 [unhandled-job-name] job 'digest' has no handler on queue 'mail'" in out
    # Nothing is reported inside the other repository (its consumers are pointed at, as related).
    assert not [line for line in out.splitlines() if re.match(r"\S*worker\.ts:\d+", line)]


def test_bad_facts_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "facts.json").write_text('{"format": "something else"}')
    status, out, err = invoke(tmp_path, "check", ".", "--no-cache", "--facts", "facts.json")
    assert status == 2 and out == "" and "not a queuelint facts file" in err


@pytest.mark.parametrize("record", ['[1, 2]', '{"path": "a.ts", "colour": "blue"}', '{"language": "typescript"}', '"a.ts"'])
def test_malformed_facts_records_are_a_usage_error(tmp_path: Path, record: str) -> None:
    (tmp_path / "facts.json").write_text(f'{{"format": "queuelint-facts/1", "root": ".", "files": [{record}]}}')
    status, out, err = invoke(tmp_path, "check", ".", "--no-cache", "--facts", "facts.json")
    assert (status, out) == (2, "") and "malformed facts" in err, err
