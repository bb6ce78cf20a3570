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


def test_a_commit_that_changes_only_a_constants_file_is_checked_against_the_whole_project(tmp_path: Path) -> None:
    """pre-commit passes the hook the staged files only: a name changed in a constants module
    breaks producers and a worker elsewhere, and the hook must say so."""
    project, home = tmp_path / "project", tmp_path / "pre-commit-home"
    project.mkdir()
    git(project, "init", "-q")
    git(project, "config", "user.email", "dev@example.com")
    git(project, "config", "user.name", "dev")
    write_project(project, {
        "src/jobs/names.ts": "export const Billing = { Invoice: 'send-invoice' } as const;\n",
        "src/api/checkout.ts": """
            import { Queue } from 'bullmq';
            import { Billing } from '../jobs/names';
            const billing = new Queue('billing');
            export const checkout = () => billing.add(Billing.Invoice, {});
        """,
        "src/worker/billing.ts": """
            import { Worker } from 'bullmq';
            new Worker('billing', async (job) => {
              if (job.name === 'send-invoice') return send(job.data);
              throw new Error(`unknown job ${job.name}`);
            });
        """,
    })
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "billing")
    names = project / "src" / "jobs" / "names.ts"
    names.write_text(names.read_text().replace("'send-invoice'", "'invoice-send'"))
    git(project, "add", "src/jobs/names.ts")

    failing = try_repo(project, home)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "src/api/checkout.ts:5:43: QL102 [unhandled-job-name] job 'invoice-send'" in failing.stdout


def test_the_readme_local_hook_runs_as_written(tmp_path: Path) -> None:
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### pre-commit\n.*?```yaml\n(.*?)```", readme, re.S)
    assert block is not None and "repo: local" in block.group(1)
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    write_project(project, {**BAD, ".pre-commit-config.yaml": block.group(1)})
    git(project, "add", ".")
    # `language: system`: the queuelint installed beside this interpreter, as the README says.
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "home"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([PRE_COMMIT, "run", "--files", "src/worker.ts"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "src/producer.ts:5:13: QL102" in done.stdout  # only the worker was passed: the finding points into it
