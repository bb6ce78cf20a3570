"""discover -> prefilter -> extract -> resolve -> graph -> rules -> suppress -> sorted findings."""

from __future__ import annotations

import bisect
import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, cast

from queuelint import demand, frontends, probes, relocation, runcache, scope, suppress
from queuelint.cache import RACY_NS, Entry, FactCache, code_salt, digest, encoded, entry_for
from queuelint.config import ProducerSpec, Settings
from queuelint.discover import (
    MINIFIED_BYTES,
    Discovered,
    discover,
    looks_minified,
    may_hold_queue_code,
    minified_reason,
)
from queuelint.files import read_bytes
from queuelint.findings import Coverage, Diagnostic, Severity
from queuelint.modules import ModuleLocator
from queuelint.pool import Workers
from queuelint.rules import REGISTRY, RuleContext

if TYPE_CHECKING:
    from types import FrameType

    from queuelint.flow.callsites import Expanded
    from queuelint.graph import QueueGraph
    from queuelint.model import CallSite, FileFacts
    from queuelint.resolve import Resolver



@dataclass
class Result:
    diagnostics: list[Diagnostic]
    graph: QueueGraph | None  # None when the findings were reused from the last run
    files_discovered: int
    files_analysed: int
    internal_errors: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    fact_cache: FactCache | None = field(default=None, repr=False)
    reread: set[str] = field(default_factory=set, repr=False)  # files read again with wider options
    coverage: Coverage = field(default_factory=Coverage)  # what was understood
    buffers: dict[str, bytes] = field(default_factory=dict, repr=False)  # text read instead of the disk


