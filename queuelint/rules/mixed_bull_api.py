"""QL302: Bull (v3/v4) API used on BullMQ, or the reverse."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.findings import Diagnostic, Related, Severity
from queuelint.rules.base import Rule, RuleContext, rule

LABEL = {"bull": "Bull", "bullmq": "BullMQ"}
API_USES = {
    ("bullmq", "queue.process"): (
        "`queue.process()` is Bull's API: a BullMQ Queue has no process(), so no job is ever handled",
        "process jobs with a Worker: `new Worker(queueName, async (job) => …)`",
    ),
    ("bullmq", "@Process"): (
        "`@Process` is @nestjs/bull's decorator; @nestjs/bullmq has none, so this method is never called",
        "extend `WorkerHost` and implement `async process(job)`, routing on `job.name`",
    ),
}
JOB_CALLS = {
    ("bullmq", "progress"): ("`job.progress(n)` is Bull's: BullMQ reads `job.progress` as a property and "
                             "reports progress with `job.updateProgress(n)`", "call `job.updateProgress(n)`"),
    ("bull", "updateProgress"): ("`job.updateProgress(n)` is BullMQ's: a Bull job has no such method",
                                 "call `job.progress(n)`"),
}


@rule(code="QL302", name="mixed-bull-api", severity=Severity.ERROR, libraries=("bull", "bullmq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    graph = context.graph
    for facts in context.facts:
        for use in facts.api_uses:
            found = API_USES.get((use.library, use.api))
            if found is not None:
                yield self.at(use.span, found[0], hint=found[1])
    for site in graph.consumers():
        consumer = site.consumer
        if consumer.kind == "process-call" and consumer.library == "bullmq":  # an imported BullMQ queue
            message, hint = API_USES[("bullmq", "queue.process")]
            yield self.at(consumer.span, message, hint=hint)
        for call in consumer.job_calls:
            found = JOB_CALLS.get((consumer.library, call.detail))
            if found is not None:
                yield self.at(call.span, found[0], hint=found[1])
    for queue in graph.queues():
        consumed_with = {site.consumer.library for site in graph.consumers(queue)}
        if len(consumed_with) != 1:
            continue  # no consumer, or both libraries: nothing certain to say
        (library,) = consumed_with
        if library not in LABEL:
            continue
        related = [Related(c.span, f"consumed with {LABEL[library]} ({c.consumer.handler})")
                   for c in graph.consumers(queue)][:3]
        for producer in graph.producers(queue):
            other = producer.producer.library
            if other in LABEL and other != library:
                yield self.at(
                    producer.span,
                    f"queue {queue!r} is produced with {LABEL[other]} but consumed with {LABEL[library]}; "
                    "the two store jobs differently, so these jobs are never processed",
                    hint=f"use {LABEL[library]} on both sides",
                    related=related,
                )
