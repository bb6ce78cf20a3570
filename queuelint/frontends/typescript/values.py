"""Turn a TypeScript/JavaScript expression into an `Expr`: a value, a reference to resolve,
a per-call (dynamic) value, or something unknown.

Local names are followed through `const` declarations of enclosing scopes; module-level
names become references that `resolve.py` looks up across files.
"""

from __future__ import annotations

from queuelint.frontends.common import concat, is_id_like
from queuelint.frontends.typescript.syntax import (
    FUNCTION_TYPES,
    Node,
    SourceText,
    arguments,
    dotted_name,
    fragment,
    shorten,
    string_value,
    unwrap,
)
from queuelint.model import ASSUMED_UNSET, NUMBER, Expr

# Calls whose result differs on every call: time, randomness, generated ids.
DYNAMIC_CALLS = {
    "Date.now": "the current time",
    "Math.random": "a random number",
    "performance.now": "the current time",
    "process.hrtime": "the current time",
    "crypto.randomUUID": "a random UUID",
    "randomUUID": "a random UUID",
    "uuid": "a random UUID",
    "uuidv4": "a random UUID",
    "uuidV4": "a random UUID",
    "v4": "a random UUID",
    "uuid.v4": "a random UUID",
    "nanoid": "a random id",
    "cuid": "a random id",
    "createId": "a random id",
    "ulid": "a random id",
    "randomBytes": "random bytes",
    "crypto.randomBytes": "random bytes",
    "ObjectId": "a generated id",
}
# Where request data lives (Express/Koa/Nest request objects); a parameter merely named
# `params` or `body` is a wrapper's parameter, resolved at its call sites.
REQUEST_ROOTS = frozenset({"req", "request", "ctx.request"})
# A route parameter that is request data, whatever its name: one a NestJS decorator fills
# from the request (`@Body() dto`, `@Query('kind') kind`), or one typed as a request.
REQUEST_DECORATORS = frozenset({"Body", "Query", "Param", "Headers", "Req", "Request"})
REQUEST_TYPES = frozenset({"Request", "FastifyRequest", "NextRequest", "express.Request", "NextApiRequest"})
SCOPES = frozenset({"statement_block", "program", "switch_case", "switch_default", "class_body"})
DECLARATIONS = frozenset({"lexical_declaration", "variable_declaration"})
MAX_DEPTH = 12
# Calls that are imports, not functions of the project to evaluate.
NOT_FOLLOWED = frozenset({"require", "import"})


class Binding:
    """What a local name is bound to, as far as one file shows."""

    __slots__ = ("function", "kind", "param", "value")

    def __init__(self, kind: str, value: Node | None, param: str = "", function: Node | None = None) -> None:
        self.kind = kind  # const | destructured (from a const's value) | mutable | param | module
        self.value = value
        # For a parameter: its position, `0` or `0.name` when destructured; for a destructured
        # const: the key it is taken from, where one level of `{ key }` says.
        self.param = param
        self.function = function  # for a parameter: the function declaring it


def lookup_local(node: Node, name: str, src: SourceText) -> Binding:
    """Find the declaration of `name` visible at `node`, walking out through enclosing scopes."""
    current: Node | None = node
    while current is not None:
        parent = current.parent
        if parent is None:
            break
        if parent.type in FUNCTION_TYPES:
            position = _parameter_position(parent, name, src)
            if position is not None:
                return Binding("param", None, position, parent)
        elif parent.type == "catch_clause":
            param = parent.child_by_field_name("parameter")
            if param is not None and src.text(param) == name:
                return Binding("param", None)
        elif parent.type in ("for_in_statement", "for_statement"):
            left = parent.child_by_field_name("left") or parent.child_by_field_name("initializer")
            if left is not None and name in _declared_names(left, src):
                return Binding("mutable", None)
        elif parent.type in SCOPES:
            found = declared_in_block(parent, name, src)
            if found is not None:
                if parent.type == "program":
                    return Binding("module", found.value)
                return found
        current = parent
    return Binding("module", None)


