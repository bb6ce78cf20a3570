"""BullMQ: `new Queue(name)`, `queue.add(name, data, opts)`, `queue.addBulk([{ name, data, opts }])`,
`new Worker(name, processor)` (routed by `job.name` or not at all), `FlowProducer.add(tree)`."""

from __future__ import annotations

from dataclasses import replace

from queuelint.frontends.typescript.state import (
    Extraction,
    QueueObject,
    add_opaque_bulk,
    add_producer,
    bulk_elements,
    default_job_options,
    handler_consumer,
    imported_processor,
    job_options,
    processor_factory,
    processor_function,
    processor_parameter,
    sandboxed_processor,
)
from queuelint.frontends.typescript.syntax import Node, arguments, dotted_name, object_pairs, shorten, unwrap
from queuelint.frontends.typescript.values import expr_of
from queuelint.model import JOB_SCHEDULER, RESULT_READ, ApiUse, Expr, QueueDecl

LIBRARY = "bullmq"


def queue_name(node: Node | None, state: Extraction) -> Expr:
    """A queue name argument; `someQueue.name` names the queue that object was built with."""
    path = dotted_name(node, state.src)
    if path is not None and path.endswith(".name"):
        obj = state.variable(path.removesuffix(".name"), node) if node is not None else None
        if obj is not None:
            return obj.name
    return expr_of(node, state.src)


def construction(node: Node, exported: str, state: Extraction) -> QueueObject | None:
    args = arguments(node)
    if exported == "FlowProducer":
        return QueueObject(LIBRARY, "flow", Expr.unknown("FlowProducer", "a flow producer names the queue of each job it adds"))
    if exported == "QueueEvents":  # completed events carry each job's return value
        state.api_uses.append(ApiUse(state.src.span(node), LIBRARY, RESULT_READ))
        return None
    if not args or exported not in ("Queue", "Worker"):
        return None
    name = queue_name(args[0], state)
    if exported == "Queue":
        state.queues.append(QueueDecl(state.src.span(args[0]), LIBRARY, "instance", name,
                                      default_job_options(args[1:2], state)))
        return QueueObject(LIBRARY, "queue", name)
    processor = unwrap(args[1]) if len(args) > 1 else None
    function = processor_function(processor, state)
    consumer = handler_consumer(
        state,
        function=function,
        span=state.src.span(node),
        library=LIBRARY,
        kind="worker",
        queue=name,
        handler=_handler_name(processor, args[0], state),
    )
    if function is None:
        made_by = processor_factory(processor, state)
        consumer = replace(consumer, handler_ref=imported_processor(processor, state)
                           or sandboxed_processor(processor, state) or (made_by[0] if made_by else ""),
                           processor_param=processor_parameter(processor, state, name),
                           passed_maps=made_by[1] if made_by else ())
    if len(args) > 2:  # `new Worker(name, processor, { concurrency, … })`: its top-level keys
        consumer = replace(consumer, options=tuple(o for o in job_options(args[2], state) if "." not in o.key))
    state.consumers.append(consumer)
    return None


def _handler_name(processor: Node | None, queue: Node, state: Extraction) -> str:
    name = dotted_name(processor, state.src)
    if name is not None:
        return name.removeprefix("this.")
    worker = f"Worker({shorten(state.src.text(queue), 40)})"
    if processor is None or processor.type in ("null", "undefined"):
        return f"{worker} (no processor: jobs are fetched by hand)"
    if processor_factory(processor, state) is not None:
        callee = processor.child_by_field_name("function")
        return f"the processor {state.src.text(callee) if callee else ''}(…) makes for {worker}"
    if processor.type in ("string", "template_string", "call_expression", "binary_expression"):
        return f"{worker} (sandboxed processor file)"
    return f"the processor of {worker}"


def queue_call(call: Node, method: str, queue: QueueObject, state: Extraction) -> None:
    args = arguments(call)
    if not args:
        return
    if queue.kind == "flow":
        if method == "add":
            _flow(args[0], state)
        elif method == "addBulk":
            flows = unwrap(args[0])
            for flow in flows.named_children if flows is not None and flows.type == "array" else []:
                _flow(flow, state)
        return
    if method == JOB_SCHEDULER:
        _job_scheduler(call, args, queue, state)
        return
    if method == "process":  # Bull's API; a BullMQ Queue has no process()
        state.api_uses.append(ApiUse(state.src.span(call), LIBRARY, "queue.process"))
        return
    if method == "add":
        add_producer(state, args[0], LIBRARY, "add", queue.name, expr_of(args[0], state.src),
                     args[2] if len(args) > 2 else None)
    elif method == "addBulk":
        elements = bulk_elements(args[0], state)
        if elements is None:
            add_opaque_bulk(state, call, queue)
            return
        for element in elements:
            pairs = object_pairs(element, state.src)
            if "name" in pairs:
                add_producer(state, pairs["name"], LIBRARY, "addBulk", queue.name,
                             expr_of(pairs["name"], state.src), pairs.get("opts"))


def _job_scheduler(call: Node, args: list[Node], queue: QueueObject, state: Extraction) -> None:
    """`queue.upsertJobScheduler(id, repeat, { name, data, opts })`: the jobs it makes are
    named by the template's `name`, else by the scheduler's id (as BullMQ names them)."""
    template = object_pairs(args[2], state.src) if len(args) > 2 else {}
    written = unwrap(args[2]) if len(args) > 2 else None
    if written is not None and (written.type != "object" or ("name" not in template and _open(written))):
        # Not written out here, or `{ ...template }`: its name may be there.
        add_producer(state, args[2], queue.library, JOB_SCHEDULER, queue.name,
                     Expr.unknown(shorten(state.src.text(args[2])), "the scheduler's template is not written out here"))
        return
    named = template.get("name")
    anchor = named if named is not None else args[0]
    add_producer(state, anchor, queue.library, JOB_SCHEDULER, queue.name, expr_of(anchor, state.src), template.get("opts"))


def _open(node: Node) -> bool:
    """An object literal whose keys are not all written out: a spread, or a computed key."""
    for child in node.named_children:
        key = child.child_by_field_name("key") if child.type == "pair" else None
        if child.type == "spread_element" or (key is not None and key.type == "computed_property_name"):
            return True
    return False


def _flow(node: Node, state: Extraction) -> None:
    """One node of a flow tree and, recursively, its children."""
    pairs = object_pairs(node, state.src)
    if "name" in pairs and "queueName" in pairs:
        add_producer(state, pairs["name"], LIBRARY, "flow", queue_name(pairs["queueName"], state),
                     expr_of(pairs["name"], state.src), pairs.get("opts"))
    children = unwrap(pairs.get("children"))
    if children is not None and children.type == "array":
        for child in children.named_children:
            _flow(child, state)
