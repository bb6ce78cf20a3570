"""`path:line:col: CODE [name] message`, a hint line, and a one-line summary."""

from __future__ import annotations

from collections.abc import Sequence

from queuelint.model import Diagnostic, Severity
from queuelint.reporters.paths import display_path


def render(diagnostics: Sequence[Diagnostic]) -> str:
    lines: list[str] = []
    for d in diagnostics:
        lines.append(f"{display_path(d.span.path)}:{d.span.line}:{d.span.column}: {d.code} [{d.name}] {d.message}")
        if d.hint:
            lines.append(f"  hint: {d.hint}")
    lines.append(summary(diagnostics))
    return "\n".join(lines) + "\n"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    if not diagnostics:
        return "All checks passed."
    counts = {s: sum(1 for d in diagnostics if d.severity == s) for s in Severity}
    parts = [f"{n} {s.value}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
    total = len(diagnostics)
    return f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)})."
