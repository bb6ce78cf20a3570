"""Never crash, never lose a finding: arbitrary and mutated input to both front-ends, and the
bad inputs a repository can hold, each with what the user sees (docs/bad-inputs.md)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queuelint import frontends
from queuelint.cli import cli
from queuelint.model import FileFacts
from tests.conftest import FIXTURES
from tests.helpers import found, run, write_project
from tests.test_cli import BAD

SAMPLES = {
    path.suffix: path.read_bytes()
    for path in [FIXTURES / "seed-001-silent-default/apps/worker/src/processors/main.processor.ts",
                 FIXTURES / "python-django-celery/shop/orders/tasks.py"]
}
SUFFIXES = [".ts", ".tsx", ".js", ".py"]


def extract_ok(suffix: str, data: bytes) -> FileFacts:
    facts = frontends.extract(f"fuzz/file{suffix}", data)
    assert isinstance(facts, FileFacts)
    return facts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(suffix: str, data: bytes) -> None:
    extract_ok(suffix, data)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(sorted(SAMPLES)))
    data = bytearray(SAMPLES[suffix])
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        length = draw(st.integers(1, 40))
        action = draw(st.sampled_from(["truncate", "delete", "duplicate", "insert"]))
        if action == "truncate":
            del data[at:]
        elif action == "delete":
            del data[at : at + length]
        elif action == "duplicate":
            data[at:at] = data[at : at + length]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=length))
    return suffix, bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_real_files_never_raise(case: tuple[str, bytes]) -> None:
    extract_ok(*case)


def test_a_broken_file_does_not_change_the_findings_of_the_others(tmp_path: Path) -> None:
    clean = found(tmp_path, run(tmp_path, BAD))
    (tmp_path / "src/zz-broken.ts").write_bytes(b"import { Queue } from 'bullmq';\nconst q = new Queue('x';\n\xff\xfe")
    (tmp_path / "src/zz-broken.py").write_bytes(b"import celery\nprint 'py2'\n")
    with_broken = found(tmp_path, run(tmp_path))
    assert clean <= with_broken  # nothing lost
    added = with_broken - clean
    assert {path for path, _, _ in added} == {"src/zz-broken.ts", "src/zz-broken.py"}
    assert all(code == "QL001" for _, _, code in added)


# --- the bad-inputs table -------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_bom_crlf_lone_cr_nul_and_empty_files(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    producer = (in_tmp / "src/producer.ts").read_bytes()
    (in_tmp / "src/producer.ts").write_bytes(b"\xef\xbb\xbf" + producer.replace(b"\n", b"\r\n"))
    (in_tmp / "src/cr.ts").write_bytes(producer.replace(b"'digest'", b"'digest-cr'").replace(b"\n", b"\r"))
    (in_tmp / "src/nul.ts").write_bytes(b"import { Queue } from 'bullmq';\x00\nconst q = new Queue('mail');\n")
    (in_tmp / "src/empty.ts").write_bytes(b"")
    status, out, err = invoke("check", "--no-cache")
    assert status == 1 and err == ""
    assert "src/producer.ts:5:13: QL102" in out  # CRLF and a BOM do not move positions
    assert "src/cr.ts:5:13: QL102" in out and "'digest-cr'" in out


def test_minified_bundle_is_skipped_quickly(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    bundle = b"var a=require('bullmq');" + b"function x(){return 1};" * 900_000  # ~20 MB, one line
    (in_tmp / "src/bundle.js").write_bytes(bundle)
    status, out, _ = invoke("check", "--no-cache")
    assert status == 1 and "bundle.js" not in out


def test_deep_nesting_is_a_parse_problem_not_a_crash(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(in_tmp, BAD)
    # One bracket a line: a single 20 KB line would be skipped as minified and never parsed.
    (in_tmp / "src/deep.ts").write_text("import { Queue } from 'bullmq';\nconst x = " + "[\n" * 10_000 + "]" * 10_000 + ";\n")
    (in_tmp / "deep.py").write_text("import celery\nx = " + "(\n" * 10_000 + ")" * 10_000 + "\n")
    parsed: list[str] = []
    real = frontends.extract

    def extract(path: str, data: bytes, *args: object, **kwargs: object) -> FileFacts:
        parsed.append(Path(path).name)
        return real(path, data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(frontends, "extract", extract)
    status, out, err = invoke("check", "--no-cache")
    assert status == 1 and "Traceback" not in err
    assert "src/producer.ts:5:13: QL102" in out
    assert {"deep.ts", "deep.py"} <= set(parsed) and "minified" not in err
    assert "deep.py" in out and "brackets nested more than 150 deep" in out  # only a parse says so


def test_permission_denied_directory_is_named_and_the_rest_checked(in_tmp: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated: the tests may run as root, who can read anything.
    write_project(in_tmp, BAD)
    (in_tmp / "secret").mkdir()
    real = os.scandir

    def scandir(path: str) -> object:
        if str(path).endswith("secret"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    status, out, err = invoke("check", "--no-cache")
    assert status == 1 and "secret: skipped: Permission denied" in err and "QL102" in out


def test_file_vanishing_mid_run_is_reported(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from queuelint import engine

    write_project(in_tmp, BAD)
    write_project(in_tmp, {"src/gone.ts": "import { Queue } from 'bullmq';\n"})
    real = engine._read

    def vanish(path: str) -> bytes:
        if path.endswith("gone.ts"):
            raise FileNotFoundError(2, "No such file or directory")
        return real(path)

    monkeypatch.setattr(engine, "_read", vanish)
    status, out, _ = invoke("check", "--no-cache", "--jobs", "1")
    assert status == 1
    assert "src/gone.ts:1:1: QL001 [parse-error] cannot read file: No such file or directory" in out
    assert "src/producer.ts:5:13: QL102" in out


def test_symlink_loops_and_links_outside_are_not_followed(in_tmp: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    write_project(in_tmp, BAD)
    outside = tmp_path_factory.mktemp("outside")
    write_project(outside, {"p.ts": BAD["src/producer.ts"].replace("'digest'", "'outside'")})
    (in_tmp / "src/loop").symlink_to(in_tmp / "src")
    (in_tmp / "src/out").symlink_to(outside)
    status, out, _ = invoke("check", "--no-cache")
    assert status == 1 and "outside" not in out and out.count("QL102") == 1


def test_paths_with_spaces_and_non_ascii(in_tmp: Path) -> None:
    write_project(in_tmp, {f"dir with spaces/ünïcødé/{name}": text for name, text in BAD.items()})
    status, out, _ = invoke("check", "--no-cache")
    assert status == 1 and "dir with spaces/ünïcødé/src/producer.ts:5:13: QL102" in out


def test_a_file_where_a_directory_is_expected(in_tmp: Path) -> None:
    (in_tmp / "notes.txt").write_text("not code")
    assert invoke("check", "notes.txt", "--no-cache")[0] == 0  # a file of no supported language: nothing to check
    assert invoke("check", "missing/dir")[0] == 2


def test_output_is_byte_identical_across_runs_jobs_and_cache(in_tmp: Path) -> None:
    for i in range(70):
        write_project(in_tmp, {f"src/p{i}.ts": BAD["src/producer.ts"].replace("'digest'", f"'d{i}'")})
    write_project(in_tmp, {"src/worker.ts": BAD["src/worker.ts"]})
    outputs = {invoke("check", "--jobs", jobs, *extra, "--output-format", fmt)[1]
               for fmt in ("json",) for jobs in ("1", "2") for extra in ((), ("--no-cache",), ())}
    assert len(outputs) == 1


def test_how_deep_a_file_may_nest_does_not_depend_on_who_asks() -> None:
    """The deepest nesting extraction takes is the same at any call depth: a run answered from
    the cache, a worker process and a plain run call it from different depths, and must agree
    on whether a file is too deeply nested (QL001)."""
    from queuelint import engine

    def source(depth: int) -> bytes:
        return ("from celery import Celery\napp = Celery('p')\n\ndef go():\n    app.send_task('mail', args=['a'"
                + " + 'b'" * depth + "])\n").encode()

    def nested_too_deeply(depth: int, frames: int = 0) -> bool:
        if frames:
            return nested_too_deeply(depth, frames - 1)
        facts, error = engine.extract_bytes("proj/deep.py", source(depth))
        assert error is None
        return any("too deeply nested" in problem.message for problem in facts.problems)

    low, high = 10, 1_200  # the deepest nesting that is read: between these
    assert not nested_too_deeply(low) and nested_too_deeply(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if not nested_too_deeply(middle) else (low, middle)
    for frames in (0, 50, 200):
        assert not nested_too_deeply(low, frames) and nested_too_deeply(high, frames)


def test_extracting_in_threads_leaves_the_recursion_limit_as_it_was() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from queuelint import engine

    before = sys.getrecursionlimit()
    source = b"from celery import shared_task\n\n@shared_task\ndef send(x):\n    return x\n"
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: engine.extract_bytes(f"proj/t{i}.py", source), range(40)))
    assert sys.getrecursionlimit() == before
    assert all(error is None and len(facts.consumers) == 1 for facts, error in results)


def test_jobs_are_capped_at_the_chunks_there_are() -> None:
    from queuelint.pool import Workers

    workers = Workers(500)
    try:
        assert workers.map(_doubled, list(range(80))) == [2 * n for n in range(80)]
        assert workers.processes == 10  # 80 items, chunks of 8: not 500 processes
    finally:
        workers.close()


def _doubled(chunk: list[int]) -> list[int]:
    return [2 * n for n in chunk]


def test_per_file_ignore_patterns_are_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import pathspec

    from queuelint.config import Settings, _spec

    _spec.cache_clear()
    compiled: list[str] = []
    real = pathspec.GitIgnoreSpec.from_lines

    def counting(lines: list[str]) -> pathspec.GitIgnoreSpec:
        compiled.extend(lines)
        return real(lines)

    monkeypatch.setattr(pathspec.GitIgnoreSpec, "from_lines", counting)
    settings = Settings(root="/p", per_file_ignores=(("test/**", ("QL101",)), ("*.spec.ts", ("QL102",))))
    answers = [settings.ignored_in(f"/p/test/a{n}.ts", "QL101") for n in range(200)]
    assert all(answers) and not settings.ignored_in("/p/src/a.ts", "QL101")
    assert compiled == ["test/**"]  # once, not once per finding (the other pattern names another code)


def test_the_analysed_repository_s_git_config_runs_nothing(tmp_path: Path) -> None:
    import subprocess

    from tests.helpers import found, run

    marker = tmp_path / "ran"
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    hook = f"sh -c 'touch {marker}'"
    for key, value in (("core.fsmonitor", hook), ("core.fsmonitorHookVersion", "2"), ("core.untrackedCache", "true")):
        subprocess.run(["git", "-C", str(project), "config", key, value], check=True)
    files = {"src/q.ts": "import { Queue, Worker } from 'bullmq';\nnew Queue('mail').add('welcome', {});\n"
                         "new Worker('mail', async (job) => { if (job.name === 'digest') return; throw new Error(); });\n"}
    subprocess.run(["git", "-C", str(project), "status"], capture_output=True, check=False)  # git itself runs the hook
    ran_under_git = marker.exists()
    marker.unlink(missing_ok=True)
    assert found(project, run(project, files)) == {("src/q.ts", 2, "QL102"), ("src/q.ts", 3, "QL103")}
    assert ran_under_git and not marker.exists()  # the planted hook works, and queuelint did not run it


def test_special_files_posing_as_source_or_config_never_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from click.testing import CliRunner

    from queuelint.cli import cli
    from tests.helpers import write_project

    write_project(tmp_path, {"src/q.ts": "import { Queue } from 'bullmq';\nnew Queue('mail').add('welcome', {});\n"
                                         "import { Worker } from 'bullmq';\nnew Worker('mail', async (job) => {\n"
                                         "  if (job.name === 'digest') return;\n  throw new Error(job.name);\n});\n"})
    os.mkfifo(tmp_path / "src" / "pipe.ts")
    os.mkfifo(tmp_path / "src" / "tasks.py")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["check", ".", "--jobs", "1", "--no-cache"])
    assert "src/q.ts:2:" in result.stdout and "QL102" in result.stdout  # the real finding, and no hang
    assert "pipe.ts" in result.stdout and "not a regular file" in result.stdout  # the special file is named
    (tmp_path / "queuelint.toml").unlink(missing_ok=True)
    os.mkfifo(tmp_path / "queuelint.toml")
    result = CliRunner().invoke(cli, ["check", ".", "--jobs", "1", "--no-cache"])
    assert result.exit_code == 1 and "QL102" in result.stdout  # not a config file: not read, and no hang


def test_a_config_that_is_not_utf8_or_nested_too_deeply_is_one_line(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from queuelint.cli import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "queuelint.toml").write_bytes(b"select = ['QL1\xe9']\n")
    result = CliRunner().invoke(cli, ["check", "."])
    assert result.exit_code == 2 and "queuelint.toml: not valid UTF-8 (byte 0xe9" in result.output
    (tmp_path / "queuelint.toml").write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    result = CliRunner().invoke(cli, ["check", "."])
    assert result.exit_code == 2 and "nested too deeply" in result.output and "Traceback" not in result.output


def test_deep_python_nesting_and_a_bom_do_not_lose_the_other_findings(tmp_path: Path) -> None:
    """1,500 nested brackets crashed libcst's native parser (a segmentation fault, the whole run
    gone); 120 are parsed; a UTF-8 BOM was read as an indent (QL001, its tasks lost)."""
    from tests.helpers import found, run

    files = {"deep.py": "import celery\nx = " + "(" * 1500 + "1" + ")" * 1500 + "\n",
             "shallow.py": "import celery\nx = " + "(" * 120 + "1" + ")" * 120 + "\n",
             "use.py": "from celery import current_app\ncurrent_app.send_task('bom.pong')\n"}
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbffrom celery import shared_task\n\n\n@shared_task\ndef ping():\n    pass\n")
    diagnostics = run(tmp_path, files)
    assert found(tmp_path, diagnostics) == {("deep.py", 2, "QL001"), ("use.py", 2, "QL102")}
    assert any("nested more than 150 deep" in d.message for d in diagnostics)
    assert any("did you mean 'bom.ping'" in d.hint for d in diagnostics)  # the BOM file's task is read


CELERY_SEND = ('from celery import current_app, shared_task\n\nclass Sender:\n{i}def send(self):\n'
               '{i}{i}current_app.send_task("{name}")\n\n@shared_task\ndef one():\n{i}pass\n')


@pytest.mark.parametrize("indent", ["  ", "   ", "\t", "        "])
def test_python_columns_are_those_of_the_file_whatever_its_indent(tmp_path: Path, indent: str) -> None:
    (tmp_path / "send.py").write_text(CELERY_SEND.format(i=indent, name="two"))
    (diagnostic,) = [d for d in run(tmp_path) if d.code == "QL102"]
    line = CELERY_SEND.format(i=indent, name="two").splitlines()[4]
    assert (diagnostic.span.line, diagnostic.span.column) == (5, line.index('"two"') + 1)


@pytest.mark.parametrize(("header", "why"), [
    ("# -*- coding: undefined -*-\n", "cannot read it"),
    ("#!/usr/bin/env python\n# vim: set fileencoding=no-such-codec :\n", "unknown encoding"),
])
def test_a_python_file_whose_declared_encoding_cannot_read_it_is_ql001(tmp_path: Path, header: str, why: str) -> None:
    (tmp_path / "send.py").write_text(header + CELERY_SEND.format(i="    ", name="two"))
    result = run(tmp_path)
    (problem,) = [d for d in result if d.code == "QL001"]
    assert why in problem.message and problem.span.line == 1
    assert any(d.code == "QL102" for d in result)  # still read as far as it reads as UTF-8


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_files_with_a_bom_are_read_or_reported(tmp_path: Path, encoding: str) -> None:
    """The TypeScript compiler reads UTF-16 with a byte-order mark: so is it read here, at the
    positions an editor shows. Python does not: that file is QL001, never silently ignored."""
    bom = "\ufeff".encode(encoding)
    ts = ("import { Queue, Worker } from 'bullmq';\nconst q = new Queue('mail');\n  q.add('digest', {});\n"
          "new Worker('mail', async (job) => {\n  switch (job.name) {\n    case 'welcome': return 1;\n"
          "    default: throw new Error('unknown');\n  }\n});\n")
    (tmp_path / "send.ts").write_bytes(bom + ts.encode(encoding))
    (tmp_path / "send.py").write_bytes(bom + CELERY_SEND.format(i="    ", name="two").encode(encoding))
    diagnostics = run(tmp_path)
    assert {(Path(d.span.path).name, d.code) for d in diagnostics} >= {("send.ts", "QL102"), ("send.py", "QL001")}
    (unhandled,) = [d for d in diagnostics if d.code == "QL102"]
    assert (unhandled.span.line, unhandled.span.column) == (3, 9)
    (problem,) = [d for d in diagnostics if d.code == "QL001"]
    assert "UTF-16" in problem.message


@pytest.mark.parametrize("ends", [["\r\n", "\r"], ["\r", "\r\n"], ["\n", "\r"], ["\r", "\n", "\r\n"]])
@pytest.mark.parametrize("language", ["typescript", "python"])
def test_mixed_line_ends_give_the_lines_an_editor_shows(in_tmp: Path, ends: list[str], language: str) -> None:
    """An editor ends a line at CRLF, a lone CR and a lone LF alike, however they mix."""
    if language == "typescript":
        lines = ["import { Queue, Worker } from 'bullmq';", "const q = new Queue('mail');", "",
                 "new Worker('mail', async (job) => {", "  switch (job.name) {", "    case 'welcome': return 1;",
                 "    default: throw new Error('unknown');", "  }", "});", "", "   q.add('digest', {});"]
        name, code = "send.ts", "QL102"
    else:
        lines = ["from celery import current_app, shared_task", "", "@shared_task", "def one():", "    pass",
                 "", "", "def send():", "", "      current_app.send_task('two')"]
        name, code = "send.py", "QL102"
    text = "".join(line + ends[index % len(ends)] for index, line in enumerate(lines))
    (in_tmp / name).write_bytes(text.encode())
    editor_lines = re.split(r"\r\n|\r|\n", text)
    wanted = "'digest'" if language == "typescript" else "'two'"
    (row,) = [number for number, line in enumerate(editor_lines, 1) if wanted in line]
    column = editor_lines[row - 1].index(wanted) + 1
    status, out, _ = invoke("check", "--no-cache")
    assert status == 1 and f"{name}:{row}:{column}: {code}" in out, out


LOGO = "iVBORw0KGgoAAAANSUhEUgAA" * 1_000  # 24 KB of base64: an inline image, not minified code
SVG = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'>" + \
    "<path d='M12 2L2 7l10 5 10-5-10-5z' style='fill:#fff;stroke:#000' transform='translate(1 1)'/>" * 320 + "</svg>"


def test_long_string_constant_line_is_not_minified(tmp_path: Path) -> None:
    """A 24 KB base64 logo on one line of a short tasks.py: still parsed, its findings kept."""
    diagnostics = run(tmp_path, {"tasks.py": (
        "from celery import current_app, shared_task\n"
        f"LOGO = \"{LOGO}\"\n"
        "@shared_task\n"
        "def one():\n"
        "    pass\n"
        "def send():\n"
        "    current_app.send_task('two')\n")})
    assert ("tasks.py", 7, "QL102") in found(tmp_path, diagnostics)


def test_inline_svg_string_is_not_minified(tmp_path: Path) -> None:
    """A BullMQ file with a 30 KB inline SVG string on one line: still parsed."""
    assert len(SVG) > 30_000
    diagnostics = run(tmp_path, {"send.ts": (
        "import { Queue, Worker } from 'bullmq';\n"
        f"const ICON = \"{SVG}\";\n"
        "const q = new Queue('mail');\n"
        "new Worker('mail', async (job) => { switch (job.name) { case 'welcome': return 1; "
        "default: throw new Error('unknown'); } });\n"
        "q.add('digest', {});\n")})
    assert ("send.ts", 5, "QL102") in found(tmp_path, diagnostics)


@pytest.mark.parametrize("cache", [True, False])
def test_skipped_minified_queue_code_is_named(in_tmp: Path, cache: bool) -> None:
    """A minified bundle is still skipped, but one that holds queue code is named, with and
    without the caches (and on the run answered from the cache, the second one)."""
    write_project(in_tmp, BAD)
    bundle = b"var a=require('bullmq');var q=new a.Queue('mail');" + b"function x(){return q.add('z',{})};" * 1_000
    (in_tmp / "src/app.js").write_bytes(bundle)  # `*.min.js` names are not even listed
    (in_tmp / "src/plain.js").write_bytes(b"function y(){return 1};" * 2_000)  # minified, no queue code
    for _ in range(2 if cache else 1):
        status, out, err = invoke("check", *([] if cache else ["--no-cache"]))
        assert status == 1 and "app.js" not in out
        assert "src/app.js: skipped: looks minified" in err, err
        assert "plain.js" not in err


# Lines git accepts in a .gitignore but that are no valid pattern: git lets each match nothing.
GIT_ACCEPTED_INVALID = ["bin\\", "!", "[z-a]"]


def test_lines_git_accepts_in_a_gitignore_are_ignored_as_git_ignores_them(in_tmp: Path) -> None:
    """Outside git, queuelint reads .gitignore itself: an invalid line matches nothing (as in
    git), and the file's other lines still apply."""
    assert not (in_tmp / ".git").exists()  # the walk, not `git ls-files`, reads the .gitignore
    write_project(in_tmp, BAD)
    write_project(in_tmp, {"ignored/p.ts": BAD["src/producer.ts"].replace("'digest'", "'ignored-job'")})
    (in_tmp / ".gitignore").write_text("\n".join([*GIT_ACCEPTED_INVALID, "ignored/"]) + "\n")
    status, out, err = invoke("check", "--no-cache")
    assert status == 1, (out, err)
    assert "job 'digest' has no handler" in out
    assert "ignored-job" not in out and "ignored/p.ts" not in out  # the valid line took effect
    assert "Traceback" not in err


@pytest.mark.parametrize("pattern", GIT_ACCEPTED_INVALID)
def test_invalid_exclude_patterns_are_one_line_and_exit_2(in_tmp: Path, pattern: str) -> None:
    """The config is the user's own: a pattern that matches nothing is a mistake to report."""
    write_project(in_tmp, BAD)
    (in_tmp / "queuelint.toml").write_text(f"exclude = ['{pattern}']\n")  # literal: no TOML escapes
    status, out, err = invoke("check", "--no-cache")
    assert status == 2 and out == "", (out, err)
    (line,) = err.strip().splitlines()
    assert line.startswith("queuelint: error: ") and "exclude" in line and pattern in line
