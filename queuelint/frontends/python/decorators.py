"""In-house task decorators: aliases and factories over a library's own.

`task = shared_task`, `retryable = app.task(bind=True, autoretry_for=(IOError,))`,
`def queued_actor(**options): return dramatiq.actor(queue_name="io", **options)`: each makes
the functions it decorates tasks (or actors) as the library's decorator does. They are
recorded as a binding (a `queue` expression of the library's registry, with the kind of
consumer it makes as its `reason`), so that a module importing the alias is read as using
the library's decorator (see `flow` and `resolve.py`), and used directly in their own module.
"""

from __future__ import annotations

import libcst as cst

from queuelint.frontends.python import celery, dramatiq, rq
from queuelint.frontends.python.state import PyState
from queuelint.frontends.python.syntax import children, dotted_name, keywords
from queuelint.model import ACTOR_NAME, ACTOR_QUEUE, Expr

KINDS = {"celery": "celery-task", "dramatiq": "dramatiq-actor", "rq": rq.KIND}


def library_decorator(value: cst.BaseExpression, state: PyState) -> Expr | None:
    """`shared_task`, `app.task(…)`, `dramatiq.actor(queue_name=…)` as a decorator value:
    the registry its tasks go to (Celery's one, or the actor's queue)."""
    if celery.is_task_decorator(value, state) is not False:
        return Expr("queue", celery.LIBRARY, KINDS[celery.LIBRARY], (celery.REGISTRY,))
    found = dramatiq.is_actor_decorator(value, state)
    if found is not False:
        options = keywords(found) if isinstance(found, cst.Call) else {}
        queue = options.get("queue_name")
        name = state.expr(queue.value) if queue is not None else Expr.literal("default")
        return Expr("queue", dramatiq.LIBRARY, KINDS[dramatiq.LIBRARY], (name,))
    if rq.is_job_decorator(value, state):
        return rq.DECORATOR
    return None


def alias(value: cst.BaseExpression, state: PyState) -> Expr | None:
    """A module-level `name = <library decorator>` (or an alias of an alias)."""
    found = library_decorator(value, state)
    if found is not None:
        return found
    if isinstance(value, cst.Call) and dotted_name(value.func) in ("partial", "functools.partial") and value.args:
        return alias(value.args[0].value, state)  # `job = partial(rq_job, connection=…)`
    name = dotted_name(value.func if isinstance(value, cst.Call) else value)
    return state.decorator_aliases.get(name or "")


def factory(function: cst.FunctionDef, state: PyState) -> Expr | None:
    """A function returning a library decorator, or what one makes of its argument
    (`return shared_task(**kw)` / `return app.task(**kw)(fn)`, or a local holding that): an
    in-house decorator."""
    returns, assigned = _returns_and_assignments(function)
    inner = {s.name.value: s for s in _body(function) if isinstance(s, cst.FunctionDef)}
    found: Expr | None = None
    for node in returns:
        value = node.value
        if value is None:
            continue
        if isinstance(value, cst.Name) and value.value in inner:  # `def decorator(fn): actor(wrapped, …)`
            made = _registering(inner[value.value], function, state)
            if made is None:
                return None
            found = made
            continue
        if isinstance(value, cst.Name) and value.value in assigned:  # `task = shared_task(…)(run); return task`
            value = assigned[value.value]
        made = alias(value, state)
        if made is None and isinstance(value, cst.Call):  # `shared_task(**kw)(fn)`
            made = alias(value.func, state)
        if made is None:
            return None  # some path returns something else: not a decorator we can read
        found = made
    return found


def _body(function: cst.FunctionDef) -> tuple[cst.BaseStatement, ...]:
    return tuple(function.body.body) if isinstance(function.body, cst.IndentedBlock) else ()


