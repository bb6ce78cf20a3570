"""Facts per file, kept between runs in `.queuelint_cache/`.

A file whose size and modification time are unchanged is not read at all; one whose content
hash is unchanged is not parsed. A file modified shortly before the run that cached it is
not trusted on its stat (a write within the same clock tick keeps the mtime: "racy git").
Entries are keyed by the tool version and the extraction options, so an upgrade or a config
change that alters extraction starts afresh.

A run that changed a few entries writes them to a journal beside the index instead of the
whole index again (3 MB on a million lines: a tenth of a run after a one-file edit); the
journal names the index it extends and is ignored beside any other, and the index is
rewritten (the journal removed first) once the journal would hold a sixteenth of it. Both
are written atomically (temp file + rename): concurrent runs cannot corrupt them, the last
one wins. An unreadable or corrupt index or journal is ignored and rebuilt. They are JSON,
never pickle: a cache directory committed to a repository must not be able to run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from queuelint import __version__, relocation
from queuelint.files import read_bytes, read_text

if TYPE_CHECKING:  # imported where facts are decoded: a run answered from the last one decodes none
    from queuelint.model import FileFacts

INDEX = "facts.json"
# What marks a cache directory as queuelint's: only a directory holding it is written in, and
# only files named like its own (`OWN_FILE`) are ever deleted from it.
MARKER = "# created by queuelint\n*\n"
OWN_FILE = re.compile(r"[0-9a-f]{16}-(facts|facts-journal)\.json")
JOURNAL = "facts-journal.json"
JOURNAL_SHARE = 16  # the index is rewritten when the journal would hold more than 1/16 of it
JOURNAL_MINIMUM = 64  # ... and more than this many entries
# Modification times are coarse (a kernel tick, 2 s on FAT): a file modified this close to
# the start of the run that cached it may have changed again without its mtime moving.
RACY_NS = 2_000_000_000


@dataclass
class Entry:
    mtime_ns: int
    size: int
    digest: str
    facts: FileFacts | None  # None: the prefilter ruled the file out
    error: str | None = None
    receivers: tuple[str, ...] | None = None  # for skipped files: names used as `x.add(` / `x.name`
    # Digest of everything the analysis takes from the file (facts, error, receivers): a file
    # whose content changed but whose signature did not cannot change the findings.
    signature: str = ""
    # The same, up to where the queue code is (see `relocation`); empty without facts.
    shape: str = ""
    # A digest of what the front-end read, where that is cheap to tell (`frontends.input_digest`).
    input_digest: str = ""
    # The entry as read from the index: written back as it is (encoding thousands of facts
    # again would cost more than the rest of a run).
    raw: list[Any] | None = field(default=None, repr=False, compare=False)


class FactCache:
    def __init__(self, directory: str, salt: str, started_ns: int | None = None) -> None:
        """`started_ns`: when the run started reading files, if before now."""
        self.directory = directory
        self.key = hashlib.sha256(f"{__version__}\0{salt}".encode()).hexdigest()[:16]
        self.entries: dict[str, Entry] = {}
        # Files read again for wrapper call sites or imported handlers: (what was asked, facts).
        self.reloads: dict[str, tuple[str, Entry]] = {}
        self.mentions: dict[str, Mentions] = {}  # wrapper names searched (joined by ",") -> what was found
        self.mentions_used: set[str] = set()  # the searches made by this run
        self.searched_now: dict[str, set[str]] = {}  # ... and the files each one covered
        self.stored: set[str] = set()  # files given a new entry by this run
        self.dirty = False
        self.hits = self.misses = 0
        self.fresh: set[str] = set()  # paths whose entry is current: confirmed by stat, or just read
        self.reloads_confirmed: set[str] = set()  # the same, for `reloads`
        # Confirmed by stat: what earlier runs learnt about these (`mentions`) still holds.
        self.unchanged: set[str] = set()
        self.started_ns = time.time_ns() if started_ns is None else started_ns  # before any file is read
        self.trusted_before_ns = 0  # entries modified after this are checked, not trusted
        self.written = ""  # names the index read, for a journal to extend ("": none)
        self.indexed: set[str] = set()  # the files and reloads the index holds
        self.indexed_reloads: set[str] = set()
        self.journaled: set[str] = set()  # the same, for the journal, plus those stored by this run
        self.journaled_reloads: set[str] = set()
        self._load()

    def _path(self, name: str = INDEX) -> str:
        return os.path.join(self.directory, f"{self.key}-{name}")

    def _load(self) -> None:
        from queuelint.model import FileFacts, from_json

        def decode(facts: Any) -> FileFacts:
            return from_json(FileFacts, facts)

        try:
            data = json.loads(read_text(self._path()))
            self.entries = {path: _entry(item, decode) for path, item in data["files"].items()}
            self.reloads = {path: (key, _entry(item, decode)) for path, (key, item) in data["reloads"].items()}
            self.mentions = _decode_mentions(data["mentions"])
            self.trusted_before_ns = int(data["started_ns"]) - RACY_NS
            self.written = str(data["written"])
        except FileNotFoundError:
            return
        except Exception:  # corrupt, truncated, or from an incompatible version: start afresh
            self.entries, self.reloads, self.mentions = {}, {}, {}
            self.dirty = True
            return
        self.indexed, self.indexed_reloads = set(self.entries), set(self.reloads)
        try:
            journal = json.loads(read_text(self._path(JOURNAL)))
            if journal["base"] != self.written:
                return  # written beside an earlier index: that index's changes, not this one's
            files = {path: _entry(item, decode) for path, item in journal["files"].items()}
            reloads = {path: (key, _entry(item, decode)) for path, (key, item) in journal["reloads"].items()}
            dropped, dropped_reloads = list(journal["dropped"]), list(journal["dropped_reloads"])
            mentions = _decode_mentions(journal["mentions"])
            trusted_before_ns = int(journal["started_ns"]) - RACY_NS
        except Exception:  # absent, corrupt or partial: the index alone is a consistent state
            return
        self.entries.update(files)
        self.reloads.update(reloads)
        for path in dropped:
            self.entries.pop(path, None)
        for path in dropped_reloads:
            self.reloads.pop(path, None)
        self.mentions, self.trusted_before_ns = mentions, trusted_before_ns
        self.journaled, self.journaled_reloads = set(files), set(reloads)

    def lookup(self, path: str, known: tuple[int, int] | None = None) -> Entry | None:
        """The cached entry when the file's size and mtime are unchanged (no read needed).
        `known`: the file's (mtime_ns, size), when the caller already has them."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        if path in self.fresh:  # made by this run
            return entry
        known = known or stat_key(path)
        if known is None:
            return None
        if known[0] == entry.mtime_ns and known[1] == entry.size and entry.mtime_ns < self.trusted_before_ns:
            self.hits += 1
            self.fresh.add(path)
            self.unchanged.add(path)
            return entry
        return None

    def same_content(self, path: str) -> Entry | None:
        """The cached entry of a file whose stat changed (touched, checked out again) or that
        was modified too shortly before the last run to be trusted on it, if its content is
        what the entry was made from: a digest instead of a parse ("racy git" does the same)."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        try:
            data = read_bytes(path)
            status = os.stat(path)
        except OSError:
            return None
        if digest(data) != entry.digest:
            return None
        raw = [status.st_mtime_ns, status.st_size, *entry.raw[2:]] if entry.raw is not None else None
        kept = replace(entry, mtime_ns=status.st_mtime_ns, size=status.st_size, raw=raw)
        self.store(path, kept)
        return kept

    def mentioned(self, key: str, path: str) -> bool | None:
        """Whether the file mentions the names of `key`, if an earlier search of it still
        holds (it was searched, and its entry is confirmed unchanged by this run)."""
        found = self.mentions.get(key)
        if found is None or path not in found.searched or path not in self.unchanged:
            return None
        return path in found.matched

    def remember_mentions(self, key: str, searched: Iterable[str], matched: Iterable[str]) -> None:
        """The files of `searched` mention the names of `key` when in `matched`."""
        self.mentions_used.add(key)
        found = self.mentions.setdefault(key, Mentions(set(), set()))
        searched = set(searched)
        matched = set(matched)
        self.searched_now.setdefault(key, set()).update(searched)
        if not searched <= found.searched or (found.matched & searched) != matched:
            found.searched |= searched
            found.matched = (found.matched - searched) | matched
            self.dirty = True

    def reloaded(self, path: str, key: str) -> FileFacts | None:
        """Facts of an earlier run's re-read of this file for the same wrappers/handlers."""
        found = self.reloads.get(path)
        if found is None or found[0] != key:
            return None
        try:
            status = os.stat(path)
        except OSError:
            return None
        entry = found[1]
        if status.st_mtime_ns == entry.mtime_ns and status.st_size == entry.size \
                and entry.mtime_ns < self.trusted_before_ns:
            self.reloads_confirmed.add(path)
            return entry.facts
        return None

    def store_reload(self, path: str, key: str, data: bytes, facts: FileFacts) -> None:
        entry = entry_for(path, data, facts, None)
        if entry is not None:
            self.reloads[path] = (key, entry)
            self.reloads_confirmed.add(path)
            self.journaled_reloads.add(path)
            self.dirty = True

    def store(self, path: str, entry: Entry) -> None:
        self.misses += 1
        self.stored.add(path)
        self.entries[path] = entry
        self.fresh.add(path)
        self.journaled.add(path)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        # The index is saved with this run's start, which makes entries modified shortly before
        # an earlier run trusted from then on: those this run did not look at (it was given
        # other paths) are dropped, to be read again when they are next needed.
        self.entries = {path: entry for path, entry in self.entries.items()
                        if path in self.fresh or entry.mtime_ns < self.trusted_before_ns}
        self.reloads = {path: found for path, found in self.reloads.items()
                        if path in self.reloads_confirmed or found[1].mtime_ns < self.trusted_before_ns}
        for key, found in self.mentions.items():
            # A search holds for the content it read: files that changed since, and that this
            # run did not search, are searched again when next needed.
            stale = self.stored - self.searched_now.get(key, set())
            found.searched = (found.searched - stale) & self.entries.keys()
            found.matched &= found.searched
        try:
            os.makedirs(self.directory, exist_ok=True)
            files = self.journaled & self.entries.keys()
            reloads = self.journaled_reloads & self.reloads.keys()
            if self.written and len(files) + len(reloads) <= max(JOURNAL_MINIMUM, len(self.entries) // JOURNAL_SHARE):
                self._write_journal(files, reloads)
            else:
                self._write_index()
        except OSError:
            return  # a read-only tree still gets its findings, just no cache
        self.dirty = False

    def _write_journal(self, files: set[str], reloads: set[str]) -> None:
        write_atomically(self._path(JOURNAL), json.dumps({
            "base": self.written,
            "files": {path: encoded(self.entries[path]) for path in sorted(files)},
            "reloads": {path: [self.reloads[path][0], encoded(self.reloads[path][1])] for path in sorted(reloads)},
            "dropped": sorted(self.indexed - self.entries.keys()),
            "dropped_reloads": sorted(self.indexed_reloads - self.reloads.keys()),
            "mentions": {key: found.encoded() for key, found in self.mentions.items()},
            "started_ns": self.started_ns}, separators=(",", ":")))

    def _write_index(self) -> None:
        # The journal goes first: a run reading in between sees the old index alone, a state
        # that was whole; a journal written meanwhile names the old index and is ignored.
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path(JOURNAL))
        self.written = f"{os.getpid()}-{time.time_ns()}"
        write_atomically(self._path(), json.dumps({
            "written": self.written,
            "files": {path: encoded(entry) for path, entry in self.entries.items()},
            "reloads": {path: [key, encoded(entry)] for path, (key, entry) in self.reloads.items()},
            "mentions": {key: found.encoded() for key, found in self.mentions.items()},
            "started_ns": self.started_ns}, separators=(",", ":")))
        self.indexed, self.indexed_reloads = set(self.entries), set(self.reloads)
        self.journaled, self.journaled_reloads = set(), set()
        for name in os.listdir(self.directory):  # indexes of other versions or settings
            path = os.path.join(self.directory, name)
            if OWN_FILE.fullmatch(name) and not name.startswith(self.key) and stat.S_ISREG(os.lstat(path).st_mode):
                os.remove(path)


