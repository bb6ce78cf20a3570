"""Call sites evaluated against what a function does with its parameters: a function whose
parameter reaches a producer's job (or queue) name is a producer at each of its calls, and
one whose parameter names a consumer's queue is a consumer there.

`publish(name, data) { return this.queue.add(name, data) }` called as
`publish(JobName.Welcome, …)` becomes a producer of `JobName.Welcome`, anchored at that
argument; `WorkerManager.register(name, processor) { new Worker(name, …) }` called as
`WorkerManager.register(QueueName.Mail, mailProcessor)` becomes a worker of that queue whose
processor is `mailProcessor` (read where it is defined). A call site inside another such
function passes its own parameter on, and is expanded in turn, up to a fixed point. A
function with no call site found stays as it is: a producer or consumer whose queue or name
is unknown, never reported as a mismatch (and a consumer whose queue is unknown keeps
absence claims open, see `graph.open_consumers`).
"""

from __future__ import annotations

import os
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import NamedTuple, TypeVar

from queuelint.config import ProducerSpec
from queuelint.findings import Span
from queuelint.model import (
    IMPLEMENTS,
    QUEUE_OR_NAMED,
    CallSite,
    Consumer,
    Expr,
    FileFacts,
    Handler,
    Producer,
    Route,
    extended,
)
from queuelint.programs import TEST_FILE
from queuelint.resolve import Name, Resolver, bind_parameters, located

MAX_ROUNDS = 6
Function = tuple[str, str]  # (path, function id as in `Expr.reason` of a parameter)


def wrapped_function(site: Producer | Consumer) -> str | None:
    """The function whose parameter this producer's name (or queue), or this consumer's
    queue, comes from, if any."""
    job = site.job if isinstance(site, Producer) else None
    # The name's first (`index-${entity}`, `JOB_FOR[kind]`, a function passed in): the function
    # it comes from is the one called; a queue from a constructor is bound through the object.
    owner = _parameter_owner(job) if job is not None else None
    if owner:
        return owner
    for expr in (site.queue, _passed_queue(site.queue)):
        if expr is not None and expr.kind == "param" and expr.reason:
            return expr.reason
    owner = _parameter_owner(site.queue)  # `getQueue(name)`: a call passing one on
    if owner is None and isinstance(site, Consumer):
        # A task a factory defines, named from its parameter (`@app.task(name=f"reports.{kind}")`).
        owner = next((found for route in site.routes if (found := _name_owner(route.job))), None)
    return owner


def _name_owner(job: Expr) -> str | None:
    """The function whose parameter a job name is, or is made with."""
    if job.kind == "param" and job.reason:
        return job.reason
    if job.kind == "concat":
        return next((p.reason for p in job.parts if p.kind == "param" and p.reason), None)
    return None


def _parameter_owner(expr: Expr) -> str | None:
    """The function whose parameter occurs in `expr`, searched through calls' arguments."""
    if expr.kind == "param" and expr.reason:
        return expr.reason
    for part in expr.parts:
        found = _parameter_owner(part)
        if found:
            return found
    return None


def _passed_queue(queue: Expr) -> Expr | None:
    """For a queue object that came in as a parameter (`constructor(private queue: Queue)`)."""
    if queue.kind == "queue_name" and queue.parts and queue.parts[0].kind == "param":
        return queue.parts[0]
    return None


def short_name(function: str) -> str:
    """The name call sites use: `publish` for `Mailer.publish`, `Mailer` for its constructor."""
    owner, _, name = function.rpartition(".")
    return owner if name == "constructor" and owner else name


def search_word(function: str) -> str:
    """A word every file that can call `function` in a way we resolve must contain: the
    function's name, or for a method its class (a call on another file's object is resolved
    through the declared type, `private readonly mailer: Mailer`), so a method with a common
    name (`add`) does not make us read every file that says `add`."""
    owner, _, name = function.rpartition(".")
    return owner or name


def search_words(functions: Iterable[str], facts: Iterable[FileFacts]) -> set[bytes]:
    """The words of `search_word`, and for a method the names of the classes that extend its
    class, through any number of layers, as far as the files read show them."""
    extending: dict[str, set[str]] = defaultdict(set)
    instances: dict[str, set[str]] = defaultdict(set)  # class -> module names of objects made from it
    implemented: dict[str, set[str]] = defaultdict(set)  # class -> the interfaces it implements
    for file in facts:
        for cls, base in file.bases:
            if base.startswith(IMPLEMENTS):
                implemented[cls].add(base.removeprefix(IMPLEMENTS))
        for cls, base in file.bases:  # an interface it implements is searched for like a base
            extending[base.removeprefix(IMPLEMENTS).rpartition(".")[2]].add(cls)
        for name, expr in file.bindings:
            if expr.kind == "call" and expr.parts and expr.parts[0].kind == "ref":
                instances[expr.parts[0].text].add(name.split(".", 1)[0])
    words: set[str] = set()
    for function in functions:
        word = search_word(function)
        pending = [word] if "." in function else []
        words.add(word)
        while pending:
            owner = pending.pop()
            words.update(instances.get(owner, ()))  # `publisher.publish(…)` of `publisher = new Publisher()`
            words.update(implemented.get(owner, ()))  # `(jobs: JobManager) => jobs.trigger(…)`
            for cls in extending.get(owner, ()):
                if cls not in words:
                    words.add(cls)
                    pending.append(cls)
    return {w.encode() for w in words}


