"""What a handler body does with job names and failures, as facts (no judgement here).

- routing: `switch (job.name)` and `if (job.name === …)` chains: the names they handle and
  what happens to every other name (the fallback);
- returned errors: `return { success: false }`, `return new Error()`, `return caughtError`;
- swallowed errors: a top-level `catch` that neither throws, rethrows nor fails the job.

Helpers the handler delegates to in the same file (`this.processJob(job)`) are read too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Literal

from queuelint.findings import Span
from queuelint.frontends.common import REPORTING, HandlerFacts, is_failed_state
from queuelint.frontends.typescript.syntax import (
    CLASS_TYPES,
    FUNCTION_TYPES,
    Node,
    SourceText,
    arguments,
    dotted_name,
    enclosing,
    object_pairs,
    shorten,
    string_value,
    unwrap,
    walk_body,
)
from queuelint.frontends.typescript.values import expr_of
from queuelint.model import BodyFact, Expr, Fallback, Route, Router

LOGGING_METHODS = frozenset({"log", "warn", "warning", "error", "info", "debug", "verbose", "trace", "fatal"})
FAILING_CALLS = re.compile(r"(^|\.)(moveToFailed|discard|retry|reject|fail|throw\w*|rethrow\w*|raise\w*)$", re.I)
MAYBE_THROWING = re.compile(r"(handle|rethrow|throw|fail|reject|raise)", re.I)
ERROR_CLASS = re.compile(r"(Error|Exception)$")
MAX_DELEGATION = 2
JOB_METHODS = frozenset({"progress", "updateProgress", "update", "updateData"})

# Finds a same-file function or method by the name a call uses (`this.processJob`, `processJob`).
FunctionLookup = Callable[[str], "Node | None"]


def first_parameter(function: Node, src: SourceText) -> tuple[str | None, set[str]]:
    """The job parameter's name, and names destructured from it (`({ name, data }) => …`)."""
    params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if params is None:
        return None, set()
    if params.type == "identifier":
        return src.text(params), set()
    items = [p for p in params.named_children if p.type != "comment"]
    if not items:
        return None, set()
    pattern = items[0].child_by_field_name("pattern") or items[0]
    if pattern.type == "identifier":
        return src.text(pattern), set()
    if pattern.type == "object_pattern":
        names = {src.text(c) for c in pattern.named_children if c.type == "shorthand_property_identifier_pattern"}
        return None, names
    return None, set()


def returned_processor(function: Node, src: SourceText) -> tuple[Node, list[str]] | None:
    """For a function that returns a function (`dispatcher(handlers) { return async (job) => … }`,
    `(handlers) => async (job) => …`): that function, and the factory's parameter names."""
    body = function.child_by_field_name("body")
    returned: Node | None = None
    if body is not None and body.type in FUNCTION_TYPES:
        returned = body
    elif body is not None and body.type == "statement_block":
        for statement in body.named_children:
            if statement.type == "return_statement" and statement.named_children:
                returned = unwrap(statement.named_children[0])
    if returned is None or returned.type not in FUNCTION_TYPES:
        return None
    params = function.child_by_field_name("parameters") or function.child_by_field_name("parameter")
    if params is None:
        return returned, []
    if params.type == "identifier":
        return returned, [src.text(params)]
    names = []
    for item in (p for p in params.named_children if p.type != "comment"):
        pattern = item.child_by_field_name("pattern") or item
        names.append(src.text(pattern) if pattern.type == "identifier" else "")
    return returned, names


def passed_maps(call: Node, src: SourceText) -> tuple[tuple[int, tuple[Route, ...]], ...]:
    """The keys of each object literal a call passes, by position (spreads: not known)."""
    found = []
    for index, argument in enumerate(arguments(call)):
        literal = unwrap(argument)
        routes = _keys(literal, src) if literal is not None and literal.type == "object" else None
        if routes:
            found.append((index, tuple(routes)))
    return tuple(found)


def second_parameter(function: Node, src: SourceText) -> str | None:
    params = function.child_by_field_name("parameters")
    if params is None:
        return None
    items = [p for p in params.named_children if p.type != "comment"]
    if len(items) < 2:
        return None
    pattern = items[1].child_by_field_name("pattern") or items[1]
    return src.text(pattern) if pattern.type == "identifier" else None


def analyse(function: Node, src: SourceText, lookup: FunctionLookup) -> HandlerFacts:
    facts = HandlerFacts()
    body = function.child_by_field_name("body")
    if body is None:
        return facts
    job, _ = first_parameter(function, src)
    done = second_parameter(function, src)
    _route(function, body, src, lookup, facts, depth=0)
    _collect_failure_facts(function, src, lookup, facts, done, via="", depth=0, seen=set())
    if job is not None:
        _collect_job_calls(body, job, src, facts)
    return facts


def _collect_job_calls(body: Node, job: str, src: SourceText, facts: HandlerFacts) -> None:
    """Calls of version-specific Job methods (`progress(n)` in Bull, `updateProgress(n)` in BullMQ)."""
    for node in [body, *walk_body(body)]:
        if node.type != "call_expression" or not arguments(node):
            continue
        callee = dotted_name(node.child_by_field_name("function"), src) or ""
        owner, _, method = callee.rpartition(".")
        if owner == job and method in JOB_METHODS:
            facts.job_calls.append(BodyFact(src.span(node), method))


# --- routing -------------------------------------------------------------------------


def _is_job_name(node: Node | None, job: str | None, name_vars: set[str], src: SourceText) -> bool:
    node = unwrap(node)
    if node is None:
        return False
    text = dotted_name(node, src)
    return text is not None and ((job is not None and text == f"{job}.name") or text in name_vars)


