"""QL001: a file could not be read or parsed in full; its analysis is partial."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.model import Diagnostic, Severity
from queuelint.rules.base import Rule, RuleContext, rule


@rule(code="QL001", name="parse-error", severity=Severity.ERROR)
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    for facts in context.facts:
        for problem in facts.problems:
            yield self.at(problem.span, problem.message,
                          hint="findings in this file may be missing until it parses")
