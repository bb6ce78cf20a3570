"""Per-file working state shared by the extractor and the library adapters."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from queuelint.findings import Span
from queuelint.frontends import MADE_BY_CALL
from queuelint.frontends.typescript import handlers
from queuelint.frontends.typescript.syntax import (
    CLASS_TYPES,
    FUNCTION_TYPES,
    Node,
    SourceText,
    arguments,
    dotted_name,
    enclosing,
    object_pairs,
    property_name,
    unwrap,
)
from queuelint.frontends.typescript.values import declared_in_block, expr_of, lookup_local, named_function
from queuelint.model import (
    ApiUse,
    Consumer,
    Expr,
    Import,
    JobOption,
    ModuleDecl,
    Producer,
    QueueDecl,
    Route,
    Unresolved,
)

# Modules whose exports make a file queue code, and the queue library each one means.
LIBRARY_MODULES = {"bull": "bull", "@nestjs/bull": "bull", "bullmq": "bullmq", "@nestjs/bullmq": "bullmq"}


# Where a `let`/`const` lives: a block (a function's body is one) or the module (id 0).
SCOPES = frozenset({"statement_block", "program"})


def _scope_id(scope: Node | None) -> int:
    return 0 if scope is None or scope.type == "program" else scope.id


@dataclass(frozen=True)
class QueueObject:
    """A value known to be a queue (or worker, or flow producer) of one library."""

    library: str
    kind: str  # queue | flow
    name: Expr


@dataclass
class Extraction:
    """Working state for one file; adapters append to the lists."""

    src: SourceText
    imports: dict[str, Import] = field(default_factory=dict)
    producers: list[Producer] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)
    queues: list[QueueDecl] = field(default_factory=list)
    modules: list[ModuleDecl] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    # Queue objects held by variables, by (id of the block declaring them, or 0 for the
    # module; name): two functions, or two branches, may each have their own `const queue`.
    variables: dict[tuple[int, str], QueueObject] = field(default_factory=dict)
    fields: dict[tuple[int, str], QueueObject] = field(default_factory=dict)
    libraries: set[str] = field(default_factory=set)
    module_queues: dict[str, QueueObject] = field(default_factory=dict)
    # Queues under computed keys of a module's object (`[QueueName.Sms]: new Queue(…)`), by the
    # object's path: `choice` cases of key and queue (see `Expr` kind `table`).
    module_tables: dict[str, list[Expr]] = field(default_factory=dict)
    api_uses: list[ApiUse] = field(default_factory=list)

    def library_symbol(self, node: Node | None, depth: int = 0) -> tuple[str, str] | None:
        """For a name imported from a queue library: (module, exported name); also a constant
        that holds one (`const QueueClass = pro ? Queue : require('bullmq-pro').QueuePro`)."""
        name = dotted_name(node, self.src)
        if name is None or node is None:
            return None
        head, _, rest = name.partition(".")
        imported = self.imports.get(head)
        if imported is None and not rest and depth < 4:
            return self._aliased_symbol(node, name, depth)
        if imported is None or imported.module not in LIBRARY_MODULES:
            return None
        if imported.imported == "*":
            return imported.module, rest or "default"
        if rest:
            return None
        return imported.module, imported.imported

    def _aliased_symbol(self, node: Node, name: str, depth: int) -> tuple[str, str] | None:
        """A constant bound to a library's class, or to one of two where the other is the
        same class or a class of another package (a drop-in such as a `-pro` edition)."""
        binding = lookup_local(node, name, self.src)
        value = unwrap(binding.value) if binding.kind in ("const", "module") else None
        if value is None:
            return None
        if value.type != "ternary_expression":
            return self.library_symbol(value, depth + 1) if value.type == "identifier" else None
        branches = [unwrap(value.child_by_field_name(side)) for side in ("consequence", "alternative")]
        symbols = [self.library_symbol(branch, depth + 1) if branch is not None else None for branch in branches]
        found = next((symbol for symbol in symbols if symbol is not None), None)
        if found is None:
            return None
        for branch, symbol in zip(branches, symbols, strict=True):
            if symbol is None and not _package_export(branch, self.src):
                return None
        return found

    def queue_object(self, receiver: Node | None) -> QueueObject | None:
        """The queue a call receiver denotes: a variable, `this.field`, or nothing known."""
        receiver = unwrap(receiver)
        if receiver is None:
            return None
        if receiver.type == "identifier":
            return self.variable(self.src.text(receiver), receiver)
        path = dotted_name(receiver, self.src)
        if receiver.type == "member_expression" and path is not None and path.startswith("this."):
            cls = enclosing(receiver, CLASS_TYPES)
            if cls is not None:
                return self.fields.get((cls.id, path.removeprefix("this.")))
        return None

    def variable(self, name: str, near: Node) -> QueueObject | None:
        """The queue object `name` holds where `near` is: the innermost block declaring it,
        else the module."""
        scope: Node | None = near
        while scope is not None:
            scope = enclosing(scope, SCOPES)
            found = self.variables.get((_scope_id(scope), name))
            if found is not None:
                return found
        return None

    def declare(self, name: str, declared_at: Node, obj: QueueObject) -> None:
        """`name` holds `obj` in the block `declared_at` is in (`let`, `const`), or the body of
        its function (`var`), or the module."""
        kind = declared_at.parent.type if declared_at.parent is not None else ""
        scope = enclosing(declared_at, FUNCTION_TYPES if kind == "variable_declaration" else SCOPES)
        if scope is not None and scope.type in FUNCTION_TYPES:
            scope = scope.child_by_field_name("body")
        self.variables[(_scope_id(scope), name)] = obj

    def assign(self, name: str, at: Node, obj: QueueObject) -> None:
        """`queue = new Queue(…)`: the variable the block declaring `name` around `at` holds
        (`let queue = cache.get(n); if (!queue) queue = new Queue(n)` in one function is not
        the `queue` of another); the module's when no block around declares it (`let queue;`
        at the top, assigned in an `init()`)."""
        scope: Node | None = at
        while scope is not None:
            scope = enclosing(scope, SCOPES)
            if scope is not None and scope.type != "program" and declared_in_block(scope, name, self.src) is not None:
                self.variables[(_scope_id(scope), name)] = obj
                return
        self.variables[(0, name)] = obj

    def function_lookup(self, near: Node) -> handlers.FunctionLookup:
        """Resolve `this.method` and plain function names to same-file definitions."""
        cls = enclosing(near, CLASS_TYPES)
        root = near
        while root.parent is not None:
            root = root.parent

        def lookup(name: str) -> Node | None:
            if name.startswith("this."):
                if cls is None:
                    return None
                return class_method(cls, name.removeprefix("this."), self.src)
            if "." in name:
                return None
            return _local_function(near, name, self.src) or top_level_function(root, name, self.src)

        return lookup




def _local_function(near: Node, name: str, src: SourceText) -> Node | None:
    """A function held by a `const` of an enclosing function (a processor a worker factory
    defines before handing it to `new Worker`): routing inside it is the worker's."""
    binding = lookup_local(near, name, src)
    value = unwrap(binding.value) if binding.kind == "const" else None
    return value if value is not None and value.type in FUNCTION_TYPES else None