def _name_variables(body: Node, job: str | None, src: SourceText) -> set[str]:
    """Locals holding the job name: `const name = job.name`, `const { name } = job`."""
    found: set[str] = set()
    if job is None or body.type != "statement_block":
        return found
    for statement in body.named_children:
        if statement.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in statement.named_children:
            target = declarator.child_by_field_name("name")
            value = unwrap(declarator.child_by_field_name("value"))
            if target is None or value is None:
                continue
            if target.type == "identifier" and dotted_name(value, src) == f"{job}.name":
                found.add(src.text(target))
            elif target.type == "object_pattern" and dotted_name(value, src) == job:
                for child in target.named_children:
                    if child.type == "shorthand_property_identifier_pattern" and src.text(child) == "name":
                        found.add("name")
    return found


def _find_router(body: Node, job: str | None, name_vars: set[str], src: SourceText, facts: HandlerFacts) -> None:
    if body.type == "statement_block" and _block_router(body, job, name_vars, src, facts):
        return
    for node in walk_body(body):  # a name switch nested deeper (in a loop, an if)
        if node.type == "switch_statement" and _is_job_name(node.child_by_field_name("value"), job, name_vars, src):
            _switch_router(node, src, facts)
            return
    _map_router(body, job, name_vars, src, facts)


def _route(function: Node, body: Node, src: SourceText, lookup: FunctionLookup, facts: HandlerFacts,
           depth: int) -> None:
    """The names `function` routes on (a `switch`, an `if` chain, a handler map); or, where it
    does not route but hands the job to one function, the names that function routes on."""
    job, destructured = first_parameter(function, src)
    name_vars = _name_variables(body, job, src) | ({"name"} & destructured)
    if job is not None or name_vars:
        _find_router(body, job, name_vars, src, facts)
    if job is None or depth >= MAX_DELEGATION or facts.routes or facts.router is not None or not facts.accepts_any:
        return
    target = _handed_to(body, job, src, lookup)
    inner = target.child_by_field_name("body") if target is not None else None
    if target is not None and inner is not None:
        _route(target, inner, src, lookup, facts, depth + 1)


def _handed_to(body: Node, job: str, src: SourceText, lookup: FunctionLookup) -> Node | None:
    """`(job) => this.handle(job)`, `{ const run = async (job) => { switch … }; await run(job) }`:
    the one function (of the file, or a closure of the handler's own) a statement of the
    handler's body hands the job to, or None (none, or several: no one of them routes)."""
    targets = []
    for statement in list(body.named_children) if body.type == "statement_block" else [body]:
        call = _statement_call(statement)
        if call is None or _is_logging_call(call, src) or not any(src.text(unwrap(a)) == job for a in arguments(call)):
            continue
        callee = dotted_name(call.child_by_field_name("function"), src)
        if callee is None:
            continue
        closure = unwrap(_declared_around(call, callee, body, src)) if "." not in callee else None
        targets.append(closure if closure is not None and closure.type in FUNCTION_TYPES else lookup(callee))
    return targets[0] if len(targets) == 1 else None


def _statement_call(statement: Node) -> Node | None:
    """The call a statement makes as a whole: `f(x);`, `return f(x);`, `await f(x);`, an
    arrow's expression body."""
    node: Node | None = statement
    if statement.type in ("expression_statement", "return_statement"):
        node = statement.named_children[0] if statement.named_children else None
    node = unwrap(node)
    if node is not None and node.type == "await_expression" and node.named_children:
        node = unwrap(node.named_children[0])
    return node if node is not None and node.type == "call_expression" else None


def _map_router(body: Node, job: str | None, name_vars: set[str], src: SourceText, facts: HandlerFacts) -> None:
    """`this.handlers[job.name](job)` (or `const run = handlers[job.name]; run(job)`) with
    `handlers` an object written out in this file (a field, a constant): the handler takes its
    keys, and any other name fails (or, called with `?.`, does nothing): it is not a handler of
    every name. A map that is filled in elsewhere (`handlers[name] = fn`) stays one."""
    for node in [body, *walk_body(body)]:
        holder = _looked_up_by_name(node, body, job, name_vars, src)
        if holder is None:
            continue
        literal = _object_written_out(holder, body, src)
        routes = _keys(literal, src) if literal is not None else None
        if routes:
            facts.routes.extend(routes)
            facts.accepts_any = False
        elif literal is None and holder.type == "identifier":
            facts.map_ref = src.text(holder)  # perhaps a map another module writes out
        return


def _looked_up_by_name(call: Node, body: Node, job: str | None, name_vars: set[str], src: SourceText) -> Node | None:
    """For a call of `map[job.name]`, directly or through a const declared from it in the
    handler's body: the map."""
    callee = unwrap(call.child_by_field_name("function")) if call.type == "call_expression" else None
    if callee is not None and callee.type == "identifier":
        declared = _declared_around(callee, src.text(callee), body, src)
        callee = unwrap(declared)
    if callee is None or callee.type != "subscript_expression" \
            or not _is_job_name(callee.child_by_field_name("index"), job, name_vars, src):
        return None
    return unwrap(callee.child_by_field_name("object"))


def _declared_around(node: Node, name: str, body: Node, src: SourceText) -> Node | None:
    """The value `name` is declared with in a block of the handler around `node`."""
    scope = node.parent
    while scope is not None:
        if scope.type == "statement_block":
            found = _declared_in(scope, name, src)
            if found is not None:
                return found
        if scope.id == body.id:
            return None
        scope = scope.parent
    return None


