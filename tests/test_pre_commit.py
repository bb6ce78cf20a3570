"""The hook as pre-commit runs it: `pre-commit try-repo` against this checkout, in a fresh
git repository, failing on a staged mismatch and passing once it is fixed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.helpers import write_project
from tests.test_cli import BAD

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def try_repo(cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run([PRE_COMMIT, "try-repo", str(REPO), "queuelint", "--verbose"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)


def test_hook_fails_on_a_staged_mismatch_and_passes_when_fixed(tmp_path: Path) -> None:
    project, home = tmp_path / "project", tmp_path / "pre-commit-home"
    project.mkdir()
    git(project, "init", "-q")
    git(project, "config", "user.email", "dev@example.com")
    git(project, "config", "user.name", "dev")
    write_project(project, BAD)
    git(project, "add", ".")

    failing = try_repo(project, home)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "src/producer.ts:5:13: QL102 [unhandled-job-name] job 'digest'" in failing.stdout

    producer = project / "src" / "producer.ts"
    producer.write_text(producer.read_text().replace("'digest'", "'welcome'"))
    git(project, "add", ".")
    passing = try_repo(project, home)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "queuelint" in passing.stdout and "Passed" in passing.stdout
