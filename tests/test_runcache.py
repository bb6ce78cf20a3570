"""Reusing the last run's findings: an unchanged tree, or edits that cannot change them, are
answered without analysing again; every edit that can change them is analysed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queuelint import discover as discover_module
from queuelint import engine, runcache
from queuelint.cli import cli
from queuelint.findings import Diagnostic, Related, Severity, Span
from queuelint.model import to_json
from tests.helpers import without_coverage, write_project

WORKER = """
    import { Worker } from 'bullmq';
    new Worker('mail', async (job) => {
      switch (job.name) {
        case 'welcome': return welcome(job.data);
        default: throw new Error('unknown');
      }
    });
"""
PROJECT = {
    "src/queue.ts": """
        import { Queue } from 'bullmq';
        import { JobName } from './names';
        export const mail = new Queue('mail');
        export function sendMail(name: string, data: object) {
          return mail.add(name, data);
        }
        await mail.add(JobName.Welcome, {});
    """,
    "src/names.ts": "export enum JobName { Welcome = 'welcome' }\n",
    "src/caller.ts": "import { sendMail } from './queue';\nsendMail('welcome', {});\n",
    "src/plain.ts": "export const answer = 42;\n",
    "src/worker.ts": WORKER,
}


def check(*paths: str) -> str:
    result = CliRunner().invoke(cli, ["check", "--jobs", "1", "--exit-zero", *paths])
    assert result.exit_code == 0, result.output
    return without_coverage(result.stdout)


def settle(root: Path) -> None:
    """Date every file and directory 10 s back: modification times this recent would not be
    trusted (a write in the same clock tick does not move them)."""
    past = time.time_ns() - 10_000_000_000
    for directory, _, files in os.walk(root):
        for path in [directory, *(os.path.join(directory, f) for f in files)]:
            os.utime(path, ns=(past, past))


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts full analyses (runs not answered from the last one)."""
    calls: list[int] = []
    real = engine._analyse

    def counting(*args: object, **kwargs: object) -> engine.Result:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_analyse", counting)
    return calls


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def cold(root: Path, analyses: list[int] | None = None) -> str:
    """Analyse the project afresh, its files (and the cache directory) dated in the past."""
    write_project(root, PROJECT)
    check()  # creates the cache directory
    settle(root)
    first = check()
    if analyses is not None:
        analyses.clear()
    return first


def test_unchanged_tree_is_answered_from_the_last_run(in_tmp: Path, analyses: list[int]) -> None:
    first = cold(in_tmp, analyses)
    assert first == "All checks passed.\n"
    assert check() == first
    assert check() == first
    assert analyses == []


def test_findings_survive_reuse(in_tmp: Path, analyses: list[int]) -> None:
    cold(in_tmp, analyses)
    edit(in_tmp / "src/caller.ts", "'welcome'", "'welcom'")
    found = check()
    assert "QL102" in found and "caller.ts" in found
    assert check() == found
    assert len(analyses) == 1


@pytest.mark.parametrize(("path", "old", "new", "analysed"), [
    ("src/plain.ts", "42", "43", False),  # a file without queue code
    # Imported modules: resolution looked for them, but only their facts count.
    ("src/names.ts", "export enum", "// a comment\nexport enum", False),
    ("src/worker.ts", "new Worker", "// a comment\n\n\nnew Worker", False),  # queue code moved
    # Queue code moved in a file read again for a wrapper's call sites: analysed.
    ("src/queue.ts", "await mail.add", "// a comment\n\n\nawait mail.add", True),
])
def test_edits_that_cannot_or_can_change_findings(in_tmp: Path, analyses: list[int], path: str, old: str,
                                                   new: str, analysed: bool) -> None:
    cold(in_tmp, analyses)
    edit(in_tmp / path, old, new)
    assert check() == "All checks passed.\n"
    assert len(analyses) == (1 if analysed else 0)


DIRECT = """import { Queue } from 'bullmq';
const q = new Queue('mail');
// queuelint-disable-next-line QL102
await q.add('farewell', {});
await q.add('welcom', {});
"""


def with_finding(root: Path, analyses: list[int]) -> str:
    cold(root, analyses)
    write_project(root, {"src/direct.ts": DIRECT})
    found = check()
    assert "src/direct.ts:5:13: QL102" in found and "farewell" not in found
    settle(root)
    assert check() == found  # the last run, made with every file dated in the past
    analyses.clear()
    return found


