"""Reading the analysed tree's files: regular files only. A FIFO or a device named like source
(or like a cache file) would block a read forever; it is refused at once instead."""

from __future__ import annotations

import errno
import os
import stat


def read_bytes(path: str) -> bytes:
    """The content of a regular file; OSError for anything else (a FIFO, a device, a socket)."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        chunks = []
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def read_text(path: str) -> str:
    """A regular file's text, as UTF-8 (ValueError when it is not)."""
    return read_bytes(path).decode("utf-8")


def inside(path: str, directory: str) -> bool:
    """Whether absolute `path` is `directory` or below it."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
