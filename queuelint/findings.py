"""What a run reports: findings (`Diagnostic`) and the places they point at (`Span`).

Apart from the facts (`model`): a run answered from the last one reads findings and never
facts, and creating the facts' two dozen dataclasses was a tenth of such a run.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DEFAULT_JOB = "__default__"  # the name Bull and BullMQ give a job added without one


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Span:
    """A region of a file. Lines and columns are 1-based; columns count characters."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Related:
    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    hint: str = ""
    related: tuple[Related, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.path, self.span.line, self.span.column, self.code, self.message)