def distinctive(method: str) -> bool:
    """A method name long and compound enough (`ingest_file_content`, `sendWelcomeEmail`) that
    the files saying it are few: searched for beside its class, for calls on an object of it
    that another module made. A cost, not a claim: the flow stage checks each call."""
    words = len([c for c in method if c == "_" or c.isupper()]) + 1
    return len(method) >= 10 and words >= 2 and method not in ("constructor", "__init__")


def wrapper_functions(facts: Iterable[FileFacts], resolver: Resolver | None = None) -> frozenset[str]:
    """Wrapper functions (`addJobToQueue`, `Mailer.publish`, `createWorker`), to look for
    their call sites. A call on an object not known to be a queue (`manager.enqueue_job(name)`
    of a project's own manager) makes none, where the object is known not to be one."""
    functions = set()
    for file in facts:
        sites: list[Producer | Consumer] = [*file.producers, *file.consumers]
        for site in sites:
            function = wrapped_function(site)
            if function and resolver is not None and not site.library and site.queue.kind == "queue_name" \
                    and site.queue.parts and site.queue.parts[0].kind != "param" \
                    and resolver.queue_object(site.queue, file.path) is None:
                continue
            if function:
                functions.add(function)
    return frozenset(functions)


def relay_functions(facts: Iterable[FileFacts]) -> tuple[set[str], dict[str, set[str]]]:
    """The functions producers of their own name and queue are written in (`BaseTask.schedule`),
    whose calls are looked for: those other modules can call (exported, or methods of an
    exported class), searched everywhere; and, per file, those only their own module can."""
    exported: set[str] = set()
    private: dict[str, set[str]] = defaultdict(set)
    for file in facts:
        if TEST_FILE.search(os.path.basename(file.path)):
            continue  # a test's functions are called by the test runner
        public = _callable_from_elsewhere(file)
        tasks = {c.handler for c in file.consumers} if file.language == "python" else set()
        for producer in file.producers:
            if producer.within in tasks:
                continue  # its callers run the task in-process: they queue nothing
            if producer.within and not wrapped_function(producer):
                if producer.within in public or producer.within.partition(".")[0] in public:
                    exported.add(producer.within)
                else:
                    private[file.path].add(producer.within)
    return exported, dict(private)


def _callable_from_elsewhere(file: FileFacts) -> set[str]:
    """What another module can call, in a way a call site is resolved: TypeScript's exports
    (a method through its class); Python's top-level functions, and the methods of its
    top-level classes (called on an object a module makes, `service = IngestionService(…)`;
    an object whose class Python does not state is not followed)."""
    if file.language != "python":
        return {local for _, local in file.exports}
    classes = {name for name, _ in file.classes}
    return {p.within for p in file.producers if "." not in p.within or (p.within.count(".") == 1
            and p.within.partition(".")[0] in classes)}


class Relay(NamedTuple):
    """A call of a function a producer is written in (`new ExportTask().schedule(props)` of
    `BaseTask.schedule`, which adds the job): a place the job is put on the queue from. It
    adds the wrapper's job, so findings stay at the wrapper; the graph lists it as a producer
    reached through `via`. A call of a function such a call is written in is one too, a layer
    further out (`via` names each function between, outermost first)."""

    span: Span
    via: str
    wrapper_path: str
    wrapper: Producer
    within: str = ""  # the function the call is written in: its own calls are the next layer
    layer: int = 1


# How many functions out from a producer its callers are listed (the function it is written
# in, that function's callers, theirs): beyond, a call is rarely made to put the job on a queue.
MAX_RELAY_LAYERS = 5


class Expanded(NamedTuple):
    producers: dict[str, list[Producer]]
    consumers: dict[str, list[Consumer]]
    discovered: frozenset[tuple[str, str]]  # (file, function): callers passing their parameter on
    relays: dict[str, list[Relay]]  # per file: its calls of functions producers are written in


