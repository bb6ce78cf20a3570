"""The facts cache: a warm run reads nothing unchanged, an edit re-reads one file, a corrupt
or concurrently written cache is ignored and rebuilt, and results never depend on it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from queuelint import demand, engine
from queuelint.cache import write_atomically
from queuelint.cli import cli
from tests.helpers import without_coverage, write_project
from tests.test_cli import BAD
from tests.test_runcache import settle
from tests.test_wrappers import service_project


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", "--jobs", "1", *args])
    return result.exit_code, without_coverage(result.stdout)


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    real = engine._read

    def counting(path: str) -> bytes:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(engine, "_read", counting)
    return reads


@pytest.mark.parametrize("listed_by", ["walk", "git"])  # git: discovery's stats stand for the cache's
def test_warm_run_reads_no_unchanged_file_and_agrees(in_tmp: Path, monkeypatch: pytest.MonkeyPatch,
                                                     listed_by: str) -> None:
    if listed_by == "git":
        subprocess.run(["git", "init", "-q"], cwd=in_tmp, check=True)
    write_project(in_tmp, BAD)
    write_project(in_tmp, {f"src/other{i}.ts": "export const x = 1;\n" for i in range(20)})
    settle(in_tmp)  # files modified just before a run are not trusted on their mtime
    cold = check()
    assert (in_tmp / ".queuelint_cache" / ".gitignore").read_text().endswith("*\n")
    reads = count_reads(monkeypatch)
    assert check() == cold
    assert reads == []
    (in_tmp / "src/producer.ts").write_text((in_tmp / "src/producer.ts").read_text().replace("'digest'", "'welcome'"))
    assert check() == (0, "All checks passed.\n")
    # Read once: by the check whether the last findings still hold, whose facts the new
    # analysis then takes over.
    assert [Path(p).name for p in reads] == ["producer.ts"]


def test_files_with_the_same_content_are_not_parsed_again(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(in_tmp, BAD)
    settle(in_tmp)
    cold = check()
    extracted: list[str] = []
    real = engine.extract_bytes

    def counting(path: str, *args: object) -> object:
        extracted.append(Path(path).name)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "extract_bytes", counting)
    worker = in_tmp / "src/worker.ts"
    worker.write_text(worker.read_text())  # rewritten as it was: a new mtime, within the racy window
    producer = in_tmp / "src/producer.ts"
    original = producer.read_text()
    producer.write_text(original.replace("'digest'", "'welcome'"))  # a new analysis
    assert check() == (0, "All checks passed.\n")
    assert extracted == ["producer.ts"]
    extracted.clear()
    producer.write_text(original)
    assert check() == cold
    assert extracted == ["producer.ts"]


def test_corrupt_cache_is_ignored_and_rebuilt(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    cold = check()
    (index,) = (in_tmp / ".queuelint_cache").glob("*-facts.json")
    index.write_text('{"truncated": [1, 2')
    (in_tmp / ".queuelint_cache" / "last-run.json").unlink()  # so that the facts are needed
    assert check() == cold
    json.loads(index.read_text())  # rewritten whole


def test_no_cache_writes_nothing(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    check("--no-cache")
    assert not (in_tmp / ".queuelint_cache").exists()


def test_concurrent_runs_leave_a_valid_cache(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    runs = [subprocess.Popen([sys.executable, "-m", "queuelint", "check", ".", "--jobs", "1"], cwd=in_tmp,
                             stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = {run.communicate(timeout=120)[0] for run in runs}
    assert len(outputs) == 1 and "QL102" in outputs.pop()
    for index in (in_tmp / ".queuelint_cache").glob("*-facts.json"):
        json.loads(index.read_text())
    assert not list((in_tmp / ".queuelint_cache").glob(".facts-*.tmp"))


RECEIVER_CALL = re.compile(rb"\??\.\s*(?:add|addBulk|process|name)\b")
NAME_BEFORE = re.compile(rb"([A-Za-z_$][\w$]*)\s*$")


def receivers_by_regex(data: bytes) -> tuple[str, ...]:
    """The definition `receivers_in` is a faster reading of: the identifier, then spaces,
    ending right before each `.add` / `?.name` call, within 200 bytes."""
    found = set()
    for call in RECEIVER_CALL.finditer(data):
        name = NAME_BEFORE.search(data, max(0, call.start() - 200), call.start())
        if name is not None:
            found.add(name.group(1).decode("utf-8", "replace"))
    return tuple(sorted(found))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([b"queue", b"q1", b"9x", b"$jobs", b"_a", b" ", b"\n", b"\t", b"?", b".", b"!",
                                 b"add", b"addBulk", b"name", b"names", b"process", b"(", b")", b"\xc3\xa9", b"a" * 120]),
                max_size=40))
def test_receivers_read_backwards_equal_the_regex_definition(parts: list[bytes]) -> None:
    data = b"".join(parts)
    assert demand.receivers_in(data) == receivers_by_regex(data)


def test_receivers_of_common_shapes() -> None:
    assert demand.receivers_in(b"mailQueue.add('x'); other?.name; a\n  .process(fn); 3.name; x!.add()") == (
        "a", "mailQueue", "other")


def test_an_interrupted_write_leaves_the_old_index_and_no_debris(tmp_path: Path) -> None:
    index = tmp_path / "facts.json"
    write_atomically(str(index), '{"old": 1}')
    with pytest.raises(UnicodeEncodeError):  # fails half-way through the write
        write_atomically(str(index), '{"new": "' + "x" * 100_000 + '\udc80"}')
    assert json.loads(index.read_text()) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["facts.json"]


def test_an_entry_too_recent_to_trust_stays_untrusted_after_a_run_elsewhere(
        in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file modified just before a run is not trusted on its stat by the next one. A run
    given another directory saves the index with its own, later start: that must not make
    the entry trusted, or a rewrite keeping size and mtime would go unseen."""
    write_project(in_tmp, {"a/producer.ts": BAD["src/producer.ts"], "b/worker.ts": BAD["src/worker.ts"]})
    assert "job 'digest' has no handler" in check(".")[1]  # b/worker.ts just written: racy for this run
    real = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real() + 5_000_000_000)  # a run 5 s later...
    CliRunner().invoke(cli, ["graph", "--jobs", "1", "a"])  # ... that reads a/ only (`check` reads the project)
    monkeypatch.undo()
    worker = in_tmp / "b/worker.ts"
    status = worker.stat()
    worker.write_text(worker.read_text().replace("'welcome'", "'digest' "))  # same size
    os.utime(worker, ns=(status.st_atime_ns, status.st_mtime_ns))  # same mtime
    after = check(".")
    assert after == check(".", "--no-cache")
    assert "job 'welcome' has no handler" in after[1]