def _registering(decorator: cst.FunctionDef, factory: cst.FunctionDef, state: PyState) -> Expr | None:
    """The library decorator an inner `def decorator(fn)` applies to the function it is given
    (or a wrapper of it, `functools.wraps`): `actor(wrapped, queue_name=queue_name, …)`, as a
    statement of its own body. A queue the factory passes on from its own parameters is the
    one the use site gives under that name (read there), else not known here."""
    parameters = {p.name.value: p.default for p in (*factory.params.params, *factory.params.kwonly_params)}
    for statement in _body(decorator):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            # `actor(wrapped, …)`, `return actor(wrapped, …)`, `registered = actor(wrapped, …)`
            call = small.value if isinstance(small, (cst.Expr, cst.Return, cst.Assign)) else None
            if not isinstance(call, cst.Call) or not call.args or call.args[0].keyword is not None:
                continue
            made = library_decorator(call, state) or (alias(call.func, state) if isinstance(call.func, cst.Call)
                                                       else None)
            if made is None:
                continue
            if made.text == dramatiq.LIBRARY:
                made = _forwarded(made, call, factory, parameters, state)
            return made
    return None


def _forwarded(made: Expr, call: cst.Call, factory: cst.FunctionDef,
               parameters: dict[str, cst.BaseExpression | None], state: PyState) -> Expr:
    """`dramatiq.actor(fn, queue_name=lane, actor_name=name)` in a factory: the keywords of the
    use site that become the actor's queue and name (the factory's own parameters), and the
    queue it gets when the use site gives none. Parts: that queue, the queue's keyword, the
    name's keyword."""
    options = keywords(call)

    def parameter(keyword: str) -> str | None:
        given = options.get(keyword)
        return given.value.value if given is not None and isinstance(given.value, cst.Name) \
            and given.value.value in parameters else None

    queue_keyword, name_keyword = parameter("queue_name"), parameter("actor_name")
    if queue_keyword is None and name_keyword is None:
        return made
    chosen = _parameter_at_call(factory, queue_keyword, parameters, state) if queue_keyword else \
        Expr.unknown("queue_name", f"the queue `@{factory.name.value}(…)` gives")
    return Expr("queue", made.text, made.reason, (chosen, Expr.literal(queue_keyword or ""),
                                                  Expr.literal(name_keyword or "actor_name")))


def _parameter_at_call(factory: cst.FunctionDef, name: str, parameters: dict[str, cst.BaseExpression | None],
                       state: PyState) -> Expr:
    """The value the factory's parameter `name` has once its body is done with it, when the
    use site does not give it: its default; or, where the body sets it only under
    `if name is None:`, what a `match` or an `if` chain on another of its parameters chooses
    there (that parameter as the use site gives it, else its default)."""
    why = f"the queue `@{factory.name.value}(…)` chooses when none is given"
    default = parameters[name]
    setters = [statement for statement in _body(factory) if _assigns(statement, name)]
    if not setters:
        return state.expr(default) if default is not None and not _is_none(default) else Expr.unknown(name, why)
    setter = setters[0]
    if len(setters) == 1 and default is not None and _is_none(default) and isinstance(setter, cst.If) \
            and setter.orelse is None and _is_none_test(setter.test, name) \
            and isinstance(setter.body, cst.IndentedBlock) and len(setter.body.body) == 1:
        chosen = _chosen_by(setter.body.body[0], name, parameters, state)
        if chosen is not None:
            return chosen
    return Expr.unknown(name, why)