class Workspace:
    """What a long-lived caller (the language server) keeps between runs: the text of open
    buffers, which wins over the disk, and the facts of files that have not changed since.

    The disk is looked at (files listed, each stat-ed) at most every `REVALIDATE_SECONDS`,
    or sooner when the caller reports a change (`disk_changed`: a save, a file watcher): an
    analysis per keystroke need not stat thousands of files the editor is not touching."""

    REVALIDATE_SECONDS = 2.0

    def __init__(self) -> None:
        self.buffers: dict[str, bytes] = {}
        self._disk_keys: dict[str, object] = {}  # path -> (mtime, size) when last looked at
        self._listing: tuple[object, Discovered] | None = None  # (paths and settings, files)
        self._looked_at = float("-inf")
        self._generation = 0  # of the disk view: what was learnt from the disk is keyed by it
        # The first pass and the receiver search over all files, as of a disk generation; the
        # open buffers' entries are recomputed every run.
        self._first_pass: tuple[object, list[tuple[FileFacts | None, str | None]]] | None = None
        self._users: tuple[object, list[str]] | None = None
        self._locator: tuple[object, ModuleLocator] | None = None
        # One entry per file (and options), replaced when the file changes: memory stays flat
        # however many edits a session sees.
        self._memo: dict[tuple[str, frontends.Options], tuple[object, tuple[FileFacts | None, str | None]]] = {}
        self._demanded: dict[tuple[str, frontends.Options], tuple[object, tuple[FileFacts, str | None]]] = {}
        self._receivers: dict[str, tuple[object, frozenset[str]]] = {}
        self._mentions: dict[tuple[str, frozenset[bytes]], tuple[object, bool]] = {}

    def disk_changed(self) -> None:
        self._disk_keys.clear()
        self._listing = None
        self._generation += 1

    def begin_run(self) -> None:
        if time.monotonic() - self._looked_at > self.REVALIDATE_SECONDS:
            self.disk_changed()
            self._looked_at = time.monotonic()

    def discover(self, paths: Sequence[str], settings: Settings) -> Discovered:
        key = (tuple(paths), runcache.run_key("", settings, []))
        if self._listing is None or self._listing[0] != key:
            self._listing = (key, discover(paths, settings))
            self._generation += 1  # a new list: what was keyed by the old one is stale
        return self._listing[1]

    def read(self, path: str) -> bytes:
        buffer = self.buffers.get(path)
        if buffer is not None:
            return buffer
        return read_bytes(path)

    def _key(self, path: str) -> object:
        buffer = self.buffers.get(path)
        if buffer is not None:
            return ("buffer", hash(buffer))
        found = self._disk_keys.get(path)
        if found is None:
            status = os.stat(path)
            found = self._disk_keys[path] = ("disk", status.st_mtime_ns, status.st_size)
        return found

    def locator(self, roots: list[str]) -> ModuleLocator:
        """One module locator per disk view: where imports lead is asked again every run."""
        key = (self._generation, tuple(roots))
        if self._locator is None or self._locator[0] != key:
            self._locator = (key, ModuleLocator(roots))
        return self._locator[1]

    def first_pass(self, files: list[str], options: frontends.Options) -> list[tuple[FileFacts | None, str | None]]:
        """`facts` of every file; only the open buffers are looked at again while the disk view
        (and so the file list) is unchanged."""
        key = (self._generation, options)
        if self._first_pass is None or self._first_pass[0] != key:
            self._first_pass = (key, [self.facts(path, options) for path in files])
        results = list(self._first_pass[1])
        for index in self._buffer_indexes(files):
            results[index] = self.facts(files[index], options)
        return results

    def users(self, paths: list[str], names: set[str]) -> list[str]:
        """The files of `paths` that use one of `names` (see `uses`), buffers looked at again."""
        key = (self._generation, tuple(paths), frozenset(names))
        if self._users is None or self._users[0] != key:
            self._users = (key, [path for path in paths if self.uses(path, names)])
        open_paths = {paths[i] for i in self._buffer_indexes(paths)}
        users = [path for path in self._users[1] if path not in open_paths]
        users += [path for path in open_paths if self.uses(path, names)]
        return sorted(users)

    def _buffer_indexes(self, files: list[str]) -> list[int]:
        """Where the open buffers are in the sorted list `files`."""
        found = []
        for path in self.buffers:
            index = bisect.bisect_left(files, path)
            if index < len(files) and files[index] == path:
                found.append(index)
        return found

    def facts(self, path: str, options: frontends.Options) -> tuple[FileFacts | None, str | None]:
        try:
            version = self._key(path)
        except OSError:
            return read_facts(path, options)
        found = self._memo.get((path, options))
        if found is not None and found[0] == version:
            return found[1]
        result = read_facts(path, options, self)
        self._memo[(path, options)] = (version, result)
        return result

    def demanded(self, path: str, options: frontends.Options) -> tuple[FileFacts, str | None] | None:
        """Facts of a file resolution needs, prefilter or not; memoised like `facts`."""
        try:
            version = self._key(path)
        except OSError:
            return None
        found = self._demanded.get((path, options))
        if found is not None and found[0] == version:
            return found[1]
        result = extract_bytes(path, self.read(path), options)
        self._demanded[(path, options)] = (version, result)
        return result

    def uses(self, path: str, names: set[str]) -> bool:
        """Whether a file calls a method on (or reads `.name` of) one of `names`."""
        try:
            version = self._key(path)
        except OSError:
            return False
        found = self._receivers.get(path)
        if found is None or found[0] != version:
            found = self._receivers[path] = (version, frozenset(demand.receivers_in(self.read(path))))
        return not names.isdisjoint(found[1])


    def mentions(self, path: str, names: frozenset[bytes]) -> bool:
        """Whether a file mentions one of `names` as a word (a factory, a wrapper), memoised
        per version: the searches of one analysis are the next one's."""
        try:
            version = self._key(path)
        except OSError:
            return False
        found = self._mentions.get((path, names))
        if found is None or found[0] != version:
            found = self._mentions[(path, names)] = (version, demand.WordSearch(names).found_in(self.read(path)))
        return found[1]


def read_facts(path: str, options: frontends.Options = frontends.DEFAULT_OPTIONS,
               workspace: Workspace | None = None) -> tuple[FileFacts | None, str | None]:
    """Facts for one file, or None when the prefilter rules it out; never raises.

    The second value is an internal error message: a bug of ours, reported as such.
    """
    try:
        data = workspace.read(path) if workspace is not None else _read(path)
    except OSError as error:
        return frontends.unanalysed(path, f"cannot read file: {error.strerror or error}"), None
    if not _worth_parsing(path, data, options):
        return None, None
    return extract_bytes(path, data, options)


def _read(path: str) -> bytes:
    return read_bytes(path)


# How deep extraction may recurse, wherever it is called from: a file nested too deeply for
# it gets QL001 in every run, not only in those that happen to call it from deeper down (a
# run answered from the cache, a process-pool worker and a plain run do).
EXTRACTION_FRAMES = 900


_BUDGET_LOCK = threading.RLock()  # the limit is the process's: one thread sets it at a time


@contextmanager
def _stack_budget(frames: int) -> Iterator[None]:
    depth, frame = 0, cast("FrameType | None", sys._getframe())
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    with _BUDGET_LOCK:
        previous = sys.getrecursionlimit()
        sys.setrecursionlimit(depth + frames)
        try:
            yield
        finally:
            sys.setrecursionlimit(previous)