def class_method(cls: Node, name: str, src: SourceText) -> Node | None:
    body = cls.child_by_field_name("body")
    if body is None:
        return None
    for member in body.named_children:
        if member.type == "method_definition" and src.text(member.child_by_field_name("name")) == name:
            return member
        if member.type == "public_field_definition" and src.text(member.child_by_field_name("name")) == name:
            value = unwrap(member.child_by_field_name("value"))
            if value is not None and value.type in FUNCTION_TYPES:
                return value
    return None


def top_level_function(root: Node, name: str, src: SourceText) -> Node | None:
    """The function `name` declares at the top level; for "default", the one the module
    exports by default (`export default async function`, `module.exports = async (job) => …`)."""
    if name == "default":
        return _default_export(root, src)
    for statement in root.named_children:
        node = statement.child_by_field_name("declaration") if statement.type == "export_statement" else statement
        if node is None:
            continue
        if node.type == "function_declaration" and src.text(node.child_by_field_name("name")) == name:
            return node
        if node.type in ("lexical_declaration", "variable_declaration"):
            for declarator in node.named_children:
                if src.text(declarator.child_by_field_name("name")) == name:
                    value = unwrap(declarator.child_by_field_name("value"))
                    if value is not None and value.type in FUNCTION_TYPES:
                        return value
    return None