def _object_written_out(holder: Node, body: Node, src: SourceText) -> Node | None:
    """The object literal `this.handlers` or `handlers` is given where it is declared, if
    nothing adds to it (`x[k] = …`, `Object.assign(x, …)`)."""
    path = dotted_name(holder, src)
    root = body
    while root.parent is not None:
        root = root.parent
    if path is None or re.search(rf"(?<![\w$.]){re.escape(path)}\s*\[[^\]]*\]\s*=(?!=)|Object\.assign\(\s*"
                                 rf"{re.escape(path)}\b", src.text(root)):
        return None
    found: Node | None = None
    if path.startswith("this."):  # a field of the class the handler is in
        cls = enclosing(body, CLASS_TYPES)
        members = cls.child_by_field_name("body") if cls is not None else None
        for member in members.named_children if members is not None else []:
            if member.type in ("public_field_definition", "field_definition") \
                    and _member_name(member, src) == path.removeprefix("this."):
                found = member.child_by_field_name("value")
    else:  # a constant of the function or of a block around it, or of the module
        scope: Node | None = body
        while scope is not None and found is None:
            if scope.type in ("statement_block", "program"):
                found = _declared_in(scope, path, src)
            scope = scope.parent
    found = unwrap(found)
    return found if found is not None and found.type == "object" else None


def _declared_in(block: Node, name: str, src: SourceText) -> Node | None:
    """The value `name` is declared with by a statement of `block` (`const x = …`)."""
    for statement in block.named_children:
        if statement.type == "export_statement":
            statement = statement.child_by_field_name("declaration") or statement
        if statement.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for declarator in statement.named_children:
            target = declarator.child_by_field_name("name") if declarator.type == "variable_declarator" else None
            if target is not None and src.text(target) == name:
                return declarator.child_by_field_name("value")
    return None


def _member_name(member: Node, src: SourceText) -> str | None:
    name = member.child_by_field_name("name") or member.child_by_field_name("property")
    return src.text(name) if name is not None else None


def _keys(literal: Node, src: SourceText) -> list[Route] | None:
    """A route per key of an object literal; None if a key is not written out (a spread)."""
    routes: list[Route] = []
    for child in literal.named_children:
        if child.type == "comment":
            continue
        key = child.child_by_field_name("key") if child.type == "pair" else \
            child.child_by_field_name("name") if child.type == "method_definition" else \
            child if child.type == "shorthand_property_identifier" else None
        if key is None:
            return None  # `...others`: keys not known here
        if key.type == "computed_property_name":  # `[JobName.Sync]: …`
            inner = key.named_children[0] if key.named_children else None
            if inner is None:
                return None
            routes.append(Route(expr_of(inner, src), src.span(inner)))
        elif key.type in ("string", "number"):
            routes.append(Route(expr_of(key, src), src.span(key)))
        else:
            routes.append(Route(Expr.literal(src.text(key)), src.span(key)))
    return routes


def _flattened(block: Node) -> list[Node]:
    """A block's statements, with the bodies of `try` statements read in place: routing
    wrapped in `try { … } catch` for error handling is still the handler's routing."""
    statements: list[Node] = []
    for statement in block.named_children:
        if statement.type == "comment":
            continue
        inner = statement.child_by_field_name("body") if statement.type == "try_statement" else None
        statements.extend(_flattened(inner) if inner is not None else [statement])
    return statements


def _block_router(block: Node, job: str | None, name_vars: set[str], src: SourceText, facts: HandlerFacts) -> bool:
    """Routing written as statements of one block: guards, if-chains and a name switch."""
    statements = _flattened(block)
    guards: list[Route] = []
    guards_return = True
    first_guard: Node | None = None
    last_guard = -1
    for index, statement in enumerate(statements):
        if statement.type == "switch_statement" and _is_job_name(statement.child_by_field_name("value"), job, name_vars, src):
            _switch_router(statement, src, facts)  # early `if (job.name === …) return` guards add to it
            facts.routes[:0] = guards
            return True
        if statement.type != "if_statement":
            continue
        if _negated_guard(statement, job, name_vars, src, facts):
            facts.routes[:0] = guards
            return True
        chain = _if_chain(statement)
        routes = [r for condition, _ in chain for r in _compared_names(condition, job, name_vars, src)]
        if not routes:
            continue
        last_else = _final_else(statement)
        if last_else is not None:  # if / else if / else: the else is the fallback
            fallback = _classify(_block_statements(last_else), src, empty="silent")
            _set_router(facts, [*guards, *routes], statement, src, fallback, src.span(last_else))
            return True
        guards.extend(routes)
        guards_return = guards_return and all(_block_ends_flow(branch) for _, branch in chain)
        first_guard = first_guard or statement
        last_guard = index
    if first_guard is None:
        return False
    # Guards that return: what follows them is what every other name gets.
    following = statements[last_guard + 1 :] if guards_return else []
    fallback = _classify(following, src, empty="missing")
    _set_router(facts, guards, first_guard, src, fallback, src.span(following[0]) if following else None)
    return True


def _set_router(facts: HandlerFacts, routes: list[Route], statement: Node, src: SourceText, fallback: Fallback,
                fallback_span: Span | None, form: Literal["if", "guard"] = "if") -> None:
    facts.routes.extend(routes)
    facts.accepts_any = fallback == "handles"
    condition = statement.child_by_field_name("condition") or statement
    facts.router = Router(src.span(condition), form, "job.name", fallback, fallback_span)


def _negated_guard(statement: Node, job: str | None, name_vars: set[str], src: SourceText, facts: HandlerFacts) -> bool:
    """`if (job.name !== 'x') return;`: the handler takes 'x'; the branch is what other names get."""
    condition = unwrap(statement.child_by_field_name("condition"))
    consequence = statement.child_by_field_name("consequence")
    if condition is None or consequence is None or condition.type != "binary_expression":
        return False
    op = condition.child_by_field_name("operator")
    if op is None or op.type not in ("!==", "!="):
        return False
    left, right = condition.child_by_field_name("left"), condition.child_by_field_name("right")
    if _is_job_name(left, job, name_vars, src) and right is not None:
        value = right
    elif _is_job_name(right, job, name_vars, src) and left is not None:
        value = left
    else:
        return False
    fallback = _classify(_block_statements(consequence), src, empty="silent")
    route = Route(expr_of(value, src), src.span(value))
    _set_router(facts, [route], statement, src, fallback, src.span(consequence), form="guard")
    return True


