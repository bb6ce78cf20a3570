"""arq: `await redis.enqueue_job('fn', …, _queue_name=…)` and `WorkerSettings.functions`
(functions, `func(fn, name=…)`) with `queue_name`; `cron_jobs` both produce and consume."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from queuelint.findings import Span
from queuelint.frontends.python.state import PyState, callee
from queuelint.frontends.python.syntax import dotted_name, keywords, positional, string_value
from queuelint.model import Expr, Unresolved

LIBRARY = "arq"
DEFAULT_QUEUE = "arq:queue"
# Attributes only an arq worker's settings class has, besides `functions`.
SETTINGS_ATTRIBUTES = frozenset({"redis_settings", "queue_name", "cron_jobs", "job_timeout", "max_jobs", "on_startup"})


def call(node: cst.Call, state: PyState) -> None:
    name = callee(node)
    if state.library_of(name) == (LIBRARY, "Worker"):
        _worker(node, state)
        return
    if name is None or name.rsplit(".", 1)[-1] != "enqueue_job" or not isinstance(node.func, cst.Attribute):
        return
    args = positional(node)
    function = args[0] if args else (keywords(node)["function"].value if "function" in keywords(node) else None)
    if function is None:
        return
    if not _from_arq(node.func.value, state):
        # A project's own `enqueue_job`, RQ's, CKAN's: not arq's unless the object comes from arq.
        state.unresolved.append(Unresolved(state.span(node), f"`{_code(node.func)}(…)` is not known to be arq's: the "
                                                             "file does not import arq and the object does not come "
                                                             "from it"))
        return
    options = state.options_of(node)
    queue = next((o.value for o in options if o.key == "_queue_name" and o.value is not None),
                 Expr.literal(DEFAULT_QUEUE))
    state.add_producer(function, LIBRARY, "enqueue_job", queue, state.expr(function), options)


def _from_arq(receiver: cst.BaseExpression, state: PyState) -> bool:
    """Whether the object `enqueue_job` is called on comes from arq: the file imports arq
    (`create_pool`, or the `ArqRedis` type it is annotated with), or it is `ctx['redis']`,
    the pool arq hands its job functions."""
    if LIBRARY in state.libraries:
        return True
    if isinstance(receiver, cst.Subscript) and isinstance(receiver.value, cst.Name) \
            and state.local(receiver.value.value) is not None and len(receiver.slice) == 1:
        index = receiver.slice[0].slice
        return isinstance(index, cst.Index) and string_value(index.value) == "redis"
    return False


def _code(node: cst.BaseExpression) -> str:
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= 50 else text[:49] + "…"


def worker_settings(cls: cst.ClassDef, state: PyState) -> None:
    """A class with `functions = [...]`: each function is a job its workers run."""
    attributes: dict[str, cst.BaseExpression] = {}
    for statement in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else []:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = dotted_name(small.targets[0].target)
                    if target is not None:
                        attributes[target] = small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    target = dotted_name(small.target)
                    if target is not None:
                        attributes[target] = small.value
    if "functions" not in attributes or not (
            _listed(attributes["functions"], state) is not None or LIBRARY in state.libraries
            or cls.name.value.endswith("Settings") or attributes.keys() & SETTINGS_ATTRIBUTES):
        return  # a class with a `functions` attribute of its own
    _registry(cls.name.value, state.span(cls.name), attributes.get("functions"), attributes.get("queue_name"), state)
    queue_value = attributes.get("queue_name")
    queue = state.expr(queue_value) if queue_value is not None else Expr.literal(DEFAULT_QUEUE)
    owner = cls.name.value
    crons = _listed(attributes.get("cron_jobs"), state)
    if crons is not None:
        for element in crons.elements:
            _function(element.value, queue, state, owner, produced=True)


def _worker(node: cst.Call, state: PyState) -> None:
    """`Worker(functions=[...], queue_name=…)`: a worker built in code, its own registry."""
    given = keywords(node)
    if "functions" not in given:
        return
    queue_name = given.get("queue_name")
    _registry(f"Worker() at line {state.span(node).line}", state.span(node), given["functions"].value,
              queue_name.value if queue_name is not None else None, state)


def _registry(owner: str, span: Span, functions: cst.BaseExpression | None, queue_name: cst.BaseExpression | None,
              state: PyState) -> None:
    """The functions a worker runs, from the list given it; one that cannot be read (built
    elsewhere, computed) makes a consumer of every name on its queue."""
    queue = state.expr(queue_name) if queue_name is not None else Expr.literal(DEFAULT_QUEUE)
    listed = _listed(functions, state)
    if listed is None:
        state.add_router(function=None, span=span, library=LIBRARY, kind="arq-worker", queue=queue,
                         handler=f"{owner} (its functions are not known here)")
        return
    for element in listed.elements:
        _function(element.value, queue, state, owner, produced=False)


def _listed(node: cst.BaseExpression | None, state: PyState) -> cst.List | cst.Tuple | None:
    """A list literal, or a module-level name bound to one (`functions = BACKGROUND_FUNCTIONS`)."""
    if isinstance(node, cst.Name):
        node = state.module_lists.get(node.value)
    return node if isinstance(node, (cst.List, cst.Tuple)) else None


def _function(node: cst.BaseExpression, queue: Expr, state: PyState, owner: str, produced: bool) -> None:
    """`fn`, `func(fn, name='x')` or `cron(fn, …)`: the job name and the function. A cron
    job is named `cron:fn` unless named otherwise (arq's `cron()`)."""
    target: cst.BaseExpression = node
    name: Expr | None = None
    if isinstance(node, cst.Call) and dotted_name(node.func) in ("func", "arq.func", "arq.worker.func",
                                                                  "cron", "arq.cron", "arq.cron.cron"):
        args = positional(node)
        if not args:
            return
        target = args[0]
        explicit = keywords(node).get("name")
        if explicit is not None:
            name = state.expr(explicit.value)
    reference = dotted_name(target)
    literal = string_value(target)
    if name is None:
        if reference is not None:
            name = Expr.literal(reference.rsplit(".", 1)[-1])
        elif literal is not None:  # `'app.jobs.download'`: arq names it by the whole string
            name = Expr.literal(literal)
        else:
            return
        if produced:  # `'cron:' + coroutine.__qualname__`, or + the import string given
            name = Expr.literal(f"cron:{reference.rsplit('.', 1)[-1]}" if reference is not None else f"cron:{literal}")
    function = state.definitions.get(reference or "")
    state.add_handler(function=function, span=state.span(node), library=LIBRARY, kind="arq-function",
                      queue=queue, job=name, route_span=state.span(node), handler=reference or literal or "",
                      owner=owner)
    if function is None and reference is not None and reference.split(".", 1)[0] in state.imports:
        # A function of another module (`from app.jobs import resize`): read there for how it fails.
        state.consumers[-1] = replace(state.consumers[-1], handler_ref=reference)
    if produced:
        state.add_producer(node, LIBRARY, "cron", queue, name)