def expand(facts: Iterable[FileFacts], resolver: Resolver, specs: tuple[ProducerSpec, ...] = (),
           relay_calls: Mapping[str, tuple[CallSite, ...]] | None = None) -> Expanded:
    """Producers and consumers per file with wrappers and registration helpers replaced by
    their call sites (configured producers added at theirs), and the wrappers discovered on
    the way."""
    files = list(facts)
    producers: dict[str, list[Producer]] = {f.path: list(f.producers) for f in files}
    consumers: dict[str, list[Consumer]] = {f.path: list(f.consumers) for f in files}
    by_call = {spec.call: spec for spec in specs}
    for file in files:
        for call in file.calls:
            spec = by_call.get(call.name)
            if spec is not None:
                producers[file.path].append(_configured(spec, call))
    calls: dict[Function, list[tuple[str, CallSite]]] = defaultdict(list)
    implementations = implementations_of(files)
    for file in files:
        for call in file.calls:
            callee = _callee(call.target, file.path, resolver, implementations)
            if callee is not None:
                calls[callee].append((file.path, call))
    discovered: set[tuple[str, str]] = set()
    supers = Supers(calls, resolver)
    _to_fixed_point(producers, calls, discovered,
                    lambda p, path, sites: _producer_at_calls(p, path, sites, resolver, supers))
    _to_fixed_point(consumers, calls, discovered, lambda c, path, sites: [
        found for found in (_consumer_at_call(c, path, site_path, site, resolver, supers) for site_path, site in sites)
        if found is not None] or None)
    # A configured producer that is also a wrapper the code shows is found twice: keep one.
    for path, items in producers.items():
        unique = {(p.span, p.job, p.queue): p for p in reversed(items)}
        producers[path] = [p for p in items if unique.get((p.span, p.job, p.queue)) is p]
    # Calls found only to list relays (Python modules not read in full, see `python.callers`).
    relayed = defaultdict(list, {function: list(found) for function, found in calls.items()})
    for path, found_calls in (relay_calls or {}).items():
        for call in found_calls:
            callee = _callee(call.target, path, resolver, implementations)
            if callee is not None:
                relayed[callee].append((path, call))
    return Expanded(producers, consumers, frozenset(discovered), relays(producers, relayed))


def relays(producers: dict[str, list[Producer]], calls: dict[Function, list[tuple[str, CallSite]]]
           ) -> dict[str, list[Relay]]:
    """The calls of each function a producer of its own name and queue is written in, and of
    the functions those calls are written in, up to `MAX_RELAY_LAYERS` (not out of test code:
    a test's functions are called by the test runner)."""
    found: dict[str, list[Relay]] = defaultdict(list)
    seen: set[tuple[str, int, str, Span]] = set()  # a call found by both readers of a module
    pending: deque[tuple[Function, str, Producer, str, int]] = deque(
        ((path, producer.within), path, producer, producer.within, 1)
        for path, items in producers.items() for producer in items
        if producer.within and not wrapped_function(producer))
    expanded: set[tuple[Function, Span]] = set()
    while pending:
        function, path, producer, via, layer = pending.popleft()  # layer by layer, in the order found
        for site_path, site in calls.get(function, []):
            key = (site_path, site.span.line, function[1], producer.span)
            if (site_path == path and site.span == producer.span) or key in seen:
                continue
            seen.add(key)
            found[site_path].append(Relay(site.callee or site.span, via, path, producer, site.within, layer))
            caller = (site_path, site.within)
            if layer < MAX_RELAY_LAYERS and site.within and (caller, producer.span) not in expanded \
                    and caller != function and not TEST_FILE.search(os.path.basename(site_path)):
                expanded.add((caller, producer.span))
                pending.append((caller, path, producer, f"{site.within} > {via}", layer + 1))
    return dict(found)


def relay_callers(found: Mapping[str, list[Relay]], facts: Iterable[FileFacts]) -> tuple[set[str], dict[str, set[str]]]:
    """The functions relay calls are written in, whose own calls are the next layer: those
    other modules can call, and, per file, those only their own module can (as
    `relay_functions`)."""
    files = {f.path: f for f in facts}
    exported: set[str] = set()
    private: dict[str, set[str]] = defaultdict(set)
    for path, items in found.items():
        file = files.get(path)
        python = path.endswith(".py")  # a Python caller is found without reading its module in full
        if (file is None and not python) or TEST_FILE.search(os.path.basename(path)):
            continue
        public = {local for _, local in file.exports} if file is not None and not python else None
        for relay in items:
            caller = relay.within
            if not caller or relay.layer >= MAX_RELAY_LAYERS:
                continue
            reachable = "." not in caller if public is None else (caller in public or caller.partition(".")[0] in public)
            if reachable:
                exported.add(caller)
            else:
                private[path].add(caller)
    return exported, dict(private)


Site = TypeVar("Site", Producer, Consumer)
# What a wrapper's site amounts to at its calls: None to keep it as it is, else its
# replacements, each with the file it is written in (none: it never runs).
AtCalls = Callable[[Site, str, list[tuple[str, CallSite]]], "list[tuple[str, Site]] | None"]


