"""One line per finding, `path:line:col: CODE [name] message`, and the summary."""

from __future__ import annotations

from queuelint.reporters.text import render_concise as render

__all__ = ["render"]
