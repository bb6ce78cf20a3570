"""QL201: a handler returns an error value instead of throwing."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.findings import Diagnostic, Related, Severity
from queuelint.rules.base import Rule, RuleContext, body_fact_site, in_python, rule


@rule(code="QL201", name="returned-error", severity=Severity.ERROR,
      libraries=("bull", "bullmq", "celery", "dramatiq", "arq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    for site in context.graph.consumers():
        consumer = site.consumer
        for fact in consumer.returned_errors:
            where = body_fact_site(consumer, fact)
            yield self.at(
                fact.span,
                f"{where} returns an error value (`{fact.detail}`) instead of throwing: "
                "the queue marks the job completed and never retries it",
                hint="raise the exception so the task fails and its retry policy applies"
                if in_python(fact.span.path) else
                "throw the error (`throw error` / `throw new Error(…)`) so the job fails and its "
                "`attempts`/`backoff` apply",
                related=[Related(consumer.span, f"handler {consumer.handler}")],
            )
