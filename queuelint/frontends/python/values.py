"""Python expressions -> `Expr`: values, references to resolve, per-call (dynamic) values,
parameters of named functions (resolved at call sites), or unknown."""

from __future__ import annotations

import re
from collections.abc import Callable

import libcst as cst

from queuelint.frontends.common import concat, is_id_like
from queuelint.frontends.python.syntax import dotted_name, positional, string_value
from queuelint.model import Expr

# Calls whose result differs on every call: time, randomness, generated ids.
DYNAMIC_CALLS = {
    "time.time": "the current time", "time.time_ns": "the current time", "time.monotonic": "the current time",
    "datetime.now": "the current time", "datetime.utcnow": "the current time",
    "datetime.datetime.now": "the current time", "datetime.datetime.utcnow": "the current time",
    "timezone.now": "the current time", "date.today": "the current date",
    "uuid.uuid4": "a random UUID", "uuid4": "a random UUID", "uuid.uuid1": "a UUID", "uuid1": "a UUID",
    "secrets.token_hex": "a random token", "secrets.token_urlsafe": "a random token",
    "random.random": "a random number", "random.randint": "a random number",
}
# Where request data lives: a view's `request` (Django, aiohttp, Starlette), Flask's global
# `request`, and what is read off them (`request.json()`, `request.POST`, `request.data`).
REQUEST_ROOTS = ("request", "req")
# Decorators that make a function a route (`@app.post("/jobs")`, `@bp.route("/run/<kind>")`):
# its parameters are filled from the request (path, query and body), FastAPI's and Flask's.
ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route", "api_route", "websocket"})
# Parameters of a route that are not request data: what the framework injects.
INJECTED_TYPES = re.compile(r"\b(Request|WebSocket|BackgroundTasks|Response|Session|AsyncSession|HTTPConnection)\b")

# Finds what a bare name means where it is used: a local binding, or None (a module name).
Locals = Callable[[str], "Expr | None"]


def expr_of(node: cst.BaseExpression | None, local: Locals, depth: int = 0) -> Expr:
    if node is None or depth > 12:
        return Expr.unknown("")
    literal = string_value(node)
    if literal is not None:
        return Expr.literal(literal)
    if isinstance(node, cst.FormattedString):
        parts: list[Expr] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(Expr.literal(part.value))
            elif isinstance(part, cst.FormattedStringExpression):
                parts.append(expr_of(part.expression, local, depth + 1))
        return concat(parts, cst.Module([]).code_for_node(node))
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = expr_of(node.left, local, depth + 1), expr_of(node.right, local, depth + 1)
        return concat([left, right], cst.Module([]).code_for_node(node))
    if isinstance(node, cst.Integer):
        return Expr.literal(node.value)
    if isinstance(node, cst.Call):
        return _call(node, local, depth)
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Call):  # `uuid4().hex`
        inner = _call(node.value, local, depth)
        if inner.kind == "dynamic":
            return inner
    if isinstance(node, cst.Await):  # `await request.json()`
        inner = expr_of(node.expression, local, depth + 1)
        return inner if inner.kind == "dynamic" else Expr.unknown(cst.Module([]).code_for_node(node)[:60])
    if isinstance(node, cst.Subscript):  # `payload["task"]`: a part of request data is request data
        inner = expr_of(node.value, local, depth + 1)
        text = cst.Module([]).code_for_node(node)[:60]
        if inner.kind == "dynamic" and inner.reason.startswith("request data"):
            return Expr("dynamic", text, f"request data `{text}`")
        return _picked(node, inner, text, local, depth)
    path = dotted_name(node)
    if path is None:
        return Expr.unknown(cst.Module([]).code_for_node(node)[:60])
    if path.endswith(".value"):  # `JobName.SEND.value`: an Enum member's value
        path = path.removesuffix(".value")
    root, _, rest = path.partition(".")
    bound = local(root)
    if root in REQUEST_ROOTS and (bound is None or bound.kind != "str"):  # Flask's is imported
        return Expr("dynamic", path, f"request data `{path}`")
    if bound is None:
        return Expr("ref", path)
    if root in ("self", "cls"):
        return Expr.unknown(path)
    if not rest:
        return bound
    if bound.kind == "dynamic" and bound.reason.startswith("request data"):  # `body = request.data`
        return Expr("dynamic", path, f"request data `{path}` (from {bound.text})")
    if is_id_like(rest.rsplit(".", 1)[-1]):
        return Expr("dynamic", path, f"the id `{path}`")
    if bound.kind == "param":  # `options.name` with `options` a parameter
        return Expr("param", f"{bound.text}.{rest}", bound.reason, parts=(Expr.unknown(path),))
    return Expr.unknown(path)


def _picked(node: cst.Subscript, container: Expr, text: str, local: Locals, depth: int) -> Expr:
    """`TASKS[kind]`, `QUEUES["high"]`: an entry of a module's dict (its own, or imported),
    picked by a key known once resolved (a constant, or a parameter bound at the calls)."""
    if container.kind != "ref" or len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return Expr.unknown(text)
    key = expr_of(node.slice[0].slice.value, local, depth + 1)
    if key.kind not in ("str", "ref", "param", "concat"):
        return Expr.unknown(text)
    return Expr("pick", text, parts=(container, key))


def _call(node: cst.Call, local: Locals, depth: int) -> Expr:
    callee = dotted_name(node.func)
    text = cst.Module([]).code_for_node(node)[:60]
    if callee is not None:
        reason = DYNAMIC_CALLS.get(callee)
        if reason is not None:
            return Expr("dynamic", text, reason)
        args = positional(node)
        if callee == "str" and len(args) == 1:
            return expr_of(args[0], local, depth + 1)
    if isinstance(node.func, cst.Attribute):  # `uuid4().hex`, `now().isoformat()` stay per-call
        inner = expr_of(node.func.value, local, depth + 1)
        if inner.kind == "dynamic":
            return inner
    return Expr.unknown(text)


def route_of(function: cst.FunctionDef) -> str | None:
    """The path of the route a function serves (`@router.post("/jobs/{kind}")`), or None."""
    for decorator in function.decorators:
        call = decorator.decorator
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute) \
                or call.func.attr.value not in ROUTE_DECORATORS:
            continue
        path = string_value(call.args[0].value) if call.args else None
        if path is not None and path.startswith("/"):
            return path
    return None


def route_parameter(param: cst.Param) -> bool:
    """Whether a route's parameter is filled from the request: not one injected by the
    framework (`db: Session = Depends(get_db)`, `request: Request`, `tasks: BackgroundTasks`)."""
    default = param.default
    if isinstance(default, cst.Call) and (dotted_name(default.func) or "").rsplit(".", 1)[-1] in ("Depends", "Security"):
        return False
    annotation = cst.Module([]).code_for_node(param.annotation.annotation) if param.annotation is not None else ""
    return INJECTED_TYPES.search(annotation) is None


def parameter_expr(name: str, index: int, function: str, route: str | None = None) -> Expr:
    """What a parameter stands for inside its function (`route`: the route it serves, whose
    parameters are request data)."""
    if route is not None:
        return Expr("dynamic", name, f"request data `{name}` (a parameter of route {route!r})")
    if is_id_like(name):
        return Expr("dynamic", name, f"the id variable `{name}`")
    if not function:
        return Expr.unknown(f"parameter {name}")
    return Expr("param", str(index), function, parts=(Expr.unknown(name),))
