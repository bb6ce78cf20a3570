"""Helpers every front-end shares: joining name parts, spotting per-instance identifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from queuelint.model import BodyFact, Expr, Route, Router

ID_LIKE = re.compile(r"^(id|uuid|guid)$|(Id|ID|_id|Uuid|UUID|_uuid|Guid)$")


# Calls that report a failure where it is seen: Sentry's `capture_exception`, a project's
# `send_slack_error(e)`, `reportFailure(…)`, `mail_builder.export_error(user, ctx)`, an in-app
# alert (`log_jira_generic_alert(…)`); not a logger's `error()` nor a `log_error()`.
REPORTING = re.compile(r"(^|\.)(capture_?exception|\w*_?alert|"
                       r"(?!log|is|has|to|get|format|parse|make|create|build|wrap)\w+?_?(error|exception|failure))$", re.I)
# A value that says "failed" as a state: `"failed"`, `Status.FAILED`, `ProcessingState.error`.
FAILED_STATES = frozenset({"failed", "failure", "error", "errored", "fail"})


def is_failed_state(text: str, dotted: bool) -> bool:
    """`text`: a string literal's value, or a dotted name (only a member of something, as
    `Status.FAILED`, counts: a bare `error` is a variable)."""
    if dotted:
        head, _, leaf = text.rpartition(".")
        return bool(head) and leaf.lower() in FAILED_STATES
    return text.lower() in FAILED_STATES


def is_id_like(name: str) -> bool:
    return bool(ID_LIKE.search(name))


def shorten(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def concat(parts: list[Expr], text: str) -> Expr:
    """Join parts: a literal when all are literal, dynamic when any is, else symbolic."""
    flat: list[Expr] = []
    for part in parts:
        flat.extend(part.parts if part.kind == "concat" else (part,))
    for part in flat:
        if part.kind == "dynamic":  # the parts stay, for rules that look at the fixed text
            return Expr("dynamic", shorten(text), part.reason, parts=tuple(flat))
    if all(p.kind == "str" for p in flat):
        return Expr.literal("".join(p.text for p in flat))
    return Expr("concat", shorten(text), parts=tuple(flat))


@dataclass
class HandlerFacts:
    """What one handler body does, as every front-end reports it."""

    routes: list[Route] = field(default_factory=list)
    accepts_any: bool = True  # no routing on the job name, or a fallback that does real work
    router: Router | None = None
    returned_errors: list[BodyFact] = field(default_factory=list)
    swallowed_errors: list[BodyFact] = field(default_factory=list)
    job_calls: list[BodyFact] = field(default_factory=list)  # `job.progress(50)`: `detail` is the method
    map_ref: str = ""  # `handlers[job.name](job)` with `handlers` not written out in this file
    # Functions not of this file the job (or its data) is handed to as the work: (name, returned).
    delegated: list[tuple[str, bool]] = field(default_factory=list)
