"""Where Python code reads what a job returned: Celery's `.get()` (or `.wait()`, `.result`)
on what `.delay()`, `.apply_async()`, `send_task()` or `AsyncResult(…)` gave, and RQ's
`job.result`, `job.return_value()` or `job.latest_result()` on what `enqueue…()` or
`Job.fetch()` gave, directly or through a local name. A handler that returns a failure value
may then be answering that caller rather than hiding an error (QL201 says so at info)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from queuelint.frontends.python.syntax import children, dotted_name

# Calls whose value is a handle on a job's result, and the library whose handle it is.
HANDLE_MAKERS = {"delay": "celery", "apply_async": "celery", "send_task": "celery", "AsyncResult": "celery",
                 "enqueue": "rq", "enqueue_call": "rq", "enqueue_in": "rq", "enqueue_at": "rq", "fetch": "rq"}
# What reads the result off such a handle: methods called, attributes read.
READ_METHODS = frozenset({"get", "wait", "join", "return_value", "latest_result"})
READ_ATTRIBUTES = frozenset({"result", "return_value"})
# Cheap words a file must hold for the search to be worth a walk.
WORDS = ("delay(", "apply_async(", "send_task(", "AsyncResult", "enqueue", ".fetch(")


def worth_searching(source: str) -> bool:
    return any(word in source for word in WORDS) and (".get(" in source or ".result" in source
                                                      or ".wait(" in source or "return_value" in source
                                                      or ".join(" in source or "latest_result" in source)


def result_reads(module: cst.Module) -> Iterator[tuple[cst.CSTNode, str]]:
    """The nodes that read a job's result, and whose job, by scope (the module, then each
    function on its own)."""
    yield from _scope(module)


def _scope(scope: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, str]]:
    handles: dict[str, str] = {}
    nodes = list(_in_scope(scope))
    for node in nodes:  # names bound to a handle anywhere in the scope
        if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
            library = _handle_of(node.value, handles)
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                if library is not None and isinstance(target, cst.Name):
                    handles[target.value] = library
    for node in nodes:
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            yield from _scope(node)
            continue
        library = None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in READ_METHODS:
            library = _handle_of(node.func.value, handles)
        elif isinstance(node, cst.Attribute) and node.attr.value in READ_ATTRIBUTES:
            library = _handle_of(node.value, handles)
        if library is not None:
            yield node, library


def _in_scope(scope: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes of a scope, a nested function yielded itself but not entered."""
    stack = list(reversed(children(scope)))
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, (cst.FunctionDef, cst.Lambda)):
            stack.extend(reversed(children(current)))


def _handle_of(node: cst.BaseExpression, handles: dict[str, str]) -> str | None:
    """The library whose result handle `node` is: a name bound to one, or a call making one."""
    while isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.Name):
        return handles.get(node.value)
    if not isinstance(node, cst.Call):
        return None
    name = dotted_name(node.func)
    return HANDLE_MAKERS.get(name.rsplit(".", 1)[-1]) if name is not None else None
