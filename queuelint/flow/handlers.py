"""Handlers read where they are written: a processor imported from another module, a
sandboxed processor's module, the function a processor hands its work to, and the functions
RQ runs as jobs. Each is read on demand (the store re-reads its file for those names) and
its facts joined to the consumer that runs it."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from queuelint import frontends

if TYPE_CHECKING:
    from queuelint.engine import FactStore
    from queuelint.model import Consumer, Handler, Producer
    from queuelint.resolve import Resolver


def imported_processors(store: FactStore, resolver: Resolver, consumers: Mapping[str, list[Consumer]],
                         listed: frozenset[str] = frozenset()) -> dict[str, list[Consumer]]:
    """Workers whose processor is a function of another module, or a sandboxed processor's
    module among the `listed` files: read that function (on demand) and give the consumer
    what it routes on and how it fails."""
    wanted: dict[str, set[str]] = defaultdict(set)
    targets: dict[tuple[str, int], tuple[str, str]] = {}
    delegated: dict[tuple[str, int], list[tuple[tuple[str, str], str, bool]]] = defaultdict(list)
    for path, items in consumers.items():
        for index, consumer in enumerate(items):
            if consumer.handler_ref.startswith(frontends.SANDBOX):  # a sandboxed processor: its module's default export
                module = sandboxed_module(consumer.handler_ref.removeprefix(frontends.SANDBOX), listed)
                if module is not None:
                    wanted[module].add("default")
                    targets[(path, index)] = (module, "default")
            elif consumer.handler_ref:
                reference = consumer.handler_ref.removesuffix(frontends.MADE_BY_CALL)
                found = resolver.definition(reference, path)
                if found is not None:  # the name the file is asked for keeps the suffix
                    found = (found[0], found[1] + consumer.handler_ref[len(reference):])
                    wanted[found[0]].add(found[1])
                    targets[(path, index)] = found
            for reference, returned in consumer.delegated:  # the work, in a function of another module
                found = resolver.definition(reference, path)
                if found is not None:
                    wanted[found[0]].add(found[1])
                    delegated[(path, index)].append((found, reference, returned))
    for path, names in wanted.items():
        store.reload(path, handlers=frozenset(names))
    merged = {path: list(items) for path, items in consumers.items()}
    for (path, index), (handler_path, name) in targets.items():
        handler = _handler_read(store, handler_path, name)
        if handler is not None:
            merged[path][index] = _with_handler(merged[path][index], handler, handler_path)
    for (path, index), functions in delegated.items():
        consumer = merged[path][index]
        for (handler_path, name), reference, returned in functions:
            handler = _handler_read(store, handler_path, name)
            if handler is None:
                continue
            # Its own body only: what it hands on was read taking its first parameter for the job.
            swallowed = tuple(replace(f, via=reference) for f in handler.swallowed_errors if not f.via)
            returns = tuple(replace(f, via=reference) for f in handler.returned_errors if not f.via) if returned else ()
            consumer = replace(consumer, swallowed_errors=consumer.swallowed_errors + swallowed,
                               returned_errors=consumer.returned_errors + returns,
                               derived_from=tuple(dict.fromkeys((*consumer.derived_from, handler_path))))
        merged[path][index] = consumer
    return merged


def _handler_read(store: FactStore, path: str, name: str) -> Handler | None:
    return next((h for h in store.facts[path].handlers if h.name == name), None) if path in store.facts else None


def job_functions(store: FactStore, resolver: Resolver,
                   producers: Mapping[str, list[Producer]]) -> dict[str, list[Consumer]]:
    """Functions RQ runs as jobs: an RQ worker imports the function a job names (by reference
    or dotted path) and calls it, with no registration to read. Each one of the project's,
    read on demand, is a handler of its producers' queue for the rules on how handlers fail;
    it takes no part in routing."""
    from queuelint.model import Consumer, Expr

    wanted: dict[str, set[str]] = defaultdict(set)
    enqueued: dict[tuple[str, str], Producer] = {}  # (file, function) -> the first producer of it
    for path, items in sorted(producers.items()):
        for producer in items:
            if producer.library != "rq":
                continue
            job = resolver.name(producer.job, path)
            if not job.is_value or "." not in job.value:
                continue
            module, _, function = job.value.rpartition(".")
            module_file = resolver.module_path(module, path)
            found = resolver.definition(function, module_file) if module_file is not None else None
            if found is None:
                continue  # not a function of the project: RQ imports it from elsewhere
            wanted[found[0]].add(found[1])
            enqueued.setdefault(found, producer)
    for path, names in wanted.items():
        store.reload(path, handlers=frozenset(names))
    functions: dict[str, list[Consumer]] = defaultdict(list)
    for (path, name), producer in enqueued.items():
        handler = _handler_read(store, path, name)
        if handler is None or handler.span is None:
            continue
        queue = resolver.name(producer.queue, producer.span.path)
        functions[path].append(Consumer(
            handler.span, "rq", "job-function", Expr.literal(queue.value) if queue.is_value else Expr.unknown(queue.text),
            name,
            accepts_any=True, returned_errors=handler.returned_errors, swallowed_errors=handler.swallowed_errors,
            derived_from=(producer.span.path,)))
    return functions


def sandboxed_module(path: str, listed: frozenset[str]) -> str | None:
    """The project file a sandboxed processor path names: itself, or the TypeScript source of
    a `.js` name beside it (`resize.js` run by ts-node is `resize.ts`). Only files the run
    lists count: another one (build output) is not the project's to judge, nor watched."""
    stem, extension = os.path.splitext(path)
    candidates = [path] + ([stem + ".ts", stem + ".mts"] if extension in (".js", ".mjs", ".cjs") else [])
    return next((candidate for candidate in candidates if candidate in listed), None)


# Consumers registered under a name of their own (Bull's `process('name', fn)`, a function in
# arq's `functions` list): the function read elsewhere says how it fails, not what it handles.
NAMED_REGISTRATIONS = frozenset({"process-call", "arq-function"})


def _with_handler(consumer: Consumer, handler: Handler, handler_path: str) -> Consumer:
    derived = consumer.derived_from if handler_path in consumer.derived_from or handler_path == consumer.span.path \
        else (*consumer.derived_from, handler_path)
    consumer = replace(consumer, returned_errors=handler.returned_errors, swallowed_errors=handler.swallowed_errors,
                       job_calls=handler.job_calls, derived_from=derived)
    if consumer.kind in NAMED_REGISTRATIONS and consumer.routes:  # registered under exactly that name
        return consumer
    if handler.map_param >= 0:  # a factory's processor, routing on the map the call passes
        passed = dict(consumer.passed_maps).get(handler.map_param)
        if passed is None:  # not written out at the call: every name, as far as is known
            return replace(consumer, routes=(), accepts_any=True, router=None)
        return replace(consumer, routes=passed, accepts_any=False, router=handler.router)
    return replace(consumer, routes=handler.routes, accepts_any=handler.accepts_any, router=handler.router)