def _switch_router(switch: Node, src: SourceText, facts: HandlerFacts) -> None:
    cases_body = switch.child_by_field_name("body")
    clauses = cases_body.named_children if cases_body is not None else []
    default: Node | None = None
    all_return = True
    for clause in clauses:
        if clause.type == "switch_case":
            value = clause.child_by_field_name("value")
            if value is not None:
                facts.routes.append(Route(expr_of(value, src), src.span(value)))
            statements = [s for s in clause.named_children if s != value and s.type != "comment"]
            if statements and not _ends_flow(statements[-1]):
                all_return = False
        elif clause.type == "switch_default":
            default = clause
    header = switch.child_by_field_name("value") or switch
    subject = shorten(src.text(unwrap(header)), 40)
    span: Span | None
    if default is not None:
        statements = [s for s in default.named_children if s.type != "comment"]
        fallback = _classify(statements, src, empty="silent")
        span = src.span(default.children[0]) if default.children else src.span(default)
    else:
        following = _following(switch) if all_return else []
        fallback = _classify(following, src, empty="missing")
        span = src.span(following[0]) if following else None
        if fallback == "silent" and not following:
            fallback = "missing"
    facts.accepts_any = fallback == "handles"
    start, head = src.span(switch), src.span(header)
    header_span = Span(start.path, start.line, start.column, head.end_line, head.end_column + 1)
    facts.router = Router(header_span, "switch", subject, fallback, span)


def _if_chain(statement: Node) -> list[tuple[Node, Node]]:
    chain: list[tuple[Node, Node]] = []
    current: Node | None = statement
    while current is not None and current.type == "if_statement":
        condition = current.child_by_field_name("condition")
        consequence = current.child_by_field_name("consequence")
        if condition is not None and consequence is not None:
            chain.append((condition, consequence))
        alternative = current.child_by_field_name("alternative")
        current = alternative.named_children[0] if alternative is not None and alternative.named_children else None
    return chain


def _final_else(statement: Node) -> Node | None:
    current = statement
    while True:
        alternative = current.child_by_field_name("alternative")
        if alternative is None or not alternative.named_children:
            return None
        inner = alternative.named_children[0]
        if inner.type != "if_statement":
            return inner
        current = inner


def _compared_names(condition: Node, job: str | None, name_vars: set[str], src: SourceText) -> list[Route]:
    node = unwrap(condition)
    if node is not None and node.type == "call_expression":
        return _names_looked_up(node, job, name_vars, src)
    if node is None or node.type != "binary_expression":
        return []
    op = node.child_by_field_name("operator")
    operator = op.type if op is not None else ""
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if operator in ("||",):
        return [*(_compared_names(left, job, name_vars, src) if left else []),
                *(_compared_names(right, job, name_vars, src) if right else [])]
    if operator in ("===", "=="):
        if _is_job_name(left, job, name_vars, src) and right is not None:
            return [Route(expr_of(right, src), src.span(right))]
        if _is_job_name(right, job, name_vars, src) and left is not None:
            return [Route(expr_of(left, src), src.span(left))]
    return []


def _names_looked_up(call: Node, job: str | None, name_vars: set[str], src: SourceText) -> list[Route]:
    """`['a', 'b'].includes(job.name)`: a route per name listed. A list or set held elsewhere
    (`allowed.includes(job.name)`, `names.has(job.name)`) routes names not known here."""
    callee = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    values = [a for a in args.named_children if a.type != "comment"] if args is not None else []
    if callee is None or callee.type != "member_expression" or len(values) != 1 \
            or not _is_job_name(values[0], job, name_vars, src):
        return []
    method = src.text(callee.child_by_field_name("property"))
    collection = unwrap(callee.child_by_field_name("object"))
    if method not in ("includes", "has") or collection is None:
        return []
    if method == "includes" and collection.type == "array":
        items = [item for item in collection.named_children if item.type != "comment"]
        if all(item.type != "spread_element" for item in items):
            return [Route(expr_of(item, src), src.span(item)) for item in items]
    return [Route(Expr.unknown(shorten(src.text(collection), 40)), src.span(collection))]


def _block_statements(node: Node) -> list[Node]:
    if node.type == "statement_block":
        return [s for s in node.named_children if s.type != "comment"]
    return [node]


def _ends_flow(statement: Node) -> bool:
    if statement.type in ("return_statement", "throw_statement"):
        return True
    if statement.type == "statement_block":
        inner = _block_statements(statement)
        return bool(inner) and _ends_flow(inner[-1])
    return False


def _block_ends_flow(node: Node) -> bool:
    statements = _block_statements(node)
    return bool(statements) and _ends_flow(statements[-1])


def _following(node: Node) -> list[Node]:
    found: list[Node] = []
    sibling = node.next_named_sibling
    while sibling is not None:
        if sibling.type != "comment":
            found.append(sibling)
        sibling = sibling.next_named_sibling
    return found


def _classify(statements: list[Node], src: SourceText, empty: Fallback) -> Fallback:
    """`throws`, `silent` (only logs / returns nothing), `handles` (real work) or `empty`."""
    if not statements:
        return empty
    for statement in statements:
        for node in [statement, *walk_body(statement)]:
            if node.type == "throw_statement":
                return "throws"
            if node.type == "call_expression":
                callee = dotted_name(node.child_by_field_name("function"), src) or ""
                if FAILING_CALLS.search(callee) or callee.startswith("Promise.reject"):
                    return "throws"
    for statement in statements:
        if statement.type in ("break_statement", "empty_statement", "comment"):
            continue
        if statement.type == "return_statement":
            value = unwrap(statement.named_children[0]) if statement.named_children else None
            if value is None or value.type in ("null", "undefined", "true", "false", "string", "number", "object"):
                continue
            if _is_logging_call(value, src):
                continue
            return "handles"
        if statement.type == "expression_statement":
            inner = unwrap(statement.named_children[0]) if statement.named_children else None
            if inner is not None and inner.type == "await_expression" and inner.named_children:
                inner = unwrap(inner.named_children[0])
            if inner is not None and _is_logging_call(inner, src):
                continue
        return "handles"
    return "silent"


