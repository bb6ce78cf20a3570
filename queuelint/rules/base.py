"""What every rule is made of: a code, a name, a default severity and a pure check function."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from queuelint.findings import Diagnostic, Related, Severity, Span

if TYPE_CHECKING:  # config imports the registry; the graph is only needed to run the rules
    from queuelint.config import Settings
    from queuelint.graph import QueueGraph
    from queuelint.model import BodyFact, Consumer, FileFacts


@dataclass(frozen=True)
class RuleContext:
    graph: QueueGraph
    settings: Settings

    @property
    def facts(self) -> list[FileFacts]:
        return self.graph.facts


Check = Callable[["Rule", RuleContext], Iterator[Diagnostic]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    libraries: tuple[str, ...]
    check: Check | None  # None: computed by the engine itself (QL002 after suppressions)

    def run(self, context: RuleContext) -> Iterator[Diagnostic]:
        if self.check is not None:
            yield from self.check(self, context)

    def at(self, span: Span, message: str, hint: str = "", related: Iterable[Related] = ()) -> Diagnostic:
        return Diagnostic(self.code, self.name, self.severity, message, span, hint, tuple(related))


def rule(*, code: str, name: str, severity: Severity, libraries: tuple[str, ...] = ()) -> Callable[[Check], Rule]:
    def wrap(check: Check) -> Rule:
        return Rule(code, name, severity, libraries, check)

    return wrap


def did_you_mean(value: str, candidates: Iterable[str]) -> str | None:
    # A ratio >= 0.75 needs 2*min(len) >= 0.75*(sum of lens), i.e. longer <= 5/3 shorter.
    near = tuple(sorted(c for c in candidates if 3 * max(len(c), len(value)) <= 5 * min(len(c), len(value))))
    return _closest(value, near)


CLOSE_ENOUGH = 0.75


@lru_cache(maxsize=4096)
def _closest(value: str, candidates: tuple[str, ...]) -> str | None:
    """`difflib.get_close_matches(value, candidates, n=1, cutoff=0.75)`, computing the costly
    ratio only while a candidate's cheap upper bound could still beat the best so far (many
    near-identical names, `sync-17` and `sync-18`, made this a third of a run). Memoised: the
    language server asks the same questions on every keystroke."""
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(value)
    bounded = []
    for candidate in candidates:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= CLOSE_ENOUGH:
            bound = matcher.quick_ratio()
            if bound >= CLOSE_ENOUGH:
                bounded.append((bound, candidate))
    best: tuple[float, str] | None = None
    for bound, candidate in sorted(bounded, reverse=True):
        if best is not None and bound < best[0]:
            break  # neither this one nor any after it can reach the best ratio
        matcher.set_seq1(candidate)
        score = matcher.ratio()
        if score >= CLOSE_ENOUGH and (best is None or (score, candidate) > best):
            best = (score, candidate)
    return best[1] if best is not None else None


def body_fact_site(consumer: Consumer, fact: BodyFact) -> str:
    """Who a handler-body fact belongs to: the handler, or the helper it delegates to."""
    return f"`{fact.via}` (called by {consumer.handler})" if fact.via else consumer.handler


# What becomes of a job whose handler hides its failure, where a library says it differently.
HIDDEN_FAILURE = {
    "rq": "RQ records the job as finished: it never reaches the failed job registry, and no `Retry` applies",
    "arq": "arq stores the job's result as a success, and no `Retry` applies",
    "celery": "Celery records the task as SUCCESS: no FAILURE state, and no retry applies",
    "dramatiq": "Dramatiq acknowledges the message as done: no retry runs, and nothing reaches the dead-letter queue",
}


def hidden_failure(library: str) -> str:
    return HIDDEN_FAILURE.get(library, "the queue marks the job completed and never retries it")


def handler_label(consumer: Consumer) -> str:
    if consumer.kind == "job-function":
        return f"{consumer.handler} runs as an RQ job (a worker imports and calls it)"
    return f"handler {consumer.handler}"


def in_python(path: str) -> bool:
    """Whether a finding is in Python code (hints then speak of `raise`, not `throw`)."""
    return path.endswith(".py")


def as_code(text: str) -> str:
    """Source text as inline code, on one line; a template literal already carries its backticks."""
    text = " ".join(text.split())
    if text.startswith("`"):
        return text if text.endswith("`") else text + "`"
    return f"`{text}`"