def _to_fixed_point(sites: dict[str, list[Site]], calls: dict[Function, list[tuple[str, CallSite]]],
                    discovered: set[tuple[str, str]], at_calls: AtCalls[Site]) -> None:
    """Replace each site made inside a wrapper by what it amounts to at the wrapper's calls,
    until no new wrapper turns up (a call site inside another wrapper passes its parameter on)."""
    done: set[Function] = set()
    for _ in range(MAX_ROUNDS):
        wrappers: dict[Function, list[Site]] = defaultdict(list)
        for path, items in sites.items():
            for item in items:
                function = wrapped_function(item)
                if function:
                    wrappers[(path, function)].append(item)
        pending = [w for w in wrappers if w not in done]
        if not pending:
            break
        for wrapper in pending:
            done.add(wrapper)
            found = calls.get(wrapper, [])
            if not found:
                continue
            path, _ = wrapper
            for item in wrappers[wrapper]:
                expanded = at_calls(item, path, found)
                if expanded is None:
                    continue
                sites[path].remove(item)
                for site_path, new in expanded:
                    sites.setdefault(site_path, []).append(new)
                    function = wrapped_function(new)
                    if function:
                        discovered.add((site_path, function))


def _producer_at_calls(producer: Producer, path: str, sites: list[tuple[str, CallSite]],
                       resolver: Resolver, supers: Supers | None = None) -> list[tuple[str, Producer]] | None:
    # A guarded producer runs only where the caller passes what it tests; there, the guard is
    # met, and the producer made at the call is not guarded any more.
    passing = [(p, s) for p, s in sites if _passes(s, producer.guard)] if producer.guard else sites
    if not passing:
        return []
    unguarded = replace(producer, guard="")
    expanded = [p for p in (_at_call(unguarded, path, site_path, site, resolver, supers)
                            for site_path, site in passing) if p is not None]
    return expanded or None


def _configured(spec: ProducerSpec, site: CallSite) -> Producer:
    """The producer a call to a configured in-house producer amounts to."""
    position = f"{spec.name_arg}.{spec.name_key}" if spec.name_key else str(spec.name_arg)
    job, anchor = _argument_with_span(site, position)
    queue = Expr.literal(spec.queue) if spec.queue else _argument(site, str(spec.queue_arg))
    return Producer(anchor, spec.library, "add", queue, job, via=spec.call)


def _callee(target: str, path: str, resolver: Resolver,
            implementations: Mapping[str, list[tuple[str, str]]] | None = None) -> Function | None:
    kind, _, name = target.partition(":")
    if kind == "local":
        return path, name
    if kind == "self":  # `this.schedule()`: the class's own method, or one it inherits
        owner, _, method = name.rpartition(".")
        return resolver.method(owner, method, path) or (path, name)
    if kind == "import":
        found = resolver.definition(name, path)
        return found
    if kind == "from":  # `from app.mail import notify` read without the module's facts
        module, _, imported = name.rpartition(":")
        return resolver.imported_definition(module, imported, path)
    if kind == "object":  # `service.ingest(…)` of `from app.init import service`, read the same way
        module, _, called = name.rpartition(":")
        obj, _, method = called.rpartition(".")
        where = resolver.module_path(module, path)
        return resolver.instance_method(obj, method, where) if where is not None else None
    if kind == "super":  # `super(…)` in a class's constructor: the constructor of the class it extends
        facts = resolver.facts(path)
        base = extended(facts, name) if facts is not None else None
        return resolver.method(base, "constructor", path) if base and "." not in base else None
    if kind == "new":  # the class's constructor, or the one it inherits
        return resolver.method(name, "constructor", path) or _named(resolver.definition(name, path), "constructor")
    if kind in ("member", "static", "instance"):  # on a typed field, a class's own, an instance made
        type_name, _, method = name.rpartition(".")
        # Defined in the class or a class it extends; a class the project has not seen keeps
        # its name, as a call of a method whose file is not known.
        found = resolver.method(type_name, method, path) or _named(resolver.definition(type_name, path), method)
        if found is None and kind == "static":  # `publisher.publish(…)`: an object a module made
            found = resolver.instance_method(type_name, method, path)
        if found is None and kind == "member" and implementations is not None:
            # Declared as an interface the project has one class implementing: that class's.
            classes = implementations.get(type_name, [])
            if len(classes) == 1:
                found = resolver.method(classes[0][1], method, classes[0][0])
        return found
    return None