def _is_logging_call(node: Node, src: SourceText) -> bool:
    if node.type != "call_expression":
        return False
    callee = dotted_name(node.child_by_field_name("function"), src) or ""
    parts = callee.split(".")
    if len(parts) < 2:
        return False
    receiver = ".".join(parts[:-1]).lower()
    return parts[-1] in LOGGING_METHODS and ("log" in receiver or receiver in ("console",))


# --- failure handling ----------------------------------------------------------------


def _collect_failure_facts(
    function: Node,
    src: SourceText,
    lookup: FunctionLookup,
    facts: HandlerFacts,
    done: str | None,
    via: str,
    depth: int,
    seen: set[int],
) -> None:
    if function.id in seen:
        return
    seen.add(function.id)
    body = function.child_by_field_name("body")
    if body is None:
        return
    job, _ = first_parameter(function, src)
    blocks = _work_blocks(body, job, src)
    for node in [body, *walk_body(body)]:
        if node.type == "return_statement" and node.named_children:
            if _error_shaped(node.named_children[0], node, src):
                around = node.parent.named_children if node.parent is not None else []
                handling = enclosing(node, {"catch_clause", *FUNCTION_TYPES})
                handling = handling if handling is not None and handling.type == "catch_clause" else None
                facts.returned_errors.append(BodyFact(src.span(node), shorten(src.text(node)), via, recorded=(
                    _recorded(around, src) or (_recorded([handling], src) if handling is not None else ""))))
        elif node.type == "catch_clause" and _holds_the_work(node, blocks, src) and not _catch_fails(node, src, lookup, done):
            header = shorten(src.text(node).split("{", 1)[0] + "{ … }")
            handled = node.child_by_field_name("body")
            facts.swallowed_errors.append(BodyFact(src.span(node), header, via, recorded=_recorded(
                handled.named_children if handled is not None else [], src)))
        elif node.type == "call_expression":
            callback = _promise_catch(node, src)
            if callback is not None and _is_the_work(node, blocks, src) and not _callback_fails(callback, src, lookup, done):
                facts.swallowed_errors.append(BodyFact(src.span(callback), shorten(".catch(" + src.text(callback)) + ")",
                                                       via))
    if depth >= MAX_DELEGATION or job is None:
        return
    for target_name, target, returned, given_job in _delegates(body, job, src, lookup):
        if target is None:  # not of this file: read where it is defined, if the processor's own
            if depth == 0:
                facts.delegated.append((target_name, returned))
            continue
        # A function given the job reads on as a handler; one given the job's data is read for
        # its own body only (its first parameter is no job to follow further).
        deeper = depth + 1 if given_job else MAX_DELEGATION
        if returned:
            _collect_failure_facts(target, src, lookup, facts, None, target_name, deeper, seen)
            continue
        # Its value is not the job's result: only how it fails matters, not what it returns.
        own = HandlerFacts()
        _collect_failure_facts(target, src, lookup, own, None, target_name, deeper, seen)
        facts.swallowed_errors.extend(own.swallowed_errors)


def _recorded(block: list[Node], src: SourceText) -> str:
    """A statement of `block` that records a failed state in the application (a property set
    to one, `run.status = 'failed'`; a call given one, `repo.update(id, { status: Status.Failed })`):
    the handler's own failure design. Its text, or ""."""
    for statement in block:
        for node in [statement, *walk_body(statement)]:
            if node.type == "assignment_expression":
                left = node.child_by_field_name("left")
                if left is not None and left.type in ("member_expression", "subscript_expression") \
                        and _failed_state(node.child_by_field_name("right"), src):
                    return shorten(src.text(node))
            elif node.type == "call_expression" and REPORTING.search(
                    dotted_name(node.child_by_field_name("function"), src) or ""):
                return shorten(src.text(node))
            elif node.type == "call_expression" and not _is_logging_call(node, src):
                values = [a for argument in arguments(node) for a in (argument, *object_pairs(argument, src).values())]
                if any(_failed_state(value, src) for value in values):
                    return shorten(src.text(node))
    return ""


def _failed_state(node: Node | None, src: SourceText) -> bool:
    literal = string_value(node, src)
    if literal is not None:
        return is_failed_state(literal, dotted=False)
    name = dotted_name(node, src)
    return name is not None and is_failed_state(name, dotted=True)