def extract_bytes(path: str, data: bytes, options: frontends.Options = frontends.DEFAULT_OPTIONS) -> tuple[FileFacts, str | None]:
    try:
        with _stack_budget(EXTRACTION_FRAMES):
            return frontends.extract(path, data, options), None
    except RecursionError:
        return frontends.unanalysed(path, "too deeply nested to analyse; the file was skipped"), None
    except Exception as error:  # a bug in a front-end must not hide the other files' findings
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return frontends.unanalysed(path), f"{path}: internal error while extracting: {detail}"


def _read_chunk(paths: list[str], options: frontends.Options) -> list[tuple[FileFacts | None, str | None]]:
    return [read_facts(p, options) for p in paths]


def _read_chunk_for_cache(paths: list[str], options: frontends.Options) -> list[Entry | None]:
    entries: list[Entry | None] = []
    for path in paths:
        try:
            data = _read(path)
        except OSError:
            entries.append(None)
            continue
        entry = cache_entry(path, data, options)
        if entry is not None:
            entry.raw = encoded(entry)  # here, in parallel, rather than when the cache is saved
        entries.append(entry)
    return entries


def cache_entry(path: str, data: bytes, options: frontends.Options) -> Entry | None:
    """What the first pass learns from a file: facts if the prefilter lets it through, else the
    receivers a second look would search for."""
    if not _worth_parsing(path, data, options):
        return entry_for(path, data, None, None, demand.receivers_in(data))
    facts, error = extract_bytes(path, data, options)
    return entry_for(path, data, facts, error, None, frontends.input_digest(path, data, options) if error is None else "")


def _worth_parsing(path: str, data: bytes, options: frontends.Options) -> bool:
    data = frontends.utf16_as_utf8(data)  # its markers are searched for as UTF-8 bytes
    return may_hold_queue_code(data, options.markers(), frontends.language_of(path)) and not looks_minified(data)


def _minified_skips(paths: Sequence[str], found: Discovered, options: frontends.Options,
                    workspace: Workspace | None) -> list[tuple[str, str]]:
    """(path, why) for the passed-over files skipped as minified although they hold queue
    code: named, so no finding is lost silently. Decided here from the bytes, the same way
    with or without the caches; only files big enough to look minified are read again."""
    skips = []
    for path in paths:
        if workspace is None or path not in workspace.buffers:
            size = found.stats[path][1] if path in found.stats else _size(path)
            if size is not None and size <= MINIFIED_BYTES:
                continue
        try:
            data = frontends.utf16_as_utf8(workspace.read(path) if workspace is not None else _read(path))
        except OSError:
            continue
        if may_hold_queue_code(data, options.markers(), frontends.language_of(path)):
            why = minified_reason(data)
            if why is not None:
                skips.append((path, f"{why}; not analysed"))
    return skips


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def extract_cached(paths: Sequence[str], workers: Workers, options: frontends.Options, cache: FactCache,
                   stats: Mapping[str, tuple[int, int]]) -> list[tuple[FileFacts | None, str | None]]:
    """Like `extract_all`, reading only the files whose size or mtime changed. `stats`: the
    (mtime_ns, size) discovery already took, not asked of the file system again."""
    results: list[tuple[FileFacts | None, str | None] | None] = []
    todo: list[int] = []
    for index, path in enumerate(paths):
        entry = cache.lookup(path, stats.get(path)) or cache.same_content(path)
        if entry is None:
            todo.append(index)
            results.append(None)
        else:
            results.append((entry.facts, entry.error))
    changed = [paths[i] for i in todo]
    if workers.wanted(len(changed)):
        fresh = workers.map(partial(_read_chunk_for_cache, options=options), changed, meanwhile=_import_later_phases)
    else:
        fresh = _read_chunk_for_cache(changed, options)
    for index, entry in zip(todo, fresh, strict=True):
        if entry is None:  # unreadable now: report it as such
            results[index] = read_facts(paths[index], options)
        else:
            cache.store(paths[index], entry)
            results[index] = (entry.facts, entry.error)
    return [r if r is not None else (None, None) for r in results]


def extract_all(paths: Sequence[str], workers: Workers,
                options: frontends.Options = frontends.DEFAULT_OPTIONS) -> list[tuple[FileFacts | None, str | None]]:
    if workers.wanted(len(paths)):
        return workers.map(partial(_read_chunk, options=options), paths, meanwhile=_import_later_phases)
    return [read_facts(p, options) for p in paths]


