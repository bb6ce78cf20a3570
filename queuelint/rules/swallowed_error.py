"""QL202: a handler's catch neither rethrows, throws, nor fails the job."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.findings import Diagnostic, Related, Severity
from queuelint.rules.base import (
    Rule,
    RuleContext,
    body_fact_site,
    handler_label,
    hidden_failure,
    in_python,
    rule,
)


@rule(code="QL202", name="swallowed-error", severity=Severity.WARNING,
      libraries=("bull", "bullmq", "celery", "dramatiq", "arq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    for site in context.graph.handlers():
        consumer = site.consumer
        for fact in consumer.swallowed_errors:
            where = body_fact_site(consumer, fact)
            if fact.retries:  # a named exception, only logged, in a task configured to retry
                yield self.at(
                    fact.span,
                    f"{where} logs `{fact.detail.removesuffix(': …')}` and carries on: {fact.retries} never "
                    "run, and the task is recorded as a success",
                    hint="re-raise after logging (`raise`) so the configured retries apply, or catch only what "
                         "retrying cannot fix",
                    related=[Related(consumer.span, handler_label(consumer))],
                )
                continue
            if consumer.library == "rq":
                outcome, hint = hidden_failure("rq"), "re-raise after logging (`raise`)"
            elif in_python(fact.span.path):
                outcome = "the job completes as if it succeeded and is never retried"
                hint = "re-raise after logging (`raise`), or retry (`self.retry(exc=…)`)"
            else:
                outcome = "the job completes as if it succeeded and is never retried"
                hint = "rethrow after logging (`throw error`), or fail the job explicitly"
            yield self.at(fact.span, f"{where} catches the error and carries on: {outcome}", hint=hint,
                          related=[Related(consumer.span, handler_label(consumer))])
