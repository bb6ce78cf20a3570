"""Reporters: diagnostics in, text out. One module per format."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from queuelint.model import Diagnostic
from queuelint.reporters import github, json_format, lsp, sarif, text

# (diagnostics, number of internal errors) -> output
Reporter = Callable[[Sequence[Diagnostic], int], str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
    "lsp": lsp.render,
}

__all__ = ["REPORTERS", "Reporter"]
