"""QL202: a handler's catch neither rethrows, throws, nor fails the job."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from queuelint.findings import Diagnostic, Related, Severity
from queuelint.rules.base import (
    Rule,
    RuleContext,
    as_code,
    body_fact_site,
    handler_label,
    hidden_failure,
    in_python,
    rule,
)

# How each Python library lets a handler fail or try again.
PYTHON_HINTS = {
    "rq": "re-raise after logging (`raise`)",
    "celery": "re-raise after logging (`raise`), or retry (`self.retry(exc=…)` in a bound task)",
    "dramatiq": "re-raise after logging (`raise`) so the actor's retries apply",
    "arq": "re-raise after logging (`raise`), or `raise Retry(defer=…)` to try again",
}


@rule(code="QL202", name="swallowed-error", severity=Severity.WARNING,
      libraries=("bull", "bullmq", "celery", "dramatiq", "arq", "rq"))
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
            if fact.recorded:  # the handler's own failure design: said, at info
                finding = self.at(
                    fact.span,
                    f"{where} catches the error and records the failure itself ({as_code(fact.recorded)}): the "
                    "queue sees a success, so no retry runs; if the application's own record is the design, "
                    "nothing is lost",
                    hint=("re-raise (`raise`)" if in_python(fact.span.path) else "rethrow (`throw error`)")
                    + " after recording it, if the job should be retried or counted as failed by the queue",
                    related=[Related(consumer.span, handler_label(consumer))])
                yield replace(finding, severity=Severity.INFO)
                continue
            if in_python(fact.span.path) and consumer.library in PYTHON_HINTS:
                outcome, hint = hidden_failure(consumer.library), PYTHON_HINTS[consumer.library]
            elif in_python(fact.span.path):
                outcome = "the job completes as if it succeeded and is never retried"
                hint = "re-raise after logging (`raise`)"
            else:
                outcome = "the job completes as if it succeeded and is never retried"
                hint = "rethrow after logging (`throw error`), or fail the job explicitly"
            yield self.at(fact.span, f"{where} catches the error and carries on: {outcome}", hint=hint,
                          related=[Related(consumer.span, handler_label(consumer))])
