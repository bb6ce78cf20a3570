"""A JSON array, one object per finding: the stable schema documented in the README."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from queuelint.findings import Diagnostic
from queuelint.reporters.paths import display_path, valid_json


def as_dict(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.value,
        "message": d.message,
        "hint": d.hint,
        "path": display_path(d.span.path),
        "line": d.span.line,
        "column": d.span.column,
        "end_line": d.span.end_line,
        "end_column": d.span.end_column,
        "related": [
            {"path": display_path(r.span.path), "line": r.span.line, "column": r.span.column, "message": r.message}
            for r in d.related
        ],
        "depends": [display_path(path) for path in d.depends],  # other files it was derived through
    }


def render(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    # Paths stay exact (the encoder escapes control characters) except bytes that are not UTF-8.
    return valid_json(json.dumps([as_dict(d) for d in diagnostics], indent=2, ensure_ascii=False)) + "\n"
