"""arq: `await redis.enqueue_job('fn', …, _queue_name=…)` and `WorkerSettings.functions`
(functions, `func(fn, name=…)`) with `queue_name`; `cron_jobs` both produce and consume."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from queuelint.findings import Span
from queuelint.frontends.python import objects, rq
from queuelint.frontends.python.state import PyState, callee
from queuelint.frontends.python.syntax import code, dotted_name, keywords, positional, string_value
from queuelint.model import ASSUMED_UNSET, Expr, Unresolved

LIBRARY = "arq"
DEFAULT_QUEUE = "arq:queue"
# Attributes only an arq worker's settings class has, besides `functions`.
POOL_KIND = "arq-pool"
POOL_MAKERS = frozenset({(LIBRARY, "create_pool"), (LIBRARY, "ArqRedis")})
QUEUE_KEYWORD = "_queue_name"  # where `enqueue_job` names a queue other than its pool's
SETTINGS_ATTRIBUTES = frozenset({"redis_settings", "queue_name", "cron_jobs", "job_timeout", "max_jobs", "on_startup"})


def call(node: cst.Call, state: PyState) -> None:
    name = callee(node)
    if state.library_of(name) == (LIBRARY, "Worker"):
        _worker(node, state)
        return
    if not isinstance(node.func, cst.Attribute) or node.func.attr.value != "enqueue_job":
        return
    args = positional(node)
    function = args[0] if args else (keywords(node)["function"].value if "function" in keywords(node) else None)
    if function is None:
        return
    options = state.options_of(node)
    if not _from_arq(node.func.value, state):
        # A project's own `enqueue_job`, RQ's, CKAN's: not arq's unless the object comes from
        # arq. Where the code says what the object is, the flow stage decides.
        followed = objects.receiver(node.func.value, state)
        if rq.created_job(function, state) is not None:
            return  # `queue.enqueue_job(job)` of an RQ job made before: RQ's (see `rq.call`)
        if followed is None:
            written = code(state.module, node.func, 50)
            state.unresolved.append(Unresolved(state.span(node), f"`{written}(…)` is not known to be arq's: the file "
                                                                 "does not import arq and what the object is is not "
                                                                 "stated"))
            return
        # The pool's queue, unless the call names one (`_queue_name`, the keyword `pool` names).
        given = tuple(Expr("choice", o.key, parts=(Expr.literal(o.key), o.value)) for o in options
                      if o.key == QUEUE_KEYWORD and o.value is not None)
        receiver = code(state.module, node.func.value, 50)
        queue = Expr("queue_name", receiver, f"`{receiver}.enqueue_job(…)`: `{followed.text}` is not known to be an "
                                             "arq pool", (followed, *given))
        state.add_producer(function, "", "enqueue_job", queue, state.expr(function), options)
        return
    queue = next((o.value for o in options if o.key == QUEUE_KEYWORD and o.value is not None),
                 Expr.literal(DEFAULT_QUEUE))
    state.add_producer(function, LIBRARY, "enqueue_job", queue, state.expr(function), options)


def pool(name: Expr) -> Expr:
    """An `ArqRedis` pool: it enqueues on `name` unless a call names `_queue_name`."""
    return Expr("queue", LIBRARY, POOL_KIND, (name, Expr.literal(QUEUE_KEYWORD)))


def pool_made(node: cst.BaseExpression | None, state: PyState) -> Expr | None:
    """`await create_pool(settings, default_queue_name=…)`, `ArqRedis(…)`: the pool made."""
    while isinstance(node, cst.Await):
        node = node.expression
    if not isinstance(node, cst.Call) or state.library_of(callee(node)) not in POOL_MAKERS:
        return None
    default = keywords(node).get("default_queue_name")
    if (default is None and any(arg.star for arg in node.args)) or len(positional(node)) > 3:
        # Options passed as `**options` (or `ArqRedis`'s fourth positional): the queue is not known.
        return pool(Expr.unknown(code(state.module, node, 50), "the pool's default queue is passed in a way not read"))
    return pool(state.expr(default.value) if default is not None else Expr.literal(DEFAULT_QUEUE))


def typed_pool(annotation: cst.BaseExpression | None, state: PyState, what: str) -> Expr | None:
    """A pool known by its declared type alone (`pool: ArqRedis | None`, `-> ArqRedis`): where
    it is made is not seen, so its default queue is taken as arq's, and no absence is claimed
    on it."""
    if annotation is None:
        return None
    for node in _type_names(annotation):
        if state.library_of(dotted_name(node)) == (LIBRARY, "ArqRedis"):
            return pool(Expr("str", DEFAULT_QUEUE, f"the default queue of `{what}` (typed `ArqRedis`; where it is "
                                                   f"made is not seen) {ASSUMED_UNSET}"))
    return None


def _type_names(annotation: cst.BaseExpression, depth: int = 0) -> list[cst.BaseExpression]:
    """The names in a type: `ArqRedis`, `Optional[ArqRedis]`, `ArqRedis | None`, `"ArqRedis"`
    (a few levels down: a type nested deeper names no pool)."""
    if depth > 8:
        return []
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        return [annotation]
    if isinstance(annotation, cst.BinaryOperation):
        sides: list[cst.BaseExpression] = []
        while isinstance(annotation, cst.BinaryOperation) and len(sides) < 32:  # `A | B | …`, flat
            sides.append(annotation.right)
            annotation = annotation.left
        return [name for side in (annotation, *sides) for name in _type_names(side, depth + 1)]
    if isinstance(annotation, cst.Subscript):
        return [name for element in annotation.slice if isinstance(element.slice, cst.Index)
                for name in _type_names(element.slice.value, depth + 1)]
    text = string_value(annotation)
    if text is not None and len(text) < 200:
        try:
            return _type_names(cst.parse_expression(text), depth + 1)
        except (cst.ParserSyntaxError, RecursionError):
            return []
    return []


def bind_pool(name: str, value: cst.BaseExpression | None, annotation: cst.BaseExpression | None,
              state: PyState) -> bool:
    """A module's (or a class's) name holding a pool: made there, or declared with its type."""
    made = pool_made(value, state) or typed_pool(annotation, state, name)
    if made is None:
        return False
    state.bindings.append((name, made))
    return True


def pool_getter(function: cst.FunctionDef, state: PyState) -> None:
    """`async def get_pool() -> ArqRedis`, or one returning `await create_pool(…)` or the
    module's pool (`return _pool`): a summary its calls are evaluated against."""
    if LIBRARY not in state.libraries:
        return  # a pool is made, or typed, only with arq's names at hand
    returned = typed_pool(function.returns.annotation if function.returns is not None else None, state,
                          f"{function.name.value}()")
    if returned is None:
        values = [value for value in _returned_values(function.body)
                  if not (isinstance(value, cst.Name) and value.value == "None")]
        if len(values) != 1:
            return
        returned = pool_made(values[0], state)
        name = dotted_name(values[0])
        if returned is None and name is not None and _holds_pool(name, state):
            returned = Expr("ref", name)  # the module's pool (`return _pool`, `return Holder.pool`)
        if returned is None:
            return
    state.bindings.append((function.name.value, Expr("function", function.name.value, parts=(returned,))))


def _holds_pool(name: str, state: PyState) -> bool:
    """Whether a name of this module was bound to a pool (made here, or declared one)."""
    return any(bound == name and made.kind == "queue" and made.reason == POOL_KIND for bound, made in state.bindings)


def _returned_values(body: cst.BaseSuite) -> list[cst.BaseExpression]:
    """What a function's `return` statements return (not those of functions defined in it)."""
    found: list[cst.BaseExpression] = []

    class Returns(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Return(self, node: cst.Return) -> None:
            if node.value is not None:
                found.append(node.value)

    body.visit(Returns())
    return found


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
