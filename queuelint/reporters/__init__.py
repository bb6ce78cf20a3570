"""Reporters: diagnostics in, text out. One module per format, imported when chosen (the SARIF
and LSP ones read the rule catalogue: a text run need not)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from queuelint.findings import Diagnostic

# (diagnostics, number of internal errors) -> output
Reporter = Callable[[Sequence[Diagnostic], int], str]

# format name -> module of this package that renders it
REPORTERS: dict[str, str] = {
    "text": "text",
    "concise": "concise",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
    "gitlab": "gitlab",
    "junit": "junit",
    "json-lines": "json_lines",
    "lsp": "lsp",
}


def reporter(name: str) -> Reporter:
    render: Reporter = importlib.import_module(f"queuelint.reporters.{REPORTERS[name]}").render
    return render


__all__ = ["REPORTERS", "Reporter", "reporter"]
