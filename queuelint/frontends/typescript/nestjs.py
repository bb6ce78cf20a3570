"""NestJS (`@nestjs/bull`, `@nestjs/bullmq`): `BullModule.registerQueue`, `@InjectQueue`,
`@Processor` classes with `@Process` methods or a `WorkerHost.process`, and `@Module` providers."""

from __future__ import annotations

from dataclasses import replace

from queuelint.findings import DEFAULT_JOB
from queuelint.frontends.typescript.state import (
    LIBRARY_MODULES,
    Extraction,
    QueueObject,
    class_method,
    default_job_options,
    handler_consumer,
)
from queuelint.frontends.typescript.syntax import (
    Node,
    arguments,
    class_decorators,
    decorator_call,
    dotted_name,
    member_decorators,
    object_pairs,
    unwrap,
)
from queuelint.frontends.typescript.values import expr_of
from queuelint.model import ApiUse, Expr, ModuleDecl, QueueDecl, Route

NEST_MODULES = frozenset({"@nestjs/bull", "@nestjs/bullmq"})
QUEUE_TYPES = frozenset({"Queue", "default"})
ANY_NAME = "*"


def _nest_symbol(node: Node | None, state: Extraction) -> tuple[str, str] | None:
    """(library, decorator name) for a decorator imported from a NestJS queue module."""
    symbol = state.library_symbol(node)
    if symbol is None or symbol[0] not in NEST_MODULES:
        return None
    return LIBRARY_MODULES[symbol[0]], symbol[1]