def _delegates(body: Node, job: str, src: SourceText,
               lookup: FunctionLookup) -> Iterable[tuple[str, Node | None, bool, bool]]:
    """What runs a job's work for the handler: same-file functions called with the job, the
    entries of a handler map it calls by the job's name (each one that job's handler), a
    closure of its own whose call is the work of the handler or of a branch on the name, and
    a same-file function given the job's data whose call is that work (None for one of another
    module). With each, whether what it returns is what the handler returns, and whether it
    is given the job itself."""
    nodes = [body, *walk_body(body)] if body.type != "statement_block" else list(walk_body(body))
    name_vars = _name_variables(body, job, src)
    blocks = _work_blocks(body, job, src)
    for node in nodes:
        if node.type != "call_expression":
            continue
        holder = _looked_up_by_name(node, body, job, name_vars, src)
        if holder is not None:
            yield from ((label, entry, True, True) for label, entry in _map_entries(holder, body, src, lookup))
            continue
        callee_node = unwrap(node.child_by_field_name("function"))
        callee = dotted_name(callee_node, src)
        if callee is None:
            continue
        given = [src.text(unwrap(a)) for a in arguments(node)]
        if job in given:
            target = lookup(callee)
            if target is not None:
                yield callee.removeprefix("this."), target, True, True
            elif "." not in callee and _is_the_work(node, blocks, src):
                yield callee, None, _returned(node), True  # a function of another module, maybe
            continue
        if not _is_the_work(node, blocks, src):
            continue
        closure = unwrap(_declared_around(node, callee, body, src)) if "." not in callee else None
        if closure is not None and closure.type in FUNCTION_TYPES:
            yield callee, closure, True, True
        elif any(text == f"{job}.data" or text.startswith(f"{job}.data.") for text in given) \
                and not _is_logging_call(node, src):
            target = lookup(callee)
            if target is not None:
                yield callee.removeprefix("this."), target, _returned(node), False
            elif "." not in callee:
                yield callee, None, _returned(node), False


def _returned(call: Node) -> bool:
    """Whether a call's value is what its function returns (`return f(x)`, `=> f(x)`)."""
    node = call.parent
    while node is not None and node.type in ("await_expression", "parenthesized_expression"):
        node = node.parent
    return node is not None and (node.type == "return_statement" or node.type in FUNCTION_TYPES)


def _map_entries(holder: Node, body: Node, src: SourceText, lookup: FunctionLookup) -> Iterable[tuple[str, Node]]:
    literal = _object_written_out(holder, body, src)
    if literal is not None:
        yield from map_entries(literal, src.text(holder).removeprefix("this."), src, lookup)


def is_handler_map(node: Node) -> bool:
    """An object literal holding functions (`{ a: async (job) => …, b() {…}, c }`)."""
    return node.type == "object" and any(
        child.type in ("method_definition", "shorthand_property_identifier")
        or (child.type == "pair" and (value := unwrap(child.child_by_field_name("value"))) is not None
            and value.type in FUNCTION_TYPES)
        for child in node.named_children)


def handler_map(root: Node, name: str, src: SourceText, lookup: FunctionLookup) -> HandlerFacts | None:
    """A module-level handler map `name`, read as a handler that another module's processor
    calls by the job's name: it takes its keys (any other name fails the lookup), and each
    entry is that job's handler for how it fails."""
    literal = unwrap(_declared_in(root, name, src))
    if literal is None or not is_handler_map(literal):
        return None
    routes = _keys(literal, src)
    facts = HandlerFacts(routes=routes or [], accepts_any=routes is None)
    for label, entry in map_entries(literal, name, src, lookup):
        _collect_failure_facts(entry, src, lookup, facts, None, label, 1, set())
    return facts


def map_entries(literal: Node, holder: str, src: SourceText, lookup: FunctionLookup) -> Iterable[tuple[str, Node]]:
    """The functions of a handler map written out (`{ 'a': async (job) => …, b: runB, c }`),
    each labelled `holder[key]`."""
    for child in literal.named_children:
        if child.type == "shorthand_property_identifier":  # `{ email }`: the function `email`
            key: Node | None = child
            value: Node | None = child
        else:
            key = child.child_by_field_name("key") or child.child_by_field_name("name")
            value = child if child.type == "method_definition" else unwrap(child.child_by_field_name("value"))
        if key is None or value is None:
            continue
        label = f"{holder}[{src.text(key)}]"
        if value.type in FUNCTION_TYPES:
            yield label, value
        elif value.type in ("identifier", "member_expression", "shorthand_property_identifier"):
            target = lookup(src.text(value))
            if target is not None:
                yield label, target


def _is_the_work(call: Node, blocks: dict[int, list[Node]], src: SourceText) -> bool:
    """Whether a call is a job's work: its statement is one of a work block's, with no other
    awaited work beside it."""
    statement: Node | None = call
    while statement is not None and (statement.parent is None or statement.parent.id not in blocks):
        if statement.type in NESTING:  # inside an `if`, a loop, a `try` or a callback: a step, not the work
            return False
        statement = statement.parent
    if statement is None or statement.parent is None:
        return False
    return _alone(statement, blocks[statement.parent.id], src)


# Statements and functions that hold statements of their own: a call under one of them is
# not a statement of the block around them.
NESTING = frozenset({
    "statement_block", "if_statement", "else_clause", "try_statement", "catch_clause", "finally_clause",
    "for_statement", "for_in_statement", "while_statement", "do_statement", "switch_statement", "switch_case",
    "switch_default", *FUNCTION_TYPES,
})


def _alone(statement: Node, block: list[Node], src: SourceText) -> bool:
    """Whether `statement` is its block's only awaited work. A statement after it that uses a
    variable it assigns (`let page; try { page = await fetch() } catch …; await save(page)`)
    carries its work on, and is not work beside it."""
    assigned = {src.text(left) for node in walk_body(statement) if node.type == "assignment_expression"
                and (left := node.child_by_field_name("left")) is not None and left.type == "identifier"}
    uses = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in sorted(assigned)) + r")\b") if assigned else None
    after = False
    for other in block:
        if other.id == statement.id:
            after = True
            continue
        if other.type == "comment" or (after and uses is not None and uses.search(src.text(other))):
            continue
        if not after and (_loads_for(other, statement, src) or _guard(other)):
            continue
        if any(node.type == "await_expression" for node in [other, *walk_body(other)]):
            return False
    return True


# Calls that look something up rather than do the work: `repo.findOne(…)`,
# `prisma.hook.findUnique(…)`, `getById(…)`.
LOOKUP = re.compile(r"^(get|find|load|query|select|lookup|retrieve|first|one)([A-Z_]|$)")


