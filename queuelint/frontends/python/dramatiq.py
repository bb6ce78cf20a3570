"""Dramatiq: `@dramatiq.actor(actor_name=…, queue_name=…)` (the name defaults to the function
name, the queue to `default`), produced by `fn.send(…)`, `fn.send_with_options(…)`,
`fn.message(…)` (sent by a pipeline or a group) and the callbacks of `…_with_options`."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from queuelint.frontends.python.state import PyState, callee
from queuelint.frontends.python.syntax import dotted_name, keywords
from queuelint.model import ACTOR_QUEUE, Expr, Unresolved

LIBRARY = "dramatiq"
DEFAULT_QUEUE = Expr.literal("default")


def is_actor_decorator(decorator: cst.BaseExpression, state: PyState) -> cst.Call | bool:
    call = decorator if isinstance(decorator, cst.Call) else None
    symbol = state.library_of(dotted_name(call.func if call is not None else decorator))
    if symbol is None or symbol != (LIBRARY, "actor"):
        return False
    return call if call is not None else True


def retries_of(options: dict[str, cst.Arg]) -> str:
    """The retries Dramatiq's Retries middleware gives a failed actor: 20 unless `max_retries`
    says otherwise (0: none). A value not written as a number is taken as some."""
    given = options.get("max_retries")
    if given is None:
        return "Dramatiq's retries of a failed actor (up to 20 by default)"
    value = given.value
    if isinstance(value, cst.Integer):
        count = int(value.value)
        return f"the actor's retries (max_retries={count})" if count > 0 else ""
    return "the actor's retries (max_retries)"


def actor(function: cst.FunctionDef, decorator: cst.Call | bool, state: PyState,
          default_queue: Expr = DEFAULT_QUEUE, queue_keyword: str = "queue_name",
          name_keyword: str = "actor_name") -> tuple[Expr, Expr]:
    """`default_queue`: the queue an in-house decorator over `dramatiq.actor` sets, and
    `queue_keyword`, `name_keyword` the names it takes a queue and a name under. Returns the
    actor's name and queue."""
    options = keywords(decorator) if isinstance(decorator, cst.Call) else {}
    explicit = options.get(name_keyword)
    name = state.expr(explicit.value) if explicit is not None else Expr.literal(function.name.value)
    queue_arg = options.get(queue_keyword) if queue_keyword else None
    queue = state.expr(queue_arg.value) if queue_arg is not None else default_queue
    anchor = explicit.value if explicit is not None else function.name
    state.add_handler(function=function, span=state.span(function.name), library=LIBRARY, kind="dramatiq-actor",
                      queue=queue, job=name, route_span=state.span(anchor), handler=function.name.value,
                      retries=retries_of(options))
    broker = options.get("broker")
    if broker is not None and not state.function_id():  # `broker=`: that broker's registry, not the global one
        state.consumers[-1] = replace(state.consumers[-1], registered_in=f"broker {dotted_name(broker.value)}")
    if not state.scopes and not state.classes:
        state.bindings.append((function.name.value, name))
        state.bindings.append((function.name.value + ACTOR_QUEUE, queue))
    elif state.scopes:  # an actor a function (a test) defines: its `.send()` there produces it
        state.local_tasks[(state.function_id(), function.name.value)] = (name, queue)
    return name, queue


def actor_made(target: str, value: cst.BaseExpression, state: PyState) -> bool:
    """`sync = dramatiq.actor(_sync, queue_name="io")` or `dramatiq.actor(max_retries=3)(_sync)`
    at module level: `_sync` is an actor, sent as `sync`."""
    if not isinstance(value, cst.Call) or state.scopes or state.classes:
        return False
    decorator: cst.Call | bool
    if is_actor_decorator(value.func, state) is not False and isinstance(value.func, cst.Call):
        decorator, given = value.func, value.args[0].value if value.args else None  # `actor(**kw)(fn)`
    elif is_actor_decorator(value, state) is not False and value.args and value.args[0].keyword is None:
        decorator, given = value, value.args[0].value  # `actor(fn, **kw)`
    else:
        return False
    function = state.definitions.get(dotted_name(given) or "") if given is not None else None
    if function is None:
        return False
    name, queue = actor(function, decorator, state)
    state.made_actors.add(target)
    state.bindings.append((target, name))
    state.bindings.append((target + ACTOR_QUEUE, queue))
    return True


def call(node: cst.Call, state: PyState) -> None:
    name = callee(node)
    if name is None or not isinstance(node.func, cst.Attribute):
        return
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "set_broker" and not state.scopes and state.library_of(name) is not None:
        state.own_broker = True  # this module's actors are registered with a broker of its own
        return
    if leaf == "get_actor" and LIBRARY in state.libraries:
        # `broker.get_actor(name).send(…)`: which actor, and so which queue, is known only
        # to the broker at run time. Said, not guessed.
        state.unresolved.append(Unresolved(state.span(node), "`get_actor(…)` looks an actor up by name at run time: "
                                                             "the actor it finds and its queue are not followed"))
        return
    if leaf not in SENDING:
        return
    if leaf.endswith("_with_options"):
        _callbacks(node, state)
    receiver = dotted_name(node.func.value)
    if receiver is None:
        return
    root = receiver.split(".", 1)[0]
    local = state.local_task(receiver)
    if local is not None:
        state.add_producer(node.func.value, LIBRARY, leaf, local[1], local[0])
        return
    if state.local(root) is not None or (root not in state.imports and root not in state.definitions
                                         and root not in state.made_actors):
        return
    state.add_producer(node.func.value, LIBRARY, leaf, Expr("ref", receiver + ACTOR_QUEUE), Expr("ref", receiver))


# What puts an actor's message on its queue: `send`, and `message`, whose message a
# pipeline, a group or `broker.enqueue` sends.
SENDING = frozenset({"send", "send_with_options", "message", "message_with_options"})
# Options naming an actor the Callbacks middleware sends a message to.
CALLBACKS = ("on_success", "on_failure", "on_retry_exhausted")


def _callbacks(node: cst.Call, state: PyState) -> None:
    """`send_with_options(on_failure="report_failure")` (or the actor itself): that actor
    gets a message when this one finishes; its queue is its own, not known here."""
    options = keywords(node)
    for key in CALLBACKS:
        given = options.get(key)
        if given is None:
            continue
        value = given.value
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
            state.add_producer(value, LIBRARY, key, Expr.unknown(key, "the callback actor's own queue"),
                               state.expr(value))
        elif (reference := dotted_name(value)) is not None and reference.split(".", 1)[0] in (
                *state.imports, *state.definitions, *state.made_actors):
            state.add_producer(value, LIBRARY, key, Expr("ref", reference + ACTOR_QUEUE), Expr("ref", reference))


def own_registries(state: PyState) -> None:
    """Actors of a module that sets its own broker (`dramatiq.set_broker(RedisBroker())`, a
    separate program such as an example or a benchmark) collide only with each other."""
    if state.own_broker:
        state.consumers = [replace(c, registered_in=c.registered_in or "its own broker")
                           if c.library == LIBRARY else c for c in state.consumers]