def _index_and_journal(root: Path) -> tuple[Path, Path]:
    (index,) = (root / ".queuelint_cache").glob("*-facts.json")
    return index, index.with_name(index.name.replace("facts.json", "facts-journal.json"))


@pytest.mark.parametrize("journal_state", ["kept", "beside another index", "corrupt"])
def test_a_few_changed_entries_go_to_a_journal(in_tmp: Path, monkeypatch: pytest.MonkeyPatch,
                                               journal_state: str) -> None:
    write_project(in_tmp, BAD)
    write_project(in_tmp, {f"src/other{i}.ts": "export const x = 1;\n" for i in range(20)})
    settle(in_tmp)
    check()
    index, journal = _index_and_journal(in_tmp)
    written = index.read_text()
    producer = in_tmp / "src/producer.ts"
    producer.write_text(producer.read_text().replace("'digest'", "'welcome'"))  # a new analysis
    assert check() == (0, "All checks passed.\n")
    assert index.read_text() == written  # not rewritten for one entry
    assert [Path(p).name for p in json.loads(journal.read_text())["files"]] == ["producer.ts"]
    if journal_state == "beside another index":
        journal.write_text(journal.read_text().replace('"base":"', '"base":"another-'))
    elif journal_state == "corrupt":
        journal.write_text(journal.read_text()[:40])
    settle(in_tmp)
    (in_tmp / ".queuelint_cache" / "last-run.json").unlink()  # so that the facts are read
    reads = count_reads(monkeypatch)
    assert check() == (0, "All checks passed.\n")
    # The journal's entry for producer.ts is used, or (ignored) the file is read again.
    assert [Path(p).name for p in reads] == ([] if journal_state == "kept" else ["producer.ts"])


