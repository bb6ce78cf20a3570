"""RQ: `Queue('name')`, `queue.enqueue(func | 'pkg.mod.func', …)`, `enqueue_call(func=…)`,
`enqueue_in` / `enqueue_at`. Workers run any importable function, so the job "name" is the
function's dotted path; a string path must lead to a function of the project."""

from __future__ import annotations

import libcst as cst

from queuelint.frontends.python import objects
from queuelint.frontends.python.objects import project_call
from queuelint.frontends.python.state import PyState, callee
from queuelint.frontends.python.syntax import argument, code, dotted_name, keywords, positional
from queuelint.model import ACTOR_QUEUE, QUEUE_OR_NAME, RQ_DECORATOR, RQ_JOB_KIND, Expr, QueueDecl, Unresolved

LIBRARY = "rq"
KIND = RQ_JOB_KIND
DECORATOR = Expr("queue", LIBRARY, KIND, (Expr.literal("default"),))
ENQUEUE = {"enqueue": 0, "enqueue_call": 0, "enqueue_in": 1, "enqueue_at": 1, "enqueue_job": 0}


def construction(target: str, node: cst.Call, state: PyState) -> bool:
    """`q = Queue('high', connection=…)` (or django-rq's `get_queue('high')`): remember which
    variable is which queue. `q = get_queue()` of a project function: a queue if what that
    function returns turns out to be one (see `factory`)."""
    name = _queue_made(node, state)
    if name is None:
        made = project_call(node, state)
        if made is not None:
            state.variables[target] = ("", made)
        return False
    state.variables[target] = (LIBRARY, name)
    if not state.scopes and len(state.classes) <= 1 and "." not in target:
        # A module's queue (for `@job(URGENT)` and `high.enqueue(…)` elsewhere), or a class's.
        owned = f"{state.classes[0]}.{target}" if state.classes else target
        state.bindings.append((owned, Expr("queue", LIBRARY, parts=(name,))))
    return True


def _queue_made(node: cst.Call, state: PyState, declared: bool = True) -> Expr | None:
    """The name of the queue `Queue('high')` or django-rq's `get_queue('high')` makes."""
    symbol = state.library_of(callee(node))
    if symbol not in ((LIBRARY, "Queue"), (LIBRARY, "get_queue")):
        return None
    name_node = argument(node, 0, "name")
    name = state.expr(name_node) if name_node is not None else Expr.literal("default")
    if declared:
        state.queues.append(QueueDecl(state.span(name_node or node), LIBRARY, "instance", name))
    return name


def queue_value(node: cst.BaseExpression, state: PyState) -> Expr | None:
    """`Queue("high", …)` as a value held by a module's dict (`QUEUES = {"high": Queue(…)}`)."""
    name = _queue_made(node, state) if isinstance(node, cst.Call) else None
    return Expr("queue", LIBRARY, parts=(name,)) if name is not None else None


def factory(function: cst.FunctionDef, state: PyState) -> None:
    """`def get_queue(name="default"): return Queue(name, connection=redis)`, a module's own
    function: its summary (what it returns, with its parameters, and their defaults), for the
    calls of it to be evaluated against. Read while its parameters are in scope."""
    body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
    returned = [small.value for statement in body if isinstance(statement, cst.SimpleStatementLine)
                for small in statement.body if isinstance(small, cst.Return)]
    if len(returned) != 1 or not isinstance(returned[0], cst.Call):
        return
    name = _queue_made(returned[0], state, declared=False)
    if name is None:
        return
    params = [p for p in function.params.params if p.name.value not in ("self", "cls")]
    defaults = tuple(state.expr(p.default) if p.default is not None else Expr.unknown(p.name.value) for p in params)
    state.bindings.append((function.name.value, Expr("function", function.name.value,
                                                     parts=(Expr("queue", LIBRARY, parts=(name,)), *defaults))))