def prepare(root: str, name: str) -> tuple[str | None, str]:
    """The cache directory `name` under `root`, created and marked as queuelint's, or None and
    why it cannot be used. Every step down from the root must be a real directory: a link
    committed to the repository (`.queuelint_cache -> /elsewhere`) would make queuelint write
    outside the project. A directory queuelint did not create is not taken over either."""
    path = root
    for part in name.replace("\\", "/").split("/"):
        path = os.path.join(path, part)
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            try:
                os.mkdir(path)
            except OSError as error:
                return None, f"cannot create it: {error.strerror or error}"
            continue
        except OSError as error:
            return None, f"cannot look at it: {error.strerror or error}"
        if stat.S_ISLNK(mode):
            return None, "it is a symbolic link, which is not followed"
        if not stat.S_ISDIR(mode):
            return None, "it is not a directory"
    ignore = os.path.join(path, ".gitignore")
    try:
        marked = stat.S_ISREG(os.lstat(ignore).st_mode) and read_text(ignore) == MARKER
    except FileNotFoundError:
        try:
            if os.listdir(path):
                return None, "it holds files queuelint did not create"
            # O_NOFOLLOW and O_EXCL: never written through a link, never over another file.
            descriptor = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(MARKER)
        except OSError as error:
            return None, f"cannot write in it: {error.strerror or error}"
        return path, ""
    except (OSError, ValueError):
        marked = False
    if not marked:
        return None, "it is not a queuelint cache (its .gitignore is not the one queuelint writes)"
    if not os.access(path, os.W_OK):
        return None, "it is not writable"
    return path, ""


