"""The report formats CI systems read: GitLab Code Quality (validated against GitLab's own
schema, vendored in tests/data with its source), JUnit XML, JSON lines, SARIF rule help, and
the DOT graph; and hints in the words of each library's API."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from queuelint import catalogue
from queuelint.cli import cli
from tests.conftest import REPO
from tests.helpers import write_project
from tests.test_cli_options import MIXED

GITLAB_SCHEMA = json.loads((REPO / "tests" / "data" / "gitlab-codequality.schema.json").read_text())
GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}  # what GitLab sorts and counts


def output(*args: str) -> str:
    result = CliRunner().invoke(cli, ["check", "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_gitlab_report_is_what_gitlab_validates(in_tmp: Path) -> None:
    twice = MIXED["src/producer.ts"] + "\nawait q.add('digest', {});\n"  # the same finding on two lines
    write_project(in_tmp, {**MIXED, "src/producer.ts": twice})
    report = json.loads(output("--output-format", "gitlab"))
    assert isinstance(report, list) and len(report) == 3
    for item in report:
        jsonschema.validate(item, GITLAB_SCHEMA)
        assert item["severity"] in GITLAB_SEVERITIES and item["check_name"].startswith("QL")
    assert len({item["fingerprint"] for item in report}) == 3  # GitLab folds equal fingerprints
    assert {(i["location"]["path"], i["location"]["lines"]["begin"]) for i in report} == {
        ("src/producer.ts", 5), ("src/producer.ts", 7), ("src/worker.ts", 6)}


def test_gitlab_fingerprints_survive_lines_moving(in_tmp: Path) -> None:
    write_project(in_tmp, MIXED)
    before = {i["fingerprint"] for i in json.loads(output("--output-format", "gitlab"))}
    producer = in_tmp / "src" / "producer.ts"
    producer.write_text("\n\n" + producer.read_text())
    assert {i["fingerprint"] for i in json.loads(output("--output-format", "gitlab"))} == before


def test_junit_report_parses_and_counts(in_tmp: Path) -> None:
    write_project(in_tmp, {**MIXED, "src/\x1bodd.ts": "import { Queue } from 'bullmq';\n"
                                                       "await new Queue('mail').add('digest', {});\n"})
    suites = ET.fromstring(output("--output-format", "junit"))
    cases = suites.findall("./testsuite/testcase")
    assert suites.get("tests") == suites.get("failures") == str(len(cases)) == "3"
    failures = [case.find("failure") for case in cases]
    assert all(f is not None and f.get("type", "").startswith("QL10") for f in failures)
    assert any("\\x1bodd.ts" in (case.get("file") or "") for case in cases)  # escaped, so the XML is valid


def test_junit_report_of_a_clean_run_has_one_passing_case(in_tmp: Path) -> None:
    write_project(in_tmp, {"src/a.ts": "export const a = 1;\n"})
    suites = ET.fromstring(output("--output-format", "junit"))
    [case] = suites.findall("./testsuite/testcase")
    assert case.find("failure") is None and suites.get("failures") == "0"


def test_json_lines_is_one_json_object_a_finding(in_tmp: Path) -> None:
    write_project(in_tmp, MIXED)
    lines = output("--output-format", "json-lines").splitlines()
    assert [json.loads(line) for line in lines] == json.loads(output("--output-format", "json"))


def test_sarif_help_is_the_page_without_its_cases(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(in_tmp, MIXED)
    rules = json.loads(output("--output-format", "sarif"))["runs"][0]["tool"]["driver"]["rules"]
    pages = catalogue.pages()
    for descriptor in rules:
        markdown = descriptor["help"]["markdown"]
        assert "## Cases" not in markdown and markdown.startswith(f"# {descriptor['id']} ")
        assert "## What it finds" in markdown or "## Why it matters" in markdown
        assert len(markdown) < len(pages[descriptor["id"]].text) or "## Cases" not in pages[descriptor["id"]].text
        assert "helpUri" not in descriptor  # the package names no place to read the pages on the web
    monkeypatch.setattr(catalogue, "documentation_base", lambda: "https://example.org/queuelint/rules")
    rules = json.loads(output("--output-format", "sarif"))["runs"][0]["tool"]["driver"]["rules"]
    assert rules[0]["helpUri"] == "https://example.org/queuelint/rules/QL001-parse-error.md"


def test_dot_labels_break_lines_and_every_name_hangs_off_the_queue(in_tmp: Path) -> None:
    write_project(in_tmp, {
        "src/producer.ts": """
            import { Queue } from 'bullmq';
            await new Queue('mail').add('welcome', {});
            await new Queue('audit').add('entry', {});
        """,
        "src/worker.ts": """
            import { Worker } from 'bullmq';
            new Worker('mail', async (job) => send(job.data));
            new Worker('silent', async (job) => log(job.data));
        """,
    })
    dot = CliRunner().invoke(cli, ["graph", "--no-cache", "--format", "dot"]).stdout
    assert '\\\\n' not in dot  # a label's line break is DOT's `\n`, not a backslash shown as text
    assert re.search(r'label="the processor of Worker\(\'mail\'\)\\nsrc/worker.ts:3"', dot)
    queue_of = dict(re.findall(r'(q\d+) \[label="([^"]+)", shape=cylinder\]', dot))
    mail = next(node for node, name in queue_of.items() if name == "mail")
    assert re.search(rf'  {mail} -> {mail}c0 \[label="every name", style=dashed\];', dot)
    edges = re.findall(r"^\s*(\S+) -> (\S+?)[ ;]", dot, re.M)
    assert all(source != target for source, target in edges)  # a queue with no names is no self-loop
    assert "silent" in queue_of.values()


HINTS = {
    "nestjs-bullmq": ({
        "src/app.ts": """
            import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
            import { Job, Queue } from 'bullmq';
            export class Api { constructor(@InjectQueue('media') private media: Queue) {}
              go() { return this.media.add('resize', {}); } }
            @Processor('media')
            export class MediaProcessor extends WorkerHost {
              async process(job: Job) {
                switch (job.name) {
                  case 'thumbnail': return thumb(job.data);
                  default: throw new Error(`unknown ${job.name}`);
                }
              }
            }
        """}, "add `case 'resize':` to the switch on `job.name` in `MediaProcessor.process`"),
    "nestjs-bull": ({
        "src/app.ts": """
            import { InjectQueue, Process, Processor } from '@nestjs/bull';
            import { Job, Queue } from 'bull';
            export class Api { constructor(@InjectQueue('media') private media: Queue) {}
              go() { return this.media.add('resize', {}); } }
            @Processor('media')
            export class MediaProcessor {
              @Process('thumbnail')
              async thumbnail(job: Job) { return thumb(job.data); }
            }
        """}, "add a method with `@Process('resize')` to `MediaProcessor`"),
    "bull": ({
        "src/app.ts": """
            import Queue from 'bull';
            const media = new Queue('media');
            media.process('thumbnail', async (job) => thumb(job.data));
            await media.add('resize', {});
        """}, "add `queue.process('resize', handler)`"),
    "celery": ({
        "app/__init__.py": "",
        "app/tasks.py": """
            from celery import Celery, shared_task
            app = Celery("app")


            @shared_task
            def resize(image_id):
                ...


            def upload(image_id):
                app.send_task("resize", args=[image_id])
        """}, "the worker registers this task as 'app.tasks.resize'"),
}


@pytest.mark.parametrize("library", sorted(HINTS))
def test_hints_speak_the_consumers_api(in_tmp: Path, library: str) -> None:
    files, hint = HINTS[library]
    write_project(in_tmp, files)
    found = [f for f in json.loads(output("--output-format", "json")) if f["code"] == "QL102"]
    assert len(found) == 1, found
    assert hint in found[0]["hint"]
    assert "@Process" not in found[0]["hint"] or library == "nestjs-bull"


def test_graph_json_says_where_a_routed_consumer_is_registered(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "worker.ts").write_text(
        "import { Worker } from 'bullmq';\nconst handle = async (job: any) => {\n"
        "  switch (job.name) { case 'welcome': return 1; default: throw new Error('x'); }\n};\n"
        "new Worker('mail', handle);\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["graph", "--format", "json", "--no-cache", str(tmp_path)])
    (queue,) = json.loads(result.output)["queues"]
    (consumer,) = queue["consumers"]
    assert (consumer["line"], consumer["job"]) == (3, "welcome")
    assert consumer["registered"]["line"] == 5 and consumer["registered"]["path"].endswith("src/worker.ts")
