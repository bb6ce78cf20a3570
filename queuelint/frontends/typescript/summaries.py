"""Function summaries: what each function, method and getter of a file returns, in the `Expr`
vocabulary, for the flow stage to evaluate at its call sites.

- `createQueue(name) { return new Queue(name, opts) }` returns `queue(param 0)`;
- `getQueueName = (n) => process.env.CLUSTER ? `{${n}}` : n` returns `param 0` (the
  environment taken as not set, see `values`);
- `static getInstance() { if (!X.instance) X.instance = new Queue(QueueName.Mail); return X.instance }`
  and `getQueue(name = DEFAULT) { return (queues[name] ??= new Queue(name)) }` return the
  queue stored where they read it: a memoised singleton or map is its constructor.

Only what the code states is summarised; a function whose result is not a queue, a name or
a call to follow gets no summary, and its calls stay unknown.
"""

from __future__ import annotations

from queuelint.frontends.typescript.state import LIBRARY_MODULES, Extraction, QueueObject
from queuelint.frontends.typescript.syntax import (
    CLASS_TYPES,
    FUNCTION_TYPES,
    Node,
    arguments,
    enclosing,
    unwrap,
)
from queuelint.frontends.typescript.values import expr_of, function_id
from queuelint.model import Expr

CLASS_DECLARATIONS = frozenset({"class_declaration", "abstract_class_declaration"})
# What a summary may return: a queue, a name (or what makes one), or a call to follow on.
SUMMARISED = frozenset({"queue", "str", "concat", "param", "ref", "call", "choice", "pick"})
NOTHING = frozenset({"null", "undefined"})
# The constructors that make a queue object, per library (a Worker is consumed where made).
QUEUE_CONSTRUCTORS = {"bull": frozenset({"Queue", "default"}), "bullmq": frozenset({"Queue"})}


def summaries(root: Node, state: Extraction) -> list[tuple[str, Expr]]:
    """(function id, `function` summary) for the file's top-level functions and class members."""
    found: list[tuple[str, Expr]] = []
    for function in _functions(root):
        name = function_id(function, state.src)
        if not name:
            continue
        returned = _returned(function, state)
        declared = _declared_queue(function, name, state)
        if declared is not None and (returned is None or returned.kind in ("call", "ref")):
            # Declared to return a queue: what it returns is one, named as far as that is known.
            why = f"the queue `{name}()` returns is chosen at run time"
            named = Expr("queue_name", name, why, (returned,)) if returned is not None else Expr.unknown(f"{name}()", why)
            returned = Expr("queue", declared, parts=(named,))
        if returned is not None:
            found.append((name, Expr("function", name, parts=(returned, *_defaults(function, state)))))
    return found


def _functions(root: Node) -> list[Node]:
    found: list[Node] = []
    for statement in root.named_children:
        node = statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
        if node is None:
            continue
        if node.type in ("function_declaration", "generator_function_declaration"):
            found.append(node)
        elif node.type in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                value = unwrap(declarator.child_by_field_name("value"))
                if value is not None and value.type in FUNCTION_TYPES:
                    found.append(value)
        elif node.type in CLASS_DECLARATIONS:
            body = node.child_by_field_name("body")
            for member in body.named_children if body is not None else []:
                if member.type == "method_definition":
                    found.append(member)
                elif member.type == "public_field_definition":
                    value = unwrap(member.child_by_field_name("value"))
                    if value is not None and value.type in FUNCTION_TYPES:
                        found.append(value)
    return found


def _defaults(function: Node, state: Extraction) -> tuple[Expr, ...]:
    """The default of each parameter (`name = QueueName.Default`), `unknown` where none."""
    params = function.child_by_field_name("parameters")
    items = [p for p in params.named_children if p.type != "comment"] if params is not None else []
    defaults = [expr_of(p.child_by_field_name("value"), state.src) if p.child_by_field_name("value") is not None
                else Expr.unknown("") for p in items]
    while defaults and defaults[-1].kind == "unknown":
        defaults.pop()
    return tuple(defaults)


def _returned(function: Node, state: Extraction) -> Expr | None:
    body = function.child_by_field_name("body")
    if body is None:
        return None
    stored = _stored_queues(body, state)
    chosen = _switch_on_parameter(body, state, stored)
    if chosen is not None:
        return chosen
    if body.type != "statement_block":  # `(name) => new Queue(name)`
        values = [_value(body, state, stored)]
    else:
        values = [_value(statement.named_children[0], state, stored)
                  for statement in _returns(body) if statement.named_children]
    known = [v for v in values if v is not None and not _is_nothing(v)]
    if not known or any(v.kind not in SUMMARISED for v in known):
        return None
    first = known[0]
    return first if all(v == first for v in known[1:]) else None


def _declared_queue(function: Node, name: str, state: Extraction) -> str | None:
    """The library of the `Queue` a function is declared to return (`): Queue<T> | null`,
    `Promise<Queue>`): its callers' jobs then go to a queue of that library, listed as not
    followed when the code does not show which, instead of being lost."""
    annotation = function.child_by_field_name("return_type")
    stack = [annotation] if annotation is not None else []
    while stack:
        node = stack.pop()
        if node.type == "type_identifier":
            symbol = state.library_symbol(node)
            if symbol is not None and symbol[1] in QUEUE_CONSTRUCTORS[LIBRARY_MODULES[symbol[0]]]:
                return LIBRARY_MODULES[symbol[0]]
        stack.extend(node.named_children)
    return None