def declared_in_block(block: Node, name: str, src: SourceText) -> Binding | None:
    for statement in block.named_children:
        decl = statement
        if decl.type == "export_statement":
            inner = decl.child_by_field_name("declaration")
            if inner is None:
                continue
            decl = inner
        if decl.type not in DECLARATIONS:
            continue
        is_const = decl.children and decl.children[0].type == "const"
        for declarator in decl.named_children:
            if declarator.type != "variable_declarator":
                continue
            target = declarator.child_by_field_name("name")
            if target is None:
                continue
            if target.type == "identifier" and src.text(target) == name:
                return Binding("const" if is_const else "mutable", declarator.child_by_field_name("value"))
            if target.type != "identifier" and name in _declared_names(target, src):
                # Destructured: where it comes from, and the key it is under when the pattern
                # is one level of `{ key }` or `{ key: name }`.
                return Binding("destructured" if is_const else "mutable", declarator.child_by_field_name("value"),
                               _destructured_key(target, name, src))
    return None


def _destructured_key(pattern: Node, name: str, src: SourceText) -> str:
    """The key `name` is taken from in `{ key }` / `{ key: name }`, or "" for anything deeper."""
    if pattern.type != "object_pattern":
        return ""
    for child in pattern.named_children:
        if child.type == "shorthand_property_identifier_pattern" and src.text(child) == name:
            return name
        if child.type == "pair_pattern":
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if key is not None and value is not None and value.type == "identifier" and src.text(value) == name \
                    and key.type == "property_identifier":
                return src.text(key)
    return ""


def _declared_names(pattern: Node, src: SourceText) -> set[str]:
    names: set[str] = set()
    stack = [pattern]
    while stack:
        node = stack.pop()
        if node.type in ("identifier", "shorthand_property_identifier_pattern"):
            names.add(src.text(node))
        elif node.type == "pair_pattern":
            value = node.child_by_field_name("value")
            if value is not None:
                stack.append(value)
        else:
            stack.extend(node.named_children)
    return names


def _parameter_position(function: Node, name: str, src: SourceText) -> str | None:
    """`0` for the first parameter, `0.name` for `{ name }` destructured from it; None if not one."""
    params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if params is None:
        return None
    if params.type == "identifier":
        return "0" if src.text(params) == name else None
    items = [p for p in params.named_children if p.type != "comment"]
    for index, param in enumerate(items):
        pattern = param.child_by_field_name("pattern") or param
        if pattern.type == "identifier":
            if src.text(pattern) == name:
                return str(index)
            continue
        if name not in _declared_names(pattern, src):
            continue
        if pattern.type == "object_pattern":
            for child in pattern.named_children:
                if child.type == "shorthand_property_identifier_pattern" and src.text(child) == name:
                    return f"{index}.{name}"
                if child.type == "pair_pattern":
                    key = child.child_by_field_name("key")
                    value = child.child_by_field_name("value")
                    if value is not None and src.text(value) == name and key is not None:
                        return f"{index}.{src.text(key)}"
        return f"{index}.?"  # nested or array destructuring: a parameter, position unknown
    return None


def function_id(function: Node | None, src: SourceText) -> str:
    """A readable, file-unique name for a function: `Class.method`, `fn`, or "" when anonymous."""
    if function is None:
        return ""
    if function.type in ("method_definition", "function_declaration", "generator_function_declaration"):
        name = src.text(function.child_by_field_name("name"))
        if function.type != "method_definition":
            return name
        cls = function.parent.parent if function.parent is not None else None
        owner = src.text(cls.child_by_field_name("name")) if cls is not None else ""
        return f"{owner}.{name}" if owner else name
    parent = function.parent
    if parent is not None and parent.type == "variable_declarator":
        return src.text(parent.child_by_field_name("name"))
    if parent is not None and parent.type == "public_field_definition":
        cls = parent.parent.parent if parent.parent is not None else None
        owner = src.text(cls.child_by_field_name("name")) if cls is not None else ""
        return f"{owner}.{src.text(parent.child_by_field_name('name'))}"
    return ""


