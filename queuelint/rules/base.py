"""What every rule is made of: a code, a name, a default severity and a pure check function."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from queuelint.model import BodyFact, Consumer, Diagnostic, FileFacts, Related, Severity, Span

if TYPE_CHECKING:  # config imports the registry; the graph is only needed to run the rules
    from queuelint.config import Settings
    from queuelint.graph import QueueGraph


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


@lru_cache(maxsize=4096)
def _closest(value: str, candidates: tuple[str, ...]) -> str | None:
    """Memoised: the language server asks the same questions on every keystroke."""
    matches = difflib.get_close_matches(value, candidates, n=1, cutoff=0.75)
    return matches[0] if matches else None


def body_fact_site(consumer: Consumer, fact: BodyFact) -> str:
    """Who a handler-body fact belongs to: the handler, or the helper it delegates to."""
    return f"`{fact.via}` (called by {consumer.handler})" if fact.via else consumer.handler


def in_python(path: str) -> bool:
    """Whether a finding is in Python code (hints then speak of `raise`, not `throw`)."""
    return path.endswith(".py")