def _loads_for(declaration: Node, statement: Node, src: SourceText) -> bool:
    """`const hook = await this.hooks.findOne(id)` before a `try` that uses `hook`: it loads
    what the `try` works on, and is not work beside it."""
    if declaration.type not in ("lexical_declaration", "variable_declaration"):
        return False
    declarators = [d for d in declaration.named_children if d.type == "variable_declarator"]
    if len(declarators) != 1:
        return False
    name, value = declarators[0].child_by_field_name("name"), unwrap(declarators[0].child_by_field_name("value"))
    if value is not None and value.type == "await_expression" and value.named_children:
        value = unwrap(value.named_children[0])
    if name is None or value is None or value.type != "call_expression":
        return False
    leaf = (dotted_name(value.child_by_field_name("function"), src) or "").rsplit(".", 1)[-1]
    return bool(LOOKUP.search(leaf)) and re.search(rf"\b{re.escape(src.text(name))}\b", src.text(statement)) is not None


def _guard(statement: Node) -> bool:
    """`if (!(await lock.acquire())) throw new Busy()`: a check before the work, not work beside it."""
    if statement.type != "if_statement" or statement.child_by_field_name("alternative") is not None:
        return False
    consequence = statement.child_by_field_name("consequence")
    lines = _block_statements(consequence) if consequence is not None else []
    return bool(lines) and all(line.type in ("throw_statement", "return_statement") for line in lines)


def _work_blocks(body: Node, job: str | None, src: SourceText) -> dict[int, list[Node]]:
    """The statement lists that hold a job's work, by the id of the node holding them: the
    handler's body, and each branch on the job's name (a `case` of `switch (job.name)`, the
    block of `if (job.name === 'x')`), which is that job's handler."""
    # An expression-bodied arrow's expression is its one statement.
    blocks = {body.id: list(body.named_children)} if body.type == "statement_block" or body.parent is None \
        else {body.parent.id: [body]}
    _conditional_work(blocks, body, src)
    if job is None:
        return blocks
    subject = f"{job}.name"
    for node in walk_body(body):
        if node.type == "switch_statement" and subject in src.text(node.child_by_field_name("value") or node):
            cases = node.child_by_field_name("body")
            for case in cases.named_children if cases is not None else ():
                value = case.child_by_field_name("value")
                statements = [c for c in case.named_children if value is None or c.id != value.id]
                blocks[case.id] = statements
                for statement in statements:  # `case 'x': { … }`
                    if statement.type == "statement_block":
                        blocks[statement.id] = list(statement.named_children)
        elif node.type == "if_statement" and subject in src.text(node.child_by_field_name("condition") or node):
            for branch in (node.child_by_field_name("consequence"), node.child_by_field_name("alternative")):
                block = branch.named_children[0] if branch is not None and branch.type == "else_clause" \
                    and branch.named_children else branch
                if block is not None and block.type == "statement_block":
                    blocks[block.id] = list(block.named_children)
    return blocks


def _conditional_work(blocks: dict[int, list[Node]], body: Node, src: SourceText) -> None:
    """`if (hook.active) { try { await deliver(hook) } catch … } else { log('skipped') }` as the
    handler's work: the `if` is alone in the body and its other branch does no work, so its
    block holds the job's work."""
    if body.type != "statement_block":
        return
    statements = blocks[body.id]
    for statement in statements:
        if statement.type != "if_statement" or not _alone(statement, statements, src):
            continue
        alternative = statement.child_by_field_name("alternative")
        other = alternative.named_children[0] if alternative is not None and alternative.named_children else None
        if other is not None and _classify(_block_statements(other), src, "silent") == "handles":
            continue  # the other branch does work of its own
        consequence = statement.child_by_field_name("consequence")
        if consequence is not None and consequence.type == "statement_block":
            blocks[consequence.id] = [c for c in consequence.named_children if c.type != "comment"]


def _holds_the_work(catch: Node, blocks: dict[int, list[Node]], src: SourceText) -> bool:
    """A `try` that holds a job's work: a statement of the handler's body or of a branch on
    the job's name, with no other awaited work beside it (a `try` next to the real work
    guards an optional, best-effort step)."""
    try_statement = catch.parent
    if try_statement is None or try_statement.parent is None or try_statement.parent.id not in blocks:
        return False
    return _alone(try_statement, blocks[try_statement.parent.id], src)


def _error_shaped(value: Node, statement: Node, src: SourceText) -> bool:
    node = unwrap(value)
    if node is None:
        return False
    if node.type == "await_expression" and node.named_children:
        node = unwrap(node.named_children[0])
        if node is None:
            return False
    if node.type == "object":
        pairs = object_pairs(node, src)
        for key in ("success", "ok"):
            if key in pairs and pairs[key].type == "false":
                return True
        for key in ("error", "err"):
            found = unwrap(pairs.get(key))
            if found is not None and found.type not in ("null", "undefined", "false") and src.text(found) != "undefined":
                return True
        status = pairs.get("status")
        return status is not None and src.text(status).strip("'\"`") in ("failed", "error", "failure")
    if node.type == "new_expression":
        ctor = dotted_name(node.child_by_field_name("constructor"), src) or ""
        return bool(ERROR_CLASS.search(ctor))
    if node.type == "identifier":
        name = src.text(node)
        if _failed_result(name, statement, src):
            return True
        parent = statement.parent
        while parent is not None:
            if parent.type == "catch_clause":
                param = parent.child_by_field_name("parameter")
                if param is not None and src.text(param) == name:
                    return True
            if parent.type in ("method_definition", "function_declaration", "arrow_function", "function_expression"):
                break
            parent = parent.parent
    return False


# `if (!result.ok) return result`, `if (res.isErr()) { …; return res }`: a result returned
# where its own failure flag says it failed.
FAILURE_TEST = r"(?:!\s*{0}\s*\.\s*(?:ok|isOk|success|succeeded)\b|{0}\s*\.\s*(?:isErr|isError|failed|error|err)\b(?!\s*(?:===|==)\s*(?:null|undefined|false)))"