def fresh(*paths: str) -> str:
    result = CliRunner().invoke(cli, ["check", "--jobs", "1", "--exit-zero", "--no-cache", *paths])
    return without_coverage(result.stdout)


def test_findings_follow_queue_code_that_moved(in_tmp: Path, analyses: list[int]) -> None:
    """Lines added above a finding and between two calls: the findings are the last run's, at
    the new positions, as a new analysis would give them."""
    with_finding(in_tmp, analyses)
    edit(in_tmp / "src/direct.ts", "const q", "// the mail queue\n\nconst q")
    edit(in_tmp / "src/direct.ts", "\nawait q.add('welcom'", "\n\n  await q.add('welcom'")
    moved = check()
    assert analyses == []
    assert "src/direct.ts:8:15: QL102" in moved
    assert moved == fresh()


@pytest.mark.parametrize(("old", "new"), [
    ("'welcom'", "'welcme'"),  # another job name: not a move
    ("// queuelint-disable-next-line QL102\n", "// queuelint-disable-next-line QL102\n\n"),  # the comment's line no longer covers the call
    ("await q.add('farewell', {});\nawait q.add('welcom', {});",  # the two calls swap places
     "await q.add('welcom', {});\nawait q.add('farewell', {});"),
])
def test_edits_that_look_like_moves_but_are_not(in_tmp: Path, analyses: list[int], old: str, new: str) -> None:
    before = with_finding(in_tmp, analyses)
    edit(in_tmp / "src/direct.ts", old, new)
    after = check()
    assert len(analyses) == 1
    assert after == fresh() and after != before


def test_comment_after_queue_code_is_not_analysed_again(in_tmp: Path, analyses: list[int]) -> None:
    cold(in_tmp, analyses)
    with open(in_tmp / "src/worker.ts", "a", encoding="utf-8") as handle:
        handle.write("// reviewed\n")
    assert check() == "All checks passed.\n"
    assert analyses == []


@pytest.mark.parametrize(("path", "old", "new"), [
    ("src/names.ts", "'welcome'", "'welcomed'"),  # a constants module read on demand
    ("src/caller.ts", "'welcome'", "'farewell'"),  # a wrapper's call site in a plain file
    ("src/plain.ts", "export const answer = 42;", "import { sendMail } from './queue';\nsendMail('bye', {});"),
])
def test_edits_outside_queue_files_that_change_findings_are_seen(in_tmp: Path, analyses: list[int], path: str,
                                                                 old: str, new: str) -> None:
    cold(in_tmp, analyses)
    edit(in_tmp / path, old, new)
    assert "QL102" in check()
    assert len(analyses) == 1


def test_new_and_deleted_files_are_seen(in_tmp: Path) -> None:
    cold(in_tmp)
    write_project(in_tmp, {"src/jobs/late.ts": "import { sendMail } from '../queue';\nsendMail('late', {});\n"})
    assert "late.ts" in check()
    settle(in_tmp)
    (in_tmp / "src/jobs/late.ts").unlink()
    assert check() == "All checks passed.\n"


@pytest.mark.parametrize(("added", "analysed"), [
    ("src/NOTES.md", False),  # neither a source nor a manifest: no walk looks at it
    ("src/logo.png", False),
    ("src/jobs/more.ts", True),
    ("src/jobs/package.json", True),  # a workspace package, maybe
    ("src/new-directory/.keep", True),  # a new directory: a walk goes into it
])
def test_files_added_that_no_walk_looks_at_are_not_analysed(in_tmp: Path, analyses: list[int], added: str,
                                                            analysed: bool) -> None:
    cold(in_tmp, analyses)
    write_project(in_tmp, {added: "{}\n"})
    settle(in_tmp)
    answer = check()
    assert bool(analyses) == analysed
    assert answer == fresh()


