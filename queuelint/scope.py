"""What a partial run reports: the analysis always covers the whole project, and the paths
given on the command line (files or directories alike) only choose the findings shown.

A finding is shown when it is located in a given path, points into one (a related
location), or was derived through one: every finding carries the files it depends on
(`Diagnostic.depends`), which are the files of the producers and consumers at its
locations, the files resolving their names read (a constants module), the files they
were made from (a wrapper's module, an imported processor), and, for a producer or a
handled name, the files of the queue's other end, which decide a claim of absence. The language server uses the
same dependencies to know which open files a change touches.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from queuelint.files import inside
from queuelint.findings import Diagnostic, Span

if TYPE_CHECKING:
    from queuelint.graph import QueueGraph


def with_dependencies(diagnostics: Iterable[Diagnostic], graph: QueueGraph) -> list[Diagnostic]:
    """Each finding with the files it depends on: those of every site at one of its locations."""
    by_span: dict[Span, set[str]] = defaultdict(set)
    resolver = graph.resolver
    # A claim about a producer (no handler takes its name) or a consumer (nothing produces
    # what it handles) is decided by the other end: every file holding a site of the queue,
    # so a commit that removes a task or a case is checked against the producers it strands.
    consumers_of: dict[str, set[str]] = defaultdict(set)
    producers_of: dict[str, set[str]] = defaultdict(set)
    for consumer_site in graph.consumer_sites:
        if consumer_site.queue.is_value:
            consumers_of[consumer_site.queue.value].update({consumer_site.path, *consumer_site.consumer.derived_from})
    for producer_site in graph.producer_sites:
        if producer_site.queue.is_value:
            producers_of[producer_site.queue.value].update({producer_site.path, *producer_site.producer.derived_from})
    for declaration, path, _ in graph.declarations:
        by_span[declaration.span] |= resolver.sources(declaration.name, path)
    for producer_site in graph.producer_sites:
        producer, path = producer_site.producer, producer_site.path
        files = {*resolver.sources(producer.queue, path), *resolver.sources(producer.job, path),
                 *producer.derived_from}
        by_span[producer.span] |= files | (consumers_of[producer_site.queue.value] if producer_site.queue.is_value
                                           else set())
        for option in producer.options:
            by_span[option.span] |= files
    for consumer_site in graph.consumer_sites:
        consumer, path = consumer_site.consumer, consumer_site.path
        files = set(resolver.sources(consumer.queue, path)) | set(consumer.derived_from)
        for route in consumer.routes:
            files |= resolver.sources(route.job, route.span.path or path)
        spans = [consumer.span, *(r.span for r in consumer.routes), *(f.span for f in consumer.returned_errors),
                 *(f.span for f in consumer.swallowed_errors), *(f.span for f in consumer.job_calls)]
        if consumer.router is not None:
            spans.append(consumer.router.span)
            if consumer.router.fallback_span is not None:
                spans.append(consumer.router.fallback_span)
        for span in spans:
            by_span[span] |= files
        if consumer_site.queue.is_value:
            for route in consumer.routes:
                by_span[route.span] |= producers_of[consumer_site.queue.value]
    found = []
    for diagnostic in diagnostics:
        depends = {diagnostic.span.path, *(r.span.path for r in diagnostic.related)}
        for span in (diagnostic.span, *(r.span for r in diagnostic.related)):
            depends |= by_span.get(span, set())
        depends.discard(diagnostic.span.path)  # its own file is implied
        found.append(replace(diagnostic, depends=tuple(sorted(depends))))
    return found


def touches(diagnostic: Diagnostic, wanted: Sequence[str]) -> bool:
    """Whether the finding is located in, points into, or depends on one of `wanted`
    (absolute paths of files or directories)."""
    return any(_within(path, wanted) for path in (diagnostic.span.path, *diagnostic.depends))


def _within(path: str, wanted: Sequence[str]) -> bool:
    path = os.path.abspath(path)
    return any(inside(path, directory) for directory in wanted)


def narrowed(diagnostics: Iterable[Diagnostic], paths: Sequence[str]) -> list[Diagnostic]:
    """The findings a run on `paths` shows (all of them when no path narrows it)."""
    wanted = [os.path.abspath(p) for p in paths]
    return [d for d in diagnostics if touches(d, wanted)]