def named_function(node: Node, src: SourceText) -> str:
    """The id of the nearest named function around `node` (a callback inside one runs as its
    part), or "" at module level."""
    parent = node.parent
    while parent is not None:
        if parent.type in FUNCTION_TYPES:
            name = function_id(parent, src)
            if name:
                return name
        parent = parent.parent
    return ""


def parameter(binding: Binding, rest: str, text: str, src: SourceText) -> Expr:
    """A value that comes in through a parameter of a named function: resolved at its call sites."""
    owner = function_id(binding.function, src)
    if not owner or binding.param.endswith("?"):
        return Expr.unknown(f"parameter {text}")
    position = f"{binding.param}.{rest}" if rest else binding.param
    return Expr("param", position, owner, parts=(Expr.unknown(text),))


def expr_of(node: Node | None, src: SourceText, depth: int = 0) -> Expr:
    """The `Expr` an expression node denotes."""
    node = unwrap(node)
    if node is None:
        return Expr.unknown("")
    if depth > MAX_DEPTH:
        return Expr.unknown(shorten(src.text(node)))
    literal = string_value(node, src)
    if literal is not None:
        return Expr.literal(literal)
    kind = node.type
    if kind == "template_string":
        parts: list[Expr] = []
        for child in node.named_children:
            if child.type in ("string_fragment", "escape_sequence"):
                parts.append(Expr.literal(fragment(child, src)))
            elif child.type == "template_substitution":
                inner = child.named_children[0] if child.named_children else None
                parts.append(expr_of(inner, src, depth + 1))
        return concat(parts, src.text(node))
    if kind == "binary_expression" and _operator(node) == "+":
        left = expr_of(node.child_by_field_name("left"), src, depth + 1)
        right = expr_of(node.child_by_field_name("right"), src, depth + 1)
        return concat([left, right], src.text(node))
    if kind == "number":
        return Expr("str", src.text(node), NUMBER)
    if kind == "ternary_expression":
        return _conditional(node, src, depth)
    if kind == "binary_expression" and _operator(node) in ("??", "||"):
        variable = unwrap(node.child_by_field_name("left"))
        if _environment(variable, src) is not None:  # `process.env.QUEUE ?? 'mail'`
            return _assuming_unset(expr_of(node.child_by_field_name("right"), src, depth + 1), variable, src)
    if kind == "await_expression" and node.named_children:  # `await request.json()`
        awaited = expr_of(node.named_children[0], src, depth + 1)
        return awaited if awaited.kind == "dynamic" else Expr.unknown(shorten(src.text(node)))
    if kind == "identifier":
        return _identifier(node, src, depth)
    if kind in ("member_expression", "subscript_expression"):
        return _member(node, src, depth)
    if kind == "call_expression":
        return _call(node, src, depth)
    if kind == "new_expression":
        ctor = dotted_name(node.child_by_field_name("constructor"), src)
        if ctor == "Date":
            return Expr("dynamic", shorten(src.text(node)), "the current time")
        if ctor == "ObjectId":
            return Expr("dynamic", shorten(src.text(node)), "a generated id")
    return Expr.unknown(shorten(src.text(node)))


def _environment(node: Node | None, src: SourceText) -> str | None:
    """`process.env.X` as written, or None."""
    path = dotted_name(unwrap(node), src)
    return path if path is not None and path.startswith("process.env.") else None


def _unset_truth(condition: Node | None, src: SourceText) -> tuple[bool, str] | None:
    """Whether a condition on the environment holds when the variables it reads are not set
    (`process.env.X` is undefined), and the variable; None when it tests anything else."""
    condition = unwrap(condition)
    if condition is None:
        return None
    variable = _environment(condition, src)
    if variable is not None:
        return False, variable
    if condition.type == "unary_expression" and _operator(condition) == "!":
        inner = _unset_truth(condition.child_by_field_name("argument"), src)
        return (not inner[0], inner[1]) if inner is not None else None
    if condition.type == "binary_expression" and _operator(condition) in ("===", "==", "!==", "!="):
        sides = [unwrap(condition.child_by_field_name(side)) for side in ("left", "right")]
        variables = [_environment(side, src) for side in sides]
        others = [side for side, variable in zip(sides, variables, strict=True) if variable is None]
        found = next((v for v in variables if v is not None), None)
        if found is not None and len(others) == 1 and string_value(others[0], src) is not None:
            return _operator(condition) in ("!==", "!="), found  # undefined equals no string
    return None


