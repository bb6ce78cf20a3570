"""QL103: a handler for a job name that nothing produces."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.findings import DEFAULT_JOB, Diagnostic, Related, Severity
from queuelint.programs import family
from queuelint.rules.base import Rule, RuleContext, rule

# Celery tasks are often started from places code does not show (the shell, the admin,
# another service, `getattr(tasks, name).delay()`): an uncalled task is not evidence enough.
CHECKED = frozenset({"bull", "bullmq", "arq", "dramatiq"})




@rule(code="QL103", name="orphan-handler", severity=Severity.INFO, libraries=tuple(sorted(CHECKED)))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    graph = context.graph
    settings = context.settings
    # A producer whose queue is not known statically may be the one producing a name it names
    # (one naming neither, a generic "requeue" endpoint, says nothing of any name).
    produced_somewhere = {(family(site.producer.library), site.job.value) for site in graph.producers()
                          if not site.queue.is_value and site.job.is_value}
    for queue in graph.queues():
        producers = graph.producers(queue)
        if not producers or settings.produced_elsewhere(queue):
            continue  # produced by another service, or we cannot see by whom
        if any(not site.job.is_value for site in producers):
            continue  # some name is unknown: it may be the one handled
        produced = {site.job.value for site in producers}
        for name, entries in sorted(graph.handled(queue).names.items()):
            if name in produced or settings.produced_elsewhere(queue, name):
                continue
            for site, route in entries:
                if site.consumer.library not in CHECKED or (family(site.consumer.library), name) in produced_somewhere:
                    continue
                shown = "unnamed jobs (`__default__`)" if name == DEFAULT_JOB else f"job {name!r}"
                yield self.at(
                    route.span,
                    f"{site.consumer.handler} handles {shown} on queue {queue!r}, which nothing here produces",
                    hint="remove the dead handler, fix the producer's name, or declare the name in "
                         "`[external] produced-jobs` if another service produces it",
                    related=[Related(p.span, f"produces {p.job.value!r}") for p in producers[:5]],
                )
