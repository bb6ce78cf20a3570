"""Celery: tasks (`@app.task`, `@shared_task`, `name=`, `bind=True`), their default names
(module path + function name), and every way a task name is produced: `.delay` /
`.apply_async` / `.s` / `.si` on a task, `send_task('name')`, `signature('name')`, beat
schedule entries and `task_routes` keys.

Celery matches tasks by name across the app, not per queue, so every task and producer
sits on one queue, `celery`: the registry a worker consults ("Received unregistered task").
"""

from __future__ import annotations

import sys
from dataclasses import replace

import libcst as cst

from queuelint.frontends.python.state import PyState, callee
from queuelint.frontends.python.syntax import (
    code,
    dict_items,
    dotted_name,
    keywords,
    positional,
    string_value,
)
from queuelint.model import Expr

LIBRARY = "celery"
REGISTRY = Expr.literal("celery")
# Calls on a task that send it; `apply` and `signature` are too common elsewhere
# (`df.apply`, `inspect.signature`) to read as Celery without type information.
# `delay_on_commit` / `apply_async_on_commit`: Celery's Django task class, sending once the
# database transaction commits.
# What sends a task handed to a function as a parameter: `.s()`, `.map()` and the like are
# also other objects' words.
SENDS = frozenset({"delay", "apply_async", "delay_on_commit", "apply_async_on_commit"})
# Methods other objects have too (`operators.map`, `inspect.signature`): a task's only in a
# module using Celery, or on a task the module defines.
CANVAS_ONLY = frozenset({"map", "signature"})
TASK_METHODS = frozenset({"delay", "apply_async", "delay_on_commit", "apply_async_on_commit", "s", "si", "chunks",
                          "starmap", "map", "signature"})
SCHEDULE_NAMES = frozenset({"beat_schedule", "CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"})
ROUTE_NAMES = frozenset({"task_routes", "CELERY_ROUTES", "CELERY_TASK_ROUTES"})


def is_task_decorator(decorator: cst.BaseExpression, state: PyState) -> cst.Call | bool:
    """The decorator's call (for its arguments) when it makes a Celery task, True when bare."""
    call = decorator if isinstance(decorator, cst.Call) else None
    name = dotted_name(call.func if call is not None else decorator)
    if name is None:
        return False
    leaf = name.rsplit(".", 1)[-1]
    if leaf not in ("task", "shared_task"):
        return False
    root = name.split(".", 1)[0]
    imported = state.imports.get(root)
    from_celery = LIBRARY in state.libraries or (imported is not None and imported.module.split(".")[0] == "celery")
    app_object = (imported is not None and imported.module.startswith(".")) or (
        imported is not None and imported.module.split(".")[0] not in ("huey", "prefect", "dramatiq", "invoke"))
    if not (from_celery or (leaf == "task" and "." in name and app_object)):
        return False
    return call if call is not None else True


def task(function: cst.FunctionDef, decorator: cst.Call | bool, state: PyState, registry: Expr = REGISTRY) -> None:
    """A task: consumer of its name on the registry; its name is bound for `.delay` callers.
    `registry`: a decorator imported from the project stands for it until resolved."""
    options = keywords(decorator) if isinstance(decorator, cst.Call) else {}
    explicit = options.get("name")
    name = state.expr(explicit.value) if explicit is not None else Expr("module_member", function.name.value)
    bound = "bind" in options and dotted_name(options["bind"].value) == "True"
    anchor = explicit.value if explicit is not None else function.name
    # Celery retries only when told: `autoretry_for` (or `self.retry`, which an except that
    # calls it is already taken as failing through).
    autoretry = options.get("autoretry_for")
    retries = f"the retries of `autoretry_for={code(state.module, autoretry.value)}`" if autoretry is not None else ""
    retried: tuple[str, ...] = ()
    if autoretry is not None:
        value = autoretry.value
        items = [e.value for e in value.elements] if isinstance(value, (cst.Tuple, cst.List)) else [value]
        retried = tuple(dotted_name(item) or "?" for item in items)
    state.add_handler(function=function, span=state.span(function.name), library=LIBRARY if registry is REGISTRY else "",
                      kind="celery-task", queue=registry, job=name, route_span=state.span(anchor),
                      handler=function.name.value, bound=bound, retries=retries, retried=retried)
    if _is_error_callback(function):  # runs once a task failed: retrying it would mean nothing
        state.consumers[-1] = replace(state.consumers[-1], swallowed_errors=())
    if not state.scopes and not state.classes:
        state.bindings.append((function.name.value, name))


def _is_error_callback(function: cst.FunctionDef) -> bool:
    """`def on_error(request, exc, traceback)`: the signature Celery calls a `link_error` with."""
    names = {p.name.value for p in function.params.params}
    return bool(names & {"exc", "exception"}) and bool(names & {"traceback", "tb", "einfo"})