def _default_export(root: Node, src: SourceText) -> Node | None:
    for statement in root.named_children:
        if statement.type == "export_statement" and any(c.type == "default" for c in statement.children):
            value = unwrap(statement.child_by_field_name("value") or statement.child_by_field_name("declaration"))
            if value is not None and value.type in (*FUNCTION_TYPES, "function_declaration"):
                return value
            if value is not None and value.type == "identifier":
                return top_level_function(root, src.text(value), src)
        if statement.type == "expression_statement" and statement.named_children:
            assignment = statement.named_children[0]
            if assignment.type == "assignment_expression" and \
                    src.text(assignment.child_by_field_name("left")) in ("module.exports", "exports.default"):
                value = unwrap(assignment.child_by_field_name("right"))
                if value is not None and value.type in FUNCTION_TYPES:
                    return value
                if value is not None and value.type == "identifier":
                    return top_level_function(root, src.text(value), src)
    return None


def handler_consumer(
    state: Extraction,
    *,
    function: Node | None,
    span: Span,
    library: str,
    kind: str,
    queue: Expr,
    handler: str,
    owner: str = "",
) -> Consumer:
    """A consumer whose names come from routing inside `function` (every name when it does not route)."""
    if function is None:
        return Consumer(span, library, kind, queue, handler, accepts_any=True, owner=owner)
    facts = handlers.analyse(function, state.src, state.function_lookup(function))
    return Consumer(
        span,
        library,
        kind,
        queue,
        handler,
        routes=tuple(facts.routes),
        accepts_any=facts.accepts_any,
        router=facts.router,
        owner=owner,
        returned_errors=tuple(facts.returned_errors),
        swallowed_errors=tuple(facts.swallowed_errors),
        job_calls=tuple(facts.job_calls),
        # An imported handler map (`handlers[job.name](job)`): read where it is written out.
        handler_ref=facts.map_ref if facts.map_ref in state.imports else "",
        delegated=tuple((name, returned) for name, returned in facts.delegated if name in state.imports),
    )


PATH_JOINS = ("path.join", "path.resolve", "join", "resolve")


def declared_parameter_type(name: Node, state: Extraction) -> str | None:
    """The type a parameter is declared as where `name` (an identifier) reads it, as written
    (`JobManager`, `Bull.Queue`; a generic's name without its arguments)."""
    binding = lookup_local(name, state.src.text(name), state.src)
    index, _, key = binding.param.partition(".")
    if binding.kind != "param" or binding.function is None or not index.isdigit() or "." in key:
        return None
    params = binding.function.child_by_field_name("parameters")
    items = [p for p in params.named_children if p.type != "comment"] if params is not None else []
    if int(index) >= len(items):
        return None
    annotation = items[int(index)].child_by_field_name("type")
    declared = annotation.named_children[0] if annotation is not None and annotation.named_children else None
    if key:  # `({ jobs }: { jobs: JobManager })`: the type of that key of the object's type
        declared = _member_type(declared, key, state.src)
    if declared is not None and declared.type == "generic_type":
        declared = declared.child_by_field_name("name")
    return state.src.text(declared) if declared is not None and declared.type != "object_type" else None


def _member_type(declared: Node | None, key: str, src: SourceText) -> Node | None:
    """The type of `key` in an object type written out (`{ jobs: JobManager; id: number }`)."""
    for member in declared.named_children if declared is not None and declared.type == "object_type" else ():
        name = member.child_by_field_name("name")
        annotation = member.child_by_field_name("type")
        if member.type == "property_signature" and name is not None and src.text(name) == key \
                and annotation is not None and annotation.named_children:
            return annotation.named_children[0]
    return None


def _package_export(node: Node | None, src: SourceText) -> bool:
    """`require('some-package').Name`: a class of another installed package (not a path)."""
    if node is None or node.type != "member_expression":
        return False
    call = unwrap(node.child_by_field_name("object"))
    if call is None or call.type != "call_expression" or src.text(call.child_by_field_name("function") or call) != "require":
        return False
    args = arguments(call)
    module = unwrap(args[0]) if args else None
    return module is not None and module.type == "string" and not src.text(module)[1:-1].startswith(".")