def _assuming_unset(value: Expr, variable: Node | str | None, src: SourceText) -> Expr:
    """A value chosen by the environment, taken as in a deployment that sets nothing: producer
    and consumer read the same environment, so they agree whichever way it is set."""
    name = variable if isinstance(variable, str) else src.text(variable)
    if value.kind in ("unknown", "dynamic") or value.reason:
        return value
    return Expr(value.kind, value.text, f"`{name}` {ASSUMED_UNSET}", value.parts)


def _conditional(node: Node, src: SourceText, depth: int) -> Expr:
    """`cond ? a : b`: known only when the condition reads the environment (see `_assuming_unset`)."""
    truth = _unset_truth(node.child_by_field_name("condition"), src)
    if truth is None:
        return Expr.unknown(shorten(src.text(node)))
    branch = node.child_by_field_name("consequence" if truth[0] else "alternative")
    return _assuming_unset(expr_of(branch, src, depth + 1), truth[1], src)


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.type if op is not None else ""


def _identifier(node: Node, src: SourceText, depth: int) -> Expr:
    name = src.text(node)
    binding = lookup_local(node, name, src)
    if binding.kind == "const" and binding.value is not None:
        value = expr_of(binding.value, src, depth + 1)
        if value.kind in ("unknown", "call") and is_id_like(name):
            return Expr("dynamic", name, f"the id variable `{name}`")
        return value
    if binding.kind == "module":
        return Expr("ref", name)
    if binding.kind == "destructured" and binding.param and binding.value is not None:
        whole = expr_of(binding.value, src, depth + 1)  # `const { mail } = queues`: `queues.mail`
        if whole.kind == "ref":
            return Expr("ref", f"{whole.text}.{binding.param}")
    source = _request_source(binding, src, depth)
    if source is not None:
        return Expr("dynamic", name, f"request data `{name}` ({source})")
    if is_id_like(name):
        return Expr("dynamic", name, f"the id variable `{name}`")
    if binding.kind == "param":
        return parameter(binding, "", name, src)
    return Expr.unknown(name)


def _request_source(binding: Binding, src: SourceText, depth: int) -> str | None:
    """Where a local's value comes from the request, in words, or None: a route parameter
    filled from it (`@Body() dto`, `req: Request`), or a const declared from request data
    (`const dto = req.body`, `const { kind } = await request.json()`)."""
    if binding.kind == "param":
        return _request_parameter(binding, src)
    if binding.kind in ("const", "destructured") and binding.value is not None and depth < MAX_DEPTH:
        value = expr_of(binding.value, src, depth + 1)
        if value.kind == "dynamic" and value.reason.startswith("request data"):
            return f"from {shorten(src.text(binding.value))}"
    return None


def _request_parameter(binding: Binding, src: SourceText) -> str | None:
    if binding.function is None or not binding.param or not binding.param.split(".", 1)[0].isdigit():
        return None
    params = binding.function.child_by_field_name("parameters")
    items = [p for p in params.named_children if p.type != "comment"] if params is not None else []
    index = int(binding.param.split(".", 1)[0])
    if index >= len(items):
        return None
    param = items[index]
    for child in param.named_children:
        if child.type == "decorator":
            call = child.named_children[0] if child.named_children else None
            callee = call.child_by_field_name("function") if call is not None and call.type == "call_expression" \
                else call
            name = src.text(callee) if callee is not None else ""
            if name in REQUEST_DECORATORS:
                return f"`@{name}()`"
    annotation = param.child_by_field_name("type")
    typed = src.text(annotation).lstrip(":").strip().split("<", 1)[0] if annotation is not None else ""
    return f"a `{typed}`" if typed in REQUEST_TYPES else None


