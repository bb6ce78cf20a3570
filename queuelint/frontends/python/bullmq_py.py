"""bullmq (the Python port): `Queue('q').add('name', data, opts)`, `Worker('q', process)`
with `job.name` routing in the process function. Same wire format as Node's BullMQ, so its
queues join the same graph as TypeScript producers and consumers."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from queuelint.frontends.python.state import PyState, callee
from queuelint.frontends.python.syntax import argument, dotted_name, positional
from queuelint.model import Expr, QueueDecl

LIBRARY = "bullmq"


def construction(target: str, node: cst.Call, state: PyState) -> bool:
    """`queue = Queue('mail')`: remember which variable is which queue."""
    if state.library_of(callee(node)) != (LIBRARY, "Queue"):
        return False
    name_node = argument(node, 0, "name")
    if name_node is not None:
        name = state.expr(name_node)
        state.variables[target] = (LIBRARY, name)
        state.queues.append(QueueDecl(state.span(name_node), LIBRARY, "instance", name))
    return True


def worker(node: cst.Call, state: PyState) -> None:
    """`Worker('mail', process, opts)`: a consumer routed by `process`."""
    if state.library_of(callee(node)) != (LIBRARY, "Worker"):
        return
    name_node = argument(node, 0, "name")
    if name_node is None:
        return
    name = state.expr(name_node)
    processor = argument(node, 1, "processor")
    made = processor.func if isinstance(processor, cst.Call) else None  # `Worker('q', Billing(gateway))`
    reference = dotted_name(made if made is not None else processor)
    cls = state.class_defs.get(reference or "") if made is not None else None
    method = call_method(cls) if cls is not None else None
    if method is not None:
        state.add_router(function=method, span=state.span(node), library=LIBRARY, kind="worker", queue=name,
                         handler=f"{reference}.__call__", bound=True)
        return
    function = state.definitions.get(reference or "") if made is None else None
    state.add_router(function=function, span=state.span(node), library=LIBRARY, kind="worker", queue=name,
                     handler=reference or "the processor of Worker")
    if function is None and reference is not None and reference.split(".", 1)[0] in state.imports:
        # A processor of another module (a function, or an instance of a class there): read there.
        state.consumers[-1] = replace(state.consumers[-1], handler_ref=reference)


def call_method(cls: cst.ClassDef) -> cst.FunctionDef | None:
    """A class's `__call__`: what its instances run when called as a processor."""
    for statement in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else []:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__call__":
            return statement
    return None


def call(node: cst.Call, state: PyState) -> None:
    worker(node, state)
    name = callee(node)
    if name is None or not isinstance(node.func, cst.Attribute):
        return
    leaf = name.rsplit(".", 1)[-1]
    receiver = dotted_name(node.func.value)
    known = state.variables.get(receiver or "")
    if known is None or known[0] != LIBRARY:
        return
    args = positional(node)
    if leaf == "add" and args:
        state.add_producer(args[0], LIBRARY, "add", known[1], state.expr(args[0]), state.options_of(node))
    elif leaf == "addBulk" and args and isinstance(args[0], cst.List):
        for element in args[0].elements:
            if isinstance(element.value, cst.Dict):
                for item in element.value.elements:
                    if isinstance(item, cst.DictElement) and dotted_name(item.key) is None and \
                            getattr(item.key, "value", "").strip("'\"") == "name":
                        state.add_producer(item.value, LIBRARY, "addBulk", known[1], state.expr(item.value))
    elif leaf == "addBulk" and args:
        state.add_producer(node, LIBRARY, "addBulk", known[1], Expr.unknown("addBulk(jobs)", "the jobs come from a list built elsewhere"))
