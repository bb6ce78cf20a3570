"""QL104: two handlers for one queue and job name, or one processor registered twice."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from queuelint.findings import DEFAULT_JOB, Diagnostic, Related, Severity, Span
from queuelint.rules.base import Rule, RuleContext, rule

if TYPE_CHECKING:
    from queuelint.graph import ConsumerSite
    from queuelint.model import Route

# Bull keeps one handler per name on a queue instance and throws on a second one.
# BullMQ workers are competing consumers; several per queue is normal, so only Bull here.
NAMED_HANDLER_KINDS = ("process-decorator", "process-call")
# Task registries: Celery keeps the first task of a name and ignores the others; Dramatiq
# raises on a second actor of one name, whatever its queue (actor names are the broker's);
# arq keeps the last function of one name.
REGISTRY_KINDS = {"celery-task": "Celery keeps whichever task of that name is registered first and silently ignores the other",
                  "dramatiq-actor": "Dramatiq raises \"An actor named … is already registered\"",
                  "arq-function": "arq runs only the last function registered under a name"}


@rule(code="QL104", name="duplicate-handler", severity=Severity.ERROR, libraries=("bull", "celery", "dramatiq", "arq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    yield from _same_name_twice(self, context)
    yield from _provided_twice(self, context)


def _same_name_twice(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    graph = context.graph
    groups: dict[tuple[str, str, str], list[tuple[ConsumerSite, Route]]] = defaultdict(list)
    for site in graph.consumers():
        consumer = site.consumer
        if consumer.kind in REGISTRY_KINDS and site.queue.is_value:
            # A Celery or Dramatiq registry is the app's; arq's is each `WorkerSettings` class.
            registry = f"{site.path}:{consumer.owner}" if consumer.kind == "arq-function" else \
                f"{graph.package_of(site.path)}:{graph.program(site.path)}"  # tests build their own app
            if consumer.registered_in:  # defined when a function runs: apart from every other one
                registry = f"{site.path}:{consumer.registered_in}"
            queue = "" if consumer.kind == "dramatiq-actor" else site.queue.value  # one name space per broker
            for route, name in site.routes:
                if name.is_value:
                    groups[(registry, queue, name.value)].append((site, route))
            continue
        if consumer.library != "bull" or consumer.kind not in NAMED_HANDLER_KINDS or not site.queue.is_value:
            continue
        # Nest processors of one package run in one app. Bull keeps handlers per queue object:
        # process() calls share one when they reach the same object through names (a queue
        # module imported by both); otherwise only calls in one file are known to.
        scope = graph.package_of(site.path) if consumer.kind == "process-decorator" else site.path
        if consumer.kind == "process-call":
            instance = graph.resolver.queue_instance(consumer.queue, site.path)
            if instance is not None:
                scope = f"{instance[0]}:{instance[1].text}:{graph.program(site.path)}"
        for route, name in site.routes:
            if name.is_value:
                groups[(scope, site.queue.value, name.value)].append((site, route))
    for (_, _, job), entries in sorted(groups.items()):
        entries.sort(key=lambda entry: entry[1].span)
        first_site, first_route = entries[0]
        for site, route in entries[1:]:
            queue = site.queue.value
            consequence = REGISTRY_KINDS.get(site.consumer.kind,
                                             f"Bull throws \"Cannot define the same handler twice {job}\"")
            first = first_site.consumer.handler
            if first_route.span.path != route.span.path:  # which file, when it is another one
                where = os.path.relpath(first_route.span.path, context.settings.root).replace(os.sep, "/")
                first = f"{first} in {where}"
            yield self.at(
                route.span,
                f"second handler for job {_show(job)} on queue {queue!r} (first: {first}); {consequence}",
                hint="keep one handler per job name; give the other one its own name",
                related=[Related(first_route.span, f"first handler for {_show(job)}")],
            )


def _provided_twice(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    graph = context.graph
    processors: dict[tuple[str, str], list[ConsumerSite]] = defaultdict(list)
    for site in graph.consumers():
        if site.consumer.library == "bull" and site.consumer.kind == "process-decorator" and site.consumer.owner:
            processors[(site.path, site.consumer.owner)].append(site)
    if not processors:
        return
    provided: dict[tuple[str, str], list[tuple[Span, str, str]]] = defaultdict(list)
    for path, module in graph.modules():
        for name, span in module.providers:
            definition = graph.resolver.definition(name, path)
            if definition in processors:
                provided[definition].append((span, module.name, graph.package_of(path)))
    for processor, entries in sorted(provided.items()):
        owner = processor[1]
        # The module beside the processor is its home; the other registration is the one to remove.
        home = os.path.dirname(processor[0])
        entries.sort(key=lambda entry: (os.path.dirname(entry[0].path) != home, entry[0]))
        first_span, first_module, first_package = entries[0]
        for span, _module, package in entries[1:]:
            if package != first_package:
                continue  # different apps each register their own copy
            names = _handled_names(processors[processor])
            yield self.at(
                span,
                f"processor {owner} is also provided by {first_module}; its handlers are registered twice and "
                f"Bull throws \"Cannot define the same handler twice {names[0]}\"",
                hint=f"list {owner} in the providers of one module only and import that module where needed",
                related=[Related(first_span, f"{owner} first provided by {first_module}")],
            )


def _handled_names(sites: list[ConsumerSite]) -> list[str]:
    return sorted({name.value for site in sites for _, name in site.routes if name.is_value}) or ["…"]


def _show(name: str) -> str:
    return "`__default__`" if name == DEFAULT_JOB else repr(name)
