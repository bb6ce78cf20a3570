"""Text for a person: `path:line:col: CODE [name] message`, then (in the full form) the source
line with a caret under the place, the related locations, and a hint; a one-line summary.

The concise form is the first line of each finding only. Colour is added only when asked
(`styled`), and every piece of text that comes from the analysed code is escaped first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial

import click

from queuelint.files import read_bytes
from queuelint.findings import Coverage, Diagnostic, Severity, Span
from queuelint.reporters.paths import printable, shown_path

COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}
LINE_END = re.compile(r"\r\n|\r|\n")  # the lines an editor shows: a lone CR ends one too
LONGEST_SOURCE_LINE = 400  # a longer line is cut short around the place


def render(diagnostics: Sequence[Diagnostic], internal_errors: int = 0, coverage: Coverage | None = None, *,
           full: bool = True, summary: bool = True, styled: bool = False,
           buffers: Mapping[str, bytes] | None = None) -> str:
    """The findings, then what the run covered (when told), then the count (unless `summary`
    is off: findings only)."""
    lines: list[str] = []
    sources = _Sources(buffers or {})

    def style(text: str, **how: object) -> str:
        return click.style(text, **how) if styled else text  # type: ignore[arg-type]

    for d in diagnostics:
        # Escaped: a file name (or a path in a message) may hold terminal escapes, CR/LF or bidi controls.
        where = style(f"{shown_path(d.span.path)}:{d.span.line}:{d.span.column}:", bold=True)
        lines.append(f"{where} {style(d.code, fg=COLOURS[d.severity], bold=True)} [{d.name}] {printable(d.message)}")
        if not full:
            continue
        lines += _snippet(d.span, sources, partial(style, fg=COLOURS[d.severity], bold=True))
        for related in d.related:
            place = f"{shown_path(related.span.path)}:{related.span.line}:{related.span.column}"
            lines.append(f"  related: {style(place, bold=True)}: {printable(related.message)}")
        if d.hint:
            lines.append(f"  hint: {printable(d.hint)}")
    if not summary:
        return "".join(line + "\n" for line in lines)
    closing = summary_line(diagnostics, internal_errors)
    if coverage is not None and not internal_errors:  # a partial run's counts would mislead
        lines.append(coverage.line())
        if not diagnostics and not coverage.complete:
            closing = "No problems found in what could be followed."  # not "All checks passed": not all was checked
    lines.append(closing)
    return "\n".join(lines) + "\n"


def render_concise(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    return render(diagnostics, internal_errors, full=False)


class _Sources:
    """The lines of the files findings point at, each file read once (open buffers first)."""

    def __init__(self, buffers: Mapping[str, bytes]) -> None:
        self._buffers = buffers
        self._lines: dict[str, list[str] | None] = {}

    def line(self, path: str, number: int) -> str | None:
        if path not in self._lines:
            try:
                data = self._buffers[path] if path in self._buffers else read_bytes(path)
                self._lines[path] = LINE_END.split(data.decode("utf-8", "replace").removeprefix("\ufeff"))
            except OSError:  # gone since the analysis, or never a file: the finding stands without it
                self._lines[path] = None
        found = self._lines[path]
        return found[number - 1] if found is not None and 0 < number <= len(found) else None


def _snippet(span: Span, sources: _Sources, mark: Callable[[str], str]) -> list[str]:
    """`  12 |     await q.add('x')` and the caret line under the span's first line."""
    line = sources.line(span.path, span.line)
    if line is None:
        return []
    start = max(span.column - 1, 0)
    end = span.end_column - 1 if span.end_line == span.line and span.end_column > span.column else len(line)
    end = max(min(end, len(line)), start + 1)
    if len(line) > LONGEST_SOURCE_LINE:  # a minified or generated line: show the place, not all of it
        cut = max(start - 40, 0)
        line, start, end = line[cut:cut + LONGEST_SOURCE_LINE], start - cut, min(end - cut, LONGEST_SOURCE_LINE)
    before, marked = printable(line[:start]), printable(line[start:end]) or " "
    gutter = " " * len(str(span.line))
    indent = "".join(c if c == "\t" else " " for c in before)
    return [f"  {gutter} |",
            f"  {span.line} | {printable(line).rstrip()}",
            f"  {gutter} | {indent}{mark('^' * len(marked))}"]


def summary_line(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    counts = {s: sum(1 for d in diagnostics if d.severity == s) for s in Severity}
    parts = [f"{n} {s.value}{'s' if n != 1 and s is not Severity.INFO else ''}" for s, n in counts.items() if n]
    total = len(diagnostics)
    found = f"{total} problem{'s' if total != 1 else ''} ({', '.join(parts)})" if total else "no problems"
    if internal_errors:  # an internal error must never read as a clean result
        plural = "s" if internal_errors != 1 else ""
        return f"Analysis incomplete: {internal_errors} internal error{plural} (details on stderr); found {found} elsewhere."
    return f"Found {found}." if total else "All checks passed."
