"""bullmq (the Python port): `Queue('q').add('name', data, opts)`, `Worker('q', process)`
with `job.name` routing in the process function. Same wire format as Node's BullMQ, so its
queues join the same graph as TypeScript producers and consumers."""

from __future__ import annotations

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
    reference = dotted_name(processor)
    function = state.definitions.get(reference or "")
    state.add_router(function=function, span=state.span(node), library=LIBRARY, kind="worker", queue=name,
                     handler=reference or "the processor of Worker")


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
