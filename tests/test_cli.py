"""The command line as a user meets it: exit statuses, config errors, selection, discovery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from queuelint import __version__, frontends
from queuelint.cli import cli
from tests.helpers import write_project

BAD = {
    "src/producer.ts": """
        import { Queue } from 'bullmq';
        const q = new Queue('mail');
        await q.add('welcome', {});
        await q.add('digest', {});
    """,
    "src/worker.ts": """
        import { Worker } from 'bullmq';
        new Worker('mail', async (job) => {
          switch (job.name) {
            case 'welcome': return welcome(job.data);
            default: throw new Error('unknown');
          }
        });
    """,
}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_findings_exit_1_and_clean_exit_0(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    status, out, _ = invoke("check")
    assert status == 1
    assert out.startswith("src/producer.ts:5:")
    assert "QL102 [unhandled-job-name] job 'digest' has no handler on queue 'mail'" in out
    assert invoke("check", "--exit-zero")[0] == 0
    assert invoke("check", "--ignore", "QL102")[0] == 0
    assert invoke("check", "--select", "QL2")[0] == 0
    assert invoke("check", "--select", "unhandled-job-name")[0] == 1


def test_missing_path_is_a_usage_error(in_tmp: Path) -> None:
    status, out, err = invoke("check", "nowhere")
    assert status == 2 and out == ""
    assert err.strip() == "queuelint: error: nowhere: no such file or directory"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("selct = ['QL1']\n", "unknown key 'selct' (did you mean 'select'?)"),
        ("select = 'QL1\n", "invalid TOML"),
        ("ignore = [1, 2]\n", "'ignore' must be an array of strings; item 1 is an integer"),
        ("select = ['QL1O2']\n", "unknown rule selector 'QL1O2' (did you mean 'QL102'?)"),
        ("[per-file-ignores]\n'a/*' = 'QL101'\n", "must be an array of rule codes"),
        ("[[producers]]\ncal = 'addJob'\n", "producers[0]: unknown key 'cal' (did you mean 'call'?)"),
        ("[[producers]]\ncall = 'addJob'\n", "give the queue, as 'queue' (a name) or 'queue-arg'"),
        ("[[producers]]\ncall = 'addJob'\nqueue = 'q'\nname-arg = -1\n", "'name-arg' must be 0 or more"),
        ("[[consumers]]\ndecorator = 'P'\nqueue = 'q'\nlibrary = 'celery'\n", "'library' must be one of bull, bullmq"),
        ("producers = 'addJob'\n", "'producers' must be an array of tables"),
        ("[external]\nconsumd = []\n", "unknown key 'external.consumd' (did you mean 'consumed'?)"),
    ],
)
def test_bad_config_is_one_clear_line_and_exit_2(in_tmp: Path, config: str, message: str) -> None:
    write_project(in_tmp, BAD)
    (in_tmp / "queuelint.toml").write_text(config)
    status, out, err = invoke("check")
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_pyproject_table_and_per_file_ignores(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    (in_tmp / "pyproject.toml").write_text('[tool.queuelint]\n[tool.queuelint.per-file-ignores]\n"src/producer.ts" = ["QL102"]\n')
    assert invoke("check")[0] == 0
    status, out, _ = invoke("debug-config")
    assert status == 0 and "QL102 unhandled-job-name: on" in out and "pyproject.toml" in out


def test_suppression_comment_and_unused_suppression(in_tmp: Path) -> None:
    files = dict(BAD)
    files["src/producer.ts"] = files["src/producer.ts"].replace(
        "await q.add('digest', {});", "// queuelint-disable-next-line QL102\n        await q.add('digest', {});"
    ).replace("await q.add('welcome', {});", "await q.add('welcome', {}); // queuelint-disable-line QL101")
    write_project(in_tmp, files)
    status, out, _ = invoke("check")
    assert status == 1
    assert "QL102" not in out
    assert "QL002 [unused-suppression] suppression of QL101 matches no finding on its line" in out


def test_json_output_schema(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    status, out, _ = invoke("check", "--output-format", "json")
    assert status == 1
    (finding,) = json.loads(out)
    assert set(finding) == {"code", "name", "severity", "message", "hint", "path", "line", "column",
                            "end_line", "end_column", "related", "depends"}
    assert (finding["path"], finding["line"], finding["column"]) == ("src/producer.ts", 5, 13)
    assert finding["related"][0]["path"] == "src/worker.ts"


def test_gitignore_node_modules_and_minified_files_are_skipped(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    (in_tmp / ".gitignore").write_text("generated/\n")
    write_project(in_tmp, {
        "generated/p.ts": BAD["src/producer.ts"],
        "node_modules/lib/p.ts": BAD["src/producer.ts"],
        "dist/p.js": BAD["src/producer.ts"],
        "src/vendor.min.js": BAD["src/producer.ts"],
    })
    status, out, _ = invoke("check", "--output-format", "json")
    assert status == 1
    assert {f["path"] for f in json.loads(out)} == {"src/producer.ts"}


def test_rule_and_rules_commands() -> None:
    status, out, _ = invoke("rule", "QL102")
    assert status == 0 and out.startswith("# QL102 unhandled-job-name\n")
    assert invoke("rule", "silent-default")[1].startswith("# QL203 silent-default")
    assert invoke("rule", "QL999")[0] == 2
    status, out, _ = invoke("rules", "--format", "json")
    codes = [r["code"] for r in json.loads(out)]
    assert codes[:3] == ["QL001", "QL002", "QL101"] and codes == sorted(codes)


def test_version() -> None:
    assert invoke("--version")[1].strip() == f"queuelint, version {__version__}"


def test_internal_error_in_one_file_is_reported_and_others_still_checked(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(in_tmp, BAD)
    write_project(in_tmp, {"src/boom.ts": "import { Queue } from 'bullmq';\n"})
    real = frontends.extract

    def flaky(path: str, data: bytes, options: frontends.Options = frontends.DEFAULT_OPTIONS) -> object:
        if path.endswith("boom.ts"):
            raise ValueError("simulated front-end bug")
        return real(path, data, options)

    monkeypatch.setattr(frontends, "extract", flaky)
    status, out, err = invoke("check", "--jobs", "1")
    assert status == 101
    assert "QL102" in out  # the other files' findings are not lost
    assert out.endswith("Analysis incomplete: 1 internal error (details on stderr); found 1 problem (1 error) elsewhere.\n")
    assert "boom.ts: internal error while extracting: ValueError: simulated front-end bug" in err


def test_parallel_and_serial_runs_agree(in_tmp: Path) -> None:
    for i in range(80):  # above the threshold where a process pool is used
        write_project(in_tmp, {f"src/p{i}.ts": BAD["src/producer.ts"].replace("'digest'", f"'digest-{i}'")})
    write_project(in_tmp, {"src/worker.ts": BAD["src/worker.ts"]})
    # A wrapper called from many files: its call sites are searched for and read in the pool.
    write_project(in_tmp, {"src/mail.ts": """
        import { Queue } from 'bullmq';
        const mail = new Queue('mail');
        export function sendMail(name: string) { return mail.add(name, {}); }
    """})
    for i in range(20):
        write_project(in_tmp, {f"src/caller{i}.ts": f"import {{ sendMail }} from './mail';\nsendMail('c{i}');\n"})
    serial = invoke("check", "--jobs", "1")
    parallel = invoke("check", "--jobs", "2")
    assert serial == parallel and serial[1].count("QL102") == 100


def test_console_script_entry_point(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    done = subprocess.run([sys.executable, "-m", "queuelint", "check", "."], capture_output=True, text=True)
    assert done.returncode == 1 and "QL102" in done.stdout and done.stderr == ""


def test_inside_a_git_work_tree_git_decides_what_is_ignored(in_tmp: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=in_tmp, check=True)
    write_project(in_tmp, BAD)
    (in_tmp / ".gitignore").write_text("generated/\n!generated/keep.ts\n*.gen.ts\n")
    write_project(in_tmp, {"generated/p.ts": BAD["src/producer.ts"], "src/x.gen.ts": BAD["src/producer.ts"],
                           "node_modules/m/p.ts": BAD["src/producer.ts"]})
    status, out, _ = invoke("check", "--output-format", "json", "--no-cache")
    assert status == 1 and {f["path"] for f in json.loads(out)} == {"src/producer.ts"}
    # A directory git ignores is still read when named explicitly.
    status, out, _ = invoke("graph", "generated", "--no-cache")
    assert {p["path"] for q in json.loads(out)["queues"] for p in q["producers"]} == {"generated/p.ts"}


def test_internal_error_in_one_rule_is_reported_and_other_rules_still_run(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from queuelint import engine as engine_module
    from queuelint.rules import REGISTRY

    def broken(self: object, context: object) -> object:
        raise KeyError("simulated rule bug")

    registry = tuple(replace(r, check=broken) if r.code == "QL203" else r for r in REGISTRY)  # type: ignore[arg-type]
    monkeypatch.setattr(engine_module, "REGISTRY", registry)
    write_project(in_tmp, BAD)
    status, out, err = invoke("check", "--no-cache", "--jobs", "1")
    assert status == 101
    assert "rule QL203 (silent-default) failed: KeyError: 'simulated rule bug'" in err
    assert "QL102" in out and "Analysis incomplete" in out


def test_the_summary_says_what_was_covered_and_is_the_same_when_answered_from_the_last_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {
        "src/q.ts": "import { Queue } from 'bullmq';\nconst q = new Queue('mail');\nq.add('welcome', {});\n"
                    "export const f = (name: string) => q.add(name, {});\n",
        "src/w.ts": "import { Worker } from 'bullmq';\nnew Worker('mail', async () => {});\n",
        "src/other.ts": "export const x = 1;\n",
    })
    monkeypatch.chdir(tmp_path)
    fresh = invoke("check", ".", "--jobs", "1")
    again = invoke("check", ".", "--jobs", "1")
    line = "Checked 3 files: 1 queue, 2 producers (1 not followed), 1 consumer.\n"
    # One producer's name is not known: what could be followed is clean, not all of it.
    assert fresh == again == (0, line + "No problems found in what could be followed.\n", "")


def test_a_queue_library_used_but_nothing_followed_is_not_called_clean(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # The queue comes from a service chosen at run time: nothing here can be followed.
    write_project(tmp_path, {"src/q.ts": "import { Queue } from 'bullmq';\n"
                                          "export const make = (Cls: any, name: string) => new Cls(name);\n"
                                          "export function send(queue: Queue) { return queue.add('x', {}); }\n"})
    monkeypatch.chdir(tmp_path)
    status, out, _ = invoke("check", ".", "--jobs", "1", "--no-cache")
    assert status == 0
    assert "1 file imports a queue library, but no producer or consumer could be followed" in out
    assert out.endswith("No problems found in what could be followed.\n") and "All checks passed" not in out


def test_a_tree_without_queue_code_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"src/a.ts": "export const a = 1;\n", "app.py": "print('hi')\n"})
    monkeypatch.chdir(tmp_path)
    assert invoke("check", ".", "--no-cache") == (0, "Checked 2 files: no queue library is used here.\nAll checks passed.\n", "")
