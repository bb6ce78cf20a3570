"""Paths as users see them: relative to the working directory, with forward slashes; and text
made safe to show (`printable`) or to write as JSON (`valid_json`)."""

from __future__ import annotations

import os
import re
from functools import lru_cache

# Python names an undecodable byte 0xNN of a file name U+DCNN (surrogateescape); other lone
# surrogates can come from escapes in source strings. Neither can be written as UTF-8.
SURROGATE = re.compile("[\ud800-\udfff]")


def display_path(path: str) -> str:
    return _display(path, os.getcwd())


@lru_cache(maxsize=8192)
def _display(path: str, cwd: str) -> str:
    # Memoised: a report names the same few files many times, and relpath is not cheap.
    try:
        relative = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        return path.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


def shown_path(path: str) -> str:
    """`display_path` for output a person reads: control characters escaped."""
    return printable(display_path(path))


def printable(text: str) -> str:
    """Text with every character `repr` would escape escaped as `repr` does (`\\x1b`, `\\r`,
    `\\u202e`), as job names in messages are; the byte of an undecodable file name as `\\xff`.
    Printable text, spaces and letters such as 'é' included, is left as it is."""
    if text.isprintable():  # the usual case, and no copy
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    if "\udc80" <= char <= "\udcff":  # surrogateescape: show the byte the file name holds
        return f"\\x{ord(char) - 0xDC00:02x}"
    return repr(char)[1:-1]


def valid_json(dumped: str) -> str:
    """JSON written with `ensure_ascii=False`, its lone surrogates (which UTF-8 cannot encode and
    strict parsers reject even as `\\udcff`) replaced by their `printable` form. They can only
    stand inside strings, where the JSON-escaped form decodes to that text."""
    return SURROGATE.sub(lambda m: _escape(m.group()).replace("\\", "\\\\"), dumped)
