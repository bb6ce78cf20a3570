"""`path:line:col: CODE [name] message`, a hint line, and a one-line summary."""

from __future__ import annotations

from collections.abc import Sequence

from queuelint.findings import Coverage, Diagnostic, Severity
from queuelint.reporters.paths import printable, shown_path


def render(diagnostics: Sequence[Diagnostic], internal_errors: int = 0, coverage: Coverage | None = None) -> str:
    """The findings, then what the run covered (when told), then the count."""
    lines: list[str] = []
    for d in diagnostics:
        # Escaped: a file name (or a path in a message) may hold terminal escapes, CR/LF or bidi controls.
        lines.append(f"{shown_path(d.span.path)}:{d.span.line}:{d.span.column}: {d.code} [{d.name}] "
                     f"{printable(d.message)}")
        if d.hint:
            lines.append(f"  hint: {printable(d.hint)}")
    closing = summary(diagnostics, internal_errors)
    if coverage is not None and not internal_errors:  # a partial run's counts would mislead
        lines.append(coverage.line())
        if not diagnostics and coverage.library_files and not coverage.followed:
            closing = "No problems found in what could be followed."  # not "All checks passed": little was checked
    lines.append(closing)
    return "\n".join(lines) + "\n"


def summary(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    counts = {s: sum(1 for d in diagnostics if d.severity == s) for s in Severity}
    parts = [f"{n} {s.value}{'s' if n != 1 and s is not Severity.INFO else ''}" for s, n in counts.items() if n]
    total = len(diagnostics)
    found = f"{total} problem{'s' if total != 1 else ''} ({', '.join(parts)})" if total else "no problems"
    if internal_errors:  # an internal error must never read as a clean result
        plural = "s" if internal_errors != 1 else ""
        return f"Analysis incomplete: {internal_errors} internal error{plural} (details on stderr); found {found} elsewhere."
    return f"Found {found}." if total else "All checks passed."
