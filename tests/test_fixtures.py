"""End to end: the CLI on each project in fixtures/, compared with the golden outputs beside it.

Regenerate after an intended change with `QUEUELINT_UPDATE_GOLDEN=1 pytest tests/test_fixtures.py`
and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from queuelint.cli import cli
from tests.conftest import FIXTURES

PROJECTS = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
UPDATE = os.environ.get("QUEUELINT_UPDATE_GOLDEN") == "1"


def run_cli(project: Path, *args: str) -> tuple[int, str]:
    previous = os.getcwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout


def compare(project: Path, name: str, actual: str) -> None:
    golden = project / name
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; run with QUEUELINT_UPDATE_GOLDEN=1 to create it"
    assert actual == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_text_output(project: Path) -> None:
    status, out = run_cli(project, "check", ".", "--jobs", "1", "--no-cache")
    compare(project, "expected.txt", out)
    failing = re.search(r"^\S+:\d+:\d+: QL\d+ \[[\w-]+\] ", out, re.M) and re.search(r"\d+ (errors?|warnings?)", out)
    assert status == (1 if failing else 0)  # info findings do not fail a run by default


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_json_output(project: Path) -> None:
    status, out = run_cli(project, "check", ".", "--output-format", "json", "--jobs", "1", "--no-cache")
    compare(project, "expected.json", out)
    assert status == (1 if any(f["severity"] != "info" for f in json.loads(out)) else 0)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_graph_output(project: Path) -> None:
    status, out = run_cli(project, "graph", ".", "--jobs", "1", "--no-cache")
    compare(project, "expected-graph.json", out)
    assert status == 0


def test_every_fixed_twin_is_clean() -> None:
    twins = [p for p in PROJECTS if p.name.endswith("-fixed")]
    assert twins
    for twin in twins:
        fixed = (twin / "expected.txt").read_text().splitlines()
        assert fixed[-1] == "All checks passed." and fixed[0].startswith("Checked ") and len(fixed) == 2, twin.name
        broken = FIXTURES / twin.name.removesuffix("-fixed")
        assert (broken / "expected.txt").read_text().splitlines()[-1].startswith("Found "), broken.name
