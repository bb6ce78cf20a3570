"""Front-ends: one file's bytes in, `FileFacts` out. They extract; they never judge."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from queuelint.findings import Span

# The facts are imported where facts are made: a run answered from the last one makes none,
# and creating their dataclasses is a tenth of such a run.
if TYPE_CHECKING:
    from queuelint.config import ConsumerSpec
    from queuelint.model import FileFacts, Problem


@dataclass(frozen=True)
class Options:
    """What to extract beyond the libraries' own API: call sites of these functions (wrappers,
    configured producers) and methods with these decorators (configured consumers)."""

    wanted_calls: frozenset[str] = frozenset()
    consumers: tuple[ConsumerSpec, ...] = ()
    # Exported functions used as processors elsewhere, or run as jobs (RQ): their handler facts.
    handlers: frozenset[str] = frozenset()

    def markers(self) -> tuple[bytes, ...]:
        """Bytes that make a file worth parsing under these options."""
        return tuple(sorted({n.encode() for n in self.wanted_calls} | {c.decorator.encode() for c in self.consumers}))


UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
LONE_CR = re.compile(rb"\r(?!\n)")


# The suffixes live here, not in the front-ends, so that deciding which files are ours does
# not load tree-sitter or libcst (a warm run answered from the cache needs neither).
TYPESCRIPT_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
PYTHON_SUFFIXES = (".py",)


# A `Consumer.handler_ref` naming the module of a sandboxed processor, by absolute path
# (`new Worker('q', path.join(__dirname, 'resize.js'))`): its default export is the handler.
SANDBOX = "sandbox:"
# After a handler reference: the processor is what calling that function returns
# (`dispatcher({ … })`), read as the function it returns.
MADE_BY_CALL = "()"


def language_of(path: str) -> str | None:
    if path.endswith(TYPESCRIPT_SUFFIXES):
        return "typescript"
    if path.endswith(PYTHON_SUFFIXES):
        return "python"
    return None


def decode_problem(path: str, data: bytes) -> Problem | None:
    """A QL001 fact for bytes that are not UTF-8; the file is still read as far as it goes."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        from queuelint.model import Problem

        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return Problem(
            Span(path, line, column, line, column + 1),
            f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); the file was analysed in part",
            "encoding",
        )
    return None


DEFAULT_OPTIONS = Options()


def utf16_as_utf8(data: bytes) -> bytes:
    """UTF-16 with a byte-order mark (which the TypeScript compiler reads) as UTF-8: the same
    text, hence the same lines and columns. Other bytes are returned as they are (bytes that
    are not UTF-16 after all are then reported as not valid UTF-8)."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeError:
            return data
    return data


def _prepared(data: bytes) -> bytes:
    data = utf16_as_utf8(data)
    if data.startswith(UTF8_BOM):
        data = b"   " + data[len(UTF8_BOM):]  # keep byte offsets; the BOM is not code
    if b"\r" in data:
        # Lone CR line ends, alone or mixed with CRLF ones: editors end a line at each, tree-sitter
        # counts rows by LF. A CR becomes an LF (same length: byte offsets hold); CRLF stays one.
        data = LONE_CR.sub(b"\n", data)
    return data


def extract(path: str, data: bytes, options: Options = DEFAULT_OPTIONS) -> FileFacts:
    """Facts of one file. Never raises on bad input: problems become QL001 facts."""
    language = language_of(path)
    # A UTF-8 byte-order mark is no code: Python skips it (blanked, it would be an indent).
    data = _prepared(data) if language != "python" else data.removeprefix(UTF8_BOM)
    if language == "typescript":
        from queuelint.frontends import typescript  # tree-sitter: only when needed

        return typescript.extract(path, data, decode_problem(path, data), options.wanted_calls, options.consumers,
                                  options.handlers)
    if language == "python":
        from queuelint.frontends.python import extract as python_extract  # libcst: only when needed

        return python_extract.extract(path, data, _python_decode_problem(path, data), options.wanted_calls,
                                      options.handlers)
    return unanalysed(path)


def input_digest(path: str, data: bytes, options: Options = DEFAULT_OPTIONS) -> str:
    """A digest of all the front-end reads of the file, where that is much cheaper than reading
    it: equal digests give equal facts. Python only (`python.inputs`); empty elsewhere."""
    if language_of(path) != "python":
        return ""
    from queuelint.frontends.python import inputs

    data = data.removeprefix(UTF8_BOM)  # as `extract` reads it
    return inputs.input_digest(path, data, _python_decode_problem(path, data), options.wanted_calls,
                               options.handlers)


def _python_decode_problem(path: str, data: bytes) -> Problem | None:
    """As `decode_problem`, but Python source may declare another encoding (PEP 263), and
    Python refuses a file whose declared encoding cannot read it."""
    from queuelint.frontends.python.inputs import encoding_problem, read_text

    unreadable = encoding_problem(data)
    if unreadable is not None:
        from queuelint.model import Problem

        return Problem(Span(path, 1, 1, 1, 1), f"cannot be read as Python source: {unreadable}; "
                                               "the file was analysed as far as it reads as UTF-8", "encoding")
    problem = decode_problem(path, data)
    if problem is not None and read_text(data)[1]:
        return None
    return problem


def unanalysed(path: str, why: str | None = None) -> FileFacts:
    """Facts of a file that could not be analysed: none, or a QL001 problem saying `why`."""
    from queuelint.model import FileFacts, Problem

    problems = (Problem(Span(path, 1, 1, 1, 1), why, "io"),) if why else ()
    return FileFacts(path=path, language="unknown", problems=problems)