def implementations_of(facts: Iterable[FileFacts]) -> dict[str, list[tuple[str, str]]]:
    """Each interface the project's classes implement, by name: the (file, class) of each."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for file in facts:
        for cls, base in file.bases:
            if base.startswith(IMPLEMENTS):
                found[base.removeprefix(IMPLEMENTS)].append((file.path, cls))
    return dict(found)


def _named(found: tuple[str, str] | None, method: str) -> Function | None:
    return (found[0], f"{found[1]}.{method}") if found is not None else None


def _at_call(producer: Producer, path: str, site_path: str, site: CallSite,
             resolver: Resolver, supers: Supers | None = None) -> tuple[str, Producer] | None:
    """The producer a call to the wrapper amounts to, written at the call site."""
    function = wrapped_function(producer) or ""
    with resolver.recording() as read:
        queue = producer.queue
        if supers is not None and _constructor_parameter(queue) and not _mentions(queue, function):
            queue = supers.bound(queue, site, site_path)  # `this.queue` made from what `super(…)` passed
        job = producer.job
        if _reads_this(job, function) or _reads_this(queue, function):  # `this.jobName` of the call's object
            job, queue = (_bound_this(e, function, site, site_path, resolver, supers) for e in (job, producer.queue))
            if not _reads_this(producer.job, function):
                job = producer.job
            found = _queue_at_call(queue, producer.library, function, path, site_path, site, resolver)
            if found is None:
                return None
            queue, library = found
            if job is not producer.job:
                derived = _derived(producer.derived_from, read, path, site_path)
                return site_path, replace(producer, span=site.callee or site.span, library=library, queue=queue,
                                          job=job, via=function, derived_from=derived, within="")
            return path, replace(producer, library=library, queue=_fixed(resolver.name(queue, site_path), queue),
                                 derived_from=_derived(producer.derived_from, read, site_path, path))
        found = _queue_at_call(queue, producer.library, function, path, site_path, site, resolver)
        if found is None:
            return None
        queue, library = found
        if job.kind == "concat" and any(p.kind == "param" and p.reason == function for p in job.parts):
            # `index-${entity}` called with 'product': the caller's arguments, the rest as written.
            passed = [_argument_with_span(site, p.text) for p in job.parts if p.kind == "param" and p.reason == function]
            job = _concat_at_call(job, function, path, site, resolver)
            derived = _derived(producer.derived_from, read, path, site_path)
            return site_path, replace(producer, span=passed[0][1], library=library, queue=queue, job=job, via=function,
                                      derived_from=derived, within="")
        if job.kind == "param" and job.reason == function:
            job, anchor = _argument_with_span(site, job.text)
            derived = _derived(producer.derived_from, read, path, site_path)
            return site_path, replace(producer, span=anchor, library=library, queue=queue, job=job, via=function,
                                      derived_from=derived, within="")
        if _mentions(job, function):
            # `JOB_FOR[kind]`, `nameOf(kind)`: the wrapper's expression, its names looked up where
            # it is written, its parameters bound to the call's arguments (a parameter of the
            # caller's own stays, for the caller's calls).
            anchors: list[Span] = []

            def argument(position: str) -> Expr:
                value, span = _argument_with_span(site, position)
                anchors.append(span)
                return resolver.bound(value, site_path)

            job = bind_parameters(located(job, path), function, argument)
            derived = _derived(producer.derived_from, read, path, site_path)
            return site_path, replace(producer, span=anchors[0] if anchors else site.span, library=library, queue=queue,
                                      job=job, via=function, derived_from=derived, within="")
        # The name is the wrapper's own (only the queue came from the caller): the finding belongs
        # where that name is written, so the producer stays there with the queue made file-independent.
        queue = _fixed(resolver.name(queue, site_path), queue)
    return path, replace(producer, library=library, queue=queue,
                         derived_from=_derived(producer.derived_from, read, site_path, path))


def _derived(before: tuple[str, ...], read: set[str], *paths: str) -> tuple[str, ...]:
    """What a site made at a call depends on, besides the file it is written in (the last path)."""
    *others, own = paths
    return tuple(sorted((set(before) | read | set(others)) - {own}))


def _consumer_at_call(consumer: Consumer, path: str, site_path: str, site: CallSite,
                      resolver: Resolver, supers: Supers | None = None) -> tuple[str, Consumer] | None:
    """The worker a call to a registration helper amounts to (`createWorker('mail', fn)`),
    anchored at the call; its processor is the argument the helper hands the worker, read
    where it is defined when it is a named function."""
    function = wrapped_function(consumer) or ""
    with resolver.recording() as read:
        if _reads_this(consumer.queue, function):  # `this.topic` of the object the method is called on
            bound = _bound_this(consumer.queue, function, site, site_path, resolver, supers)
            found = (bound, consumer.library) if bound.kind in ("str", "param") else \
                _queue_at_call(bound, consumer.library, function, path, site_path, site, resolver)
        else:
            found = _queue_at_call(consumer.queue, consumer.library, function, path, site_path, site, resolver)
    if found is None:
        return None
    queue, library = found
    handler_ref, handler = consumer.handler_ref, f"{consumer.handler} (through `{site.name}`)"
    written: Handler | None = None
    processor_param = ""
    if consumer.processor_param:
        passed = _argument(site, consumer.processor_param)
        written = _argument_handler(site, consumer.processor_param)
        if passed.kind == "ref" and "." not in passed.text:
            handler_ref, handler = passed.text, passed.text
        elif written is not None:
            handler = f"processor passed to `{site.name}`"
        elif passed.kind == "param" and passed.reason == site.within and "." not in passed.text:
            processor_param = passed.text  # the caller's own parameter: named at its calls
    with resolver.recording() as named:
        routes = tuple(_route_at_call(route, function, path, site, resolver) for route in consumer.routes)
    made = replace(consumer, span=site.span, library=library, queue=queue, handler=handler,
                   handler_ref=handler_ref, processor_param=processor_param, routes=routes,
                   derived_from=_derived(consumer.derived_from, read | named, path, site_path))
    if written is not None:  # the processor written out at the call: what it routes on and how it fails
        made = replace(made, routes=written.routes, accepts_any=written.accepts_any, router=written.router,
                       returned_errors=written.returned_errors, swallowed_errors=written.swallowed_errors,
                       job_calls=written.job_calls)
    return site_path, made


def _route_at_call(route: Route, function: str, path: str, site: CallSite, resolver: Resolver) -> Route:
    """A name a factory's task gets from the factory's parameter, as the call gives it (at
    that argument), the rest of it resolved where the factory is written."""
    job = route.job
    if _name_owner(job) != function:
        return route
    if job.kind == "param":
        value, span = _argument_with_span(site, job.text)
        return Route(value, span)
    first = next(p for p in job.parts if p.kind == "param" and p.reason == function)
    return Route(_concat_at_call(job, function, path, site, resolver), _argument_with_span(site, first.text)[1])


def _concat_at_call(expr: Expr, function: str, path: str, site: CallSite, resolver: Resolver) -> Expr:
    """`index-${entity}` (a name or a queue) of `function`, called with 'product': the call's
    arguments in place of the parameters, the rest resolved where the function is written."""
    return Expr("concat", expr.text, parts=tuple(
        _argument(site, part.text) if part.kind == "param" and part.reason == function
        else _fixed(resolver.name(part, path), part) for part in expr.parts))


def _argument_handler(site: CallSite, position: str) -> Handler | None:
    index = int(position) if position.isdigit() else -1
    return site.args[index].handler if 0 <= index < len(site.args) else None


def _queue_at_call(queue: Expr, library: str, function: str, path: str, site_path: str, site: CallSite,
                   resolver: Resolver) -> tuple[Expr, str] | None:
    """The queue a call to `function` (defined in `path`) gives a producer or consumer of it,
    as an expression of the call site's file (`site_path`), and the queue's library; None
    when it is an object that turns out not to be a queue."""
    if queue.kind == "param" and queue.text.startswith("this.") and site.within and queue.reason == site.within:
        return queue, library  # the field of the object the caller runs on: known at its calls
    passed = _passed_queue(queue)
    if passed is not None and passed.reason == function:  # the queue object the caller passes
        return Expr("queue_name", queue.text, parts=(_argument(site, passed.text),)), library
    if queue.kind == "param" and queue.reason != function:  # another function's (a constructor's)
        return Expr.unknown(queue.parts[0].text if queue.parts else queue.text,
                            f"the queue comes in through `{short_name(queue.reason)}`'s parameters"), library
    if queue.kind == "param":
        index, _, key = queue.text.partition(".")
        whole = _argument(site, index) if key == "name" else None
        if whole is not None and whole.kind in ("ref", "call"):  # `queue.name` of a queue object passed in
            # (or of a plain object that names one, `{ name: 'repo-index', … }`)
            fallback = (Expr("ref", f"{whole.text}.name"),) if whole.kind == "ref" else ()
            return Expr("queue_name", whole.text, QUEUE_OR_NAMED, (whole, *fallback)), library
        return _argument(site, queue.text), library
    if queue.kind == "concat" and any(p.kind == "param" and p.reason == function for p in queue.parts):
        # `${service}-${queueName}`: the caller's arguments, the rest resolved where written.
        return _concat_at_call(queue, function, path, site, resolver), library
    if _mentions(queue, function):  # `getQueue(name).process(fn)`: evaluated with the caller's arguments
        queue = bind_parameters(queue, function, lambda position: resolver.bound(_argument(site, position), site_path))
        if site.within and _mentions(queue, site.within):  # the caller's own parameter: at the caller's calls
            return queue, library
    if not library:  # a queue object made or imported in the wrapper's file
        found = resolver.queue_object(queue, path)
        if found is None:
            return None
        return _fixed(found[0], queue), found[1]
    return _fixed(resolver.name(queue, path), queue), library


def _reads_this(expr: Expr, function: str) -> bool:
    """Whether `expr` holds `this.x` of `function` (see `typescript.state._of_this`)."""
    return (expr.kind == "param" and expr.reason == function and expr.text.startswith("this.")) \
        or any(_reads_this(part, function) for part in expr.parts)


def _bound_this(expr: Expr, function: str, site: CallSite, site_path: str, resolver: Resolver,
                supers: Supers | None = None) -> Expr:
    """`expr` with each `this.x` of `function` replaced by what the class of the call's object
    (or a class it extends) gives `x`, `this.constructor.name` by that class's name; unknown,
    saying why, when the object's class or the value is not known."""
    if expr.kind == "param" and expr.reason == function and expr.text.startswith("this."):
        return _field_of_receiver(expr.text.removeprefix("this."), site, site_path, resolver, supers)
    if expr.parts:
        return replace(expr, parts=tuple(_bound_this(part, function, site, site_path, resolver, supers)
                                         for part in expr.parts))
    return expr