def test_gitignore_and_tsconfig_changes_are_seen(in_tmp: Path) -> None:
    cold(in_tmp)
    edit(in_tmp / "src/caller.ts", "'welcome'", "'farewell'")
    assert "QL102" in check()
    settle(in_tmp)
    write_project(in_tmp, {".gitignore": "src/caller.ts\n"})
    assert check() == "No problems found in what could be followed.\n"  # the wrapper's callers are gone
    settle(in_tmp)
    # An alias that leads to another names module: only tsconfig.json says so.
    write_project(in_tmp, {"src/other/names.ts": "export enum JobName { Welcome = 'hello' }\n"})
    edit(in_tmp / "src/queue.ts", "from './names'", "from '@names'")
    assert check() == "No problems found in what could be followed.\n"  # '@names' does not resolve
    settle(in_tmp)
    write_project(in_tmp, {"tsconfig.json": '{"compilerOptions": {"paths": {"@names": ["src/other/names"]}}}'})
    assert "'hello'" in check()


def test_a_rewrite_that_keeps_size_and_mtime_is_still_seen(in_tmp: Path) -> None:
    """Written in the same clock tick as the run that cached it: the mtime cannot tell."""
    write_project(in_tmp, PROJECT)
    assert check() == "All checks passed.\n"
    caller = in_tmp / "src/caller.ts"
    before = caller.stat()
    edit(caller, "'welcome'", "'welcomE'")
    os.utime(caller, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert "QL102" in check()


def test_no_cache_neither_reads_nor_writes_the_last_run(in_tmp: Path, analyses: list[int]) -> None:
    cold(in_tmp, analyses)
    for _ in range(2):
        assert CliRunner().invoke(cli, ["check", "--no-cache", "--jobs", "1"]).exit_code == 0
    assert len(analyses) == 2


def test_an_index_beside_another_run_s_details_is_not_trusted(in_tmp: Path, analyses: list[int]) -> None:
    """Two runs racing to write the last run leave one's index beside the other's details."""

    cold(in_tmp, analyses)
    details = in_tmp / ".queuelint_cache" / "last-run-files.json"
    data = json.loads(details.read_text())
    data["written"] = "another run"
    details.write_text(json.dumps(data))
    edit(in_tmp / "src/plain.ts", "42", "43")
    assert check() == "All checks passed.\n"
    assert len(analyses) == 1  # analysed again rather than trusting digests it cannot pair


@pytest.mark.parametrize("name", ["last-run.json", "last-run-files.json"])
@pytest.mark.parametrize("content", ['{"truncated": [1, 2', '{"key": 1}', "[]", ""])
def test_a_corrupt_last_run_is_ignored(in_tmp: Path, analyses: list[int], name: str, content: str) -> None:
    first = cold(in_tmp, analyses)
    edit(in_tmp / "src/plain.ts", "42", "43")  # so that the details file is read too
    (in_tmp / ".queuelint_cache" / name).write_text(content)
    assert check() == first
    assert len(analyses) == 1


def test_the_run_after_the_cache_directory_was_made_is_answered_from_it(in_tmp: Path, analyses: list[int]) -> None:
    """Making `.queuelint_cache` changes the root's mtime just before the run that walks it:
    too recent to prove anything, but the root still lists what the walk saw."""
    write_project(in_tmp, PROJECT)
    settle(in_tmp)
    first = check()
    assert check() == first
    assert len(analyses) == 1


def test_an_entry_added_to_a_directory_in_the_same_clock_tick_is_seen(in_tmp: Path, analyses: list[int]) -> None:
    """A directory modified just before a run, and again right after its walk within the same
    tick of a coarse clock (its mtime does not move): it lists other names than the walk saw."""
    write_project(in_tmp, PROJECT)
    settle(in_tmp)
    source = in_tmp / "src"
    os.utime(source)  # modified just now
    assert check() == "All checks passed.\n"
    walked = source.stat()
    write_project(in_tmp, {"src/late.ts": "import { sendMail } from './queue';\nsendMail('late', {});\n"})
    os.utime(source, ns=(walked.st_atime_ns, walked.st_mtime_ns))  # the same tick
    assert "late.ts" in check()
    assert len(analyses) == 2


def test_findings_are_stored_as_the_facts_encoding_spells_them() -> None:
    """The last run's findings are encoded by hand (the facts vocabulary is not imported by a
    run answered from it): the same JSON as the generic encoding, and read back unchanged."""
    finding = Diagnostic("QL102", "unhandled-job-name", Severity.ERROR, "job 'x' is not handled",
                         Span("src/a.ts", 3, 5, 3, 9), "add a handler",
                         (Related(Span("src/b.ts", 1, 1, 1, 4), "the worker"),))
    assert runcache._encoded(finding) == to_json(finding)
    assert runcache._diagnostic(runcache._encoded(finding)) == finding


def test_a_run_answered_from_the_last_one_does_not_import_the_facts() -> None:
    code = ("import sys; from queuelint import cli, engine, runcache, discover, config; "
            "print('queuelint.model' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


PYTHON_PROJECT = {
    "app/__init__.py": "",
    "app/celery_app.py": "from celery import Celery\n\napp = Celery('app')\n",
    "app/tasks.py": """
        from app.celery_app import app


        @app.task
        def send_welcome(user_id):
            total = user_id + 1
            return total


        def helper():
            return 1
    """,
    "app/views.py": """
        from app.celery_app import app
        from app.tasks import send_welcome


        def signup(user_id):
            send_welcome.delay(user_id)
            app.send_task("app.tasks.send_welcom", args=[user_id])
    """,
}


@pytest.mark.parametrize(("path", "old", "new", "parsed", "analysed"), [
    # Nothing the front-end reads changed: not even parsed.
    ("app/tasks.py", "return 1\n", "return 1\n# a comment after the code\n", False, False),
    ("app/tasks.py", "return 1", "return 2", False, False),  # the body of a dropped function
    # What libcst reads changed, the facts did not: parsed, not analysed.
    ("app/tasks.py", "total = user_id + 1", "total = user_id + 1  # a comment", True, False),
    # Suppressions are read too: parsed and analysed, and the finding goes, or one comes.
    ("app/tasks.py", "return 1", "return 1  # noqa: QL102", True, True),  # unused (QL002)
    ("app/views.py", 'args=[user_id])', 'args=[user_id])  # noqa: QL102', True, True),
])
def test_python_edits_the_front_end_does_not_read_are_not_parsed(
        in_tmp: Path, monkeypatch: pytest.MonkeyPatch, analyses: list[int], path: str, old: str, new: str,
        parsed: bool, analysed: bool) -> None:
    write_project(in_tmp, PYTHON_PROJECT)
    check()
    settle(in_tmp)
    assert "QL102" in check()
    analyses.clear()
    extracted: list[str] = []
    real = engine.extract_bytes

    def counting(path: str, *args: object) -> object:
        extracted.append(path)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "extract_bytes", counting)
    edit(in_tmp / path, old, new)
    answer = check()
    assert [Path(p).name for p in extracted] == ([Path(path).name] if parsed else [])
    assert bool(analyses) == analysed
    assert answer == fresh()


# Edits a user makes between two runs, as (file, old, new); `old` absent: nothing happens.
EDITS = [
    ("app/tasks.py", "return 1\n", "return 1\n# a note\n"),  # a comment between statements
    ("app/tasks.py", "return 1", "return 2"),  # a dropped function's body
    ("app/tasks.py", "return 1", "return 1  # noqa: QL102"),  # a suppression there: unused
    ("app/tasks.py", "total = user_id + 1", "total = user_id + 1  # why"),  # a comment in a task
    ("app/tasks.py", "def send_welcome", "def send_welcome_email"),  # a task renamed
    ("app/tasks.py", "@app.task\n", "\n@app.task\n"),  # queue code moved
    ("app/views.py", "send_welcom", "send_welcome"),  # the finding fixed
    ("app/views.py", "args=[user_id])", "args=[user_id])  # noqa: QL102"),  # and suppressed
    ("src/names.ts", "export enum", "// names\nexport enum"),  # a comment in an imported module
    ("src/names.ts", "'welcome'", "'welcomes'"),  # a job name changed where it is defined
    ("src/caller.ts", "'welcome'", "'welcom'"),  # a job name changed at a call
    ("src/worker.ts", "new Worker", "// the worker\n\nnew Worker"),  # queue code moved
    ("src/plain.ts", "42", "43"),  # no queue code
    ("lib/late.ts", "'welcom'", "'welcome'"),  # the finding outside src fixed
]
# A caller of the `sendMail` wrapper outside `src` (a finding), and the paths a run may be given.
LATE = {"lib/late.ts": "import { sendMail } from '../src/queue';\nsendMail('welcom', {});\n"}
SCOPES = [".", "src", "lib", "app"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(EDITS))), st.booleans(), st.booleans(), st.sampled_from(SCOPES)),
                min_size=1, max_size=5))