def _chosen_by(statement: cst.BaseStatement, name: str, parameters: dict[str, cst.BaseExpression | None],
               state: PyState) -> Expr | None:
    """`match p: case V: name = X …` or `if p == V: name = X elif …: … else: …` on a parameter
    `p` of the factory, as a `choice` over `p` as the use site gives it; None when a branch
    does anything but set `name`, or the subject is not a parameter."""
    subject: str | None = None
    cases: list[Expr] = []
    if isinstance(statement, cst.Match) and isinstance(statement.subject, cst.Name):
        subject = statement.subject.value
        for case in statement.cases:
            value = _only_assignment(case.body, name, state)
            if value is None or case.guard is not None:
                return None
            if isinstance(case.pattern, cst.MatchValue):
                cases.append(Expr("choice", parts=(state.expr(case.pattern.value), value)))
            elif isinstance(case.pattern, cst.MatchAs) and case.pattern.pattern is None and case.pattern.name is None:
                cases.append(Expr("choice", parts=(value,)))  # `case _:`
            else:
                return None
    elif isinstance(statement, cst.If):
        branch: cst.If | cst.Else | None = statement
        while isinstance(branch, cst.If):
            test = branch.test
            value = _only_assignment(branch.body, name, state)
            if value is None or not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 \
                    or not isinstance(test.comparisons[0].operator, cst.Equal) or not isinstance(test.left, cst.Name) \
                    or subject not in (None, test.left.value):
                return None
            subject = test.left.value
            cases.append(Expr("choice", parts=(state.expr(test.comparisons[0].comparator), value)))
            branch = branch.orelse if isinstance(branch.orelse, (cst.If, cst.Else)) else None
        if isinstance(branch, cst.Else):
            value = _only_assignment(branch.body, name, state)
            if value is None:
                return None
            cases.append(Expr("choice", parts=(value,)))
    if subject is None or subject == name or subject not in parameters or not cases:
        return None
    default = parameters[subject]
    given = Expr("given", subject, parts=(state.expr(default) if default is not None
                                          else Expr.unknown(subject, f"`{subject}` has no default"),))
    return Expr("choice", subject, parts=(given, *cases))


def _only_assignment(body: cst.BaseSuite, name: str, state: PyState) -> Expr | None:
    """The value of a block that does nothing but `name = value`."""
    statements = body.body if isinstance(body, cst.IndentedBlock) else ()
    if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine) or len(statements[0].body) != 1:
        return None
    assign = statements[0].body[0]
    if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name) \
            and assign.targets[0].target.value == name:
        return state.expr(assign.value)
    return None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_none_test(test: cst.BaseExpression, name: str) -> bool:
    """`name is None` or `not name`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return isinstance(test.expression, cst.Name) and test.expression.value == name
    return isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and test.left.value == name \
        and len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, cst.Is) \
        and _is_none(test.comparisons[0].comparator)


def _assigns(statement: cst.BaseStatement, name: str) -> bool:
    """Whether `name` is assigned anywhere in `statement` (nested functions too: cautious)."""
    found = False

    class Finder(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            nonlocal found
            if isinstance(node.target, cst.Name) and node.target.value == name:
                found = True

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            nonlocal found
            if isinstance(node.target, cst.Name) and node.target.value == name:
                found = True

    statement.visit(Finder())
    return found


def class_factory(cls: cst.ClassDef, state: PyState) -> Expr | None:
    """A class whose instances are decorators (`@retryable_task(name=…)`): its `__call__`
    returns a library decorator or what one makes of the function, as a factory does; or a
    subclass of one (`class TimedJob(rq.decorators.job)`)."""
    for base in cls.bases:
        if rq.is_job_decorator(base.value, state) or state.decorator_aliases.get(dotted_name(base.value) or "") \
                == rq.DECORATOR:
            return rq.DECORATOR
    for statement in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else []:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__call__":
            return factory(statement, state)
    return None


def _returns_and_assignments(function: cst.FunctionDef) -> tuple[list[cst.Return], dict[str, cst.BaseExpression]]:
    """The function's own `return`s (not nested functions'), and the value of each plain
    local name assigned once in it. One walk that does not rebuild nodes (libcst's
    `children` does): every top-level function of a task module is asked."""
    returns: list[cst.Return] = []
    values: dict[str, cst.BaseExpression] = {}
    twice: set[str] = set()
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Return):
            returns.append(node)
        elif isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            name = node.targets[0].target.value
            if name in values:
                twice.add(name)
            values[name] = node.value
        elif not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.BaseExpression)):
            stack.extend(children(node))  # statements hold returns and assignments; expressions do not
    return returns, {name: value for name, value in values.items() if name not in twice}


def decorated(function: cst.FunctionDef, decorator: cst.BaseExpression, state: PyState) -> bool:
    """Read `function` as a task if `decorator` is an in-house alias of this module."""
    name = dotted_name(decorator.func if isinstance(decorator, cst.Call) else decorator)
    made = state.decorator_aliases.get(name or "")
    if made is None:
        return False
    call = decorator if isinstance(decorator, cst.Call) else True
    if made.text == celery.LIBRARY:
        celery.task(function, call, state)
    elif made.text == rq.LIBRARY:
        rq.job_decorated(function, decorator, state)
    else:
        # The factory's own parameters that become the actor's queue and name.
        queue_keyword = made.parts[1].text if len(made.parts) > 1 else "queue_name"
        name_keyword = made.parts[2].text if len(made.parts) > 2 else "actor_name"
        given = {key: state.expr(arg.value) for key, arg in keywords(decorator).items()} \
            if isinstance(decorator, cst.Call) else {}
        dramatiq.actor(function, call, state, default_queue=made.parts[0].given_by(given),
                       queue_keyword=queue_keyword, name_keyword=name_keyword)
    return True


def imported(function: cst.FunctionDef, decorator: cst.BaseExpression, state: PyState) -> bool:
    """A decorator imported from a project module (`from app.tasks import retryable_task`):
    maybe an in-house Celery task decorator. Recorded as a task whose registry is what the
    decorator resolves to; the graph keeps it only if that is a library decorator. It may
    be an alias of RQ's `@job` too: that is bound for the flow stage to tell."""
    name = dotted_name(decorator.func if isinstance(decorator, cst.Call) else decorator)
    if name is None or state.scopes or state.classes:
        return False
    source = state.imports.get(name.split(".", 1)[0])
    if source is None or source.module.lstrip(".").split(".", 1)[0] in ("celery", "dramatiq", "rq", "arq"):
        return False
    candidate = Expr("queue_name", name, parts=(Expr("ref", name),))
    call = decorator if isinstance(decorator, cst.Call) else True
    before = len(state.bindings)
    celery.task(function, call, state, registry=candidate)
    rq.job_decorated(function, decorator, state, made_by=Expr("ref", name))  # or RQ's `@job`, said by the flow stage
    actor_name, actor_queue = _actor_candidate(function, decorator, name, state)
    # The function's name and queue, as its callers (`fn.delay()`, `fn.send()`) read them, are
    # a Dramatiq actor's if the decorator turns out to be over `dramatiq.actor`.
    fn = function.name.value
    other = dict(state.bindings[before:])
    del state.bindings[before:]
    for key, value in other.items():
        if key == fn:
            value = _by_decorator(name, actor_name, value)
        elif key == fn + ACTOR_QUEUE:
            value = _by_decorator(name, actor_queue, value)
        state.bindings.append((key, value))
    return True