def _field_of_receiver(field: str, site: CallSite, site_path: str, resolver: Resolver,
                       supers: Supers | None = None) -> Expr:
    """What `this.field` is on the object a call is made on: a field the class (or a class it
    extends) gives a value; a constructor's parameter, as the `super(…)` of the object's class
    passes it; for `this.method()` inside a class's own method, the same object's field, known
    at that method's calls (a `param` of it)."""
    kind, _, name = site.target.partition(":")
    owner = name if kind == "new" else name.rpartition(".")[0]
    cls = resolver.definition(owner, site_path) if kind in ("member", "instance", "static", "self", "new") else None
    why = f"`this.{field}` depends on the object's class, not known at this call"
    made = resolver.instance_of(owner, site_path) if cls is None and kind == "static" else None
    if made is not None:  # `mail.add(…)` of `export const mail = new QueueService('mail')`
        cls = resolver.definition(made[0].parts[0].text, made[1])
    if cls is None:
        return Expr.unknown(f"this.{field}", why)
    if field == "constructor.name":
        return Expr.literal(cls[1])
    for _ in range(8):
        facts = resolver.facts(cls[0])
        if facts is None:
            break
        bound = next((value for key, value in facts.bindings if key == f"{cls[1]}.{field}"), None)
        if made is not None and bound is not None and bound.kind == "param" \
                and _constructor_of(bound.reason) == cls[1] and bound.text.isdigit():
            given = made[0].parts[1:]  # what the object was made with
            if int(bound.text) < len(given):
                return _fixed(resolver.name(given[int(bound.text)], made[1]), given[int(bound.text)])
            return Expr.unknown(f"this.{field}", f"`{made[0].text}` does not pass it")
        if bound is not None and bound.kind == "param" and _constructor_of(bound.reason):
            passed = supers.bound(bound, site, site_path) if supers is not None else Expr.unknown(f"this.{field}", why)
            if passed.kind != "unknown" or kind != "self" or "." not in site.within:
                return passed
            break  # the class's own method: the object may be of any class extending it
        if bound is not None:
            reference = Expr("ref", f"{cls[1]}.{field}")
            return _fixed(resolver.name(reference, cls[0]), reference)
        base = extended(facts, cls[1])
        found = resolver.definition(base, cls[0]) if base and "." not in base else None
        if found is None:
            break
        cls = found
    if kind == "self" and "." in site.within:  # passed on: the field of the object the caller runs on
        return Expr("param", f"this.{field}", site.within, parts=(Expr.unknown(f"this.{field}"),))
    return Expr.unknown(f"this.{field}", why)