def _import_later_phases() -> None:
    """What the graph needs (networkx: 0.2 s), imported while the workers read the files
    rather than after."""
    import networkx  # noqa: F401


def _reextract_chunk(items: Sequence[tuple[str, frontends.Options]], workspace: Workspace | None = None,
                     ) -> list[tuple[bytes | None, FileFacts | None, str | None]]:
    """(bytes read, facts, internal error) per file; no bytes when it cannot be read."""
    results: list[tuple[bytes | None, FileFacts | None, str | None]] = []
    for path, options in items:
        try:
            data = workspace.read(path) if workspace is not None else _read(path)
        except OSError:
            results.append((None, None, None))
            continue
        facts, error = extract_bytes(path, data, options)
        results.append((data, facts, None) if error is None else (data, None, error))
    return results


class FactStore:
    """Facts by path; files the prefilter skipped are extracted when resolution asks for them."""

    def __init__(self, options: frontends.Options = frontends.DEFAULT_OPTIONS,
                 workspace: Workspace | None = None, cache: FactCache | None = None) -> None:
        self.options = options
        self.workspace = workspace
        self.cache = cache
        self.facts: dict[str, FileFacts] = {}
        self._asked: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self.errors: list[str] = []
        self._missing: set[str] = set()

    def add(self, facts: FileFacts) -> None:
        self.facts[facts.path] = facts

    @property
    def reread(self) -> set[str]:
        """Files read again for wrapper call sites or imported processors."""
        return set(self._asked)

    def reload(self, path: str, calls: frozenset[str] = frozenset(), handlers: frozenset[str] = frozenset()) -> None:
        """Extract again, also recording the call sites of `calls` and the handler facts of the
        exported functions `handlers` (what earlier reloads of the file asked for is kept)."""
        self.reload_all([path], calls, handlers)

    def reload_all(self, paths: Sequence[str], calls: frozenset[str] = frozenset(),
                   handlers: frozenset[str] = frozenset(), workers: Workers | None = None) -> None:
        """`reload` for many files: over a process pool when there are enough (a wrapper with a
        common name can have its call sites searched in hundreds of files)."""
        pending: list[tuple[str, frontends.Options, str]] = []
        for path in paths:
            earlier_calls, earlier_handlers = self._asked.get(path, (frozenset(), frozenset()))
            wanted, exported = calls | earlier_calls, handlers | earlier_handlers
            self._asked[path] = (wanted, exported)
            options = replace(self.options, wanted_calls=self.options.wanted_calls | wanted, handlers=exported)
            key = repr((sorted(options.wanted_calls), sorted(options.handlers)))
            cached = self.cache.reloaded(path, key) if self.cache is not None and self.workspace is None else None
            if cached is not None:
                self.facts[path] = cached
            else:
                pending.append((path, options, key))
        items = [(path, options) for path, options, _ in pending]
        if self.workspace is None and workers is not None and workers.wanted(len(items)):
            done = workers.map(_reextract_chunk, items)
        else:
            done = _reextract_chunk(items, self.workspace)
        for (path, _, key), (data, facts, error) in zip(pending, done, strict=True):
            if error is not None:  # a bug of ours: keep the facts we had
                self.errors.append(error)
            elif data is not None and facts is not None:
                self.facts[path] = facts
                if self.cache is not None and self.workspace is None:
                    self.cache.store_reload(path, key, data, facts)

    def load(self, path: str) -> FileFacts | None:
        found = self.facts.get(path)
        if found is not None or path in self._missing:
            return found
        if frontends.language_of(path) is None:
            self._missing.add(path)
            return None
        cached = self.cache.lookup(path) if self.cache is not None else None
        if cached is not None and cached.facts is not None:
            self.facts[path] = cached.facts
            return cached.facts
        if self.workspace is not None:
            demanded = self.workspace.demanded(path, self.options)
            if demanded is None:
                self._missing.add(path)
                return None
            self.facts[path] = demanded[0]
            if demanded[1] is not None:
                self.errors.append(demanded[1])
            return demanded[0]
        try:
            data = self.workspace.read(path) if self.workspace else _read(path)
        except OSError:
            self._missing.add(path)
            return None
        facts, error = extract_bytes(path, data, self.options)
        if self.cache is not None:
            entry = entry_for(path, data, facts, error, demand.receivers_in(data))
            if entry is not None:
                self.cache.store(path, entry)
        if error is not None:
            self.errors.append(error)
        self.facts[path] = facts
        return facts