def _name_argument(node: Node | None, state: Extraction) -> Expr | None:
    """`'q'`, `Names.Q`, or `{ name: … }`; None when no name is given."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "object":
        pairs = object_pairs(node, state.src)
        return expr_of(pairs["name"], state.src) if "name" in pairs else None
    return expr_of(node, state.src)


def _queue_token(callee: Node | None, args: list[Node], state: Extraction) -> QueueObject | None:
    """`@Inject(getQueueToken('q'))`: the same queue `@InjectQueue('q')` would inject."""
    if dotted_name(callee, state.src) != "Inject" or not args:
        return None
    call = unwrap(args[0])
    if call is None or call.type != "call_expression":
        return None
    symbol = _nest_symbol(call.child_by_field_name("function"), state)
    if symbol is None or symbol[1] != "getQueueToken":
        return None
    token_args = arguments(call)
    name = _name_argument(token_args[0], state) if token_args else Expr.literal("default")
    return QueueObject(symbol[0], "queue", name or Expr.literal("default"))


def _injected_queue(decorators: list[Node], type_node: Node | None, state: Extraction) -> QueueObject | None:
    for decorator in decorators:
        callee, args = decorator_call(decorator)
        symbol = _nest_symbol(callee, state)
        if symbol is not None and symbol[1] == "InjectQueue":
            name = _name_argument(args[0], state) if args else Expr.literal("default")
            return QueueObject(symbol[0], "queue", name or Expr.literal("default"))
        token = _queue_token(callee, args, state)
        if token is not None:
            return token
    if type_node is not None:
        # `private readonly queue: Queue` with no decorator: a queue, name unknown here.
        named = type_node.named_children[0] if type_node.named_children else None
        if named is not None and named.type == "generic_type":
            named = named.child_by_field_name("name")
        symbol = state.library_symbol(named)
        if symbol is not None and symbol[1] in QUEUE_TYPES and symbol[0] in ("bull", "bullmq"):
            return QueueObject(LIBRARY_MODULES[symbol[0]], "queue", Expr.unknown("Queue", "a `Queue` given to the class, whose name is not known here"))
    return None


def read_class_fields(cls: Node, state: Extraction) -> None:
    """Queue-holding members: `@InjectQueue` parameters and properties, `Queue`-typed ones."""
    body = cls.child_by_field_name("body")
    if body is None:
        return
    src = state.src
    for member in body.named_children:
        if member.type == "public_field_definition":
            name = member.child_by_field_name("name")
            obj = _injected_queue(member_decorators(member), member.child_by_field_name("type"), state)
            if name is not None and obj is not None:
                _remember(cls, src.text(name), obj, name, state)
        elif member.type == "method_definition" and src.text(member.child_by_field_name("name")) == "constructor":
            params = member.child_by_field_name("parameters")
            items = [p for p in params.named_children if p.type != "comment"] if params is not None else []
            for index, param in enumerate(items):
                pattern = param.child_by_field_name("pattern")
                decorators = [c for c in param.children if c.type == "decorator"]
                obj = _injected_queue(decorators, param.child_by_field_name("type"), state)
                if pattern is None or pattern.type != "identifier" or obj is None:
                    continue
                if obj.name.kind == "unknown":  # a Queue passed in: the one `new Class(queue)` passes
                    owner = f"{_class_name(cls, state)}.constructor"
                    passed = Expr("param", str(index), owner, parts=(Expr.unknown(src.text(pattern)),))
                    obj = QueueObject(obj.library, obj.kind, Expr("queue_name", src.text(pattern), parts=(passed,)))
                _remember(cls, src.text(pattern), obj, pattern, state)


def _remember(cls: Node, field_name: str, obj: QueueObject, anchor: Node, state: Extraction) -> None:
    if obj.name.kind == "unknown" and (cls.id, field_name) in state.fields:
        return  # `private queue: Queue;` given its queue by `this.queue = new Queue('mail')`
    state.fields[(cls.id, field_name)] = obj
    if obj.name.kind not in ("unknown", "queue_name"):
        state.queues.append(QueueDecl(state.src.span(anchor), obj.library, "inject", obj.name))


def read_module(cls: Node, state: Extraction) -> None:
    """`@Module({ providers: [...] })` from `@nestjs/common`."""
    for decorator in class_decorators(cls):
        callee, args = decorator_call(decorator)
        imported = state.imports.get(dotted_name(callee, state.src) or "")
        if imported is not None and imported.module == "@nestjs/common" and imported.imported == "Module" and args:
            _module(cls, args[0], state)


def read_class(cls: Node, state: Extraction) -> None:
    for decorator in class_decorators(cls):
        callee, args = decorator_call(decorator)
        symbol = _nest_symbol(callee, state)
        if symbol is not None and symbol[1] == "Processor":
            queue = _name_argument(args[0], state) if args else None
            if queue is not None:
                state.queues.append(QueueDecl(state.src.span(args[0]), symbol[0], "processor", queue))
            _processor(cls, symbol[0], queue or Expr.unknown("@Processor()", "`@Processor()` names no queue"), state)


def _class_name(cls: Node, state: Extraction) -> str:
    name = cls.child_by_field_name("name")
    return state.src.text(name) if name is not None else "<anonymous class>"


def _processor(cls: Node, library: str, queue: Expr, state: Extraction) -> None:
    src = state.src
    owner = _class_name(cls, state)
    body = cls.child_by_field_name("body")
    found_process_decorator = False
    for member in body.named_children if body is not None else []:
        if member.type not in ("method_definition", "public_field_definition"):
            continue
        for decorator in member_decorators(member):
            callee, args = decorator_call(decorator)
            symbol = _nest_symbol(callee, state)
            if symbol is None or symbol[1] != "Process":
                continue
            if symbol[0] == "bullmq":  # @nestjs/bullmq has no @Process: it is @nestjs/bull's
                state.api_uses.append(ApiUse(src.span(decorator), "bullmq", "@Process"))
            found_process_decorator = True
            method = src.text(member.child_by_field_name("name"))
            name = _name_argument(args[0], state) if args else None
            function = member if member.type == "method_definition" else unwrap(member.child_by_field_name("value"))
            consumer = handler_consumer(
                state, function=function, span=src.span(decorator), library=library,
                kind="process-decorator", queue=queue, handler=f"{owner}.{method}", owner=owner,
            )
            if name is not None and name.kind == "str" and name.text == ANY_NAME:
                state.consumers.append(consumer)  # the names are whatever the method routes on
                continue
            # `@Process('x')` handles exactly 'x'; a switch inside it does not widen that.
            route = Route(name or Expr.literal(DEFAULT_JOB), src.span(args[0] if args else decorator))
            state.consumers.append(replace(consumer, routes=(route,), accepts_any=False))
    if found_process_decorator:
        return
    process = class_method(cls, "process", src)
    if process is not None:  # @nestjs/bullmq: `class X extends WorkerHost { process(job) {} }`
        name_node = process.child_by_field_name("name") or process
        state.consumers.append(
            handler_consumer(
                state, function=process, span=src.span(name_node), library=library,
                kind="worker-host", queue=queue, handler=f"{owner}.process", owner=owner,
            )
        )


def _module(cls: Node, metadata: Node, state: Extraction) -> None:
    providers = unwrap(object_pairs(metadata, state.src).get("providers"))
    if providers is None or providers.type != "array":
        return
    found: list[tuple[str, Node]] = []
    for item in providers.named_children:
        item = unwrap(item) or item
        if item.type == "identifier":
            found.append((state.src.text(item), item))
        elif item.type == "object":
            use_class = unwrap(object_pairs(item, state.src).get("useClass"))
            if use_class is not None and use_class.type == "identifier":
                found.append((state.src.text(use_class), use_class))
    state.modules.append(
        ModuleDecl(state.src.span(cls.child_by_field_name("name") or cls), _class_name(cls, state),
                   tuple((name, state.src.span(node)) for name, node in found))
    )


def for_root(call: Node, receiver: Node, state: Extraction) -> None:
    """`BullModule.forRoot({ connection, defaultJobOptions })`, or the object a `forRootAsync`
    factory returns: the job options every queue of the app gives its jobs (a declaration of
    no queue, kind `root`)."""
    symbol = state.library_symbol(receiver)
    if symbol is None or symbol[1] != "BullModule":
        return
    objects = [node for arg in arguments(call) for node in _descendants(arg) if node.type == "object"]
    options = default_job_options(objects, state)
    if options:
        state.queues.append(QueueDecl(state.src.span(call), LIBRARY_MODULES[symbol[0]], "root", Expr.unknown(""),
                                      options))


def _descendants(node: Node) -> list[Node]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.named_children)
    return found


def register_queue(call: Node, receiver: Node, state: Extraction) -> None:
    """`BullModule.registerQueue({ name: 'a' }, { name: 'b' })` and `registerQueueAsync`."""
    symbol = state.library_symbol(receiver)
    if symbol is None or symbol[1] != "BullModule":
        return
    library = LIBRARY_MODULES[symbol[0]]
    for arg in arguments(call):
        pairs = object_pairs(arg, state.src)
        name = pairs.get("name")
        if name is not None:
            state.queues.append(QueueDecl(state.src.span(name), library, "register", expr_of(name, state.src),
                                          default_job_options([arg], state)))