def test_answers_from_the_cache_equal_fresh_runs_after_any_edits(steps: list[tuple[int, bool, bool, str]]) -> None:
    """Whatever the edits, whether they fall in the clock tick of the last run or long after
    it, and whatever part of the tree each run is given, a run that uses the cache says what a
    run without it says."""
    previous = os.getcwd()
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        os.chdir(root)
        try:
            write_project(root, {**PROJECT, **PYTHON_PROJECT, **LATE})
            settle(root)
            check()
            for index, undo, later, scope in steps:
                path, old, new = EDITS[index]
                if undo:
                    old, new = new, old
                text = (root / path).read_text()
                if old in text:
                    (root / path).write_text(text.replace(old, new, 1))
                if later:
                    settle(root)  # as after a checkout: every stat changed, long before the run
                assert check(scope) == fresh(scope), (path, old, new, scope)
        finally:
            os.chdir(previous)


def test_a_file_saved_while_the_run_reads_it_is_read_again_by_the_next(
        in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An editor saves a file while a run is parsing it, and the run goes on for seconds (a
    large tree): the entry it made holds the content it read with the stat of what was saved.
    The next run must not trust that stat, however long this one took."""
    cold(in_tmp)
    worker = in_tmp / "src/worker.ts"
    original = worker.read_text()
    worker.write_text(original.replace("case 'welcome'", "case 'welcomx'"))  # a finding, and a new analysis
    real_extract, real_discover, real_time = engine.extract_bytes, discover_module.discover, time.time_ns
    saved: list[bool] = []

    def extract_bytes(path: str, *args: object) -> object:
        facts = real_extract(path, *args)  # type: ignore[arg-type]
        if path == str(worker) and not saved:
            saved.append(True)
            worker.write_text(original)  # the editor's save, as the file is being parsed
        return facts

    def discover(*args: object) -> object:
        monkeypatch.setattr(time, "time_ns", lambda: real_time() + 3_000_000_000)  # 3 s go by
        return real_discover(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "extract_bytes", extract_bytes)
    monkeypatch.setattr(engine, "discover", discover)
    check()
    monkeypatch.undo()
    assert saved
    # Asked of other paths, the run has no last run to check against: only the facts cache.
    in_src = without_coverage(CliRunner().invoke(cli, ["check", "--jobs", "1", "--exit-zero", "src"]).stdout)
    assert in_src == check() == fresh() == "All checks passed.\n"


@pytest.mark.parametrize("changes_state", ["kept", "beside another index", "corrupt"])
def test_runs_answered_from_the_last_one_write_only_what_changed(
        in_tmp: Path, monkeypatch: pytest.MonkeyPatch, analyses: list[int], changes_state: str) -> None:
    cold(in_tmp, analyses)
    cache = in_tmp / ".queuelint_cache"
    index, details, changes = cache / "last-run.json", cache / "last-run-files.json", cache / "last-run-changes.json"
    written = index.read_text(), details.read_text()
    worker = in_tmp / "src/worker.ts"
    edit(worker, "new Worker", "// the worker\n\nnew Worker")  # moved: answered
    past = time.time_ns() - 10_000_000_000
    os.utime(worker, ns=(past, past))  # saved long before the run: its stat can be trusted
    assert check() == "All checks passed.\n" and analyses == []
    assert (index.read_text(), details.read_text()) == written and changes.exists()
    if changes_state == "beside another index":
        changes.write_text(changes.read_text().replace('"base":"', '"base":"another-'))
    elif changes_state == "corrupt":
        changes.write_text(changes.read_text()[:30])
    reads: list[str] = []
    real = engine._read

    def read(path: str) -> bytes:
        reads.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(engine, "_read", read)
    assert check() == "All checks passed.\n" and analyses == []
    # The changes say the worker was already checked; without them it is read again.
    assert (reads == []) if changes_state == "kept" else ("worker.ts" in reads)
    edit(in_tmp / "src/caller.ts", "'welcome'", "'welcom'")  # a new analysis: everything written again
    assert "QL102" in check() and not changes.exists()


LATE_CALLER = "import { sendMail } from '../queue';\nsendMail('late', {});\n"


@pytest.mark.parametrize("swap", ["linked directory -> copy", "directory -> link", "file -> link", "link -> file"])
def test_an_entry_swapped_for_a_link_or_back_is_seen(in_tmp: Path, tmp_path_factory: pytest.TempPathFactory,
                                                     analyses: list[int], swap: str) -> None:
    """Discovery does not follow links: a directory or file replaced by a link (or a link by
    one) under the same name changes what is analysed, though the names a walk lists do not."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    write_project(elsewhere, {"jobs/late.ts": LATE_CALLER, "late.ts": LATE_CALLER.replace("../", "./")})
    linked = swap.startswith("link")
    if swap.endswith("copy") or swap.startswith("directory"):
        target, entry = elsewhere / "jobs", in_tmp / "src/jobs"
    else:
        target, entry = elsewhere / "late.ts", in_tmp / "src/late.ts"
    cold(in_tmp)
    if linked:
        entry.symlink_to(target)
    elif target.is_dir():
        shutil.copytree(target, entry)
    else:
        shutil.copy(target, entry)
    settle(in_tmp)
    before = check()
    assert ("late.ts" in before) == (not linked)
    analyses.clear()
    if entry.is_symlink():
        entry.unlink()
        shutil.copytree(target, entry) if target.is_dir() else shutil.copy(target, entry)
    else:
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        entry.symlink_to(target)
    settle(in_tmp)
    after = check()
    assert analyses and after == fresh()
    assert ("late.ts" in after) == linked


def test_a_package_made_or_unmade_renames_its_tasks(in_tmp: Path, analyses: list[int]) -> None:
    """A Celery task's default name follows the `__init__.py` files around its module, which
    are not part of the file: adding or removing one is seen by a run that uses the cache."""
    task = "from celery import shared_task\n\n@shared_task\ndef go():\n    return 1\n"
    write_project(in_tmp, {"app/a/tasks.py": task, "app/b/tasks.py": task})
    settle(in_tmp)
    assert "second handler for job 'tasks.go'" in check()
    (in_tmp / "app/__init__.py").write_text("")  # app.a.tasks.go and app.b.tasks.go: no clash
    settle(in_tmp)
    analyses.clear()
    assert check() == fresh() == "All checks passed.\n"
    assert analyses
    (in_tmp / "app/__init__.py").unlink()
    settle(in_tmp)
    assert check() == fresh() != "All checks passed.\n"


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                        max_size=3), max_leaves=6)