def _failed_result(name: str, statement: Node, src: SourceText) -> bool:
    """Whether the variable `name` returned by `statement` holds a failure: it was declared
    in the function from an error-shaped value (`const outcome = { success: false, … }`), or
    the return sits under an `if` that tests its failure flag."""
    test = re.compile(FAILURE_TEST.format(re.escape(name)))
    function = statement.parent
    while function is not None and function.type not in FUNCTION_TYPES:
        if function.type == "if_statement":
            condition = function.child_by_field_name("condition")
            consequence = function.child_by_field_name("consequence")
            inside = consequence is not None and consequence.start_byte <= statement.start_byte < consequence.end_byte
            if inside and condition is not None and test.search(src.text(condition)):
                return True
        function = function.parent
    if function is None:
        return False
    # The values the variable may hold at the return: the last one given in a block around it
    # (it runs before the return), and any given after that in a branch (it may have run).
    around = set()
    parent = statement.parent
    while parent is not None and parent.id != function.id:
        around.add(parent.id)
        parent = parent.parent
    around.add(function.id)
    given: list[tuple[Node, Node, bool]] = []  # (where, value, in a block around the return)
    for node in walk_body(function):
        if node.start_byte >= statement.start_byte:
            continue
        if node.type == "variable_declarator":  # `const outcome = { ok: false }`
            declared, value = node.child_by_field_name("name"), unwrap(node.child_by_field_name("value"))
        elif node.type == "assignment_expression":  # `let outcome; … outcome = { ok: false }`
            declared, value = node.child_by_field_name("left"), unwrap(node.child_by_field_name("right"))
        else:
            continue
        if declared is not None and value is not None and src.text(declared) == name:
            block = enclosing(node, {"statement_block", *FUNCTION_TYPES})
            given.append((node, value, block is not None and block.id in around))
    definite = [entry for entry in given if entry[2]]
    start = max((where.start_byte for where, _, _ in definite), default=-1)
    possible = [value for where, value, _ in given if where.start_byte >= start]
    # Only a value written out (not another name: no chains) says it is a failure.
    return any(value.type in ("object", "new_expression") and _error_shaped(value, statement, src)
               for value in possible)


def _rethrown_later(catch: Node, body: Node, src: SourceText) -> bool:
    """`catch (e) { err = e; }` then, in `finally` or after the `try`, `if (err) throw err;`:
    the error is kept for later and thrown then."""
    param = catch.child_by_field_name("parameter")
    if param is None:
        return False
    caught = src.text(param)
    kept = set()
    for node in walk_body(body):
        if node.type == "assignment_expression" and src.text(unwrap(node.child_by_field_name("right"))) == caught:
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                kept.add(src.text(left))
    try_statement = catch.parent
    if not kept or try_statement is None:
        return False
    later = [try_statement.child_by_field_name("finalizer"), *_following(try_statement)]
    mentions = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in sorted(kept)) + r")\b")
    for statement in later:
        if statement is None:
            continue
        for node in [statement, *walk_body(statement)]:
            if node.type == "throw_statement" and (mentions.search(src.text(node)) or mentions.search(src.text(statement))):
                return True
    return False


def _promise_catch(call: Node, src: SourceText) -> Node | None:
    """The callback of `work().catch(callback)` (or of `.then(ok, callback)`), if it is a
    function written there."""
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None or callee.type != "member_expression":
        return None
    method = src.text(callee.child_by_field_name("property"))
    args = arguments(call)
    callback = unwrap(args[0]) if method == "catch" and len(args) == 1 else \
        unwrap(args[1]) if method == "then" and len(args) == 2 else None
    return callback if callback is not None and callback.type in FUNCTION_TYPES else None


def _callback_fails(callback: Node, src: SourceText, lookup: FunctionLookup, done: str | None) -> bool:
    """Whether a promise's rejection callback fails the job: it throws, rejects, returns an
    error, or calls something that fails (an expression body counts as its one statement)."""
    body = callback.child_by_field_name("body")
    if body is None:
        return True
    if body.type != "statement_block":
        text = src.text(body)
        return "Promise.reject" in text or _fails_in([body, *walk_body(body)], src, lookup, done)
    return _fails_in(list(walk_body(body)), src, lookup, done)


def _catch_fails(catch: Node, src: SourceText, lookup: FunctionLookup, done: str | None) -> bool:
    """Whether a catch block hands the failure back to the queue (throw, fail, retry…)."""
    body = catch.child_by_field_name("body")
    if body is None:
        return True
    if _rethrown_later(catch, body, src):
        return True
    return _fails_in(list(walk_body(body)), src, lookup, done)


def _fails_in(nodes: list[Node], src: SourceText, lookup: FunctionLookup, done: str | None) -> bool:
    """Whether statements hand a failure back to the queue (throw, fail, retry…)."""
    for node in nodes:
        if node.type == "throw_statement":
            return True
        if node.type == "return_statement" and node.named_children:
            value = node.named_children[0]
            if _error_shaped(value, node, src):
                return True  # reported as a returned error instead
            text = src.text(value)
            if "Promise.reject" in text:
                return True
        if node.type == "call_expression":
            callee = dotted_name(node.child_by_field_name("function"), src) or ""
            if done is not None and callee == done and arguments(node):
                return True
            if FAILING_CALLS.search(callee):
                return True
            if _is_logging_call(node, src):
                continue
            target = lookup(callee) if callee else None
            if target is not None and any(n.type == "throw_statement" for n in walk_body(target)):
                return True
            if target is None and MAYBE_THROWING.search(callee.rsplit(".", 1)[-1]):
                return True
    return False