def _switch_on_parameter(body: Node, state: Extraction, stored: dict[str, Expr]) -> Expr | None:
    """`switch (name) { case QueueName.Mail: return MailQueue.getInstance(); … }` with `name`
    a parameter: a `choice` the call's argument decides."""
    switch = next((s for s in body.named_children if s.type == "switch_statement"), None) \
        if body.type == "statement_block" else None
    if switch is None:
        return None
    subject = expr_of(switch.child_by_field_name("value"), state.src)
    if subject.kind != "param":
        return None
    cases: list[Expr] = []
    cases_node = switch.child_by_field_name("body")
    for case in cases_node.named_children if cases_node is not None else []:
        value = case.child_by_field_name("value")
        returned = next((c for c in case.named_children if c.type == "return_statement"), None)
        if case.type != "switch_case" or value is None or returned is None or not returned.named_children:
            continue
        result = _value(returned.named_children[0], state, stored)
        if result is not None and result.kind in SUMMARISED:
            cases.append(Expr("choice", parts=(expr_of(value, state.src), result)))
    return Expr("choice", state.src.text(switch.child_by_field_name("value")), parts=(subject, *cases)) if cases else None


def _returns(body: Node) -> list[Node]:
    """The `return` statements of a function body, not of the functions nested in it."""
    found: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        for child in node.named_children:
            if child.type == "return_statement":
                found.append(child)
            elif child.type not in FUNCTION_TYPES and child.type not in CLASS_TYPES:
                stack.append(child)
    return found


def _stored_queues(body: Node, state: Extraction) -> dict[str, Expr]:
    """Where the function stores a queue it builds (`X.instance = new Queue(…)`,
    `queues[name] ??= new Queue(name)`, `cached = createQueue('tasks')`), by the text of the
    place: what it returns from there is that queue."""
    stored: dict[str, Expr] = {}
    conflicting: set[str] = set()
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type in ("assignment_expression", "augmented_assignment_expression"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            value = _value(right, state, stored)
            if left is not None and value is not None and value.kind in ("queue", "call"):
                place = _place(left, state)  # a queue, or what a factory called here returns
                if place in stored and stored[place] != value:
                    conflicting.add(place)  # `if (a) q = new Queue('a'); else q = new Queue('b')`: not one
                stored[place] = value
        stack.extend(child for child in node.named_children if child.type not in FUNCTION_TYPES)
    for place in conflicting:
        stored[place] = _conflict()
    return stored


def _conflict() -> Expr:
    return Expr.unknown("", "different queues are stored there")


def _place(node: Node, state: Extraction) -> str:
    return "".join(state.src.text(node).split())


def _value(node: Node | None, state: Extraction, stored: dict[str, Expr]) -> Expr | None:
    """What an expression evaluates to, for a summary (`_nothing()` for null and undefined)."""
    node = unwrap(node)
    while node is not None and node.type == "await_expression":
        node = unwrap(node.named_children[0]) if node.named_children else None
    if node is None:
        return None
    src = state.src
    if node.type in NOTHING or (node.type == "identifier" and src.text(node) == "undefined"):
        return _nothing()
    if node.type in ("new_expression", "call_expression"):
        made = constructed_queue(node, state)
        if made is not None:
            return made
    if node.type == "ternary_expression":
        branches = [_value(node.child_by_field_name(side), state, stored) for side in ("consequence", "alternative")]
        real = [b for b in branches if b is not None and not _is_nothing(b)]
        if len(real) == 1 and real[0].kind == "queue":  # `redis ? new Queue(…) : null`
            return real[0]
    if node.type in ("augmented_assignment_expression", "assignment_expression"):  # `return (q ??= new Queue(n))`
        return _value(node.child_by_field_name("right"), state, stored)
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is not None and operator.type in ("??", "||"):
            right = _value(node.child_by_field_name("right"), state, stored)
            if right is not None and right.kind == "queue":  # `cached ?? new Queue(name)`
                return right
    place = _place(node, state)
    if place in stored:
        return stored[place]
    held = state.queue_object(node) or _static_field(node, state)
    if held is not None and held.kind == "queue":
        return Expr("queue", held.library, parts=(held.name,))
    return expr_of(node, src)


def _nothing() -> Expr:
    return Expr("unknown", reason="nothing")


def _is_nothing(value: Expr) -> bool:
    return value.kind == "unknown" and value.reason == "nothing" and not value.text


def constructed_queue(node: Node, state: Extraction) -> Expr | None:
    """`new Queue(name, …)` (or Bull's `Bull(name)`) of a queue library: `queue(name)`."""
    callee = node.child_by_field_name("constructor") or node.child_by_field_name("function")
    symbol = state.library_symbol(callee)
    if symbol is None:
        return None
    library = LIBRARY_MODULES[symbol[0]]
    args = arguments(node)
    if symbol[1] not in QUEUE_CONSTRUCTORS[library] or not args:
        return None
    from queuelint.frontends.typescript import bullmq  # the adapter reads `other.name` as a queue name

    return Expr("queue", library, parts=(bullmq.queue_name(args[0], state),))


def _static_field(node: Node, state: Extraction) -> QueueObject | None:
    """`Mail.instance` inside class `Mail`: the queue its static field holds."""
    if node.type != "member_expression":
        return None
    cls = enclosing(node, CLASS_TYPES)
    owner = node.child_by_field_name("object")
    field = node.child_by_field_name("property")
    if cls is None or owner is None or field is None:
        return None
    if state.src.text(owner) != state.src.text(cls.child_by_field_name("name")):
        return None
    return state.fields.get((cls.id, state.src.text(field)))
