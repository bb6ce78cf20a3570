"""Suppression comments as a user writes them: line and file forms in both languages, QL002
only for rules that are on, and "did you mean" for a misspelt rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from queuelint.cli import cli
from tests.helpers import write_project

WORKER = """
    import { Worker } from 'bullmq';
    new Worker('mail', async (job) => {
      if (job.name === 'welcome') return welcome(job.data);
      throw new Error('unknown');
    });
"""


def findings(*args: str) -> list[tuple[str, int, str, str, str]]:
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--output-format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return [(f["path"], f["line"], f["code"], f["message"], f["hint"]) for f in json.loads(result.stdout)]


def producer(comment: str) -> str:
    return f"""
        import {{ Queue }} from 'bullmq';
        const q = new Queue('mail');
        await q.add('welcome', {{}});
        {comment}
        await q.add('digest', {{}});
    """


def test_a_suppression_of_a_rule_that_is_off_is_not_reported(in_tmp: Path) -> None:
    write_project(in_tmp, {"src/worker.ts": WORKER,
                           "src/producer.ts": producer("// queuelint-disable-next-line QL102 -- mailer service")})
    assert findings() == []
    assert findings("--ignore", "QL102") == []  # not "remove the comment": it matches once the rule is on
    assert findings("--select", "QL2,QL002") == []


def test_a_suppression_naming_several_rules_speaks_of_the_enabled_ones(in_tmp: Path) -> None:
    write_project(in_tmp, {"src/worker.ts": WORKER,
                           "src/producer.ts": producer("// queuelint-disable-next-line QL101, QL102")})
    assert findings() == []  # QL102 is matched: the comment is used
    write_project(in_tmp, {"src/producer.ts": producer("// queuelint-disable-next-line QL101, QL203")})
    [(_, line, code, message, _), *_] = findings("--ignore", "QL203")
    assert (line, code) == (5, "QL002")
    assert message == "suppression of QL101 matches no finding on the line below"


@pytest.mark.parametrize(("written", "meant"), [("unhandled-job-nam", "unhandled-job-name"), ("QL1O2", "QL102"),
                                                ("orphan-handlr", "orphan-handler")])
def test_a_misspelt_rule_gets_did_you_mean(in_tmp: Path, written: str, meant: str) -> None:
    write_project(in_tmp, {"src/worker.ts": WORKER,
                           "src/producer.ts": producer(f"// queuelint-disable-next-line {written}")})
    unused = [f for f in findings() if f[2] == "QL002"]
    assert [(f[3], f[4]) for f in unused] == [(f"suppression names unknown rule {written!r}",
                                               f"did you mean {meant!r}?")]


def test_a_name_close_to_no_rule_gets_the_list_instead(in_tmp: Path) -> None:
    write_project(in_tmp, {"src/worker.ts": WORKER,
                           "src/producer.ts": producer("// queuelint-disable-next-line banana-split-sundae")})
    [hint] = [f[4] for f in findings() if f[2] == "QL002"]
    assert "`queuelint rules` lists the rules" in hint


@pytest.mark.parametrize(("path", "comment"), [
    ("src/producer.ts", "// queuelint-disable-file QL102 -- mailer service"),
    ("src/producer.ts", "/* queuelint-disable-file unhandled-job-name */"),
    ("src/producer.ts", "// queuelint-disable-file"),
])
def test_a_file_level_comment_anywhere_suppresses_the_rule_in_its_file(in_tmp: Path, path: str, comment: str) -> None:
    write_project(in_tmp, {"src/worker.ts": WORKER, path: producer("") + f"\n{comment}\n"})
    assert findings() == []


def test_a_file_level_comment_stays_after_lines_move_and_in_a_reused_run(in_tmp: Path) -> None:
    write_project(in_tmp, {"src/worker.ts": WORKER, "src/producer.ts": "// queuelint-disable-file QL102\n" + producer("")})
    run = ["check", "--output-format", "json"]
    assert json.loads(CliRunner().invoke(cli, run).stdout) == []
    path = in_tmp / "src/producer.ts"
    path.write_text("\n\n\n" + path.read_text())
    assert json.loads(CliRunner().invoke(cli, run).stdout) == []


def test_file_level_comments_in_python(in_tmp: Path) -> None:
    tasks = '''
        {comment}
        from celery import current_app, shared_task


        @shared_task(name="mail.welcome")
        def welcome(user_id):
            ...


        def signup(user_id):
            current_app.send_task("mail.welcome", args=[user_id])
            current_app.send_task("mail.digest", args=[user_id])
    '''
    write_project(in_tmp, {"tasks.py": tasks.format(comment="# queuelint: disable-file=QL102")})
    assert findings() == []
    write_project(in_tmp, {"tasks.py": tasks.format(comment="# queuelint: disable-file=QL101")})
    assert sorted(f[2] for f in findings()) == ["QL002", "QL102"]
    write_project(in_tmp, {"tasks.py": tasks.format(comment="# queuelint: disable-file")})
    assert findings() == []
    write_project(in_tmp, {"tasks.py": tasks.format(comment="# a note on queuelint: disable-file is not this")})
    assert [f[2] for f in findings()] == ["QL102"]
