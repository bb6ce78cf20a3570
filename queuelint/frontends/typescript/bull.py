"""Bull (v3/v4): `new Queue(name)`, `queue.add([name,] data[, opts])`, `queue.addBulk`,
`queue.process([name,] [concurrency,] handler)` where `'*'` handles every name."""

from __future__ import annotations

import re
from dataclasses import replace

from queuelint.findings import DEFAULT_JOB
from queuelint.frontends.typescript.state import (
    Extraction,
    QueueObject,
    add_opaque_bulk,
    add_producer,
    bulk_elements,
    default_job_options,
    handler_consumer,
    imported_processor,
    processor_factory,
    processor_function,
    processor_parameter,
)
from queuelint.frontends.typescript.syntax import Node, arguments, object_pairs, shorten, unwrap
from queuelint.frontends.typescript.values import expr_of, lookup_local
from queuelint.model import NUMBER, Expr, QueueDecl, Route

LIBRARY = "bull"
JOB_OPTIONS = frozenset(
    {"priority", "delay", "attempts", "repeat", "backoff", "lifo", "timeout", "jobId", "removeOnComplete",
     "removeOnFail", "stackTraceLimit", "preventParsingData"}
)
ANY_NAME = "*"
DATA_LIKE = re.compile(r"(^|\.)(data|payload|body|input|props|params|message|event|job)$", re.I)


def construction(node: Node, exported: str, state: Extraction) -> QueueObject | None:
    """Bull's default export is the Queue class: `new Queue(name, [url], [opts])`."""
    if exported not in ("default", "Queue"):
        return None
    args = arguments(node)
    if not args:
        return None
    name = expr_of(args[0], state.src)
    # `new Queue(name, opts)` or `new Queue(name, url, opts)`.
    state.queues.append(QueueDecl(state.src.span(args[0]), LIBRARY, "instance", name,
                                  default_job_options(args[1:3], state)))
    return QueueObject(LIBRARY, "queue", name)


def queue_call(call: Node, method: str, queue: QueueObject, state: Extraction) -> None:
    args = arguments(call)
    if method == "add":
        _add(call, args, queue, state)
    elif method == "addBulk":
        _add_bulk(call, args, queue, state)
    elif method == "process":
        _process(call, args, queue, state)


def _add(call: Node, args: list[Node], queue: QueueObject, state: Extraction) -> None:
    if not args:
        return
    named = _is_named_add(args, state)
    if named is None:  # the graph lists it as unresolved; never a mismatch
        add_producer(state, args[0], queue.library, "add", queue.name, Expr.unknown(shorten(state.src.text(args[0]))))
    elif named:
        add_producer(state, args[0], queue.library, "add", queue.name, expr_of(args[0], state.src),
                     args[2] if len(args) > 2 else None, args)
    else:
        add_producer(state, call, queue.library, "add", queue.name, Expr.literal(DEFAULT_JOB), args[1] if len(args) > 1 else None)


def _is_named_add(args: list[Node], state: Extraction) -> bool | None:
    """Whether `add` got a job name first. None when the call does not show it."""
    if len(args) >= 3:
        return True
    if len(args) == 1:
        return False
    first = unwrap(args[0])
    if first is None:
        return None
    if first.type in ("object", "array"):
        return False
    if first.type in ("string", "template_string", "binary_expression"):
        return True
    if first.type == "identifier":
        binding = lookup_local(first, state.src.text(first), state.src)
        value = unwrap(binding.value)
        if value is not None and value.type in ("object", "array"):
            return False
    name = expr_of(first, state.src)
    if name.kind in ("str", "concat", "dynamic", "ref"):  # a constant of this or another module
        return True
    if name.kind == "param":  # `add(name, data)` in a wrapper, unless the parameter is the data
        written = name.parts[0].text if name.parts else ""
        return not DATA_LIKE.search(written)
    options = object_pairs(args[1], state.src)
    if options and set(options) <= JOB_OPTIONS:
        return False
    return None


def _add_bulk(call: Node, args: list[Node], queue: QueueObject, state: Extraction) -> None:
    elements = bulk_elements(args[0], state) if args else None
    if elements is None:
        add_opaque_bulk(state, call, queue)
        return
    for element in elements:
        pairs = object_pairs(element, state.src)
        if not pairs:
            continue
        name = pairs.get("name")
        if name is None:
            add_producer(state, element, queue.library, "addBulk", queue.name, Expr.literal(DEFAULT_JOB), pairs.get("opts"))
        else:
            add_producer(state, name, queue.library, "addBulk", queue.name, expr_of(name, state.src), pairs.get("opts"))


def _process(call: Node, args: list[Node], queue: QueueObject, state: Extraction) -> None:
    if not args:
        return
    handler = args[-1]
    name: Expr
    written = expr_of(args[0], state.src) if len(args) > 1 else None
    if written is None or written.reason == NUMBER:  # `process(fn)`, `process(CONCURRENCY, fn)`
        name = Expr.literal(DEFAULT_JOB)
        anchor = call
    else:  # a name; or, imported from elsewhere, a number: see `graph` (a concurrency)
        name = written
        anchor = args[0]
    function = processor_function(handler, state)
    made_by = processor_factory(handler, state) if function is None else None
    reference = (imported_processor(handler, state) or (made_by[0] if made_by else "")) if function is None else ""
    accepts_any = name.kind == "str" and name.text == ANY_NAME
    consumer = handler_consumer(
        state,
        function=function,
        span=state.src.span(anchor),
        library=queue.library,
        kind="process-call",
        queue=queue.name,
        handler=f"process({shorten(state.src.text(args[0]), 30)})" if len(args) > 1 else "process()",
    )
    consumer = replace(consumer, handler_ref=reference, passed_maps=made_by[1] if made_by else (),
                       processor_param=processor_parameter(handler, state, queue.name) if function is None else "")
    if accepts_any:  # process('*', fn): the names are whatever fn routes on
        state.consumers.append(consumer)
    else:  # a named process() handles exactly its name; routing inside it does not widen that
        state.consumers.append(replace(consumer, routes=(Route(name, state.src.span(anchor)),), accepts_any=False))