def analyse(paths: Sequence[str], settings: Settings, jobs: int = 1, workspace: Workspace | None = None,
            cache_dir: str | None = None, imported: Sequence[FileFacts] = (), reuse: bool = False,
            extra: Sequence[str] = (), relays: bool = True) -> Result:
    """`imported`: facts exported elsewhere (`queuelint extract`), joined into the graph.
    `reuse`: give back the last run's findings when nothing that decides them changed (the
    result then has no graph). `extra`: open buffers of the workspace analysed even where
    the disk has no such file (text given on standard input)."""
    options = frontends.Options(frozenset(spec.call for spec in settings.producers), settings.consumers)
    salt = f"{code_salt()}\0{runcache.run_key('', options, [])}"
    if workspace is not None:
        workspace.begin_run()
        found = workspace.discover(paths, settings)
        missing = [path for path in extra if path not in found.files and frontends.language_of(path)]
        if missing:
            found = replace(found, files=[*found.files, *missing])
        return _analyse(found, paths, settings, options, jobs, workspace, None, salt, imported, relays=relays)
    if not (reuse and cache_dir and not imported):
        return _analyse(discover(paths, settings), paths, settings, options, jobs, None, cache_dir, salt, imported,
                        relays=relays)
    # Before any file is read (`_reuse` reads changed ones): files modified after this are not
    # trusted on their stat by the next run, whatever this one read of them.
    started_ns = time.time_ns()
    key = runcache.run_key(salt, settings, [os.path.abspath(p) for p in paths])
    snapshot = runcache.load(cache_dir, key)
    if snapshot is not None and not snapshot.probes.unchanged(snapshot.started_ns - RACY_NS):
        snapshot = None
    extracted: dict[str, Entry] = {}
    if snapshot is not None and snapshot.walked:
        # Unchanged directories (and .gitignore files) list the same files: no need to walk.
        reused = _reuse(cache_dir, snapshot, Discovered(list(snapshot.files), [], True), options, extracted)
        if reused is not None:
            return reused
        snapshot = None
    os.makedirs(cache_dir, exist_ok=True)  # before the run: creating it changes the probed root's mtime
    with probes.recording() as probed:
        found = discover(paths, settings)
        if snapshot is not None:  # listed by git: the listing is needed either way, once
            reused = _reuse(cache_dir, snapshot, found, options, extracted)
            if reused is not None:
                return reused
        result = _analyse(found, paths, settings, options, jobs, workspace, cache_dir, salt, imported, extracted,
                          started_ns, relays=relays)
    cache = result.fact_cache
    # Not saved with files skipped (unreadable, minified): the next run analyses again, and
    # names them again.
    if cache is not None and not result.internal_errors and not result.skipped \
            and all(path in cache.entries for path in found.files):
        entries = [(path, cache.entries[path]) for path in found.files]
        # Resolution looked for module files; those in the list are checked one by one by the
        # next run (`_reuse`), content included: as probes, any edit to an imported module
        # would have made it analyse again.
        listed = set(found.files)
        probed.seen = {path: seen for path, seen in probed.seen.items() if path not in listed}
        pointed = {span.path for d in result.diagnostics for span in (d.span, *(r.span for r in d.related))}
        runcache.save(cache_dir, runcache.Snapshot(
            key, {path: (e.mtime_ns, e.size) for path, e in entries},
            {path: (e.digest, e.signature, e.shape, e.input_digest) for path, e in entries},
            found.walked, probed, {k: sorted(cache.mentions[k].matched & listed) for k in cache.mentions_used},
            frozenset(result.reread), result.diagnostics, result.files_analysed, started_ns,
            located={path: relocation.positions(cache.entries[path].facts) for path in pointed
                     if path in cache.entries}, coverage=result.coverage))
    return result