def sandboxed_processor(node: Node | None, state: Extraction) -> str:
    """`SANDBOX` + the file a sandboxed processor names beside this one
    (`path.join(__dirname, 'resize.js')`, `` `${__dirname}/resize.js` ``), or "". A bare
    string is taken from the working directory of the process: not known here."""
    import os

    from queuelint.frontends import SANDBOX

    node = unwrap(node)
    if node is None:
        return ""
    pieces: list[str] = []
    if node.type == "call_expression" and dotted_name(node.child_by_field_name("function"), state.src) in PATH_JOINS:
        args = [unwrap(a) for a in arguments(node)]
        if not args or args[0] is None or state.src.text(args[0]) != "__dirname":
            return ""
        for arg in args[1:]:
            if arg is None or arg.type != "string":
                return ""
            pieces.append(state.src.text(arg)[1:-1])
    elif node.type == "template_string":
        text = state.src.text(node)[1:-1]
        if not text.startswith("${__dirname}/") or "${" in text[len("${__dirname}"):]:
            return ""
        pieces.append(text[len("${__dirname}/"):])
    else:
        return ""
    if not pieces or any("\\" in piece for piece in pieces):
        return ""
    return SANDBOX + os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(state.src.path)), *pieces))


def imported_processor(node: Node | None, state: Extraction) -> str:
    """The local name of a processor function imported from a project module, or ""."""
    node = unwrap(node)
    if node is None or node.type != "identifier":
        return ""
    imported = state.imports.get(state.src.text(node))
    if imported is None or imported.module in LIBRARY_MODULES or imported.imported == "*":
        return ""
    return imported.local


def processor_factory(node: Node | None, state: Extraction) -> tuple[str, tuple[tuple[int, tuple[Route, ...]], ...]] | None:
    """`dispatcher({ welcome: sendWelcome })`: a call of a project function (of this file or
    imported) that makes the processor, and the keys of the object literals it passes; read
    where the function is written (see `flow.handlers`). Not a path a sandboxed processor is
    in (`path.join(…)`), nor a call on an object."""
    node = unwrap(node)
    if node is None or node.type != "call_expression":
        return None
    callee = node.child_by_field_name("function")
    if callee is None or callee.type != "identifier" or state.src.text(callee) in PATH_JOINS:
        return None
    name = state.src.text(callee)
    imported = state.imports.get(name)
    if imported is not None and (imported.module in LIBRARY_MODULES or imported.imported == "*"):
        return None
    if imported is None and state.function_lookup(node)(name) is None:
        return None
    return name + MADE_BY_CALL, handlers.passed_maps(node, state.src)


def processor_function(node: Node | None, state: Extraction) -> Node | None:
    """The function a processor argument denotes: inline, a same-file function, or `this.method`."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type in FUNCTION_TYPES:
        return node
    name = dotted_name(node, state.src)
    if node.type == "call_expression":  # `this.handle.bind(this)`
        callee = dotted_name(node.child_by_field_name("function"), state.src) or ""
        if callee.endswith(".bind"):
            name = callee.removesuffix(".bind")
    if name is None:
        return None
    return state.function_lookup(node)(name)


def default_job_options(objects: list[Node], state: Extraction) -> tuple[JobOption, ...]:
    """The job options a queue gives every job (`{ defaultJobOptions: { … } }` in one of
    `objects`, its options or registration objects)."""
    for node in objects:
        value = object_pairs(node, state.src).get("defaultJobOptions")
        if value is not None:
            return job_options(value, state)
    return ()


def job_options(node: Node | None, state: Extraction, prefix: str = "") -> tuple[JobOption, ...]:
    """The keys of an options object literal, nested ones as `repeat.cron`."""
    found: list[JobOption] = []
    node = unwrap(node)
    if node is None or node.type != "object":
        return ()
    for child in node.named_children:
        if child.type == "shorthand_property_identifier":  # `{ jobId }`
            found.append(JobOption(prefix + state.src.text(child), state.src.span(child), expr_of(child, state.src)))
            continue
        if child.type != "pair":
            continue
        key_node, value = child.child_by_field_name("key"), unwrap(child.child_by_field_name("value"))
        key = property_name(key_node, state.src)
        if key is None or key_node is None or value is None:
            continue
        if value.type == "object":
            found.append(JobOption(prefix + key, state.src.span(key_node)))
            if not prefix:
                found.extend(job_options(value, state, prefix=f"{key}."))
        else:
            found.append(JobOption(prefix + key, state.src.span(key_node), expr_of(value, state.src)))
    return tuple(found)


def add_opaque_bulk(state: Extraction, call: Node, queue: QueueObject) -> None:
    """`queue.addBulk(jobs)` with jobs built elsewhere: names unknown, but the queue gets jobs."""
    state.producers.append(
        Producer(state.src.span(call), queue.library, "addBulk", queue.name,
                 Expr.unknown("addBulk(jobs)", "the jobs come from an array built elsewhere"),
                 within=named_function(call, state.src))
    )


def add_producer(state: Extraction, anchor: Node, library: str, call: str, queue: Expr, job: Expr,
                 options: Node | None = None, arguments: list[Node] | None = None) -> None:
    spans = tuple(state.src.span(a) for a in arguments or ())
    method = named_function(anchor, state.src)
    if "." in method:  # `this.jobName` in a base class's method: what the object's class says, at each call
        job, queue = of_this(job, method), of_this(queue, method)
    state.producers.append(Producer(state.src.span(anchor), library, call, queue, job, job_options(options, state),
                                    arguments=spans, guard=_parameter_guard(anchor, queue, job, state),
                                    within=named_function(anchor, state.src)))


def of_this(expr: Expr, method: str) -> Expr:
    """`this.jobName` (or `this.constructor.name`) read in `method`: a value of the object the
    method is called on, known at each call whose object's class is known."""
    if expr.kind == "unknown" and expr.text.startswith("this.") and expr.text.count(".") == 1 + expr.text.startswith(
            "this.constructor."):
        return Expr("param", expr.text, method, parts=(expr,))
    if expr.parts and expr.kind in ("call", "concat", "queue_name"):
        return replace(expr, parts=tuple(of_this(part, method) for part in expr.parts))
    return expr


