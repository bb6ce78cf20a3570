"""Call sites of functions known to wrap a producer (`addJobToQueue({ name, data })`).

Recorded only for the names the engine asks for, with each argument as an `Expr` (or the
keys of an object literal), and a target saying how to find the callee across files.
"""

from __future__ import annotations

from dataclasses import replace

from tree_sitter import QueryCursor

from queuelint.frontends.typescript.handlers import analyse, first_parameter
from queuelint.frontends.typescript.state import LIBRARY_MODULES, Extraction, declared_parameter_type, of_this
from queuelint.frontends.typescript.summaries import QUEUE_CONSTRUCTORS
from queuelint.frontends.typescript.syntax import (
    CLASS_TYPES,
    FUNCTION_TYPES,
    Node,
    arguments,
    dotted_name,
    enclosing,
    property_name,
    query,
    unwrap,
)
from queuelint.frontends.typescript.values import expr_of, lookup_local, named_function
from queuelint.model import Argument, CallSite, Expr, Field, Handler

CALL_QUERY = """
(call_expression function: (identifier) @name) @call
(call_expression function: (member_expression property: (property_identifier) @name)) @call
(new_expression constructor: (identifier) @name) @call
(call_expression function: (super) @name) @call
"""


def call_sites(root: Node, state: Extraction, dialect: str, wanted: frozenset[str]) -> tuple[CallSite, ...]:
    found: list[CallSite] = []
    field_types: dict[int, dict[str, str]] = {}
    for _, captures in QueryCursor(query(dialect, CALL_QUERY)).matches(root):
        # `super(…)`: what a class passes to the constructor of the one it extends (few, kept all).
        if state.src.text(captures["name"][0]) not in wanted and captures["name"][0].type != "super":
            continue
        call = captures["call"][0]
        target = _target(call, state, field_types)
        args = arguments(call)
        name = state.src.text(captures["name"][0])
        within = named_function(call, state.src)
        passed = tuple(_argument(a, state) for a in args)
        if "." in within:  # `this.topic` in a method: the field of the object it is called on
            passed = tuple(replace(a, value=of_this(a.value, within)) if a.value is not None else a for a in passed)
        found.append(CallSite(state.src.span(call), name, target or "", passed,
                              state.src.span(captures["name"][0]), within=within))
    return tuple(found)


def _target(call: Node, state: Extraction, field_types: dict[int, dict[str, str]]) -> str | None:
    function = call.child_by_field_name("function")
    if function is not None and function.type == "super":
        around = enclosing(call, CLASS_TYPES)
        named = around.child_by_field_name("name") if around is not None else None
        return f"super:{state.src.text(named)}" if named is not None else None
    if call.type == "new_expression":  # `new MailService(queue)`: a call of the constructor
        name = state.src.text(call.child_by_field_name("constructor"))
        imported = state.imports.get(name)
        if imported is not None and imported.module in LIBRARY_MODULES:
            return None
        return f"new:{name}"
    instance = _instance_class(function, state)
    if instance is not None:
        return instance
    path = dotted_name(function, state.src)
    if path is None:
        return None
    parts = path.split(".")
    if len(parts) == 1:
        imported = state.imports.get(path)
        if imported is not None:
            return None if imported.module in LIBRARY_MODULES else f"import:{path}"
        return f"local:{path}"
    cls = enclosing(call, CLASS_TYPES)
    declared = _parameter_type(function, parts[0], state) if len(parts) == 2 and parts[0] != "this" else None
    if declared is not None:  # `(jobs: JobManager) => jobs.trigger(…)`: a method of the declared class
        return f"member:{declared}.{parts[1]}"
    if len(parts) == 2 and parts[0] != "this":  # `WorkerManager.register(…)`: a static method
        imported = state.imports.get(parts[0])
        if imported is not None and imported.module in LIBRARY_MODULES:
            return None
        return f"static:{path}"
    if parts[0] != "this" or cls is None:
        return None
    owner = state.src.text(cls.child_by_field_name("name"))
    if len(parts) == 2:
        return f"self:{owner}.{parts[1]}"
    if len(parts) == 3:  # this.service.method(…): the service's declared type names the class
        if cls.id not in field_types:
            field_types[cls.id] = _field_types(cls, state)
        declared = field_types[cls.id].get(parts[1])
        return f"member:{declared}.{parts[2]}" if declared else None
    return None


def _parameter_type(function: Node | None, name: str, state: Extraction) -> str | None:
    """The class a function's parameter is declared as (`jobs: JobManager`), if one of the
    project's (not a queue library's)."""
    receiver = unwrap(function.child_by_field_name("object")) if function is not None \
        and function.type == "member_expression" else None
    if receiver is None or receiver.type != "identifier" or state.src.text(receiver) != name:
        return None
    written = declared_parameter_type(receiver, state)
    if written is None or "." in written:
        return None
    imported = state.imports.get(written)
    return None if imported is not None and imported.module in LIBRARY_MODULES else written


