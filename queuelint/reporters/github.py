"""GitHub Actions workflow commands: one annotation per finding, on the file and lines."""

from __future__ import annotations

from collections.abc import Sequence

from queuelint.findings import Diagnostic, Severity
from queuelint.reporters.paths import printable, shown_path

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    lines = []
    for d in diagnostics:
        s = d.span
        properties = ",".join([
            # %-encoding CR/LF is undone by GitHub, so control characters are escaped first.
            f"file={escape_property(shown_path(s.path))}",
            f"line={s.line}", f"col={s.column}", f"endLine={s.end_line}", f"endColumn={s.end_column}",
            f"title={escape_property(f'{d.code} {d.name}')}",
        ])
        message = f"{d.message}\n{d.hint}" if d.hint else d.message
        # A line break is the annotation's own (escape_data keeps it); any other control is escaped.
        message = "\n".join(printable(line) for line in message.split("\n"))
        lines.append(f"::{COMMANDS[d.severity]} {properties}::{escape_data(message)}")
    if internal_errors:
        lines.append(f"::error title=queuelint::{internal_errors} internal error(s); the results are incomplete")
    return "".join(line + "\n" for line in lines)