def _member(node: Node, src: SourceText, depth: int) -> Expr:
    path = dotted_name(node, src)
    if path is None:
        return _picked(node, src, depth)
    root = path.split(".", 1)[0]
    if root == "this":
        return Expr.unknown(path)
    last = path.rsplit(".", 1)[-1]
    binding = lookup_local(node, root, src)
    if binding.kind == "module":
        if root == "process" and path.startswith("process.env."):
            return Expr.unknown(path)  # configuration: fixed per deployment, not per job
        return Expr("ref", path)
    if any(path == r or path.startswith(r + ".") for r in REQUEST_ROOTS):
        return Expr("dynamic", path, f"request data `{path}`")
    source = _request_source(binding, src, depth)
    if source is not None:
        return Expr("dynamic", path, f"request data `{path}` ({source})")
    if is_id_like(last):
        return Expr("dynamic", path, f"the id `{path}`")
    if binding.kind == "param":  # `options.name`, with `options` a parameter
        return parameter(binding, path.split(".", 1)[1], path, src)
    return Expr.unknown(path)


def _picked(node: Node, src: SourceText, depth: int) -> Expr:
    """`QUEUES[name]`, `queues[QueueName.Mail]`: an entry of a module's container (a constant or
    an imported one), picked by a key known once it is resolved (a constant, or a parameter
    bound at the calls); any other subscript is not known."""
    container = dotted_name(node.child_by_field_name("object"), src) if node.type == "subscript_expression" else None
    index = node.child_by_field_name("index")
    if container is None or index is None or container.split(".", 1)[0] == "this" \
            or lookup_local(node, container.split(".", 1)[0], src).kind != "module":
        return Expr.unknown(shorten(src.text(node)))
    key = expr_of(index, src, depth + 1)
    if key.kind not in ("ref", "param", "str", "concat"):
        return Expr.unknown(shorten(src.text(node)))
    return Expr("pick", shorten(src.text(node)), parts=(Expr("ref", container), key))


def _call(node: Node, src: SourceText, depth: int) -> Expr:
    callee_node = unwrap(node.child_by_field_name("function"))
    callee = dotted_name(callee_node, src)
    if callee is not None:
        reason = DYNAMIC_CALLS.get(callee)
        if reason is not None:
            return Expr("dynamic", shorten(src.text(node)), reason)
        args = arguments(node)
        if callee == "String" and len(args) == 1:
            return expr_of(args[0], src, depth + 1)
    if callee_node is not None and callee_node.type == "member_expression":
        # `new Date().toISOString()`, `uuid().toString()`: a per-call value stays per-call.
        inner = expr_of(callee_node.child_by_field_name("object"), src, depth + 1)
        if inner.kind == "dynamic":
            return inner
    function = _callee(callee_node, callee, src)
    if function is not None:
        passed = tuple(expr_of(a, src, depth + 1) for a in arguments(node))
        return Expr("call", shorten(src.text(node)), parts=(Expr("ref", function), *passed))
    return Expr.unknown(shorten(src.text(node)))


def _callee(node: Node | None, path: str | None, src: SourceText) -> str | None:
    """The module-level function or static method a call names (`getQueueName`,
    `Queues.get`, `this.queueFor` in class `Mailer` as `Mailer.queueFor`), to evaluate it
    against its summary; None for a local function value or a call on an object."""
    if node is None or path is None:
        return None
    root, _, rest = path.partition(".")
    if root == "this":
        cls: Node | None = node
        while cls is not None and cls.type not in ("class_declaration", "abstract_class_declaration"):
            cls = cls.parent
        owner = src.text(cls.child_by_field_name("name")) if cls is not None else ""
        return f"{owner}.{rest}" if owner and rest and "." not in rest else None
    if lookup_local(node, root, src).kind != "module" or path.count(".") > 1 or path in NOT_FOLLOWED:
        return None
    return path