def _instance_class(function: Node | None, state: Extraction) -> str | None:
    """`new ExportTask().schedule(…)`, or `task.schedule(…)` on a `const task = new ExportTask(…)`:
    a method of the class made (or of a class it extends)."""
    if function is None or function.type != "member_expression":
        return None
    receiver = unwrap(function.child_by_field_name("object"))
    method = state.src.text(function.child_by_field_name("property"))
    if receiver is not None and receiver.type == "identifier":
        variable = state.src.text(receiver)
        binding = lookup_local(receiver, variable, state.src)
        receiver = unwrap(binding.value) if binding.kind in ("const", "module") else None
        if binding.kind == "module" and receiver is not None and receiver.type == "new_expression":
            return f"static:{variable}.{method}"  # the module's object: what it was made with is bound
    if receiver is None or receiver.type != "new_expression":
        return None
    constructor = receiver.child_by_field_name("constructor")
    if constructor is None or constructor.type != "identifier":
        return None
    name = state.src.text(constructor)
    imported = state.imports.get(name)
    if imported is not None and imported.module in LIBRARY_MODULES:
        return None
    return f"instance:{name}.{method}"


def _field_types(cls: Node, state: Extraction) -> dict[str, str]:
    """`private readonly jobs: JobService` (constructor parameters and fields) -> {jobs: JobService};
    a field made where it is declared (`private jobs = new JobService()`) is of the class made."""
    src = state.src
    types: dict[str, str] = {}
    body = cls.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        candidates: list[tuple[Node | None, Node | None]] = []
        if member.type == "public_field_definition":
            candidates.append((member.child_by_field_name("name"), member.child_by_field_name("type")))
            made = unwrap(member.child_by_field_name("value"))
            constructor = made.child_by_field_name("constructor") if made is not None \
                and made.type == "new_expression" else None
            field = member.child_by_field_name("name")
            if constructor is not None and constructor.type == "identifier" and field is not None \
                    and member.child_by_field_name("type") is None:
                types[src.text(field)] = src.text(constructor)
        elif member.type == "method_definition" and src.text(member.child_by_field_name("name")) == "constructor":
            params = member.child_by_field_name("parameters")
            for param in params.named_children if params is not None else []:
                candidates.append((param.child_by_field_name("pattern"), param.child_by_field_name("type")))
        for name, annotation in candidates:
            named = annotation.named_children[0] if annotation is not None and annotation.named_children else None
            if named is not None and named.type == "generic_type":
                named = named.child_by_field_name("name")
            if name is not None and named is not None and named.type == "type_identifier":
                types[src.text(name)] = src.text(named)
    return types


def _argument(node: Node, state: Extraction) -> Argument:
    src = state.src
    value = unwrap(node)
    if value is not None and value.type == "object":
        fields: list[Field] = []
        for child in value.named_children:
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                key = property_name(key_node, src)
                item = child.child_by_field_name("value")
                if key is not None and item is not None:
                    fields.append(Field(key, expr_of(item, src), src.span(item)))
            elif child.type == "shorthand_property_identifier":
                fields.append(Field(src.text(child), expr_of(child, src), src.span(child)))
        # `{ ...defaults, retries: 3 }`: its keys are not all written out, so it is not read
        # as an object whose missing keys are known to be absent.
        spread = any(child.type == "spread_element" for child in value.named_children)
        return Argument(src.span(node), Expr.unknown("{ … }", "an object with keys spread into it") if spread else None,
                        tuple(fields))
    made = _queue_made(value, state)
    return Argument(src.span(node), made or expr_of(node, src), handler=_inline_handler(value, state))


def _inline_handler(node: Node | None, state: Extraction) -> Handler | None:
    """A function written out as the argument, read as a job handler (taking the job first)."""
    if node is None or node.type not in FUNCTION_TYPES or first_parameter(node, state.src)[0] is None:
        return None
    facts = analyse(node, state.src, state.function_lookup(node))
    return Handler("", tuple(facts.routes), facts.accepts_any, facts.router, tuple(facts.returned_errors),
                   tuple(facts.swallowed_errors), tuple(facts.job_calls), state.src.span(node))


def _queue_made(node: Node | None, state: Extraction) -> Expr | None:
    """`new Queue(Topic.Reports)` passed as an argument (`super(new Queue(…))`), or a local
    holding one (`const queue = new Queue(name); addScheduler(name, queue)`): that queue."""
    if node is not None and node.type == "identifier":
        held = state.queue_object(node)
        return Expr("queue", held.library, parts=(held.name,)) if held is not None and held.kind == "queue" \
            and held.library else None
    if node is None or node.type != "new_expression":
        return None
    symbol = state.library_symbol(node.child_by_field_name("constructor"))
    args = arguments(node)
    if symbol is None or not args or symbol[1] not in QUEUE_CONSTRUCTORS.get(LIBRARY_MODULES[symbol[0]], ()):
        return None
    return Expr("queue", LIBRARY_MODULES[symbol[0]], parts=(expr_of(args[0], state.src),))
