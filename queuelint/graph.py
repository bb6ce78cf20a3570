"""The producer -> consumer graph, per queue (networkx).

Nodes: ``("queue", q)``, ``("job", q, name)``, ``("producer", i)``, ``("consumer", i)``.
Edges: producer -> job (``produces``), job -> queue (``on``), queue -> consumer
(``consumed-by``) and consumer -> job (``handles``). Rules ask the graph questions; they
never see a syntax tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from queuelint.findings import DEFAULT_JOB, Coverage, Span
from queuelint.model import (
    ACTOR_NAME,
    ACTOR_QUEUE,
    ASSUMED_UNSET,
    NUMBER,
    QUEUE_OR_NAME,
    QUEUE_OR_NAMED,
    Consumer,
    FileFacts,
    ModuleDecl,
    Producer,
    QueueDecl,
    Route,
)
from queuelint.programs import Program, family, program_of, serves
from queuelint.resolve import Name, Resolver

# The reasons a `queue_name` expression carries to say how to read it, not why it is unknown.
QUEUE_READINGS = frozenset({QUEUE_OR_NAME, QUEUE_OR_NAMED, ACTOR_NAME})

if TYPE_CHECKING:
    import networkx as nx

    from queuelint.flow.callsites import Relay


@dataclass(frozen=True)
class ProducerSite:
    producer: Producer
    path: str
    queue: Name
    job: Name

    @property
    def span(self) -> Span:
        return self.producer.span


@dataclass(frozen=True)
class ConsumerSite:
    consumer: Consumer
    path: str
    queue: Name
    routes: tuple[tuple[Route, Name], ...]

    @property
    def span(self) -> Span:
        return self.consumer.span


@dataclass
class Handled:
    """The names a queue's consumers handle, as far as they are known."""

    names: dict[str, list[tuple[ConsumerSite, Route]]] = field(default_factory=dict)
    accepts_any: bool = False  # some consumer takes every name
    complete: bool = True  # every route resolved to a value

    def __contains__(self, name: object) -> bool:
        return name in self.names


