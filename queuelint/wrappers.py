"""Producer wrappers: a function whose parameter reaches a producer's job (or queue) name is
a producer too, and each call to it produces the name it passes.

`publish(name, data) { return this.queue.add(name, data) }` called as
`publish(JobName.Welcome, …)` becomes a producer of `JobName.Welcome`, anchored at that
argument. A call site inside another wrapper passes its own parameter on, and is expanded
in turn, up to a fixed point. A wrapper with no call site found stays as it is: a producer
whose name is unknown, never reported as a mismatch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from queuelint.config import ProducerSpec
from queuelint.findings import Span
from queuelint.model import CallSite, Expr, FileFacts, Producer
from queuelint.resolve import Name, Resolver

MAX_ROUNDS = 6
Function = tuple[str, str]  # (path, function id as in `Expr.reason` of a parameter)


def wrapped_function(producer: Producer) -> str | None:
    """The function whose parameter this producer's name (or queue) comes from, if any."""
    for expr in (producer.job, producer.queue, _passed_queue(producer.queue)):
        if expr is not None and expr.kind == "param" and expr.reason:
            return expr.reason
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


def wrapper_functions(facts: Iterable[FileFacts]) -> frozenset[str]:
    """Wrapper functions (`addJobToQueue`, `Mailer.publish`), to look for their call sites."""
    functions = set()
    for file in facts:
        for producer in file.producers:
            function = wrapped_function(producer)
            if function:
                functions.add(function)
    return frozenset(functions)


def expand(facts: Iterable[FileFacts], resolver: Resolver,
           specs: tuple[ProducerSpec, ...] = ()) -> tuple[dict[str, list[Producer]], frozenset[tuple[str, str]]]:
    """Producers per file with wrappers replaced by their call sites (configured producers
    added at theirs); and the wrappers discovered on the way (callers that pass their own
    parameter on), as (file, function)."""
    files = list(facts)
    producers: dict[str, list[Producer]] = {f.path: list(f.producers) for f in files}
    by_call = {spec.call: spec for spec in specs}
    for file in files:
        for call in file.calls:
            spec = by_call.get(call.name)
            if spec is not None:
                producers[file.path].append(_configured(spec, call))
    calls: dict[Function, list[tuple[str, CallSite]]] = defaultdict(list)
    for file in files:
        for call in file.calls:
            callee = _callee(call.target, file.path, resolver)
            if callee is not None:
                calls[callee].append((file.path, call))
    discovered: set[tuple[str, str]] = set()
    done: set[Function] = set()
    for _ in range(MAX_ROUNDS):
        wrappers: dict[Function, list[Producer]] = defaultdict(list)
        for path, items in producers.items():
            for producer in items:
                function = wrapped_function(producer)
                if function:
                    wrappers[(path, function)].append(producer)
        pending = [w for w in wrappers if w not in done]
        if not pending:
            break
        for wrapper in pending:
            done.add(wrapper)
            sites = calls.get(wrapper, [])
            if not sites:
                continue
            path, _ = wrapper
            for producer in wrappers[wrapper]:
                # A guarded producer runs only where the caller passes what it tests; there, the
                # guard is met, and the producer made at the call is not guarded any more.
                passing = [(p, s) for p, s in sites if _passes(s, producer.guard)] if producer.guard else sites
                if not passing:
                    producers[path].remove(producer)
                    continue
                unguarded = replace(producer, guard="")
                expanded = [p for p in (_at_call(unguarded, path, site_path, site, resolver) for site_path, site in passing)
                            if p is not None]
                if not expanded:
                    continue
                producers[path].remove(producer)
                for site_path, new in expanded:
                    producers.setdefault(site_path, []).append(new)
                    function = wrapped_function(new)
                    if function:
                        discovered.add((site_path, function))
    # A configured producer that is also a wrapper the code shows is found twice: keep one.
    for path, items in producers.items():
        unique = {(p.span, p.job, p.queue): p for p in reversed(items)}
        producers[path] = [p for p in items if unique.get((p.span, p.job, p.queue)) is p]
    return producers, frozenset(discovered)


def _configured(spec: ProducerSpec, site: CallSite) -> Producer:
    """The producer a call to a configured in-house producer amounts to."""
    position = f"{spec.name_arg}.{spec.name_key}" if spec.name_key else str(spec.name_arg)
    job, anchor = _argument_with_span(site, position)
    queue = Expr.literal(spec.queue) if spec.queue else _argument(site, str(spec.queue_arg))
    return Producer(anchor, spec.library, "add", queue, job, via=spec.call)


def _callee(target: str, path: str, resolver: Resolver) -> Function | None:
    kind, _, name = target.partition(":")
    if kind == "local":
        return path, name
    if kind == "self":
        return path, name
    if kind == "import":
        found = resolver.definition(name, path)
        return found
    if kind == "new":
        found = resolver.definition(name, path)
        return (found[0], f"{found[1]}.constructor") if found is not None else None
    if kind == "member":
        type_name, _, method = name.rpartition(".")
        found = resolver.definition(type_name, path)
        return (found[0], f"{found[1]}.{method}") if found is not None else None
    return None


def _at_call(producer: Producer, path: str, site_path: str, site: CallSite,
             resolver: Resolver) -> tuple[str, Producer] | None:
    """The producer a call to the wrapper amounts to, written at the call site."""
    function = wrapped_function(producer)
    library = producer.library
    queue = producer.queue
    passed = _passed_queue(queue)
    if passed is not None and passed.reason == function:  # the queue object the caller passes
        queue = Expr("queue_name", queue.text, parts=(_argument(site, passed.text),))
    elif queue.kind == "concat" and any(p.kind == "param" and p.reason == function for p in queue.parts):
        # `${service}-${queueName}`: the caller's arguments, the rest resolved where written.
        queue = Expr("concat", queue.text, parts=tuple(
            _argument(site, part.text) if part.kind == "param" and part.reason == function
            else _fixed(resolver.name(part, path), part) for part in queue.parts))
    elif queue.kind != "param":
        if not library:  # a queue object imported in the wrapper's file
            found = resolver.queue_object(queue, path)
            if found is None:
                return None
            library = found[1]
            queue = _fixed(found[0], queue)
        else:
            name = resolver.name(queue, path)
            queue = _fixed(name, queue)
    else:
        queue = _argument(site, queue.text)
    job = producer.job
    if job.kind == "param" and job.reason == function:
        job, anchor = _argument_with_span(site, job.text)
        return site_path, replace(producer, span=anchor, library=library, queue=queue, job=job, via=function or "")
    # The name is the wrapper's own (only the queue came from the caller): the finding belongs
    # where that name is written, so the producer stays there with the queue made file-independent.
    name = resolver.name(queue, site_path)
    queue = _fixed(name, queue)
    return path, replace(producer, library=library, queue=queue)


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
    return Expr.unknown("", f"the object the call passes has no `{key}`"), argument.span
