"""What fails a run, what is printed, and how: `--fail-on`, `[severity]`, `--quiet`,
`--statistics`, `--color`, `--output-format` / `--format`, `check -`, `debug-config PATH`,
and config values of the wrong type."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from queuelint.cli import cli
from tests.helpers import write_project
from tests.test_cli import BAD

# One error (QL102: 'digest' unhandled) and one info (QL103: 'cleanup' handled, never produced).
MIXED = {**BAD, "src/worker.ts": BAD["src/worker.ts"].replace(
    "case 'welcome': return welcome(job.data);",
    "case 'welcome': return welcome(job.data);\n            case 'cleanup': return cleanup(job.data);")}
ONLY_INFO = {**MIXED, "src/producer.ts": MIXED["src/producer.ts"].replace("await q.add('digest', {});", "")}


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, env=env)
    return result.exit_code, result.stdout, result.stderr


def codes(out: str) -> list[str]:
    return [f["code"] for f in json.loads(out)]


def test_info_findings_do_not_fail_a_run_unless_asked(in_tmp: Path) -> None:
    write_project(in_tmp, ONLY_INFO)
    status, out, _ = run("check", "--no-cache")
    assert status == 0 and "QL103 [orphan-handler]" in out
    assert run("check", "--no-cache", "--fail-on", "info")[0] == 1
    (in_tmp / "queuelint.toml").write_text('fail-on = "info"\n')
    assert run("check", "--no-cache")[0] == 1
    assert run("check", "--no-cache", "--fail-on", "warning")[0] == 0  # the command line wins


@pytest.mark.parametrize(("fail_on", "status"), [("error", 1), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_levels(in_tmp: Path, fail_on: str, status: int) -> None:
    write_project(in_tmp, MIXED)
    assert run("check", "--no-cache", "--fail-on", fail_on)[0] == status


def test_severity_overrides_change_the_output_and_the_verdict(in_tmp: Path) -> None:
    write_project(in_tmp, {**ONLY_INFO, "queuelint.toml": '[severity]\norphan-handler = "error"\n'})
    status, out, _ = run("check", "--no-cache", "--output-format", "json")
    assert status == 1
    assert [f["severity"] for f in json.loads(out)] == ["error"]
    write_project(in_tmp, {**MIXED, "queuelint.toml": '[severity]\nQL102 = "info"\n'})
    status, out, _ = run("check", "--no-cache")
    assert status == 0 and "Found 2 problems (2 info)." in out


@pytest.mark.parametrize(("config", "message"), [
    ('fail-on = "warn"\n', "'fail-on' must be one of 'error', 'warning', 'info', 'never', got \"warn\""),
    ('[severity]\nQL102 = "fatal"\n', "severity 'QL102' must be one of 'error', 'warning', 'info', got \"fatal\""),
    ('[severity]\nunhandled-job-nam = "info"\n', "unknown rule selector 'unhandled-job-nam' (did you mean"),
    ("severity = 3\n", "'severity' must be a table"),
    ('select = "QL1"\n', "'select' must be an array of strings, such as select = [\"QL1\"]; got a string"),
    ("ignore = [\"QL1\", 2]\n", "'ignore' must be an array of strings; item 2 is an integer"),
    ("[[producers]]\ncall = \"addJob\"\nqueue = \"q\"\nname-arg = \"0\"\n", "'name-arg' must be an integer, got a string"),
])
def test_config_values_of_the_wrong_type_are_named_in_toml_words(in_tmp: Path, config: str, message: str) -> None:
    write_project(in_tmp, {**MIXED, "queuelint.toml": config})
    status, out, err = run("check", "--no-cache")
    assert status == 2 and out == ""
    assert message in err and err.count("\n") == 1, err


def test_quiet_prints_the_findings_only(in_tmp: Path) -> None:
    write_project(in_tmp, MIXED)
    status, out, _ = run("check", "--no-cache", "-q", "--output-format", "concise")
    assert status == 1
    lines = out.splitlines()
    assert len(lines) == 2 and all(": QL10" in line for line in lines), out


def test_statistics_count_findings_per_rule(in_tmp: Path) -> None:
    write_project(in_tmp, {**MIXED, "src/more.ts": """
        import { Queue } from 'bullmq';
        const q = new Queue('mail');
        await q.add('digets', {});
    """})
    status, out, _ = run("check", "--no-cache", "--statistics")
    assert status == 1
    assert out.splitlines() == ["2  QL102  unhandled-job-name    error", "1  QL103  orphan-handler        info"]
    status, out, _ = run("check", "--no-cache", "--statistics", "--output-format", "json")
    assert json.loads(out)[0] == {"code": "QL102", "name": "unhandled-job-name", "severity": "error", "count": 2}


def test_format_is_the_same_flag_as_output_format_in_every_command(in_tmp: Path) -> None:
    write_project(in_tmp, MIXED)
    assert codes(run("check", "--no-cache", "--format", "json")[1]) == ["QL102", "QL103"]
    assert run("graph", "--no-cache", "--output-format", "mermaid")[1] == run("graph", "--no-cache", "--format",
                                                                                "mermaid")[1]
    assert json.loads(run("rules", "--output-format", "json")[1])[0]["code"] == "QL001"


def test_the_text_output_shows_the_source_line_a_caret_and_related_locations(in_tmp: Path) -> None:
    write_project(in_tmp, MIXED)
    out = run("check", "--no-cache")[1]
    block = out.split("src/producer.ts:5:13: QL102")[1].splitlines()
    assert block[1:4] == ["    |", "  5 | await q.add('digest', {});", "    |             ^^^^^^^^"]
    assert "  related: src/worker.ts:5:10: handles 'welcome' (the processor of Worker('mail'))" in block
    concise = run("check", "--no-cache", "--output-format", "concise")[1]
    assert "|" not in concise and "related" not in concise and concise.count("\n") == 4  # 2 findings, 2 summary


def test_colour_only_when_asked_or_on_a_terminal_without_no_color(in_tmp: Path) -> None:
    write_project(in_tmp, MIXED)
    assert "\x1b[" in run("check", "--no-cache", "--color", "always")[1]
    assert "\x1b[" not in run("check", "--no-cache", "--color", "never")[1]
    assert "\x1b[" not in run("check", "--no-cache")[1]  # not a terminal
    assert "\x1b[" not in run("check", "--no-cache", env={"NO_COLOR": "1"})[1]


def test_stdin_is_checked_as_the_named_file_with_its_project(in_tmp: Path) -> None:
    write_project(in_tmp, MIXED)
    edited = MIXED["src/producer.ts"].replace("'digest'", "'welcome'")  # fixed in the editor, not on disk
    import textwrap

    status, out, _ = run("check", "-", "--stdin-filename", "src/producer.ts", "--output-format", "json",
                         stdin=textwrap.dedent(edited))
    assert codes(out) == ["QL103"] and status == 0
    new_file = "import { Queue } from 'bullmq';\nawait new Queue('mail').add('digest', {});\n"
    status, out, _ = run("check", "-", "--stdin-filename", "src/unsaved.ts", "--output-format", "json",
                         stdin=new_file)
    assert status == 1 and ("src/unsaved.ts", "QL102") in [(f["path"], f["code"]) for f in json.loads(out)]


@pytest.mark.parametrize("args", [["-"], ["-", "src", "--stdin-filename", "a.ts"], ["src", "--stdin-filename", "a.ts"]])
def test_stdin_needs_its_file_name_and_no_other_path(in_tmp: Path, args: list[str]) -> None:
    write_project(in_tmp, MIXED)
    status, out, err = run("check", *args, stdin="")
    assert status == 2 and out == "" and "stdin-filename" in err


def test_debug_config_says_why_a_rule_is_off_in_a_file(in_tmp: Path) -> None:
    write_project(in_tmp, {**MIXED, "src/legacy/old.ts": "export {};\n",
                           "queuelint.toml": "[per-file-ignores]\n\"src/legacy/*\" = [\"QL102\"]\n"})
    described = run("debug-config", "src/legacy/old.ts")[1]
    assert "path: src/legacy/old.ts" in described
    assert "QL102 unhandled-job-name: off here: per-file-ignores 'src/legacy/*'" in described
    assert "QL102 unhandled-job-name: on" in run("debug-config", "src/producer.ts")[1]


@pytest.mark.parametrize(("written", "meant"), [("QL1O2", "QL102"), ("orphan-handlr", "orphan-handler")])
def test_rule_suggests_the_rule_meant(written: str, meant: str) -> None:
    status, out, err = run("rule", written)
    assert status == 2 and out == ""
    assert f"unknown rule {written!r} (did you mean {meant!r}?)" in err
    assert f"did you mean {meant!r}" in run("check", "--select", written)[2]
