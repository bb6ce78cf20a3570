"""QL101: a job name that changes per call (time, randomness, ids, request data)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from queuelint.findings import Diagnostic, Related, Severity
from queuelint.rules.base import Rule, RuleContext, as_code, rule

if TYPE_CHECKING:
    from queuelint.graph import ProducerSite, QueueGraph

ID_OPTION = {
    "celery": "the task name says which task runs; pass the per-call value as an argument (or as `task_id=`)",
    "arq": "the function name says which function runs; pass the per-call value as an argument (or `_job_id=`)",
    "rq": "pass the per-call value as an argument (or as `job_id=`)",
}


TASK_WORD = {"celery": "task", "dramatiq": "actor", "arq": "function"}


@rule(code="QL101", name="dynamic-job-name", severity=Severity.ERROR, libraries=("bull", "bullmq", "celery", "rq", "arq", "dramatiq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    graph = context.graph
    yield from _rq_families(self, context)
    for site in graph.producers():
        if graph.dotted_family(site) is not None:
            continue  # an RQ dotted path: what it can name is said above, or by QL102
        if site.job.status == "unknown" and site.job.family and site.job.holes:
            yield from _built_from_data(self, graph, site)
            continue
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
        handled = graph.handled(site.queue.value, site) if closed else None
        if handled is not None and not handled.accepts_any:
            related = [Related(c.span, f"consumer of {site.queue.value!r}: {c.consumer.handler}") for c in consumers]
            if site.job.reason.startswith("request data"):
                # The caller picks the name: it may be a handled one, or anything else.
                reachable = sorted(n for n in handled.names if site.job.may_be(n))
                names = ", ".join(repr(n) for n in reachable[:6]) or "none"
                kind = TASK_WORD.get(site.producer.library, "handler")
                yield self.at(site.span, f"{made}: whoever sends the request chooses which {kind} runs, and a name "
                                         f"that is none of them ({names}) is a job that fails",
                              hint="map the request to one of the fixed job names (and reject the others) before "
                                   "adding the job; keep what varies in the data", related=related)
                continue
            yield self.at(site.span, f"{made}: no handler can match it", hint=hint, related=related)
            continue
        if site.producer.schedules:  # its name keys a schedule: one per entity, and no job fails
            continue
        why = ("its consumers take every name, so no job fails today" if closed
               else "no job fails as long as its workers take every name")
        found = self.at(site.span, f"{made}: every job gets a name of its own, so the name says nothing of what "
                                   f"the job is ({why}; the first handler that routes on the name drops them all)",
                        hint=hint)
        yield replace(found, severity=Severity.WARNING)



def _built_from_data(self: Rule, graph: QueueGraph, site: ProducerSite) -> Iterator[Diagnostic]:
    """A name built at run time around data (`f"billing.{account.plan}.renew"`): which
    handler runs is chosen by the data. The names it can reach are said; a value that reaches
    none of them is a job no consumer takes (a family that reaches none at all is QL102's)."""
    consumers = graph.serving(site.queue.value, site) if site.queue.is_value else []
    if not consumers or graph.open_consumers(site) or not graph.closed(site):
        return
    handled = graph.handled(site.queue.value, site)
    if handled.accepts_any or not handled.complete:
        return
    reachable = sorted(n for n in handled.names if site.job.may_be(n))
    if not reachable:
        return
    kind = TASK_WORD.get(site.producer.library, "handler")
    holes = ", ".join(as_code(h) for h in dict.fromkeys(site.job.holes))
    shown = ", ".join(repr(n) for n in reachable[:MAX_SHOWN]) + (
        f" and {len(reachable) - MAX_SHOWN} more" if len(reachable) > MAX_SHOWN else "")
    message = (f"job name {as_code(site.job.text)} is chosen at run time by {holes}: it can be {shown}; any other "
               f"value is a job no {kind} takes")
    related = [Related(route.span, f"handles {name!r}") for name in reachable[:MAX_SHOWN]
               for _, route in handled.names[name][:1]]
    found = self.at(site.span, message, related=related,
                    hint=f"choose the {kind} from a fixed table ({{value: name}}) so that a value with no {kind} "
                         "fails where the job is sent, not in the worker")
    yield replace(found, severity=Severity.WARNING)


def _rq_families(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    """An RQ dotted path built from data (`f"app.exports.{fmt}_export"`): the module is known,
    so the functions it can name are too (none at all is QL102's)."""
    graph = context.graph
    for site in graph.producers():
        found = graph.dotted_family(site)
        if found is None or not found[2] or not (site.job.holes or site.job.status == "dynamic"):
            continue  # nothing it can name (QL102), or built from configuration: fixed per deployment
        module, _, reachable = found
        shown = ", ".join(repr(f"{module}.{name}") for name in reachable[:MAX_SHOWN])
        requested = site.job.reason.startswith("request data")
        chosen = f"by {site.job.reason}" if requested else "at run time"
        finding = self.at(site.span, f"RQ job {as_code(site.job.text)} is a dotted path chosen {chosen}: it can "
                                     f"name {shown}; any other value fails in the worker, which cannot import it",
                          hint="choose the function from a fixed table ({value: function}) and enqueue the "
                               "function itself")
        # Whoever sends the request picks the function a worker imports and runs: an error.
        yield finding if requested else replace(finding, severity=Severity.WARNING)


MAX_SHOWN = 6