class QueueGraph:
    def __init__(self, facts: Iterable[FileFacts], resolver: Resolver,
                 producers: Mapping[str, list[Producer]] | None = None,
                 consumers: Mapping[str, list[Consumer]] | None = None, root: str = "",
                 job_functions: Mapping[str, list[Consumer]] | None = None,
                 relays: Mapping[str, list[Relay]] | None = None) -> None:
        """`producers` and `consumers` replace the files' own (after wrappers and imported
        processors were followed); `root`, the project's, tells test code by its path;
        `job_functions`: functions run as jobs with no registration (RQ's), handlers that take
        no part in routing; `relays`: calls of the functions producers are written in, listed
        as producers reached through them (no rule reads them: findings stay at the wrapper)."""
        self.facts = sorted(facts, key=lambda f: f.path)
        self.root = root
        self._programs: dict[str, Program] = {}
        self._open: dict[tuple[str, Program], list[ConsumerSite]] = {}
        self._serving: dict[tuple[str, str, Program], list[ConsumerSite]] = {}
        self._handled: dict[tuple[str, str, Program], Handled] = {}
        self.resolver = resolver
        import networkx as nx  # 0.2 s to import: not paid by runs answered from the cache

        self.graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        self.producer_sites: list[ProducerSite] = []
        self.relay_sites: list[ProducerSite] = []
        self._site_of: dict[tuple[str, Producer], ProducerSite] = {}
        self.consumer_sites: list[ConsumerSite] = []
        self.unresolved: list[tuple[Span, str]] = []
        self.declarations: list[tuple[QueueDecl, str, Name]] = []  # (declaration, path, resolved name)
        for file in self.facts:
            for declaration in file.queues:
                self.declarations.append((declaration, file.path, resolver.name(declaration.name, file.path)))
            for unresolved in file.unresolved:
                self.unresolved.append((unresolved.span, unresolved.what))
            for producer in (producers[file.path] if producers and file.path in producers else file.producers):
                self._add_producer(file.path, producer)
            for consumer in (consumers[file.path] if consumers and file.path in consumers else file.consumers):
                self._add_consumer(file.path, consumer)
        for path, found in sorted((relays or {}).items()):
            for relay in found:
                wrapper = self._site_of.get((relay.wrapper_path, relay.wrapper))
                if wrapper is not None and wrapper.queue.is_value:
                    called = replace(wrapper.producer, span=relay.span, via=relay.via, within="")
                    self.relay_sites.append(ProducerSite(called, path, wrapper.queue, wrapper.job))
        self.job_function_sites = [ConsumerSite(function, path, resolver.name(function.queue, path), ())
                                   for path, functions in sorted((job_functions or {}).items())
                                   for function in functions]

    def _add_producer(self, path: str, producer: Producer) -> None:
        original = producer
        if not producer.library:  # a call on an imported object: a producer only if that is a queue
            found = self.resolver.queue_object(producer.queue, path)
            if found is None:
                if producer.queue.reason and producer.queue.reason not in QUEUE_READINGS:  # the front-end's words
                    self.unresolved.append((producer.span, producer.queue.reason))
                return
            producer = replace(producer, library=found[1])
        site = ProducerSite(producer, path, self.resolver.name(producer.queue, path),
                            self.resolver.name(producer.job, path))
        if producer.queue.kind == "ref" and producer.queue.text.endswith(ACTOR_QUEUE) and not site.queue.is_value \
                and not self.resolver.binds(producer.queue, path):
            return  # `x.send()` on an object not known to be a Dramatiq actor (a signal, a mailer)
        index = len(self.producer_sites)
        self.producer_sites.append(site)
        self._site_of[(path, original)] = site
        node = ("producer", index)
        self.graph.add_node(node, site=site)
        if not site.queue.is_value:
            self.unresolved.append((producer.span, f"queue of this producer: {site.queue.reason or site.queue.text}"))
            return
        queue = ("queue", site.queue.value)
        self.graph.add_node(queue, name=site.queue.value)
        if site.job.is_value:
            job = ("job", site.queue.value, site.job.value)
            self.graph.add_edge(node, job, kind="produces")
            self.graph.add_edge(job, queue, kind="on")
        else:
            self.graph.add_edge(node, queue, kind="produces-unresolved")
            if site.job.status == "unknown":
                self.unresolved.append((producer.span, f"job name: {site.job.reason or site.job.text}"))

    def _add_consumer(self, path: str, consumer: Consumer) -> None:
        if not consumer.library:
            found = self.resolver.queue_object(consumer.queue, path)
            if found is None:
                return
            made = self.resolver.queue_kind(consumer.queue, path)
            if made and made != consumer.kind:
                return  # read as one library's task, the decorator is another's: not followed
            consumer = replace(consumer, library=found[1])
        queue_name = self.resolver.name(consumer.queue, path)
        # A route is resolved where it is written (a processor read in its own module).
        routes = tuple((route, self._route_name(consumer, route, path)) for route in consumer.routes)
        site = ConsumerSite(consumer, path, queue_name, routes)
        index = len(self.consumer_sites)
        self.consumer_sites.append(site)
        node = ("consumer", index)
        self.graph.add_node(node, site=site)
        if not queue_name.is_value:
            self.unresolved.append((consumer.span, f"queue of this consumer: {queue_name.reason or queue_name.text}"))
            return
        queue = ("queue", queue_name.value)
        self.graph.add_node(queue, name=queue_name.value)
        self.graph.add_edge(queue, node, kind="consumed-by")
        for route, name in routes:
            if name.is_value:
                job = ("job", queue_name.value, name.value)
                self.graph.add_edge(node, job, kind="handles", route=route)
                self.graph.add_edge(job, queue, kind="on")
            else:
                self.unresolved.append((route.span, f"handled job name: {name.reason or name.text}"))

    def _route_name(self, consumer: Consumer, route: Route, path: str) -> Name:
        """A handled name, resolved where it is written; a number given to `process(x, fn)`
        is the concurrency of a handler of unnamed jobs (imported from elsewhere, it is only
        known to be a number here)."""
        name = self.resolver.name(route.job, route.span.path or path)
        if consumer.kind == "process-call" and name.is_value and name.reason == NUMBER:
            return Name("value", DEFAULT_JOB, name.text)
        return name

    # --- queries ----------------------------------------------------------------

    def queues(self) -> list[str]:
        return sorted(data["name"] for node, data in self.graph.nodes(data=True) if node[0] == "queue")

    def producers(self, queue: str | None = None) -> list[ProducerSite]:
        if queue is None:
            return list(self.producer_sites)
        node = ("queue", queue)
        if node not in self.graph:
            return []
        found = {
            source
            for job, _, data in self.graph.in_edges(node, data=True)
            for source in ([job] if data["kind"] == "produces-unresolved" else self.graph.predecessors(job))
            if source[0] == "producer"
        }
        return [self.producer_sites[i] for _, i in sorted(found)]

    def dotted_family(self, site: ProducerSite) -> tuple[str, str, list[str]] | None:
        """For an RQ job named by a dotted path built around what is not known
        (`f"app.exports.{fmt}_export"`) whose module is written out and is the project's: the
        module, the shape of the function name (`…_export`) and the functions it can name."""
        family = site.job.family
        if site.producer.library != "rq" or site.job.is_value or not family or not family[0] \
                or "." not in family[0] or any(p is not None and "." in p for p in family[1:]):
            return None
        module, _, first = family[0].rpartition(".")
        path = self.resolver.module_path(module, site.path)
        facts = self.resolver.facts(path) if path is not None else None
        if facts is None:
            return None
        function = Name(site.job.status, family=(first, *family[1:]) if first else family[1:])
        return module, function.family_text(), sorted(name for name, _ in facts.exports if function.may_be(name))

    def handlers(self) -> list[ConsumerSite]:
        """Every body that runs jobs: the consumers, and functions run as jobs (RQ's)."""
        return self.consumer_sites + self.job_function_sites

    def consumers(self, queue: str | None = None) -> list[ConsumerSite]:
        if queue is None:
            return list(self.consumer_sites)
        node = ("queue", queue)
        if node not in self.graph:
            return []
        found = sorted(n for n in self.graph.successors(node) if n[0] == "consumer")
        return [self.consumer_sites[i] for _, i in found]

    def program(self, path: str) -> Program:
        found = self._programs.get(path)
        if found is None:
            found = self._programs[path] = program_of(os.path.relpath(path, self.root) if self.root else path)
        return found

    def serving(self, queue: str, producer: ProducerSite) -> list[ConsumerSite]:
        """The consumers of `queue` that take the jobs `producer` adds: of its library family
        (an RQ queue and a Dramatiq queue may share a name), serving its program."""
        key = (queue, family(producer.producer.library), self.program(producer.path))
        found = self._serving.get(key)
        if found is None:  # asked for every producer: once per queue, family and program
            found = self._serving[key] = [site for site in self.consumers(queue)
                                          if family(site.consumer.library) == key[1]
                                          and serves(self.program(site.path), key[2])]
        return found

    def open_consumers(self, producer: ProducerSite) -> list[ConsumerSite]:
        """Consumers of the producer's library family, serving its program, whose queue is not
        known: any of them may be the one taking its jobs, so absence cannot be claimed."""
        key = (family(producer.producer.library), self.program(producer.path))
        found = self._open.get(key)
        if found is None:
            found = self._open[key] = [
                site for site in self.consumer_sites
                if (not site.queue.is_value or assumed(site.queue)) and family(site.consumer.library) == key[0]
                and serves(self.program(site.path), key[1])]
        return found

    def may_take(self, producer: ProducerSite) -> list[ConsumerSite]:
        """The open consumers (see `open_consumers`) that could handle this producer's job: one
        that takes every name, routes on a name not known, or handles this one."""
        job = producer.job.value if producer.job.is_value else None
        return [site for site in self.open_consumers(producer)
                if site.consumer.accepts_any or any(not name.is_value or name.value == job for _, name in site.routes)]

    def closed(self, producer: ProducerSite) -> bool:
        """Whether what `producer` reaches can be claimed missing: its queue (and name) were
        not chosen by an environment assumed unset, and no open consumer could take its job."""
        return not assumed(producer.queue) and not assumed(producer.job) and not self.may_take(producer)

    def handled(self, queue: str, producer: ProducerSite | None = None) -> Handled:
        """What the consumers of `queue` handle (those serving `producer`, if given)."""
        if producer is not None:
            key = (queue, family(producer.producer.library), self.program(producer.path))
            if key not in self._handled:
                self._handled[key] = self._handled_by(queue, producer)
            return self._handled[key]
        return self._handled_by(queue, None)

    def _handled_by(self, queue: str, producer: ProducerSite | None) -> Handled:
        handled = Handled()
        for site in self.consumers(queue) if producer is None else self.serving(queue, producer):
            if site.consumer.accepts_any:
                handled.accepts_any = True
            for route, name in site.routes:
                if name.is_value:
                    handled.names.setdefault(name.value, []).append((site, route))
                else:
                    handled.complete = False
        return handled

    def coverage(self, files: int, library_files: int) -> Coverage:
        """What was understood, for the run's summary (`library_files`: files importing a queue library)."""
        return Coverage(
            files=files,
            queues=len(self.queues()),
            producers=len(self.producer_sites),
            producer_calls=len(self.relay_sites),
            producers_not_followed=sum(1 for s in self.producer_sites  # a name built around data is followed
                                       if not s.queue.is_value or (s.job.status == "unknown" and not s.job.holes)),
            consumers=len(self.consumer_sites),
            consumers_not_followed=sum(1 for s in self.consumer_sites if not s.queue.is_value),
            library_files=library_files,
            others_not_followed=sum(len(file.unresolved) for file in self.facts),
        )

    def modules(self) -> Iterator[tuple[str, ModuleDecl]]:
        for file in self.facts:
            for module in file.modules:
                yield file.path, module

    def package_of(self, path: str) -> str:
        """The nearest directory with a package manifest: the unit that runs as one app."""
        return self.resolver.package_root(os.path.dirname(path))


def assumed(name: Name) -> bool:
    """A value the environment chose, taken as where nothing is set (see `model.ASSUMED_UNSET`)."""
    return name.is_value and ASSUMED_UNSET in name.reason
