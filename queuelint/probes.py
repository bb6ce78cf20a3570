"""The file-system questions resolution and discovery ask besides reading discovered files
("is there a `src/names.ts`?", "which tsconfig.json applies here?", "is this directory in a
git work tree?"), answered here and, while `recording()`, remembered with what was seen: a
cached result stays valid only while every answer is still the same."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from queuelint.frontends import PYTHON_SUFFIXES, TYPESCRIPT_SUFFIXES

# What was at a path: (mtime_ns, size, is_dir), or None when nothing (or not a file/directory).
Signature = tuple[int, int, bool] | None


class Record:
    def __init__(self) -> None:
        self.seen: dict[str, Signature] = {}  # content or listing matters
        self.existence: dict[str, bool] = {}  # only whether it is there (`.git`, changed by every commit)
        self.listings: dict[str, str] = {}  # directory -> digest of what the walk saw in it (`listed`)

    def unchanged(self, trusted_before_ns: int) -> bool:
        """Every answer is still the same. A walked directory whose mtime moved (an entry was
        added or removed: a README, a build output) or that was modified so close to the
        recording that its mtime proves nothing (see `cache.RACY_NS`; creating
        `.queuelint_cache` does it to the root) counts as unchanged if it lists the same
        subdirectories and files a walk looks at."""
        for path, found in self.seen.items():
            now = signature(path)
            if now == found and (found is None or found[0] < trusted_before_ns):
                continue
            if not (found is not None and found[2] and now is not None and now[2] and self._same_listing(path)):
                return False
        return all(os.path.exists(path) == found for path, found in self.existence.items())

    def _same_listing(self, directory: str) -> bool:
        if directory not in self.listings:
            return False
        try:
            return _listing(directory) == self.listings[directory]
        except OSError:
            return False


_record: Record | None = None


def signature(path: str) -> Signature:
    try:
        status = os.stat(path)
    except OSError:
        return None
    is_dir = stat.S_ISDIR(status.st_mode)
    if not is_dir and not stat.S_ISREG(status.st_mode):
        return None
    # A directory's mtime changes when an entry is added or removed: that is what a walk sees.
    return status.st_mtime_ns, 0 if is_dir else status.st_size, is_dir


def _seen(path: str) -> Signature:
    found = signature(path)
    if _record is not None:
        _record.seen[path] = found
    return found


def is_file(path: str) -> bool:
    found = _seen(path)
    return found is not None and not found[2]


def exists(path: str) -> bool:
    found = os.path.exists(path)
    if _record is not None:
        _record.existence[path] = found
    return found


def opened(path: str) -> None:
    """`path` was read (or looked for): a change to it invalidates what was learnt."""
    _seen(path)


def walked(directory: str) -> None:
    """`directory` was listed: adding or removing a subdirectory, a source file or a package
    manifest, or replacing one by a link or a link by one, invalidates what was learnt."""
    _seen(directory)
    if _record is not None:
        try:
            _record.listings[directory] = _listing(directory)
        except OSError:
            _record.listings[directory] = ""  # unreadable: never the same listing


def _listing(directory: str) -> str:
    with os.scandir(directory) as entries:
        return listing_digest((entry.name + ("@" if entry.is_symlink() else ""), _is_directory(entry))
                              for entry in entries)


# Files whose coming or going in a walked directory can change an answer: sources (what
# discovery lists) and package manifests (the workspace's packages). Ignore files and
# tsconfig.json are probed by their own paths.
LISTED_FILES = frozenset({"package.json"})
SOURCE_SUFFIXES = TYPESCRIPT_SUFFIXES + PYTHON_SUFFIXES


def listing_digest(entries: Iterable[tuple[str, bool]]) -> str:
    listed = sorted(name + "/" if is_dir else name for name, is_dir in entries
                    if is_dir or name.rstrip("@") in LISTED_FILES or name.rstrip("@").endswith(SOURCE_SUFFIXES))
    joined = "\0".join(listed).encode("utf-8", "surrogateescape")
    return hashlib.blake2b(joined, digest_size=16).hexdigest()


def _is_directory(entry: os.DirEntry[str]) -> bool:
    """As `os.walk` tells directories (links to directories count)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


@contextmanager
def recording() -> Iterator[Record]:
    global _record
    previous, _record = _record, Record()
    try:
        yield _record
    finally:
        _record = previous


def work_tree_root(start: str) -> str | None:
    """The nearest directory at or above `start` holding `.git`, or None."""
    current = os.path.abspath(start)
    while True:
        if exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
