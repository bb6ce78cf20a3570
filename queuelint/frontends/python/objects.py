"""The object a queue method is called on, as far as the code states what it is.

`pool.enqueue_job(…)` is arq's only when `pool` comes from arq. Where the file itself does not
show that, the object is followed instead of guessed: a local assigned from a project
function (`pool = await get_pool()`), a FastAPI dependency (`pool = Depends(get_pool)`), a
module name or an imported one (`queue.pool`, `Holder.pool`), or a call of a project function.
The flow stage then evaluates that expression against what the defining module binds (a
`create_pool(…)` result, a variable annotated `ArqRedis`, a function returning one).
"""

from __future__ import annotations

import libcst as cst

from queuelint.frontends.python.state import PyState
from queuelint.frontends.python.syntax import dotted_name, positional
from queuelint.model import Expr

# FastAPI's dependency markers: the parameter holds what the named function returns.
DEPENDENCY_MARKERS = frozenset({"Depends", "Security"})


def project_call(node: cst.Call, state: PyState, made: bool = False) -> Expr | None:
    """`get_queue("high")` of a function the module defines or imports (not a library's): the
    call, as the flow stage evaluates it against the function's summary. `made`: an object
    being made (`IngestionService(database=db)`), whose class matters more than its arguments:
    given by keyword, they are left out."""
    name = dotted_name(node.func)
    if name is None or state.library_of(name) is not None:
        return None
    head = name.split(".", 1)[0]
    if head not in state.definitions and head not in state.imports and head not in state.class_defs:
        return None
    if "." in name and head in state.definitions:
        return None  # an attribute of a function's result is not followed
    text = cst.Module([]).code_for_node(node)[:60]
    if any(a.keyword is not None or a.star for a in node.args):  # arguments bound by position only
        # An object of a class: its class matters, and its arguments are left out (a function's
        # defaults would stand in for them).
        return Expr("call", text, parts=(Expr("ref", name),)) if (made and head in state.class_defs) \
            or (made and head in state.imports and name.rsplit(".", 1)[-1][:1].isupper()) else None
    return Expr("call", text, parts=(Expr("ref", name), *(state.expr(a.value) for a in node.args)))


def receiver(node: cst.BaseExpression, state: PyState) -> Expr | None:
    """What a method's receiver is to be followed as, or None when the code does not say:
    a call of a project function, an object a local was given, or a module-level name."""
    while isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.Call):
        return project_call(node, state)
    if isinstance(node, cst.Subscript):  # `QUEUES[name]`: an entry of a module's dict
        picked = state.expr(node)
        return picked if picked.kind == "pick" else None
    path = dotted_name(node)
    if path is None:
        return None
    head, _, rest = path.partition(".")
    held = held_object(head, state)
    if held is not None:
        if not rest:
            return held
        return Expr("ref", f"{held.text}.{rest}") if held.kind == "ref" else None
    if head in ("self", "cls") or state.local(head) is not None:
        return None  # a parameter or local whose value the code does not state
    return Expr("ref", path)


def held_object(name: str, state: PyState) -> Expr | None:
    """The object a local name was given in an enclosing function, if it was followed."""
    for key in state.enclosing_scope_keys():
        found = state.objects.get((key, name))
        if found is not None:
            return found
    return None


def remember_local(name: str, value: cst.BaseExpression, state: PyState) -> None:
    """`pool = await get_pool()`, `pool = queue.pool` in a function: what `pool` holds, for a
    method called on it later in the function."""
    if not state.scopes:
        return
    while isinstance(value, cst.Await):
        value = value.expression
    followed = receiver(value, state) if isinstance(value, (cst.Call, cst.Attribute, cst.Name)) else None
    key = (state.scope_key(), name)
    if followed is not None:
        state.objects[key] = followed
    else:
        state.objects.pop(key, None)  # rebound to something else


def dependency(param: cst.Param, state: PyState) -> Expr | None:
    """`pool: ArqRedis = Depends(get_pool)` or `Annotated[ArqRedis, Depends(get_pool)]`: the
    parameter holds what `get_pool` returns."""
    markers: list[cst.BaseExpression] = []
    if param.default is not None:
        markers.append(param.default)
    annotation = param.annotation.annotation if param.annotation is not None else None
    if isinstance(annotation, cst.Subscript) and (dotted_name(annotation.value) or "").endswith("Annotated"):
        markers.extend(element.slice.value for element in annotation.slice[1:]
                       if isinstance(element.slice, cst.Index))
    for marker in markers:
        if not isinstance(marker, cst.Call) or (dotted_name(marker.func) or "").rsplit(".", 1)[-1] \
                not in DEPENDENCY_MARKERS:
            continue
        given = positional(marker)
        function = dotted_name(given[0]) if given else None
        if function is None or state.library_of(function) is not None:
            continue
        head = function.split(".", 1)[0]
        if head in state.definitions or head in state.imports or head in state.class_defs:
            return Expr("call", f"{function}()", parts=(Expr("ref", function),))
    return None
