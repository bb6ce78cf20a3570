"""The last run's findings, kept in `.queuelint_cache/` and given back when nothing that could
change them has changed.

A run is reusable when the tool, the settings and the paths are the same, the discovered file
list is the same, every file-system answer resolution relied on (`probes`) is the same, and
every file either kept its size and mtime or, read again, gives the analysis what it gave
before: the same facts, error and receivers (its cache signature), or the same up to where
they are (its shape: queue code that moved, see `relocation`; the findings then move with
it), and the same answers to the run's byte searches. That second test is an early cut-off:
editing a file that holds no queue code, a comment, or lines above queue code does not re-run
the analysis. A Python file is not even parsed when all its front-end reads of it is as it
was (`frontends.input_digest`: a comment after the code, the body of a dropped function). Anything else (a new file, a changed queue call, a re-read wrapper file) runs it
in full.

Like the facts cache this is JSON, written atomically, and ignored when unreadable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from queuelint import probes
from queuelint.cache import RACY_NS, stat_key, write_atomically
from queuelint.files import read_text
from queuelint.findings import Coverage, Diagnostic, Related, Severity, Span
from queuelint.relocation import Position

INDEX = "last-run.json"
# Content digests and signatures, only read when a file's stat changed: the index stays small.
DETAILS = "last-run-files.json"
# What runs answered from this one changed in it (files that changed without changing the
# findings, findings that moved): a few entries instead of both files again, which cost a
# tenth of such a run on a million lines. Rewritten whole past a sixteenth of the files.
CHANGES = "last-run-changes.json"
CHANGES_SHARE, CHANGES_MINIMUM = 16, 64
# What reading a cache file that is not what this version wrote can raise: valid JSON of
# another shape, or nested deeper than the decoder goes. The file is then ignored.
UNREADABLE = (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError)


# (mtime_ns, size): plain pairs, not records, because a warm run reads tens of thousands.
FileState = tuple[int, int]
# (content digest, cache signature, shape: see `relocation`, what the front-end read: see
# `frontends.input_digest`), read only for files whose stat changed.
FileDetails = tuple[str, str, str, str]


@dataclass
class Snapshot:
    key: str
    files: dict[str, FileState]
    details: dict[str, FileDetails] | None  # read lazily, with `located`
    walked: bool  # the file list came from our own walk, whose directories are among the probes
    probes: probes.Record
    mentions: dict[str, list[str]]  # byte searches made (names joined by ",") -> files that matched
    reread: frozenset[str]  # files read again with wider options (wrapper call sites, processors)
    diagnostics: list[Diagnostic]
    files_analysed: int
    started_ns: int  # when the files were looked at; those modified shortly before are re-checked
    written: str = ""  # identifies the details written with this index
    # The positions in the facts of each file a finding points into (see `relocation`).
    located: dict[str, list[Position]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)  # files the changes file (`CHANGES`) updates
    # The changes file's details and positions, applied when the details are read.
    pending: tuple[dict[str, Any], dict[str, Any]] = field(default_factory=lambda: ({}, {}))
    coverage: Coverage = field(default_factory=Coverage)  # what the run understood, for its summary


def run_key(salt: str, settings: object, paths: list[str]) -> str:
    """Everything besides the files that decides the findings, spelt the same in every process
    (sets sorted: their repr follows the per-process string hash)."""
    return hashlib.sha256(json.dumps([salt, _canonical(settings), sorted(paths)], default=str).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, (frozenset, set)):
        return sorted(_canonical(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value) if f.compare}
    return value


def _record(seen: dict[str, list[Any] | None], existence: dict[str, bool], listings: dict[str, str]) -> probes.Record:
    record = probes.Record()
    record.seen = {path: (int(f[0]), int(f[1]), bool(f[2])) if f is not None else None for path, f in seen.items()}
    record.existence = {path: bool(found) for path, found in existence.items()}
    record.listings = {path: str(names) for path, names in listings.items()}
    return record


def load(directory: str, key: str) -> Snapshot | None:
    try:
        data = json.loads(read_text(os.path.join(directory, INDEX)))
        if data["key"] != key:
            return None
        snapshot = Snapshot(
            key=key,
            files={str(path): (int(m), int(s)) for path, (m, s) in data["files"].items()},
            details=None,
            walked=bool(data["walked"]),
            probes=_record(data["probes"], data["existence"], data["listings"]),
            mentions={str(k): [str(p) for p in v] for k, v in data["mentions"].items()},
            reread=frozenset(data["reread"]),
            diagnostics=[_diagnostic(d) for d in data["diagnostics"]],
            files_analysed=int(data["files_analysed"]),
            started_ns=int(data["started_ns"]),
            written=str(data["written"]),
            coverage=Coverage(**{k: int(v) for k, v in data["coverage"].items()}),
        )
    except UNREADABLE:
        return None  # absent, corrupt, or from another version: the run is simply made afresh
    try:
        changes = json.loads(read_text(os.path.join(directory, CHANGES)))
        if changes["key"] == key and changes["base"] == snapshot.written:
            files = {path: (int(m), int(s)) for path, (m, s) in changes["files"].items()}
            diagnostics = [_diagnostic(d) for d in changes["diagnostics"]]
            started_ns, pending = int(changes["started_ns"]), (dict(changes["details"]), dict(changes["located"]))
            snapshot.files.update(files)
            snapshot.diagnostics, snapshot.started_ns, snapshot.pending = diagnostics, started_ns, pending
            snapshot.changed = set(files)
    except UNREADABLE:
        pass  # absent, corrupt or beside another index: the index alone is a state that was whole
    return snapshot


def _diagnostic(data: dict[str, Any]) -> Diagnostic:
    # Spelt out, as is `_encoded`, rather than `model.from_json`: that one evaluates type hints
    # (a third of a warm run's time), and importing the facts vocabulary is a tenth of one.
    return Diagnostic(_text(data["code"]), _text(data["name"]), Severity(data["severity"]), _text(data["message"]),
                      _span(data["span"]), _text(data["hint"]),
                      tuple(Related(_span(r["span"]), _text(r["message"])) for r in data["related"]),
                      tuple(_text(path) for path in data["depends"]))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _span(data: Any) -> Span:
    return Span(_text(data["path"]), int(data["line"]), int(data["column"]), int(data["end_line"]),
                int(data["end_column"]))


def _encoded(diagnostic: Diagnostic) -> dict[str, Any]:
    return {"code": diagnostic.code, "name": diagnostic.name, "severity": diagnostic.severity.value,
            "message": diagnostic.message, "span": asdict(diagnostic.span), "hint": diagnostic.hint,
            "related": [{"span": asdict(r.span), "message": r.message} for r in diagnostic.related],
            "depends": list(diagnostic.depends)}


def details(directory: str, snapshot: Snapshot) -> dict[str, FileDetails] | None:
    if snapshot.details is None:
        try:
            data = json.loads(read_text(os.path.join(directory, DETAILS)))
            if data["key"] == snapshot.key and data["written"] == snapshot.written:
                found, located = data["files"], data["located"]
                found.update(snapshot.pending[0])
                located.update(snapshot.pending[1])
                snapshot.details = {path: (str(d), str(s), str(h), str(r)) for path, (d, s, h, r) in found.items()}
                snapshot.located = {path: [(int(a), int(b), int(c), int(d)) for a, b, c, d in spans]
                                    for path, spans in located.items()}
        except UNREADABLE:
            return None
    return snapshot.details


def save_changes(directory: str, snapshot: Snapshot, paths: Iterable[str]) -> None:
    """The snapshot, in which `paths` changed (and its details were read), as a changes file
    beside the index when that is small."""
    snapshot.changed.update(paths)
    if snapshot.details is None or not snapshot.written \
            or len(snapshot.changed) > max(CHANGES_MINIMUM, len(snapshot.files) // CHANGES_SHARE):
        save(directory, snapshot)
        return
    changed = sorted(snapshot.changed)
    _write(directory, CHANGES, {
        "key": snapshot.key,
        "base": snapshot.written,  # the index (and details) these change
        "files": {path: snapshot.files[path] for path in changed},
        "details": {path: snapshot.details[path] for path in changed if path in snapshot.details},
        "located": {path: snapshot.located[path] for path in changed if path in snapshot.located},
        "diagnostics": [_encoded(d) for d in snapshot.diagnostics],
        "started_ns": snapshot.started_ns,
    })


def save(directory: str, snapshot: Snapshot) -> None:
    """The details first, then the index naming them: runs racing to write both can leave an
    index beside another run's details, which `details` then refuses. A changes file goes
    before either: it extends the index it names, which this one replaces."""
    with contextlib.suppress(OSError):
        os.remove(os.path.join(directory, CHANGES))
    snapshot.changed = set()
    if snapshot.details is not None:
        snapshot.written = f"{os.getpid()}-{time.time_ns()}"
        _write(directory, DETAILS, {"key": snapshot.key, "written": snapshot.written, "files": snapshot.details,
                                    "located": snapshot.located})
    data = {
        "key": snapshot.key,
        "written": snapshot.written,  # which details file goes with this index (concurrent runs)
        "files": snapshot.files,
        "walked": snapshot.walked,
        "probes": snapshot.probes.seen,
        "existence": snapshot.probes.existence,
        "listings": snapshot.probes.listings,
        "mentions": snapshot.mentions,
        "reread": sorted(snapshot.reread),
        "diagnostics": [_encoded(d) for d in snapshot.diagnostics],
        "files_analysed": snapshot.files_analysed,
        "started_ns": snapshot.started_ns,
        "coverage": asdict(snapshot.coverage),
    }
    _write(directory, INDEX, data)


def _write(directory: str, name: str, data: object) -> None:
    try:
        os.makedirs(directory, exist_ok=True)
        write_atomically(os.path.join(directory, name), json.dumps(data, separators=(",", ":")))
    except OSError:
        return  # a read-only tree still gets its findings


def touched(snapshot: Snapshot, files: list[str], known: dict[str, tuple[int, int]]) -> list[str] | None:
    """Files whose size or mtime changed since the snapshot, or that were modified so shortly
    before it that their mtime proves nothing (see `cache.RACY_NS`); None when files were
    added or removed. `known`: (mtime_ns, size) of files already stat-ed by discovery."""
    if len(files) != len(snapshot.files):
        return None
    trusted_before = snapshot.started_ns - RACY_NS
    changed = []
    for path in files:
        state = snapshot.files.get(path)
        if state is None:
            return None
        now = known.get(path) or stat_key(path)
        if now is None:
            return None
        mtime_ns, size = state
        if now[0] != mtime_ns or now[1] != size or mtime_ns >= trusted_before:
            changed.append(path)
    return changed