def call(node: cst.Call, state: PyState) -> None:
    if not isinstance(node.func, cst.Attribute):
        return
    leaf = node.func.attr.value
    if leaf not in ENQUEUE:
        return
    receiver = dotted_name(node.func.value)
    known = state.variables.get(receiver or "")
    if _from_django_rq(receiver, state):  # `django_rq.enqueue(fn, …)`: its default queue
        known = (LIBRARY, Expr.literal("default"))
    if isinstance(node.func.value, cst.Call):  # `get_queue('high').enqueue(…)`
        made = _queue_made(node.func.value, state)
        called = project_call(node.func.value, state) if made is None else None
        known = (LIBRARY, made) if made is not None else ("", called) if called is not None else None
    if known is None and not isinstance(node.func.value, cst.Call):
        # `high.enqueue(…)` with `high` imported, or a class's (`Queues.low`): a queue only if
        # the flow stage finds one where it is defined.
        followed = objects.receiver(node.func.value, state) if receiver not in state.variables else None
        known = ("", followed) if followed is not None and followed.kind in ("ref", "pick") else None
    if known is None and LIBRARY in state.libraries and receiver not in ("self", "cls"):
        written = code(state.module, node.func, 50)
        state.unresolved.append(Unresolved(state.span(node), f"`{written}(…)`: what the object is, is not stated, "
                                                             "so it is not known to be an RQ queue"))
    if known is None or known[0] not in (LIBRARY, ""):
        return
    # A project function's result: a queue (and RQ's) only if the flow stage finds it is one.
    # Listed where it is not followed, in a module using RQ (elsewhere `enqueue` is anyone's).
    unfollowed = f"`{known[1].text}.{leaf}(…)`: `{known[1].text}` is not known to be an RQ queue" \
        if LIBRARY in state.libraries else ""
    library, queue = (LIBRARY, known[1]) if known[0] else \
        ("", Expr("queue_name", known[1].text, unfollowed, (known[1],)))
    target: cst.BaseExpression | None
    label = leaf
    if leaf == "enqueue_job":  # `queue.enqueue_job(Job.create(func, …))`: the job built before
        args = positional(node)
        given = args[0] if args else (keywords(node)["job"].value if "job" in keywords(node) else None)
        created = created_job(given, state) if given is not None else None
        if created is None:
            return
        node = created
        leaf = "enqueue_call"
    if leaf == "enqueue_call":
        function = keywords(node).get("func")
        args = positional(node)
        target = function.value if function is not None else (args[0] if args else None)
    else:
        args = positional(node)
        index = ENQUEUE[leaf]
        target = args[index] if index < len(args) else None
    if target is None:
        return
    if isinstance(target, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.BinaryOperation)):
        job = state.expr(target)  # a dotted path, perhaps built at run time (`f"app.exports.{fmt}"`)
    else:
        job = _function_path(target, state)
    state.add_producer(target, library, label, queue, job)


def _from_django_rq(receiver: str | None, state: PyState) -> bool:
    """`django_rq` itself, imported under any name (its module-level `enqueue`)."""
    imported = state.imports.get(receiver or "")
    return imported is not None and imported.module == "django_rq" and imported.imported == "*"



def job_created(target: str, node: cst.Call, state: PyState) -> bool:
    """`job = Job.create(send_mail, …)`: remembered for the `enqueue_job(job)` that follows."""
    if not _creates_a_job(node, state):
        return False
    state.created_jobs[(state.function_id(), target)] = node
    return True


def _creates_a_job(node: cst.BaseExpression, state: PyState) -> bool:
    return isinstance(node, cst.Call) and (callee(node) or "").endswith("Job.create") \
        and state.library_of(callee(node)) is not None


def created_job(given: cst.BaseExpression, state: PyState) -> cst.Call | None:
    """The `Job.create(…)` call a job given to `enqueue_job` comes from, written inline or
    assigned to a local name before."""
    if isinstance(given, cst.Call) and _creates_a_job(given, state):
        return given
    if isinstance(given, cst.Name):
        return state.created_jobs.get((state.function_id(), given.value))
    return None


def _function_path(target: cst.BaseExpression, state: PyState) -> Expr:
    """A function object as RQ names it: its dotted import path (resolved like a name)."""
    reference = dotted_name(target)
    if reference is None:
        return Expr.unknown("")
    given = state.local(reference) if "." not in reference else None
    if given is not None and given.kind == "param":  # `def later(func, *a): q.enqueue(func, *a)`
        return Expr("function_path", reference, parts=(given,))
    if reference in state.definitions:
        return Expr("module_member", reference)
    if reference.split(".", 1)[0] in state.imports:  # `send_email`, or `emails.send_email` of a module
        return Expr("function_path", reference)  # named by the module defining it, followed through imports
    return Expr.unknown(reference, f"`{reference}` is not a function of this module or one it imports")


def is_job_decorator(decorator: cst.BaseExpression, state: PyState) -> bool:
    """`@job('emails')` with `job` from `rq.decorators` (or `rq`)."""
    call = decorator.func if isinstance(decorator, cst.Call) else decorator
    return state.library_of(dotted_name(call)) == (LIBRARY, "job")


def job_decorated(function: cst.FunctionDef, decorator: cst.BaseExpression, state: PyState,
                  made_by: Expr = DECORATOR) -> None:
    """`@job('emails')`: `fn.delay(…)` enqueues `fn` (named by its dotted path, as RQ names
    it) on queue 'emails'. Bound for the callers (whose `.delay()` reads as Celery's until
    the flow stage finds this decorator); the function is a job function like any enqueued
    one. `made_by`: the decorator, or a reference to an imported one not yet known as RQ's."""
    if state.scopes or state.classes:
        return
    queue_node = argument(decorator, 0, "queue") if isinstance(decorator, cst.Call) else None
    queue = state.expr(queue_node) if queue_node is not None else Expr.literal("default")
    if queue.kind == "ref":  # `@job(URGENT)` with `URGENT = Queue("urgent", …)`, or a constant name
        queue = Expr("queue_name", queue.text, QUEUE_OR_NAME, (queue,))
    name = function.name.value
    if not any(bound == name for bound, _ in state.bindings):  # a Celery reading may have named it
        state.bindings.append((name, Expr("module_member", name)))
    state.bindings.append((name + ACTOR_QUEUE, queue))
    state.bindings.append((name + RQ_DECORATOR, made_by))