# How a class's constructor is named among its methods: TypeScript's, Python's.
CONSTRUCTORS = (".constructor", ".__init__")


def _constructor_of(function: str) -> str:
    """The class whose constructor `function` is (`Mail.constructor`, `Mail.__init__`), or ""."""
    return next((function.removesuffix(suffix) for suffix in CONSTRUCTORS if function.endswith(suffix)), "")


def _constructor_parameter(queue: Expr) -> bool:
    """A queue named by a parameter of a class's constructor (`this.queue = new Queue(topic)`)."""
    named = _passed_queue(queue) or queue
    return named.kind == "param" and bool(_constructor_of(named.reason))


class Supers:
    """What each class's constructor passes to the one it extends (`super(JobTopic.Mail, …)`),
    to name a queue a base class makes from its constructor's parameters, for a call on an
    object of a subclass (`this.mailQueue.add(…)`, `mailQueue: MailQueueService`)."""

    def __init__(self, calls: dict[Function, list[tuple[str, CallSite]]], resolver: Resolver) -> None:
        self.resolver = resolver
        self.passed: dict[tuple[str, str], tuple[Function, CallSite]] = {}  # (path, class) -> its super(…)
        for callee, found in calls.items():
            for path, call in found:
                kind, _, cls = call.target.partition(":")
                if kind == "super":
                    self.passed[(path, cls)] = (callee, call)

    def bound(self, queue: Expr, site: CallSite, site_path: str) -> Expr:
        """`queue` with the constructor parameter it names bound from the `super(…)` call of the
        class the call's object is made from (or a class between it and the base); unknown,
        saying why, when no such call passes a value."""
        named = _passed_queue(queue) or queue
        receiver = self._receiver(site, site_path)
        kind, _, name = site.target.partition(":")
        made = self.resolver.instance_of(name.rpartition(".")[0], site_path) \
            if receiver is None and kind == "static" else None
        if made is not None:  # `mail.add(…)` of `export const mail = new QueueService('mail')`
            receiver = self.resolver.definition(made[0].parts[0].text, made[1])
        seen = 0
        while receiver is not None and seen < 8:
            seen += 1
            if made is not None and _constructor_of(named.reason) == receiver[1] and named.text.isdigit():
                given = made[0].parts[1:]  # the object's own class: what it was made with
                if int(named.text) >= len(given):
                    break
                argument = given[int(named.text)]
                if named is not queue:
                    argument = Expr("queue_name", queue.text, parts=(argument,))
                return _fixed(self.resolver.name(argument, made[1]), argument)
            found = self.passed.get(receiver)
            if found is not None and found[0][1] == named.reason:
                argument = _argument(found[1], named.text)
                if argument.kind == "param" and made is not None and argument.text.isdigit():
                    named, queue = argument, argument  # passed on from the object's own constructor
                    receiver = self.resolver.definition(made[0].parts[0].text, made[1])
                    continue
                if argument.kind == "param":
                    break  # passed on from the subclass's own constructor: known where it is made
                if named is not queue:  # a queue object passed up: its name, where it is passed
                    argument = Expr("queue_name", queue.text, parts=(argument,))
                return _fixed(self.resolver.name(argument, receiver[0]), argument)
            receiver = self._base(receiver)
        why = f"the queue comes in through `{short_name(named.reason)}`'s parameters"
        return Expr.unknown(named.parts[0].text if named.parts else named.text, why)

    def _receiver(self, site: CallSite, site_path: str) -> tuple[str, str] | None:
        kind, _, name = site.target.partition(":")
        if kind not in ("member", "instance", "static", "self"):
            return None
        return self.resolver.definition(name.rpartition(".")[0], site_path)

    def _base(self, cls: tuple[str, str]) -> tuple[str, str] | None:
        facts = self.resolver.facts(cls[0])
        base = extended(facts, cls[1]) if facts is not None else None
        return self.resolver.definition(base, cls[0]) if base and "." not in base else None