def _reuse(cache_dir: str, snapshot: runcache.Snapshot, found: Discovered, options: frontends.Options,
           extracted: dict[str, Entry]) -> Result | None:
    """The last run's result, if every file that changed since gives the analysis what it gave
    then (see `runcache`). `extracted` receives the facts-cache entries of the changed files
    read on the way, for the new analysis when the result cannot be reused."""
    started_ns = time.time_ns()
    changed = runcache.touched(snapshot, found.files, found.stats)
    if changed is None:
        return None
    details = runcache.details(cache_dir, snapshot) if changed else {}
    if details is None:
        return None
    for path in changed:
        try:
            data = _read(path)
        except OSError:
            return None
        known = details.get(path)
        if known is None:
            return None
        content, before, shape, read = known
        if digest(data) != content:
            if path in snapshot.reread:
                return None
            if read and _worth_parsing(path, data, options) and frontends.input_digest(path, data, options) == read:
                # All the front-end reads of it is as it was (a comment after the code): so are
                # its facts, and it need not be parsed.
                details[path] = (digest(data), before, shape, read)
            else:
                entry = _read_again(path, data, options, before, shape, snapshot, extracted)
                if entry is None:
                    return None
                details[path] = (digest(data), entry.signature, shape, entry.input_digest)
            for names, matched in snapshot.mentions.items():
                if demand.WordSearch({n.encode() for n in names.split(",")}).found_in(data) != (path in matched):
                    return None
        try:
            status = os.stat(path)
        except OSError:
            return None
        snapshot.files[path] = (status.st_mtime_ns, status.st_size)
    if changed:
        snapshot.started_ns = started_ns
        runcache.save_changes(cache_dir, snapshot, changed)  # the next run need not read them again
    return Result(snapshot.diagnostics, None, len(found.files), snapshot.files_analysed, [], found.skipped,
                  coverage=replace(snapshot.coverage, files=len(found.files)))


def _read_again(path: str, data: bytes, options: frontends.Options, before: str, shape: str,
                snapshot: runcache.Snapshot, extracted: dict[str, Entry]) -> Entry | None:
    """The file read again, if it gives the analysis what it gave the last run: the same
    (its signature), or the same queue code moved (its shape: the findings pointing into it
    are moved with it, in `snapshot`); else None. Its first-pass entry goes to `extracted`."""
    entry = cache_entry(path, data, options)
    if entry is None:
        return None
    extracted[path] = entry  # what a new analysis would read from it first
    if entry.signature != before and entry.facts is None:
        # Read on demand last time (a constants module, a user of an exported queue).
        entry = entry_for(path, data, *extract_bytes(path, data, options), entry.receivers)
        if entry is None:
            return None
    if entry.signature != before:  # moved queue code keeps its shape (see `relocation`)
        if not shape or entry.shape != shape:
            return None
        if path in snapshot.located:
            after = relocation.positions(entry.facts)
            moved = relocation.relocate(snapshot.diagnostics, path, snapshot.located[path], after)
            if moved is None:
                return None
            snapshot.diagnostics, snapshot.located[path] = moved, after
    return entry


def _analyse(found: Discovered, paths: Sequence[str], settings: Settings, options: frontends.Options, jobs: int,
             workspace: Workspace | None, cache_dir: str | None, salt: str, imported: Sequence[FileFacts],
             extracted: Mapping[str, Entry] | None = None, started_ns: int | None = None,
             relays: bool = True) -> Result:
    """`extracted`: facts-cache entries already made by this run (see `_reuse`), which started
    at `started_ns`."""
    cache = FactCache(cache_dir, salt, started_ns) if cache_dir else None
    if cache is not None:
        for path, entry in (extracted or {}).items():
            cache.store(path, entry)
    store = FactStore(options, workspace, cache)
    workers = Workers(jobs)
    try:
        return _analyse_with(found, paths, settings, options, workspace, imported, cache, store, workers, relays)
    finally:
        workers.close()


