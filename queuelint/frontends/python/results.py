"""Where Python code reads what a job returned: Celery's `.get()` (or `.wait()`, `.result`)
on what `.delay()`, `.apply_async()`, `send_task()` or `AsyncResult(…)` gave, and RQ's
`job.result`, `job.return_value()` or `job.latest_result()` on what `enqueue…()` or
`Job.fetch()` gave, and arq's `await job.result()` on what `enqueue_job()` gave, directly or
through a local name. A handler that returns a failure value
may then be answering that caller rather than hiding an error (QL201 says so at info)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from queuelint.frontends.python.syntax import children, dotted_name

# Calls whose value is a handle on a job's result, and the library whose handle it is.
HANDLE_MAKERS = {"delay": "celery", "apply_async": "celery", "send_task": "celery", "AsyncResult": "celery",
                 "enqueue": "rq", "enqueue_call": "rq", "enqueue_in": "rq", "enqueue_at": "rq", "fetch": "rq",
                 "enqueue_job": "arq"}
# What reads the result off such a handle: methods called, attributes read.
READ_METHODS = frozenset({"get", "wait", "join", "return_value", "latest_result", "result"})  # arq: `await job.result()`
READ_ATTRIBUTES = frozenset({"result", "return_value"})
# Cheap words a file must hold for the search to be worth a walk.
WORDS = ("delay(", "apply_async(", "send_task(", "AsyncResult", "GroupResult", "enqueue", ".fetch(")


def worth_searching(source: str) -> bool:
    if "AsyncResult" in source or "GroupResult" in source:  # also a handle class aliased for use elsewhere
        return True
    return any(word in source for word in WORDS) and (".get(" in source or ".result" in source
                                                      or ".wait(" in source or "return_value" in source
                                                      or ".join(" in source or "latest_result" in source)


# Result handle classes a project may take under a name of its own.
HANDLE_CLASSES = {"AsyncResult": "celery", "GroupResult": "celery", "Job": "rq"}


def result_reads(module: cst.Module) -> Iterator[tuple[cst.CSTNode, str]]:
    """The nodes that read a job's result, and whose job, by scope (the module, then each
    function on its own)."""
    makers: dict[str, str] = {}  # names a handle class goes by here: `from … import AsyncResult as R`
    for node in _in_scope(module):
        if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                imported = alias.name.value if isinstance(alias.name, cst.Name) else None
                if imported in HANDLE_CLASSES and alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    makers[alias.asname.name.value] = HANDLE_CLASSES[imported]
    yield from _scope(module, makers)


def _scope(scope: cst.CSTNode, makers: dict[str, str]) -> Iterator[tuple[cst.CSTNode, str]]:
    handles: dict[str, str] = {}
    makers = dict(makers)
    nodes = list(_in_scope(scope))
    for node in nodes:  # names bound to a handle anywhere in the scope
        if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
            library = _handle_of(node.value, handles, makers)
            made = _handle_class(node.value)
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            for target in targets:
                if library is not None and isinstance(target, cst.Name):
                    handles[target.value] = library
                if made is not None and isinstance(target, cst.Name):
                    makers[target.value] = made
            if made == "celery":
                # `Result = app.AsyncResult` (or `Mock if TESTING else app.AsyncResult`): a
                # handle class under a name of its own is there to read results, here or
                # wherever it is imported.
                yield node.value, made
    for node in nodes:
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            yield from _scope(node, makers)
            continue
        library = None
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in READ_METHODS:
            library = _handle_of(node.func.value, handles, makers)
        elif isinstance(node, cst.Attribute) and node.attr.value in READ_ATTRIBUTES:
            library = _handle_of(node.value, handles, makers)
        if library is not None:
            yield node, library


def _handle_class(value: cst.BaseExpression) -> str | None:
    """The library of a handle class a value refers to without calling it (`app.AsyncResult`,
    either branch of `a if c else b`)."""
    if isinstance(value, cst.IfExp):
        return _handle_class(value.body) or _handle_class(value.orelse)
    name = dotted_name(value)
    leaf = name.rsplit(".", 1)[-1] if name is not None else None
    return "celery" if leaf in ("AsyncResult", "GroupResult") else None


def _in_scope(scope: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes of a scope, a nested function yielded itself but not entered."""
    stack = list(reversed(children(scope)))
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, (cst.FunctionDef, cst.Lambda)):
            stack.extend(reversed(children(current)))


def _handle_of(node: cst.BaseExpression, handles: dict[str, str], makers: dict[str, str]) -> str | None:
    """The library whose result handle `node` is: a name bound to one, or a call making one
    (by its method's name, or a handle class under a name of its own)."""
    while isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.Name):
        return handles.get(node.value)
    if not isinstance(node, cst.Call):
        return None
    name = dotted_name(node.func)
    if name is None:
        return None
    return makers.get(name) or HANDLE_MAKERS.get(name.rsplit(".", 1)[-1])