def _mentions(expr: Expr, function: str) -> bool:
    """Whether a parameter of `function` occurs in `expr`."""
    return (expr.kind == "param" and expr.reason == function) or any(_mentions(p, function) for p in expr.parts)


def _fixed(name: Name, original: Expr) -> Expr:
    """A name resolved in the wrapper's file, made independent of that file (an unknown one
    keeps what was written and why it is not known)."""
    return Expr.literal(name.value) if name.is_value else Expr.unknown(name.text or original.text, name.reason)


def _passes(site: CallSite, position: str) -> bool:
    """Whether a call may pass the argument at `position` ("1", or "1.daily" for a key of an
    object): only a missing argument, or an object written out without that key, does not."""
    index_text, _, key = position.partition(".")
    if not index_text.isdigit():
        return True
    if int(index_text) >= len(site.args):
        return False
    argument = site.args[int(index_text)]
    if not key or argument.value is not None:  # not an object written out: it may hold anything
        return True
    return any(field.key == key.split(".", 1)[0] for field in argument.fields)


def _argument(site: CallSite, position: str) -> Expr:
    return _argument_with_span(site, position)[0]


def _argument_with_span(site: CallSite, position: str) -> tuple[Expr, Span]:
    index_text, _, key = position.partition(".")
    if not index_text.isdigit() or int(index_text) >= len(site.args):
        return Expr.unknown("", "the call does not pass this argument"), site.span
    argument = site.args[int(index_text)]
    if not key:
        if argument.value is None:
            return Expr.unknown("", "the call passes an object here"), argument.span
        return argument.value, argument.span
    for field in argument.fields:
        if field.key == key:
            return field.value, field.span
    if argument.value is not None and argument.value.kind == "queue" and key == "name" and argument.value.parts:
        return argument.value.parts[0], argument.span  # a queue object passed: the name it was made with
    if argument.value is not None and argument.value.kind == "ref":  # `SPECS.repoIndex` passed: its `name`
        return Expr("ref", f"{argument.value.text}.{key}", argument.value.reason), argument.span
    if argument.value is not None and argument.value.kind == "param" and "." not in argument.value.text:
        # the caller's own parameter handed on whole: its field, named at the caller's calls
        value = argument.value
        return Expr("param", f"{value.text}.{key}", value.reason, value.parts), argument.span
    return Expr.unknown("", f"the object the call passes has no `{key}`"), argument.span
