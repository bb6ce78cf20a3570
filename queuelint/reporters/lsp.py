"""LSP `PublishDiagnosticsParams` as JSON, one object per file, for editor plugins that run
linters as commands. Positions are 0-based, columns in UTF-16 code units as LSP expects."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from queuelint import catalogue
from queuelint.findings import Diagnostic, Severity, Span
from queuelint.reporters.paths import valid_json

SEVERITY = {Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFO: 3}


def file_lines(path: str) -> tuple[str, ...]:
    """The lines of a file on disk (memoised while its size and mtime stay the same)."""
    try:
        status = os.stat(path)
    except OSError:
        return ()
    return _read_lines(path, status.st_mtime_ns, status.st_size)


@lru_cache(maxsize=256)
def _read_lines(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def utf16_column(lines: Sequence[str], line: int, column: int) -> int:
    """A 1-based character column as a 0-based UTF-16 offset on that line."""
    if not 1 <= line <= len(lines):
        return max(column - 1, 0)
    prefix = lines[line - 1][: max(column - 1, 0)]
    return len(prefix.encode("utf-16-le")) // 2


def lsp_range(span: Span, lines: Sequence[str] | None = None) -> dict[str, Any]:
    """`lines`: the file's text when it is not the one on disk (an editor buffer)."""
    if lines is None:
        lines = file_lines(span.path)
    return {
        "start": {"line": span.line - 1, "character": utf16_column(lines, span.line, span.column)},
        "end": {"line": span.end_line - 1, "character": utf16_column(lines, span.end_line, span.end_column)},
    }


@lru_cache(maxsize=64)
def rule_page_uri(code: str) -> str | None:
    page = catalogue.pages().get(code)
    return Path(page.path).resolve().as_uri() if page else None


def as_lsp(d: Diagnostic) -> dict[str, Any]:
    item: dict[str, Any] = {
        "range": lsp_range(d.span),
        "severity": SEVERITY[d.severity],
        "code": d.code,
        "source": "queuelint",
        "message": f"{d.message}\n{d.hint}" if d.hint else d.message,
    }
    href = rule_page_uri(d.code)
    if href:
        item["codeDescription"] = {"href": href}
    if d.related:
        item["relatedInformation"] = [
            {"location": {"uri": Path(r.span.path).resolve().as_uri(), "range": lsp_range(r.span)}, "message": r.message}
            for r in d.related
        ]
    return item


def render(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    by_file: dict[str, list[dict[str, Any]]] = {}
    for d in diagnostics:
        by_file.setdefault(Path(d.span.path).resolve().as_uri(), []).append(as_lsp(d))
    params = [{"uri": uri, "diagnostics": items} for uri, items in sorted(by_file.items())]
    return valid_json(json.dumps(params, indent=2, ensure_ascii=False)) + "\n"  # URIs are %-encoded already
