"""QL001: a file could not be read or parsed in full; its analysis is partial."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.findings import Diagnostic, Severity
from queuelint.rules.base import Rule, RuleContext, rule


@rule(code="QL001", name="parse-error", severity=Severity.ERROR)
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    for facts in context.facts:
        # A parse failure matters where queue code may be lost; elsewhere it is the compiler's
        # business (and often syntax the grammar does not know yet, such as
        # `importOriginal<typeof import('x')>()`). Encoding and read failures always matter.
        holds_queue_code = bool(facts.libraries or facts.modules)
        for problem in facts.problems:
            if problem.kind == "syntax" and not (holds_queue_code and problem.in_queue_code):
                continue
            yield self.at(problem.span, problem.message,
                          hint="findings in this file may be missing until it parses")
