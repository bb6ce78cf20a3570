"""QL201: a handler returns an error value instead of throwing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

from queuelint.findings import Diagnostic, Related, Severity, Span
from queuelint.programs import Program
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


@rule(code="QL201", name="returned-error", severity=Severity.ERROR,
      libraries=("bull", "bullmq", "celery", "dramatiq", "arq", "rq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    from queuelint.model import RESULT_READ  # rules load on every run; the facts vocabulary need not

    graph = context.graph
    # Where the producing side reads what jobs return, a returned failure may be a result
    # protocol: said at info, with the place that reads it.
    reads: dict[tuple[Program, bool], Span] = {}  # by program and language
    for facts in context.facts:
        for use in facts.api_uses:
            if use.api == RESULT_READ:
                reads.setdefault((graph.program(use.span.path), in_python(use.span.path)), use.span)
    for site in graph.handlers():
        consumer = site.consumer
        for fact in consumer.returned_errors:
            where = body_fact_site(consumer, fact)
            if fact.recorded:  # the handler's own failure design: said, at info
                finding = self.at(
                    fact.span,
                    f"{where} returns a failure value (`{fact.detail}`) and records the failure itself "
                    f"({as_code(fact.recorded)}): the queue sees a success, so no retry runs; if the "
                    "application's own record is the design, nothing is lost",
                    hint=("raise" if in_python(fact.span.path) else "throw") + " after recording it, if the "
                    "job should be retried or counted as failed by the queue",
                    related=[Related(consumer.span, handler_label(consumer))])
                yield replace(finding, severity=Severity.INFO)
                continue
            read = reads.get((graph.program(site.path), in_python(fact.span.path)))
            if read is not None:
                shown = os.path.relpath(read.path, context.settings.root).replace(os.sep, "/")
                finding = self.at(
                    fact.span,
                    f"{where} returns a failure value (`{fact.detail}`), and job results are read "
                    f"(at {shown}:{read.line}): if callers check it, this is a result protocol; if not, "
                    "the job is marked completed and never retried",
                    hint=("raise" if in_python(fact.span.path) else "throw")
                    + ", unless the caller that reads the result handles the failure",
                    related=[Related(consumer.span, f"handler {consumer.handler}"),
                             Related(read, "job results are read here")])
                yield replace(finding, severity=Severity.INFO)
                continue
            yield self.at(
                fact.span,
                f"{where} returns an error value (`{fact.detail}`) instead of throwing: "
                f"{hidden_failure(consumer.library)}",
                hint="raise the exception so the task fails and its retry policy applies"
                if in_python(fact.span.path) else
                "throw the error (`throw error` / `throw new Error(…)`) so the job fails and its "
                "`attempts`/`backoff` apply",
                related=[Related(consumer.span, handler_label(consumer))],
            )
