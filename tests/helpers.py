"""Small helpers shared by the tests: write a project, run the engine on it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from queuelint import engine
from queuelint.config import Settings
from queuelint.findings import Diagnostic


def write_project(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")


def run(root: Path, files: dict[str, str] | None = None, **settings: object) -> list[Diagnostic]:
    if files:
        write_project(root, files)
    result = engine.analyse([str(root)], Settings(root=str(root), **settings), jobs=1)  # type: ignore[arg-type]
    assert not result.internal_errors, result.internal_errors
    return result.diagnostics


def found(root: Path, diagnostics: list[Diagnostic]) -> set[tuple[str, int, str]]:
    return {(Path(d.span.path).relative_to(root).as_posix(), d.span.line, d.code) for d in diagnostics}


def without_coverage(output: str) -> str:
    """Text output without its `Checked N files: …` line (tested on its own), for tests about
    the findings."""
    return "".join(line for line in output.splitlines(keepends=True) if not line.startswith("Checked "))