def _kind(value: object) -> str:
    if isinstance(value, (bool, int, float)):
        return "number"
    return type(value).__name__


def _places(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in a JSON document (the root included) that holds a value."""
    found = [path] if value is not None else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*path, index))
    return found


def _replaced(document: object, path: tuple[object, ...], value: object) -> object:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_cache_file_of_the_wrong_shape_or_depth_is_discarded(in_tmp: Path, data: st.DataObject) -> None:
    """Valid JSON that does not match a cache file's schema, anywhere in any of its files, or
    nested deeper than the decoder goes: the cache is ignored and the findings are the same."""
    cache = in_tmp / ".queuelint_cache"
    if not cache.exists():
        cold(in_tmp)
        edit(in_tmp / "src/plain.ts", "42", "43")  # so that details and facts are read too
        expected = check()
        for path in cache.glob("*.json"):
            path.with_suffix(".good").write_bytes(path.read_bytes())
        (in_tmp / "expected.out").write_text(expected)
    for good in cache.glob("*.good"):
        good.with_suffix(".json").write_bytes(good.read_bytes())
    name = data.draw(st.sampled_from(sorted(p.with_suffix(".json").name for p in cache.glob("*.good"))))
    target = cache / name
    if data.draw(st.booleans(), label="too deep"):
        target.write_text("[" * 100_000 + "]" * 100_000)
    else:
        document = json.loads(target.read_text())
        place = data.draw(st.sampled_from(_places(document)[:500]))
        original = document
        for step in place:
            original = original[step]
        # A value of another kind than the schema's there (null aside: it is a value some
        # fields may take, and a well-typed entry is not one a schema can refuse).
        value = data.draw(JSON_VALUES.filter(lambda v: v is not None and _kind(v) != _kind(original)))
        target.write_text(json.dumps(_replaced(document, place, value)))
    if name.endswith("-facts.json"):
        (cache / "last-run.json").unlink()  # so that the facts are read
    assert check() == (in_tmp / "expected.out").read_text()