def _analyse_with(found: Discovered, paths: Sequence[str], settings: Settings, options: frontends.Options,
                  workspace: Workspace | None, imported: Sequence[FileFacts], cache: FactCache | None,
                  store: FactStore, workers: Workers, relays: bool = True) -> Result:
    # Resolution and the graph are imported here: a run answered by `_reuse` needs neither.
    from queuelint.graph import QueueGraph
    from queuelint.resolve import Resolver

    analysed = 0
    passed_over: list[str] = []
    if workspace is not None:
        extracted = workspace.first_pass(found.files, options)
    elif cache is not None:
        extracted = extract_cached(found.files, workers, options, cache, found.stats)
    else:
        extracted = extract_all(found.files, workers, options)
    for path, (facts, error) in zip(found.files, extracted, strict=True):
        if error is not None:
            store.errors.append(error)
        if facts is not None:
            store.add(facts)
            analysed += 1
        else:
            passed_over.append(path)
    analysed += demand.second_look(store, passed_over, cache, workers, workspace)
    users = _factory_users(store, passed_over, cache, workers)
    if users:  # modules using an in-house decorator define actors of their own, sent from elsewhere
        users += demand.second_look(store, passed_over, cache, workers, workspace)
    analysed += users
    roots = [os.path.abspath(p) if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in paths]
    resolver = Resolver(store.load, workspace.locator(roots) if workspace is not None else ModuleLocator(roots))
    expanded = _through_wrappers(store, found.files, resolver, settings.producers, workers, relays)
    workers.close()  # the last phase that reads many files
    from queuelint.flow import decorated, handlers  # not imported by a run answered from the last one

    producers = decorated.with_rq_jobs(expanded.producers, resolver)
    consumers = handlers.imported_processors(store, resolver, expanded.consumers, frozenset(found.files))
    job_functions = handlers.job_functions(store, resolver, producers)
    local = set(store.facts)
    queue_files = [f for f in store.facts.values()
                   if f.producers or f.consumers or f.queues or f.modules or f.problems or f.calls or f.unresolved
                   or f.api_uses]
    queue_files += [f for f in imported if f.path not in local]
    graph = QueueGraph(queue_files, resolver, producers, consumers, _project_root(settings.root, roots),
                       job_functions, expanded.relays if relays else None)
    context = RuleContext(graph, settings)
    diagnostics: list[Diagnostic] = []
    for rule in REGISTRY:
        if not settings.is_enabled(rule.code):
            continue
        try:
            diagnostics.extend(rule.run(context))
        except Exception as error:  # one broken rule must not hide the others
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            store.errors.append(f"rule {rule.code} ({rule.name}) failed: {detail}")
    if settings.severity:  # `[severity]` in the config: every output, and what fails the run, see it
        diagnostics = [replace(d, severity=Severity(settings.severity_of(d.code, d.severity.value)))
                       for d in diagnostics]
    foreign = {f.path for f in imported} - local  # findings there belong to the other repository
    diagnostics = [d for d in diagnostics if not settings.ignored_in(d.span.path, d.code) and d.span.path not in foreign]
    all_facts = list(store.facts.values())
    diagnostics = scope.with_dependencies(suppress.apply(diagnostics, all_facts, settings), graph)
    if cache is not None:
        cache.save()
    unique = {(d.code, d.span, d.message): d for d in diagnostics}
    ordered = sorted(unique.values(), key=Diagnostic.sort_key)
    coverage = graph.coverage(len(found.files), sum(1 for f in store.facts.values() if f.libraries))
    skipped = found.skipped + _minified_skips([p for p in passed_over if p not in store.facts], found, options,
                                              workspace)
    return Result(ordered, graph, len(found.files), analysed, store.errors, skipped, cache, set(store.reread),
                  coverage)


def _project_root(configured: str, checked: list[str]) -> str:
    """The config's directory, or, for paths outside it, the directory they share: where
    paths are read from to tell test code (a `tests/` above the project is not its tests)."""
    root = os.path.abspath(configured)
    if all(os.path.commonpath([root, path]) == root for path in checked):
        return root
    return os.path.commonpath(checked) if checked else root


def _through_wrappers(store: FactStore, files: Sequence[str], resolver: Resolver,
                      specs: tuple[ProducerSpec, ...], workers: Workers | None = None, relays: bool = True) -> Expanded:
    """Producers and consumers per file: configured producers at their call sites, and
    wrappers and registration helpers expanded at theirs (whose files are found and re-read
    on demand). A wrapper is looked for in files of its own language only: a TypeScript
    `add()` has no Python callers."""
    from queuelint.flow import callsites

    languages = ("typescript", "python")
    # Configured producers were recorded on the first pass.
    searched = dict.fromkeys(languages, store.options.wanted_calls)
    searched_words: dict[str, set[bytes]] = {language: set() for language in languages}
    relay_calls: dict[str, tuple[CallSite, ...]] = {}
    searched_relays: frozenset[str] = frozenset()
    searched_private: set[tuple[str, str]] = set()
    expanded = callsites.expand(store.facts.values(), resolver, specs)
    for _ in range(callsites.MAX_ROUNDS):
        changed = False
        for language in languages:
            of_language = [f for f in store.facts.values() if frontends.language_of(f.path) == language]
            relayed, private = callsites.relay_functions(of_language) if relays else (set(), {})
            if relays:  # and the functions their calls are written in, a layer further out each round
                outer, outer_private = callsites.relay_callers(
                    {p: r for p, r in expanded.relays.items() if frontends.language_of(p) == language}, of_language)
                relayed |= outer
                for path, functions in outer_private.items():
                    private[path] = private.get(path, set()) | functions
            if language == "python":  # their calls found without reading the callers in full
                # Only the functions not searched for before: each layer adds a few.
                new_exported = frozenset(relayed) - searched_relays
                new_private = {path: names for path, functions in private.items()
                               if (names := {f for f in functions if (path, f) not in searched_private})}
                if new_exported or new_private:
                    changed = True
                    searched_relays |= new_exported
                    searched_private |= {(path, f) for path, names in new_private.items() for f in names}
                    found_calls = _python_relay_calls(new_exported, new_private, files, store, workers)
                    for path, calls in found_calls.items():
                        relay_calls[path] = relay_calls.get(path, ()) + calls
                relayed, private = set(), {}
            functions = ({function for path, function in expanded.discovered if frontends.language_of(path) == language}
                         | callsites.wrapper_functions(of_language, resolver) | relayed)
            wanted = searched[language] | {callsites.short_name(f) for f in functions.union(*private.values())}
            # A method is called on the class or on a class extending it (`new ExportTask().schedule()`).
            words = callsites.search_words(functions, of_language)
            if wanted <= searched[language] and words <= searched_words[language]:
                continue
            changed = True
            searched[language], searched_words[language] = wanted, searched_words[language] | words
            paths = [p for p in files if frontends.language_of(p) == language]
            using = demand.files_using(searched_words[language], paths, store.cache, workers, store.workspace)
            store.reload_all(sorted(set(using) | set(private)), calls=wanted, workers=workers)
        if not changed:
            break
        expanded = callsites.expand(store.facts.values(), resolver, specs, relay_calls)
    return expanded