def _parameter_guard(anchor: Node, queue: Expr, job: Expr, state: Extraction) -> str:
    """For a producer of a wrapper (its queue or name a parameter) inside `if (options?.daily)`
    or `if (daily)` of the same function: the parameter that must be passed for it to run."""
    owner = next((e.reason for e in (job, queue, *queue.parts) if e.kind == "param"), "")
    if not owner:
        return ""
    node = anchor
    while node.parent is not None and node.type not in FUNCTION_TYPES:
        parent = node.parent
        if parent.type == "if_statement" and parent.child_by_field_name("consequence") == node:
            condition = expr_of(unwrap(parent.child_by_field_name("condition")), state.src)
            if condition.kind == "param" and condition.reason == owner:
                return condition.text
        node = parent
    return ""


def processor_parameter(node: Node | None, state: Extraction, queue: Expr | None = None) -> str:
    """The position of the enclosing function's parameter a processor argument is, or passes
    on (`metricWrapper(processor, name)`, the queue's own parameter left out): a registration
    helper's calls name the processor."""
    value = expr_of(node, state.src)
    if value.kind == "param" and "." not in value.text:
        return value.text
    taken = {part.text.partition(".")[0] for part in _parameters(queue)} if queue is not None else set()
    node = unwrap(node)
    if node is not None and node.type == "call_expression":
        for argument in arguments(node):
            passed = expr_of(argument, state.src)
            if passed.kind == "param" and "." not in passed.text and passed.text not in taken:
                return passed.text
    return ""


def _parameters(expr: Expr) -> list[Expr]:
    """The `param` expressions inside `expr`."""
    return [expr] if expr.kind == "param" else [p for part in expr.parts for p in _parameters(part)]


def bulk_elements(node: Node | None, state: Extraction) -> list[Node] | None:
    """The jobs of `addBulk(…)` as written: the elements of an array literal, or the one
    object each element of `items.map((item) => ({ name: JobName.Sync, data: item }))` is;
    None when they are built elsewhere."""
    node = unwrap(node)
    if node is not None and node.type == "array":
        return list(node.named_children)
    mapped = _mapped_object(node, state)
    return [mapped] if mapped is not None else None


def _mapped_object(node: Node | None, state: Extraction) -> Node | None:
    if node is None or node.type != "call_expression":
        return None
    callee = node.child_by_field_name("function")
    if callee is None or callee.type != "member_expression" or \
            property_name(callee.child_by_field_name("property"), state.src) not in ("map", "flatMap"):
        return None
    args = arguments(node)
    function = unwrap(args[0]) if args else None
    if function is None or function.type not in FUNCTION_TYPES:
        return None
    body = unwrap(function.child_by_field_name("body"))
    if body is not None and body.type == "statement_block":
        returns = [c for c in body.named_children if c.type == "return_statement"]
        body = unwrap(returns[0].named_children[0]) if len(returns) == 1 and returns[0].named_children else None
    return body if body is not None and body.type == "object" else None