def _actor_candidate(function: cst.FunctionDef, decorator: cst.BaseExpression, name: str,
                     state: PyState) -> tuple[Expr, Expr]:
    """An actor an imported decorator may make (`@actor(actor_name="mail.send", priority=…)`
    over `dramatiq.actor`): kept by the graph only if the decorator is one. Its queue is the
    one the use site names, else the decorator's own."""
    options = keywords(decorator) if isinstance(decorator, cst.Call) else {}
    explicit = options.get("actor_name")
    # Every keyword the use site gives: the decorator's binding says which name the queue and
    # which the actor's name.
    given = tuple(Expr("choice", parts=(Expr.literal(key), state.expr(arg.value))) for key, arg in options.items())
    actor_name = Expr("queue_name", name, ACTOR_NAME, parts=(
        Expr("ref", name), *given, Expr("choice", parts=(Expr.literal(function.name.value),))))
    queue = Expr("queue_name", name, parts=(Expr("ref", name), *given) if given else (Expr("ref", name),))
    registry = Expr("queue_name", name, parts=(Expr("ref", name), *given, Expr("choice")))
    state.add_handler(function=function, span=state.span(function.name), library="", kind=KINDS[dramatiq.LIBRARY],
                      queue=registry, job=actor_name, route_span=state.span(explicit.value if explicit else function.name),
                      handler=function.name.value, retries=dramatiq.retries_of(options))
    return actor_name, queue


def _by_decorator(decorator: str, actor: Expr, otherwise: Expr) -> Expr:
    return Expr("decorated", decorator, parts=(
        Expr("ref", decorator),
        Expr("choice", parts=(Expr.literal(KINDS[dramatiq.LIBRARY]), actor)),
        Expr("choice", parts=(Expr.literal("*"), otherwise))))