@dataclass
class Mentions:
    """One search for wrapper names: the files it read, and those that mention a name."""

    searched: set[str]
    matched: set[str]

    def encoded(self) -> dict[str, list[str]]:
        return {"searched": sorted(self.searched), "matched": sorted(self.matched)}


def _decode_mentions(data: dict[str, Any]) -> dict[str, Mentions]:
    return {key: Mentions(set(found["searched"]), set(found["matched"]) & set(found["searched"]))
            for key, found in data.items()}


def stat_key(path: str) -> tuple[int, int] | None:
    """(mtime_ns, size): what tells whether a file may have changed; None if it is gone."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def write_atomically(path: str, text: str) -> None:
    """`text` in `path`, whole or not at all for any reader: written beside it, then renamed
    over it. `json.dumps` and one write: `json.dump` encodes in pure Python, several times
    slower. The temporary name is made here: `tempfile` costs more to import than the write."""
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.{os.getpid()}-{threading.get_ident()}-{time.time_ns()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def encoded(entry: Entry) -> list[Any]:
    """The entry as the index holds it."""
    if entry.raw is not None:
        return entry.raw
    from queuelint.model import to_json

    return [entry.mtime_ns, entry.size, entry.digest, to_json(entry.facts) if entry.facts else None, entry.error,
            list(entry.receivers) if entry.receivers is not None else None, entry.signature, entry.shape,
            entry.input_digest]


def _entry(item: list[Any], decode: Callable[[Any], FileFacts]) -> Entry:
    mtime_ns, size, content, facts, error, receivers, signature, shape, read = item
    return Entry(int(mtime_ns), int(size), str(content), decode(facts) if facts else None, error,
                 tuple(receivers) if receivers is not None else None, str(signature), str(shape), str(read), raw=item)


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def entry_for(path: str, data: bytes, facts: FileFacts | None, error: str | None,
              receivers: tuple[str, ...] | None = None, input_digest: str = "") -> Entry | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return Entry(status.st_mtime_ns, status.st_size, digest(data), facts, error, receivers,
                 signature(facts, error, receivers), relocation.shape(facts, error, receivers) if facts else "",
                 input_digest)


def signature(facts: FileFacts | None, error: str | None, receivers: tuple[str, ...] | None) -> str:
    # The records' repr: exact (tuples and frozen dataclasses all the way down, no sets) and
    # several times cheaper than their JSON.
    payload = repr((facts, error, receivers))
    return hashlib.blake2b(payload.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def code_salt() -> str:
    """Changes whenever queuelint's own code does (an editable install, an upgrade)."""
    package = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for directory, _, files in os.walk(package):
        for name in sorted(files):
            if name.endswith(".py"):
                status = os.stat(os.path.join(directory, name))
                parts.append(f"{name}:{status.st_size}:{status.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:16]
