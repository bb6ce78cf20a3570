"""The file-system questions resolution and discovery ask besides reading discovered files
("is there a `src/names.ts`?", "which tsconfig.json applies here?", "is this directory in a
git work tree?"), answered here and, while `recording()`, remembered with what was seen: a
cached result stays valid only while every answer is still the same."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager

# What was at a path: (mtime_ns, size, is_dir), or None when nothing (or not a file/directory).
Signature = tuple[int, int, bool] | None


class Record:
    def __init__(self) -> None:
        self.seen: dict[str, Signature] = {}  # content or listing matters
        self.existence: dict[str, bool] = {}  # only whether it is there (`.git`, changed by every commit)

    def unchanged(self, trusted_before_ns: int) -> bool:
        """Every answer is still the same, and none was given about a path modified so close
        to the recording that its mtime proves nothing (see `cache.RACY_NS`)."""
        for path, found in self.seen.items():
            if signature(path) != found or (found is not None and found[0] >= trusted_before_ns):
                return False
        return all(os.path.exists(path) == found for path, found in self.existence.items())


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
    """`directory` was listed: adding or removing an entry invalidates what was learnt."""
    _seen(directory)


@contextmanager
def recording() -> Iterator[Record]:
    global _record
    previous, _record = _record, Record()
    try:
        yield _record
    finally:
        _record = previous