def _python_relay_calls(functions: frozenset[str], methods: Mapping[str, set[str]], files: Sequence[str],
                        store: FactStore, workers: Workers | None) -> dict[str, tuple[CallSite, ...]]:
    """Calls of the Python functions producers are written in, in the modules that name them,
    and of the methods (`self.queue_mails()`) in their own modules."""
    from queuelint.flow import callsites
    from queuelint.frontends.python.callers import calls_in

    # A method (`IngestionService.ingest_file`) by its own name where that is distinctive enough;
    # else by its class (an object of it made, declared or fetched there) in a file that calls
    # a method of that name.
    dotted = [f for f in functions if "." in f]
    names = {f.encode() for f in functions if "." not in f} | {
        method.encode() for f in dotted if callsites.distinctive(method := f.rpartition(".")[2])}
    paths = [p for p in files if p.endswith(frontends.PYTHON_SUFFIXES)]
    using = set(demand.files_using(names, paths, store.cache, workers, store.workspace)) | set(methods)
    searched = [f for f in dotted if not callsites.distinctive(f.rpartition(".")[2])]
    classes = {f.partition(".")[0].encode() for f in searched}
    calls = tuple(f".{f.rpartition('.')[2]}(".encode() for f in searched)
    for path in demand.files_using(classes, [p for p in paths if p not in using], store.cache, workers,
                                   store.workspace) if classes else []:
        if demand.mentions_any(path, calls):
            using.add(path)
    ordered = sorted(using)
    work = partial(calls_in, wanted=functions.union(*methods.values()))
    found = workers.map(work, ordered) if workers is not None and workers.wanted(len(ordered)) else work(ordered)
    return {path: calls for path, calls in zip(ordered, found, strict=True) if calls}


def _factory_users(store: FactStore, paths: Sequence[str], cache: FactCache | None, workers: Workers) -> int:
    """Read the files that name an exported queue factory (`createQueue`, `getQueue`, a class
    whose static `getInstance()` returns a queue), and those that name what such files export
    in turn (`export const mail = createQueue('mail')`), to a fixed point. Returns how many."""
    from queuelint.flow import exported_factories

    searched: set[tuple[str, bytes]] = set()
    read = 0
    for _ in range(MAX_FACTORY_LAYERS):
        found = False
        for language, exported in exported_factories(store.facts.values()).items():
            names = {name for name in exported if (language, name) not in searched}
            if not names:
                continue
            found = True
            searched |= {(language, name) for name in names}
            of_language = (frontends.TYPESCRIPT_SUFFIXES if language != "python" else frontends.PYTHON_SUFFIXES)
            pending = [p for p in paths if p not in store.facts and p.endswith(of_language)]
            using = demand.files_using(names, pending, cache, workers, store.workspace)
            if language == "python":
                # Read with the names as markers: a function decorated `@background(…)` is kept by
                # the slicer although no word of a queue library's is in its decorator.
                store.reload_all(using, calls=frozenset(n.decode() for n in names), workers=workers)
                read += sum(1 for p in using if p in store.facts)
                continue
            for path in using:
                if store.load(path) is not None:
                    read += 1
        if not found:
            break
    return read


MAX_FACTORY_LAYERS = 4
