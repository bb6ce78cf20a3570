"""What a run reports: findings (`Diagnostic`) and the places they point at (`Span`).

Apart from the facts (`model`): a run answered from the last one reads findings and never
facts, and creating the facts' two dozen dataclasses was a tenth of such a run.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DEFAULT_JOB = "__default__"  # the name Bull and BullMQ give a job added without one
WHOLE_FILE = 0  # the target line of a suppression for a whole file (`queuelint-disable-file`)


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
    # The other files it was derived through (see `scope`): a run on one of them reports it.
    depends: tuple[str, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.path, self.span.line, self.span.column, self.code, self.message)


@dataclass(frozen=True)
class Coverage:
    """What a run understood: the summary says it, so that a clean result over code that
    was not followed never reads as assurance."""

    files: int = 0  # files checked
    queues: int = 0
    producers: int = 0
    producers_not_followed: int = 0  # queue or job name not known statically (run-time values excluded)
    producer_calls: int = 0  # calls of the functions producers are written in (`new ExportTask().schedule()`)
    consumers: int = 0
    consumers_not_followed: int = 0  # queue not known statically
    library_files: int = 0  # files that import a queue library
    # Calls and registrations that look like queue code but are no producer or consumer that
    # could be followed (`get_actor(name)`, a project's own `enqueue_job`), listed by `graph`.
    others_not_followed: int = 0

    @property
    def followed(self) -> int:
        """Producers and consumers whose queue (and name) are known."""
        return self.producers + self.consumers - self.producers_not_followed - self.consumers_not_followed

    @property
    def complete(self) -> bool:
        """Whether every site that looks like queue code was followed."""
        return not (self.producers_not_followed or self.consumers_not_followed or self.others_not_followed
                    or (self.library_files and not self.followed))

    def line(self) -> str:
        """`Checked 1,725 files: 32 queues, 60 producers (10 not followed), 23 consumers.`"""
        def counted(count: int, noun: str, missed: int = 0) -> str:
            text = f"{count:,} {noun}{'s' if count != 1 else ''}"
            return text + (f" ({missed:,} not followed)" if missed else "")

        checked = f"Checked {counted(self.files, 'file')}"
        if self.library_files and not self.followed:
            verb = "imports" if self.library_files == 1 else "import"
            return (f"{checked}: {counted(self.library_files, 'file')} {verb} a queue library, but no producer or "
                    f"consumer could be followed ({counted(self.producers, 'candidate producer')}, "
                    f"{counted(self.consumers, 'candidate consumer')}): `queuelint graph --format json` lists what "
                    "was not followed, and `[[producers]]`/`[[consumers]]` in the config declare in-house APIs.")
        if not self.library_files and not self.producers and not self.consumers:
            return f"{checked}: no queue library is used here."
        others = (f"; {self.others_not_followed:,} other queue-like site{'s' if self.others_not_followed != 1 else ''} "
                  "not followed (`queuelint graph --format json` lists them)") if self.others_not_followed else ""
        calls = (f" called from {counted(self.producer_calls, 'place')} through the functions they are in"
                 if self.producer_calls else "")
        return (f"{checked}: {counted(self.queues, 'queue')}, "
                f"{counted(self.producers, 'producer', self.producers_not_followed)}{calls}, "
                f"{counted(self.consumers, 'consumer', self.consumers_not_followed)}{others}.")