def task_class(cls: cst.ClassDef, state: PyState) -> None:
    """`class Sync(Task): name = "sync"; def run(self, …)`: a task named by its `name`
    attribute, or by module and class name."""
    bases = [dotted_name(base.value) or "" for base in cls.bases]
    if not any(base == "Task" or base.endswith(".Task") for base in bases) or LIBRARY not in state.libraries:
        return
    body = list(cls.body.body) if isinstance(cls.body, cst.IndentedBlock) else []
    explicit: cst.BaseExpression | None = None
    run: cst.FunctionDef | None = None
    for statement in body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "run":
            run = statement
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign) and dotted_name(small.targets[0].target) == "name":
                    explicit = small.value
    if run is None:
        return  # an abstract base for other tasks
    name = state.expr(explicit) if explicit is not None else Expr("module_member", cls.name.value)
    state.add_handler(function=run, span=state.span(cls.name), library=LIBRARY, kind="celery-task", queue=REGISTRY,
                      job=name, route_span=state.span(explicit or cls.name), handler=f"{cls.name.value}.run",
                      bound=True)


def call(node: cst.Call, state: PyState) -> None:
    name = callee(node)
    if name is None:  # `TASKS[kind].delay(…)`: a method of what is not a plain name
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in TASK_METHODS:
            task = _task(node.func.value, None, state)
            if task is not None:
                state.add_producer(node.func.value, LIBRARY, node.func.attr.value, REGISTRY, task)
        return
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "send_task" and _on_an_app(name, state):
        args = positional(node)
        target = args[0] if args else keywords(node).get("name", None)
        value = target.value if isinstance(target, cst.Arg) else target
        if value is not None:
            state.add_producer(value, LIBRARY, "send_task", REGISTRY, state.expr(value))
    elif leaf == "signature" and state.library_of(name) is not None:
        args = positional(node)
        if args and string_value(args[0]) is not None:
            state.add_producer(args[0], LIBRARY, "signature", REGISTRY, state.expr(args[0]))
    elif leaf in TASK_METHODS and isinstance(node.func, cst.Attribute):
        receiver = dotted_name(node.func.value)
        task = _task(node.func.value, receiver, state)
        if task is not None and (task.kind != "param" or leaf in SENDS) \
                and (leaf not in CANVAS_ONLY or LIBRARY in state.libraries or (receiver or "") in state.definitions):
            state.add_producer(node.func.value, LIBRARY, leaf, REGISTRY, task)
    elif leaf == "update" and name.endswith("conf.update"):  # app.conf.update(beat_schedule=…)
        for key, arg in keywords(node).items():
            schedule(key, arg.value, state)


def _on_an_app(name: str, state: PyState) -> bool:
    """`app.send_task(…)`, `current_app.send_task(…)`, `self.app.send_task(…)`: Celery's is a
    method of an app. A bare `send_task(…)` or `self.send_task(…)` is a project's own."""
    receiver = name.rpartition(".")[0]
    if not receiver or receiver in ("self", "cls"):
        return False
    root = receiver.split(".", 1)[0]
    return LIBRARY in state.libraries or root in state.imports or (root in ("self", "cls") and receiver.endswith(".app"))


def _task(node: cst.BaseExpression, receiver: str | None, state: PyState) -> Expr | None:
    """The task `.delay()` is called on, as far as the code says: a module's or an imported
    name, an entry of a dict of tasks (`TASKS[kind]`), or a parameter of a function that is
    handed a task (`def later(task, *args): task.delay(*args)`, named at its calls)."""
    if receiver is not None:
        if _may_be_task(receiver, state):
            return Expr("ref", receiver)
        given = state.local(receiver) if "." not in receiver else None
        # A parameter handed a task: in a module that uses Celery (elsewhere `.delay()` is anyone's).
        return given if given is not None and given.kind == "param" and LIBRARY in state.libraries else None
    if isinstance(node, cst.Subscript):
        picked = state.expr(node)
        if picked.kind == "pick" and _may_be_task(picked.parts[0].text, state):
            return picked
    return None


def _may_be_task(receiver: str, state: PyState) -> bool:
    """`send_email.delay()`: the receiver is a task of this module or an imported name, not
    one of the standard library's (`unittest.mock.call.apply_async(…)` in a test)."""
    root = receiver.split(".", 1)[0]
    if state.local(root) is not None or root in ("self", "cls"):
        return False
    imported = state.imports.get(root)
    if imported is not None and imported.module.split(".", 1)[0] in sys.stdlib_module_names:
        return False
    return imported is not None or root in state.definitions


def schedule(target: str, value: cst.BaseExpression, state: PyState) -> None:
    """Beat schedule entries (`{'task': 'proj.tasks.add'}`) and task-route keys name tasks."""
    leaf = target.rsplit(".", 1)[-1]
    if leaf in SCHEDULE_NAMES:
        for entry in dict_items(value).values():
            task_name = dict_items(entry).get("task")
            if task_name is not None:
                state.add_producer(task_name, LIBRARY, "beat", REGISTRY, state.expr(task_name))
    elif leaf in ROUTE_NAMES and isinstance(value, cst.Dict):
        for element in value.elements:
            if isinstance(element, cst.DictElement):
                key = string_value(element.key)
                if key is not None and not any(c in key for c in "*?[") and "." in key:
                    state.add_producer(element.key, LIBRARY, "route", REGISTRY, Expr.literal(key))
