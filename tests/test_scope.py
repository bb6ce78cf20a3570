"""A partial run tells the truth: `check` always analyses the whole project, and the paths
given (files or directories alike) only choose the findings shown, those located in them,
pointing into them, or derived through them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from queuelint.cli import cli
from tests.helpers import write_project

# A constants module, a producer using it, a worker that routes on literals, in three
# directories; the names disagree ('report-weekly' against 'weekly-report').
SPLIT = {
    ".git/HEAD": "ref: refs/heads/main\n",
    "shared/jobs.ts": """
        export const ReportJob = { Weekly: 'report-weekly', Daily: 'daily-report' } as const;
    """,
    "api/schedule.ts": """
        import { Queue } from 'bullmq';
        import { ReportJob } from '../shared/jobs';
        const reports = new Queue('reports');
        export async function schedule() {
          await reports.add(ReportJob.Weekly, {});
          await reports.add(ReportJob.Daily, {});
        }
    """,
    "workers/reports.ts": """
        import { Worker } from 'bullmq';
        new Worker('reports', async (job) => {
          switch (job.name) {
            case 'weekly-report': return weekly(job.data);
            case 'daily-report': return daily(job.data);
            default: throw new Error(`no handler for ${job.name}`);
          }
        });
    """,
    "docs/unrelated.ts": "export const answer = 42;\n",
}
FINDING = "api/schedule.ts:6:21: QL102"


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", "--jobs", "1", *args])
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize("given", [
    ["api"],  # the directory the finding is located in
    ["api/schedule.ts"],  # the file itself
    ["workers"],  # the directory of the consumers it points at
    ["workers/reports.ts"],
    ["shared/jobs.ts"],  # only the constants file changed: the name was derived through it
    ["shared"],
    ["."],
    [],
])
def test_every_path_the_finding_touches_reports_it(in_tmp: Path, given: list[str]) -> None:
    write_project(in_tmp, SPLIT)
    status, out = check(*given)
    assert status == 1, out
    assert FINDING in out


def test_a_path_the_finding_does_not_touch_reports_nothing(in_tmp: Path) -> None:
    write_project(in_tmp, SPLIT)
    status, out = check("docs")
    assert status == 0, out
    assert "QL102" not in out
    status, out = check("docs/unrelated.ts")
    assert status == 0, out


def test_a_directory_and_its_file_agree_from_any_working_directory(in_tmp: Path) -> None:
    write_project(in_tmp, SPLIT)
    os.chdir(in_tmp / "workers")
    status, out = check()  # the working directory narrows, the project is still read whole
    assert status == 1 and "../api/schedule.ts:6:21: QL102" in out, out
    assert check("reports.ts") == (status, out)


def test_a_finding_derived_through_a_wrapper_module_is_reported_for_it(in_tmp: Path) -> None:
    write_project(in_tmp, {
        ".git/HEAD": "ref: refs/heads/main\n",
        "lib/enqueue.ts": """
            import { Queue } from 'bullmq';
            const mail = new Queue('mail');
            export async function enqueueMail(name: string, data: object) {
              await mail.add(name, data);
            }
        """,
        "app/signup.ts": """
            import { enqueueMail } from '../lib/enqueue';
            export const signup = () => enqueueMail('welcom', {});
        """,
        "app/worker.ts": """
            import { Worker } from 'bullmq';
            new Worker('mail', async (job) => {
              if (job.name === 'welcome') return send(job.data);
              throw new Error('unknown job');
            });
        """,
    })
    for given in ("lib/enqueue.ts", "lib", "app/signup.ts"):
        status, out = check(given)
        assert status == 1 and "app/signup.ts:3:41: QL102" in out, (given, out)


def test_findings_carry_the_files_they_depend_on(in_tmp: Path) -> None:
    write_project(in_tmp, SPLIT)
    result = CliRunner().invoke(cli, ["check", "--jobs", "1", "--output-format", "json"])
    [finding] = [f for f in json.loads(result.stdout) if f["code"] == "QL102"]
    assert finding["path"] == "api/schedule.ts"
    assert set(finding["depends"]) == {"shared/jobs.ts", "workers/reports.ts"}


def test_config_is_found_from_the_checked_path_not_the_working_directory(tmp_path: Path) -> None:
    write_project(tmp_path / "service", SPLIT)
    (tmp_path / "service" / "queuelint.toml").write_text('ignore = ["QL102"]\n')
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert check("service") == (0, check("service/api/schedule.ts")[1])
        described = CliRunner().invoke(cli, ["debug-config", "service/api"]).stdout
        assert "service/queuelint.toml" in described and "QL102 unhandled-job-name: off" in described
    finally:
        os.chdir(previous)


def test_paths_of_two_projects_are_a_usage_error(tmp_path: Path) -> None:
    write_project(tmp_path / "one", {**SPLIT, "queuelint.toml": ""})
    write_project(tmp_path / "two", {**SPLIT, "queuelint.toml": ""})
    status, out = check(str(tmp_path / "one"), str(tmp_path / "two"))
    assert status == 2
    assert "different projects" in out and "check each on its own" in out


def test_a_path_outside_the_given_config_is_a_usage_error(tmp_path: Path) -> None:
    write_project(tmp_path / "one", {**SPLIT, "queuelint.toml": ""})
    write_project(tmp_path / "elsewhere", {"a.ts": "export {};\n"})
    status, out = check("--config", str(tmp_path / "one" / "queuelint.toml"), str(tmp_path / "elsewhere"))
    assert status == 2 and "outside the project" in out


def test_a_commit_that_removes_a_task_reports_the_producers_it_strands(in_tmp: Path) -> None:
    """A claim of absence is decided by the other end: a run on the tasks module, where the
    task was removed, reports the producer elsewhere that no task takes any more."""
    write_project(in_tmp, {
        ".git/HEAD": "ref: refs/heads/main\n",
        "shop/__init__.py": "",
        "shop/tasks.py": """
            from celery import shared_task


            @shared_task(name="mail.welcome")
            def welcome(user_id):
                ...
        """,
        "shop/views.py": """
            from celery import current_app


            def signup(user_id):
                current_app.send_task("mail.welcome", args=[user_id])
                current_app.send_task("mail.digest", args=[user_id])
        """,
    })
    status, out = check("shop/tasks.py")
    assert status == 1 and "shop/views.py:7:27: QL102" in out, out
    assert "related:" not in out.split("QL102", 1)[1].split("hint:")[0]  # nothing to point at: it is gone
