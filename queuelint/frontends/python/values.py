"""Python expressions -> `Expr`: values, references to resolve, per-call (dynamic) values,
parameters of named functions (resolved at call sites), or unknown."""

from __future__ import annotations

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
REQUEST_ROOTS = ("request", "req")

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
    path = dotted_name(node)
    if path is None:
        return Expr.unknown(cst.Module([]).code_for_node(node)[:60])
    if path.endswith(".value"):  # `JobName.SEND.value`: an Enum member's value
        path = path.removesuffix(".value")
    root, _, rest = path.partition(".")
    bound = local(root)
    if bound is None:
        return Expr("ref", path)
    if root in ("self", "cls"):
        return Expr.unknown(path)
    if root in REQUEST_ROOTS:
        return Expr("dynamic", path, f"request data `{path}`")
    if not rest:
        return bound
    if is_id_like(rest.rsplit(".", 1)[-1]):
        return Expr("dynamic", path, f"the id `{path}`")
    if bound.kind == "param":  # `options.name` with `options` a parameter
        return Expr("param", f"{bound.text}.{rest}", bound.reason, parts=(Expr.unknown(path),))
    return Expr.unknown(path)


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


def parameter_expr(name: str, index: int, function: str) -> Expr:
    """What a parameter stands for inside its function."""
    if is_id_like(name):
        return Expr("dynamic", name, f"the id variable `{name}`")
    if not function:
        return Expr.unknown(f"parameter {name}")
    return Expr("param", str(index), function, parts=(Expr.unknown(name),))
