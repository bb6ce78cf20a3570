"""QL101: a job name that changes per call (time, randomness, ids, request data)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from queuelint.findings import Diagnostic, Related, Severity
from queuelint.rules.base import Rule, RuleContext, as_code, rule

ID_OPTION = {
    "celery": "the task name says which task runs; pass the per-call value as an argument (or as `task_id=`)",
    "arq": "the function name says which function runs; pass the per-call value as an argument (or `_job_id=`)",
    "rq": "pass the per-call value as an argument (or as `job_id=`)",
}


@rule(code="QL101", name="dynamic-job-name", severity=Severity.ERROR, libraries=("bull", "bullmq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    graph = context.graph
    for site in graph.producers():
        if site.job.status != "dynamic":
            continue
        if site.job.reason.startswith("the id") and site.producer.option("jobId") is not None:
            # Taken for per-instance only from the word `id`; a call that gives the job its
            # identity in `jobId` already uses the name for something else (a definition's id).
            continue
        # "No handler can match it" is claimed over the consumers that take this producer's
        # jobs, when they are all known and none takes every name. Otherwise nothing fails
        # today, but the name carries no type: a warning.
        consumers = graph.serving(site.queue.value, site) if site.queue.is_value else []
        closed = bool(consumers) and not graph.open_consumers(site) and graph.closed(site)
        hint = ID_OPTION.get(site.producer.library, "the job name is its type; pass the per-instance value as "
                                                    "`opts.jobId` (or in the data) and give the job a fixed name")
        where = f" on queue {site.queue.value!r}" if site.queue.is_value else ""
        made = f"job name {as_code(site.job.text)} is built from {site.job.reason}{where}"
        if closed and not graph.handled(site.queue.value, site).accepts_any:
            related = [Related(c.span, f"consumer of {site.queue.value!r}: {c.consumer.handler}") for c in consumers]
            yield self.at(site.span, f"{made}: no handler can match it", hint=hint, related=related)
            continue
        why = ("its consumers take every name, so no job fails today" if closed
               else "no job fails as long as its workers take every name")
        found = self.at(site.span, f"{made}: every job gets a name of its own, so the name says nothing of what "
                                   f"the job is ({why}; the first handler that routes on the name drops them all)",
                        hint=hint)
        yield replace(found, severity=Severity.WARNING)