def test_the_index_is_rewritten_when_the_journal_would_hold_much_of_it(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    write_project(in_tmp, {f"src/other{i}.ts": "export const x = 1;\n" for i in range(70)})
    settle(in_tmp)
    cold = check()
    index, journal = _index_and_journal(in_tmp)
    written = index.read_text()
    write_project(in_tmp, {f"src/other{i}.ts": "export const x = 2;\n" for i in range(70)})
    (in_tmp / ".queuelint_cache" / "last-run.json").unlink()  # so that the facts are read
    assert check() == cold
    assert index.read_text() != written and not journal.exists()
    assert json.loads(index.read_text())["files"][str(in_tmp / "src/other3.ts")][3] is None


def test_call_sites_remembered_for_some_paths_are_not_trusted_for_others(in_tmp: Path) -> None:
    """Which files call a wrapper is remembered per file searched: a run over `src` alone
    must not make the next run over the whole tree forget the callers outside it."""
    controller = """
        import { DataService } from '../src/data.service';
        export class AdminController {
          constructor(private readonly data: DataService) {}
          async gather() { await this.data.addNamed('profil', {}); }
        }
    """
    write_project(in_tmp, {name.replace("src/admin", "app/admin"): text
                           for name, text in service_project(controller).items()})
    settle(in_tmp)
    whole = check(".")
    assert "app/admin.controller.ts" in whole[1]
    check("src")
    assert check(".") == whole
    assert check(".", "--no-cache") == whole


@pytest.mark.parametrize("planted", ["file", "link out", "link in place of its .gitignore", "someone else's directory"])
def test_a_cache_directory_that_cannot_be_ours_is_not_used_and_nothing_outside_is_touched(
        in_tmp: Path, tmp_path_factory: pytest.TempPathFactory, planted: str) -> None:
    """A repository can commit what stands where the cache goes: queuelint then runs without a
    cache, says so once, and writes (or deletes) nothing through it."""
    write_project(in_tmp, BAD)
    expected = CliRunner().invoke(cli, ["check", "--jobs", "1", "--no-cache"]).stdout
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    foreign = elsewhere / "0123456789abcdef-facts.json"  # named like an index of another version
    foreign.write_text("{}")
    cache = in_tmp / ".queuelint_cache"
    if planted == "file":
        cache.write_text("not a directory")
    elif planted == "link out":
        cache.symlink_to(elsewhere, target_is_directory=True)
    elif planted == "link in place of its .gitignore":
        cache.mkdir()
        (cache / ".gitignore").symlink_to(elsewhere / "written-through")
    else:
        cache.mkdir()
        (cache / "notes.txt").write_text("mine")
    before = sorted(p.name for p in elsewhere.iterdir())
    for _ in range(2):
        result = CliRunner().invoke(cli, ["check", "--jobs", "1"])
        assert result.exit_code == 1, result.output
        assert result.stdout == expected
        assert result.stderr.count("running without a cache") == 1
    assert sorted(p.name for p in elsewhere.iterdir()) == before
    assert foreign.read_text() == "{}"
    if cache.is_dir() and not cache.is_symlink():
        assert not list(cache.glob("*.json"))


@pytest.mark.parametrize("value", ["/abs/dir", "../x", ".", "a/../b", "./c", "~/cache"])
def test_a_cache_dir_outside_the_project_is_a_config_error(in_tmp: Path, value: str) -> None:
    write_project(in_tmp, BAD)
    (in_tmp / "queuelint.toml").write_text(f"cache-dir = {json.dumps(value)}\n")
    result = CliRunner().invoke(cli, ["check", "--jobs", "1"])
    assert result.exit_code == 2
    assert "'cache-dir' must be a directory inside the project" in result.stderr
    assert not (in_tmp / ".gitignore").exists()


def test_a_nested_cache_dir_is_made_and_marked_and_only_its_own_files_are_removed(in_tmp: Path) -> None:
    write_project(in_tmp, BAD)
    (in_tmp / "queuelint.toml").write_text('cache-dir = "build/lint-cache"\n')
    cold = check()
    cache = in_tmp / "build" / "lint-cache"
    assert (cache / ".gitignore").read_text() == "# created by queuelint\n*\n"
    assert not (in_tmp / "build" / ".gitignore").exists()
    for own in cache.glob("*.json"):
        own.unlink()  # so that the next run writes its index whole, removing other versions' ones
    kept = cache / "notes-facts.json"  # not named like an index queuelint writes
    kept.write_text("{}")
    stale = cache / "0123456789abcdef-facts.json"
    stale.write_text("{}")
    assert check() == cold
    assert kept.exists() and not stale.exists()


def test_a_cache_directory_that_cannot_be_made_is_said_once(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only checkout (simulated: the tests may run as root, whom permissions do not stop)."""
    write_project(in_tmp, BAD)
    expected = check("--no-cache")

    def refuse(path: str, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "mkdir", refuse)
    result = CliRunner().invoke(cli, ["check", "--jobs", "1"])
    assert (result.exit_code, without_coverage(result.stdout)) == expected
    assert "running without a cache: cannot create it: Permission denied" in result.stderr
    assert not (in_tmp / ".queuelint_cache").exists()
