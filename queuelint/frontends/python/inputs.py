"""What the Python front-end reads of a file, as a digest: the text given to libcst with the
file's line number of each of its lines (`slicing`), the suppression comments, and where the
file stops being UTF-8. Equal digests give equal facts, and a digest needs only the stdlib
parser: a run answered from the last one can tell that an edit changed nothing the front-end
reads (a comment after the code, the body of a dropped function) without importing libcst,
which costs 0.3 s."""

from __future__ import annotations

import hashlib
import io
import re
import tokenize

from queuelint.frontends import UTF16_BOMS
from queuelint.frontends.python.slicing import slice_source
from queuelint.frontends.python.suppressions import suppressions_in
from queuelint.model import Problem

# The queue libraries a file imports, as its bytes say: what `extract` reports of a file libcst
# cannot parse (so also part of the digest).
IMPORTED_LIBRARY = re.compile(rb"^\s*(?:from|import)\s+(celery|arq|rq|dramatiq|bullmq|django_rq)\b", re.M)


def read_text(data: bytes) -> tuple[str, bool]:
    """The source as Python reads it, UTF-8 (a byte-order mark, which Python skips, removed:
    it takes no column) or the encoding a PEP 263 comment declares (`# -*- coding: latin-1
    -*-`), and whether it decoded cleanly."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), True
    except UnicodeDecodeError:
        pass
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if encoding not in ("utf-8", "utf-8-sig"):
            return data.decode(encoding), True
    except (SyntaxError, LookupError, UnicodeDecodeError):
        pass
    return data.decode("utf-8", "replace"), False


def encoding_problem(data: bytes) -> str | None:
    """Why Python could not read this source as text at all, if it could not: a UTF-16 file
    (Python reads no byte-order mark but UTF-8's), or a PEP 263 comment naming an encoding
    that does not exist or cannot decode the file (`# -*- coding: undefined -*-`)."""
    if data.startswith(UTF16_BOMS):
        return "UTF-16 (it starts with a UTF-16 byte-order mark), which Python does not read source as"
    second_line_end = data.find(b"\n", data.find(b"\n") + 1)
    if b"coding" not in (data if second_line_end < 0 else data[:second_line_end]):
        return None  # no PEP 263 comment: UTF-8, checked by `decode_problem`
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if encoding not in ("utf-8", "utf-8-sig"):
            data.decode(encoding)
    except SyntaxError as error:
        return f"{error.msg}"
    except (LookupError, UnicodeError) as error:
        return f"its coding comment declares an encoding that cannot read it ({error})"
    return None


def input_digest(path: str, data: bytes, decode_problem: Problem | None, wanted_calls: frozenset[str],
                 handlers: frozenset[str] = frozenset()) -> str:
    """Everything `extract.extract` takes from `data`, in the order it takes it."""
    text = read_text(data)[0]
    sliced = slice_source(text, wanted_calls, handlers)
    read = (decode_problem, sliced.text, sliced.lines) if sliced is not None else (decode_problem, text, None)
    payload = repr((*read, sorted(handlers), suppressions_in(path, text), sorted(set(IMPORTED_LIBRARY.findall(data)))))
    return hashlib.blake2b(payload.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
