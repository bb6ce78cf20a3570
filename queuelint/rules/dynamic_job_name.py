"""QL101: a job name that changes per call (time, randomness, ids, request data)."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.findings import Diagnostic, Related, Severity
from queuelint.rules.base import Rule, RuleContext, rule

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
        if site.queue.is_value:
            handled = graph.handled(site.queue.value)
            if handled.accepts_any:  # a catch-all consumer runs whatever the name is
                continue
            related = [Related(c.span, f"consumer of {site.queue.value!r}: {c.consumer.handler}")
                       for c in graph.consumers(site.queue.value)]
            where = f" on queue {site.queue.value!r}"
        else:
            related, where = [], ""
        yield self.at(
            site.span,
            f"job name {_code(site.job.text)} is built from {site.job.reason}{where}: no handler can match it",
            hint=ID_OPTION.get(site.producer.library, "the job name is its type; pass the per-instance value as "
                                                  "`opts.jobId` (or in the data) and give the job a fixed name"),
            related=related,
        )


def _code(text: str) -> str:
    """Source text as inline code; a template literal already carries its backticks."""
    if text.startswith("`"):
        return text if text.endswith("`") else text + "`"
    return f"`{text}`"
