"""JSON-RPC base-protocol framing (`Content-Length: N` headers, a blank line, N bytes), read
so that no frame, however broken, stops the server or leaves it deaf.

A frame whose length is missing, negative, not a number or over `MAX_CONTENT_LENGTH` is
dropped, and the reader resynchronises on the next `Content-Length` header, even one glued
to the end of the dropped body (a body sent without its header ends without a newline).
Header lines may end in LF as well as CRLF, and header names are case-insensitive.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

MAX_CONTENT_LENGTH = 64 * 1024 * 1024  # 64 MiB: far over any real LSP message, far under a crash
MAX_HEADER_LINE = 8 * 1024  # header lines are short: a longer line is garbage, read in pieces
_CARRY = 64  # bytes kept between pieces of a garbage line, so a header split across two is found

_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*\r?\n?")
# A length header ending a line of garbage: where reading starts again after a fault. JSON
# cannot hold one (a key has a quote before its colon, a string no raw newline).
_RESYNC = re.compile(rb"content-length[ \t]*:[ \t]*\d+[ \t]*\r?\n\Z", re.IGNORECASE)

ReadLine = Callable[[int], Awaitable[bytes]]  # at most that many bytes, up to and with b"\n"
ReadExactly = Callable[[int], Awaitable[bytes]]  # that many bytes, fewer only at end of input


class FrameReader:
    def __init__(self, readline: ReadLine, read: ReadExactly, on_fault: Callable[[str], None]) -> None:
        self._readline = readline
        self._read = read
        self._on_fault = on_fault  # told, in a sentence, of every frame dropped

    async def next_body(self) -> bytes | None:
        """The body of the next well-formed frame; None at the end of the input."""
        resync = False  # after a fault: looking for the next Content-Length header
        carry = b""  # the end of a garbage line read in pieces
        length: int | None = None
        fault: str | None = None
        seen_header = False
        while True:
            line = await self._readline(MAX_HEADER_LINE)
            if not line:
                return None
            if not resync:
                if not line.strip():
                    if not seen_header:
                        continue  # a stray blank line between frames is harmless
                    if length is not None:
                        body = await self._read(length)
                        return body if len(body) == length else None  # short: the input ended
                    self._on_fault(f"dropped a message: {fault or 'no Content-Length header'}")
                    resync, length, fault, seen_header = True, None, None, False
                    continue
                header = _HEADER.fullmatch(line) if line.endswith(b"\n") else None
                if header is not None:
                    seen_header = True
                    if header.group(1).lower() == b"content-length":
                        length, fault = _length(header.group(2))
                    continue
                self._on_fault(f"dropped input that is not a header line: {_show(line)}")
                resync, length, fault, seen_header = True, None, None, False
                # and this very line is searched: a body sent without its header ends glued
                # to the next frame's first header line
            line, carry = carry + line, b""
            found = _RESYNC.search(line)
            if found is None:
                if not line.endswith(b"\n"):
                    carry = line[-_CARRY:]
                continue
            header = _HEADER.fullmatch(line[found.start():])
            assert header is not None  # _RESYNC matches only header lines
            resync, seen_header = False, True
            length, fault = _length(header.group(2))


def _length(value: bytes) -> tuple[int | None, str | None]:
    """The length a Content-Length value gives, or why it gives none."""
    if not value.isdigit():
        return None, f"Content-Length {_show(value)} is not a byte count"
    # Checked on the digits first: int() of thousands of digits is slow, or refused.
    if len(value) > len(str(MAX_CONTENT_LENGTH)) or int(value) > MAX_CONTENT_LENGTH:
        return None, f"Content-Length {_show(value)} is over the maximum of {MAX_CONTENT_LENGTH} bytes"
    return int(value), None


def _show(data: bytes) -> str:
    text = repr(data[:60])[1:]
    return text + " …" if len(data) > 60 else text
