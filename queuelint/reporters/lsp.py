"""LSP `PublishDiagnosticsParams` as JSON, one object per file, for editor plugins that run
linters as commands. Positions are 0-based, columns in UTF-16 code units as LSP expects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from queuelint import catalogue
from queuelint.model import Diagnostic, Severity, Span

SEVERITY = {Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFO: 3}


@lru_cache(maxsize=256)
def _lines(path: str) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def utf16_column(path: str, line: int, column: int, text: str | None = None) -> int:
    """A 1-based character column as a 0-based UTF-16 offset on that line."""
    lines = text.splitlines() if text is not None else _lines(path)
    if not 1 <= line <= len(lines):
        return max(column - 1, 0)
    prefix = lines[line - 1][: max(column - 1, 0)]
    return len(prefix.encode("utf-16-le")) // 2


def lsp_range(span: Span, text: str | None = None) -> dict[str, Any]:
    return {
        "start": {"line": span.line - 1, "character": utf16_column(span.path, span.line, span.column, text)},
        "end": {"line": span.end_line - 1, "character": utf16_column(span.path, span.end_line, span.end_column, text)},
    }


def rule_page_uri(code: str) -> str | None:
    page = catalogue.pages().get(code)
    return Path(page.path).resolve().as_uri() if page else None


def as_lsp(d: Diagnostic, text: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "range": lsp_range(d.span, text),
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
    return json.dumps(params, indent=2, ensure_ascii=False) + "\n"
