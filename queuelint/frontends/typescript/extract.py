"""One TypeScript/JavaScript file -> `FileFacts`.

One parse, one combined tree-sitter query that finds the nodes worth a closer look (member
calls named like queue methods, constructions, classes, comments); the library adapters
(`bull`, `bullmq`, `nestjs`) interpret what the query found. Module-level declarations
(imports, exports, constants, enums) are read from the top level of the tree.
"""

from __future__ import annotations

import re

from tree_sitter import QueryCursor

from queuelint.config import ConsumerSpec
from queuelint.findings import WHOLE_FILE, Span
from queuelint.frontends import MADE_BY_CALL
from queuelint.frontends.typescript import bull, bullmq, calls, custom, nestjs, summaries
from queuelint.frontends.typescript import handlers as handlers_module
from queuelint.frontends.typescript.state import (
    LIBRARY_MODULES,
    Extraction,
    QueueObject,
    declared_parameter_type,
    top_level_function,
)
from queuelint.frontends.typescript.syntax import (
    CLASS_TYPES,
    FUNCTION_TYPES,
    Node,
    SourceText,
    arguments,
    computed_pairs,
    dialect_for,
    dotted_name,
    enclosing,
    enclosing_statement,
    errors,
    object_pairs,
    parser,
    property_name,
    query,
    shorten,
    string_value,
    unwrap,
)
from queuelint.frontends.typescript.values import expr_of
from queuelint.model import (
    IMPLEMENTS,
    JOB_SCHEDULER,
    RESULT_READ,
    WHOLE_MODULE,
    ApiUse,
    Expr,
    FileFacts,
    Handler,
    Import,
    Problem,
    ReExport,
    Suppression,
)

# Codes (`QL101`) or rule names (`dynamic-job-name`); anything after them (`-- why`) is a comment.
CODE = r"(?:[A-Za-z]{2}\d{3}|[Qq][Ll][0-9A-Za-z]{3}\b|[a-z0-9]+(?:-[a-z0-9]+)+)"  # QL1O2: misspelt, for QL002
SUPPRESSION = re.compile(rf"queuelint-disable-(next-line|line|file)\b[ \t:]*((?:{CODE}(?:[ \t]*,?[ \t]*{CODE})*)?)")

QUERY = """
(call_expression
  function: (member_expression object: (_) @receiver property: (property_identifier) @method)
  (#any-of? @method "add" "addBulk" "process" "upsertJobScheduler" "registerQueue" "registerQueueAsync" "forRoot"
   "forRootAsync")) @member_call
(new_expression constructor: (_) @constructor) @construction
(call_expression function: (identifier) @callee) @plain_call
(class_declaration) @class
(class) @class
(comment) @comment
(member_expression property: (property_identifier) @result_member
  (#any-of? @result_member "returnvalue" "waitUntilFinished" "finished")) @result_read
"""

ABSTRACT_CLASSES = "(abstract_class_declaration) @class\n"


def extract(path: str, data: bytes, decode_problem: Problem | None = None,
            wanted_calls: frozenset[str] = frozenset(), consumers: tuple[ConsumerSpec, ...] = (),
            handlers: frozenset[str] = frozenset()) -> FileFacts:
    """Facts of one file; `wanted_calls` names functions whose call sites to record (wrappers),
    `consumers` in-house handler decorators declared in the config, `handlers` exported
    functions that a Worker elsewhere uses as its processor."""
    dialect = dialect_for(path)
    src = SourceText(path, data)
    tree = parser(dialect).parse(data)
    root = tree.root_node
    state = Extraction(src)
    problems: list[Problem] = [decode_problem] if decode_problem else []
    problems.extend(_syntax_problem(root, src))

    exports: list[tuple[str, str]] = []
    reexports: list[ReExport] = []
    bindings: list[tuple[str, Expr]] = []
    classes: list[tuple[str, Span]] = []
    methods: list[str] = []
    bases: list[tuple[str, str]] = []
    _read_module_level(root, state, exports, reexports, bindings, classes, methods, bases)
    state.libraries = {LIBRARY_MODULES[i.module] for i in state.imports.values() if i.module in LIBRARY_MODULES}

    # TypeScript's grammar has abstract classes of their own kind; JavaScript's has none.
    captures = QueryCursor(query(dialect, QUERY if dialect == "javascript" else QUERY + ABSTRACT_CLASSES)).matches(root)
    constructions: list[Node] = []
    member_calls: list[tuple[Node, Node, str]] = []
    class_nodes: list[Node] = []
    suppressions: list[Suppression] = []
    result_reads: list[Node] = []
    for _pattern, found in captures:
        if "construction" in found:
            constructions.append(found["construction"][0])
        elif "plain_call" in found:
            constructions.append(found["plain_call"][0])
        elif "member_call" in found:
            member_calls.append((found["member_call"][0], found["receiver"][0], src.text(found["method"][0])))
        elif "class" in found:
            class_nodes.append(found["class"][0])
        elif "result_read" in found:
            result_reads.append(found["result_read"][0])
        elif "comment" in found:
            suppression = _suppression(found["comment"][0], src)
            if suppression is not None:
                suppressions.append(suppression)

    for cls in class_nodes:
        nestjs.read_module(cls, state)
        if consumers:
            custom.read_class(cls, state, consumers)
    if state.libraries:
        # Where queue objects live first, then what is done with them.
        for node in constructions:
            _construction(node, state)
        for cls in class_nodes:
            nestjs.read_class_fields(cls, state)
        for cls in class_nodes:
            nestjs.read_class(cls, state)
    for call, receiver, method in member_calls:  # also on queues imported from other modules
        _member_call(call, receiver, method, state)
    for node in result_reads if state.libraries else ():  # `job.returnvalue`, `job.waitUntilFinished(events)`
        state.api_uses.append(ApiUse(src.span(node), min(state.libraries), RESULT_READ))
    bindings.extend(summaries.summaries(root, state))

    return FileFacts(
        path=path,
        language="typescript" if dialect != "javascript" else "javascript",
        libraries=tuple(sorted(state.libraries)),
        producers=tuple(state.producers),
        consumers=tuple(state.consumers),
        queues=tuple(state.queues),
        modules=tuple(state.modules),
        imports=tuple(state.imports.values()),
        exports=tuple(exports),
        reexports=tuple(reexports),
        bindings=(*bindings, *((name, Expr("queue", obj.library, parts=(obj.name,)))
                               for name, obj in state.module_queues.items() if obj.kind == "queue"),
                  *((name, Expr("table", name, parts=tuple(cases))) for name, cases in state.module_tables.items())),
        classes=tuple(classes),
        methods=tuple(methods),
        bases=tuple(bases),
        calls=calls.call_sites(root, state, dialect, wanted_calls) if wanted_calls else (),
        api_uses=tuple(state.api_uses),
        handlers=tuple(_handler(root, name, state) for name in sorted(handlers)),
        unresolved=tuple(state.unresolved),
        suppressions=tuple(suppressions),
        problems=tuple(problems),
    )


# Text that marks a statement as queue code: if the parser gave up inside one, findings may be lost.
QUEUE_SYNTAX = re.compile(rb"\.(add|addBulk|process)\s*\(|\b(Worker|Queue|FlowProducer|Bull)\s*\(|@Process|@Processor"
                          rb"|@InjectQueue|registerQueue|job\.name|\bcatch\b|@Module")


def _syntax_problem(root: Node, src: SourceText) -> list[Problem]:
    """The first parse error, preferring one inside queue code; grammar gaps elsewhere are noted as such."""
    found = errors(root)
    if not found:
        return []
    for error in found:
        statement = enclosing_statement(error)
        if QUEUE_SYNTAX.search(src.data[statement.start_byte : statement.end_byte]):
            return [Problem(src.span(error), _syntax_message(error, src))]
    return [Problem(src.span(found[0]), _syntax_message(found[0], src), in_queue_code=False)]


def _syntax_message(error: Node, src: SourceText) -> str:
    if error.is_missing:
        return f"cannot parse: missing `{error.type}`; the file was analysed in part"
    snippet = src.text(error).strip().splitlines()[0][:30] if src.text(error).strip() else ""
    near = f" near `{snippet}`" if snippet else ""
    return f"cannot parse{near}; the file was analysed in part"


def _suppression(comment: Node, src: SourceText) -> Suppression | None:
    match = SUPPRESSION.search(src.text(comment))
    if match is None:
        return None
    span = src.span(comment)
    codes = tuple(c for c in re.split(r"[,\s]+", match.group(2).strip()) if c)
    target = {"next-line": span.end_line + 1, "line": span.line, "file": WHOLE_FILE}[match.group(1)]
    return Suppression(span, target, codes)


# --- module level --------------------------------------------------------------------


def _read_module_level(
    root: Node,
    state: Extraction,
    exports: list[tuple[str, str]],
    reexports: list[ReExport],
    bindings: list[tuple[str, Expr]],
    classes: list[tuple[str, Span]],
    methods: list[str],
    bases: list[tuple[str, str]],
) -> None:
    src = state.src
    for statement in root.named_children:
        if statement.type == "import_statement":
            _read_import(statement, state)
            continue
        declaration = statement
        exported = False
        if statement.type == "export_statement":
            exported = True
            declaration = statement.child_by_field_name("declaration") or statement
            if declaration is statement:
                _read_export_clause(statement, src, exports, reexports)
                continue
        if declaration.type in ("lexical_declaration", "variable_declaration"):
            is_const = bool(declaration.children) and declaration.children[0].type == "const"
            for declarator in declaration.named_children:
                if declarator.type != "variable_declarator":
                    continue
                name_node = declarator.child_by_field_name("name")
                value = declarator.child_by_field_name("value")
                if name_node is None:
                    continue
                _read_require(name_node, value, state)
                if name_node.type != "identifier":
                    continue
                name = src.text(name_node)
                if exported:
                    exports.append((name, name))
                if is_const and value is not None:
                    _bind(name, value, src, bindings, depth=0)
                    function = unwrap(value)
                    if function is not None and (function.type in FUNCTION_TYPES or handlers_module.is_handler_map(function)):
                        classes.append((name, src.span(name_node)))  # a map of functions: a handler map, maybe
        elif declaration.type == "enum_declaration":
            name = src.text(declaration.child_by_field_name("name"))
            if exported:
                exports.append((name, name))
            _bind_enum(name, declaration, src, bindings)
        elif declaration.type in ("class_declaration", "abstract_class_declaration", "function_declaration"):
            name_node = declaration.child_by_field_name("name")
            if name_node is None:
                continue
            name = src.text(name_node)
            if exported:
                exports.append((name, name))
                if statement.children and any(c.type == "default" for c in statement.children):
                    exports.append(("default", name))
            classes.append((name, src.span(name_node)))
            if declaration.type != "function_declaration":
                _bind_static_members(name, declaration, src, bindings)
                _read_class_shape(name, declaration, src, methods, bases)
        elif declaration.type == "expression_statement":
            _read_commonjs_export(declaration, src, exports, bindings)


def _read_class_shape(name: str, declaration: Node, src: SourceText, methods: list[str],
                      bases: list[tuple[str, str]]) -> None:
    """The class's methods (and function-valued fields) and the class it extends: where a
    method called on an instance (`new ExportTask().schedule()`) is found."""
    for child in declaration.named_children:
        if child.type != "class_heritage":
            continue
        clause = next((c for c in child.named_children if c.type == "extends_clause"), child)  # JavaScript: no clause
        base = next((c for c in clause.named_children if c.type in ("identifier", "member_expression")), None)
        written = dotted_name(base, src) if base is not None else None
        if written:
            bases.append((name, written))
        for implemented in (c for c in child.named_children if c.type == "implements_clause"):
            for interface in implemented.named_children:  # `implements JobManager`: its methods, called
                named = interface.child_by_field_name("name") if interface.type == "generic_type" else interface
                if named is not None and named.type == "type_identifier":
                    bases.append((name, IMPLEMENTS + src.text(named)))
    body = declaration.child_by_field_name("body")
    for member in body.named_children if body is not None else []:
        if member.type in ("method_definition", "public_field_definition"):
            key = property_name(member.child_by_field_name("name"), src)
            if key:
                methods.append(f"{name}.{key}")


def _read_import(statement: Node, state: Extraction) -> None:
    src = state.src
    module = string_value(statement.child_by_field_name("source"), src)
    if module is None:
        return
    clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
    if clause is None:
        return
    for part in clause.named_children:
        if part.type == "identifier":
            state.imports[src.text(part)] = Import(src.text(part), module, "default")
        elif part.type == "namespace_import":
            local = next((c for c in part.named_children if c.type == "identifier"), None)
            if local is not None:
                state.imports[src.text(local)] = Import(src.text(local), module, "*")
        elif part.type == "named_imports":
            for spec in part.named_children:
                if spec.type != "import_specifier":
                    continue
                name = spec.child_by_field_name("name")
                alias = spec.child_by_field_name("alias") or name
                if name is not None and alias is not None:
                    imported = string_value(name, src) if name.type == "string" else src.text(name)
                    state.imports[src.text(alias)] = Import(src.text(alias), module, imported or "")


def _read_require(target: Node, value: Node | None, state: Extraction) -> None:
    """`const X = require('m')` and `const { A, B: C } = require('m')`."""
    value = unwrap(value)
    if value is None or value.type != "call_expression":
        return
    src = state.src
    if dotted_name(value.child_by_field_name("function"), src) != "require":
        return
    args = arguments(value)
    module = string_value(args[0], src) if args else None
    if module is None:
        return
    if target.type == "identifier":
        # `require('bull')` is the Queue class itself; a project module is a namespace.
        imported = "default" if module in LIBRARY_MODULES else "*"
        state.imports[src.text(target)] = Import(src.text(target), module, imported)
    elif target.type == "object_pattern":
        for child in target.named_children:
            if child.type == "shorthand_property_identifier_pattern":
                state.imports[src.text(child)] = Import(src.text(child), module, src.text(child))
            elif child.type == "pair_pattern":
                key = property_name(child.child_by_field_name("key"), src)
                local = child.child_by_field_name("value")
                if key is not None and local is not None and local.type == "identifier":
                    state.imports[src.text(local)] = Import(src.text(local), module, key)


def _read_export_clause(
    statement: Node, src: SourceText, exports: list[tuple[str, str]], reexports: list[ReExport]
) -> None:
    source = string_value(statement.child_by_field_name("source"), src)
    clause = next((c for c in statement.named_children if c.type == "export_clause"), None)
    namespace = next((c for c in statement.named_children if c.type == "namespace_export"), None)
    value = statement.child_by_field_name("value")
    if value is not None:  # export default <expression>
        target = unwrap(value)
        if target is not None and target.type == "identifier":
            exports.append(("default", src.text(target)))
        elif target is not None:  # `export default new Queue('mail')`: bound where the queue is made
            exports.append(("default", "default"))
        return
    if source is not None and clause is None:
        if namespace is not None:
            alias = next((c for c in namespace.named_children), None)
            reexports.append(ReExport(src.text(alias) if alias else "*", source, "*"))
        else:
            reexports.append(ReExport("*", source, "*"))
        return
    if clause is None:
        return
    for spec in clause.named_children:
        if spec.type != "export_specifier":
            continue
        name = spec.child_by_field_name("name")
        alias = spec.child_by_field_name("alias") or name
        if name is None or alias is None:
            continue
        if source is not None:
            reexports.append(ReExport(src.text(alias), source, src.text(name)))
        else:
            exports.append((src.text(alias), src.text(name)))


def _read_commonjs_export(statement: Node, src: SourceText, exports: list[tuple[str, str]],
                          bindings: list[tuple[str, Expr]]) -> None:
    """`module.exports = { A, B }`, `module.exports.A = …`, `exports.A = …`, and the whole
    module as one value, `module.exports = queue` (exported as `module.exports`: what a
    `require()` of the module is)."""
    inner = unwrap(statement.named_children[0]) if statement.named_children else None
    if inner is None or inner.type != "assignment_expression":
        return
    target = dotted_name(inner.child_by_field_name("left"), src)
    value = inner.child_by_field_name("right")
    if target is None or value is None:
        return
    whole = unwrap(value)
    if target == "module.exports" and whole is not None and whole.type != "object":
        if whole.type == "identifier":
            exports.append((WHOLE_MODULE, src.text(whole)))
        else:  # `module.exports = new Queue('mail')` (the queue object is bound where it is made)
            _bind(WHOLE_MODULE, whole, src, bindings, depth=0)
            exports.append((WHOLE_MODULE, WHOLE_MODULE))
    elif target == "module.exports":
        for key, node in object_pairs(value, src).items():
            if node.type in ("identifier", "shorthand_property_identifier"):
                exports.append((key, src.text(node)))
            else:
                _bind(key, node, src, bindings, depth=0)
                exports.append((key, key))
    elif target.startswith(("module.exports.", "exports.")):
        key = target.rsplit(".", 1)[-1]
        _bind(key, value, src, bindings, depth=0)
        exports.append((key, key))


def _bind(name: str, value: Node, src: SourceText, bindings: list[tuple[str, Expr]], depth: int) -> None:
    """Record a module constant; objects are flattened into `Name.key` entries."""
    node = unwrap(value)
    if node is None or depth > 6:
        return
    if node.type == "call_expression" and dotted_name(node.child_by_field_name("function"), src) == "Object.freeze":
        args = arguments(node)
        node = unwrap(args[0]) if args else None
        if node is None:
            return
    if node.type == "object":
        for key, item in object_pairs(node, src).items():
            _bind(f"{name}.{key}", item, src, bindings, depth + 1)
        cases = [Expr("choice", src.text(key), parts=(expr_of(key, src), entry)) for key, item in computed_pairs(node)
                 if (entry := expr_of(item, src)).kind in ("str", "ref", "concat")]
        if cases:  # `{ [JobName.Mail]: 'mail' }`: found by the key's value, once resolved
            bindings.append((name, Expr("table", name, parts=tuple(cases))))
        return
    if node.type == "new_expression":  # `export const publisher = new JobPublisher(…)`: its methods
        constructor = node.child_by_field_name("constructor")
        if constructor is not None and constructor.type == "identifier":
            given = tuple(expr_of(argument, src) for argument in arguments(node))
            bindings.append((name, Expr("call", shorten(src.text(node)),
                                        parts=(Expr("ref", src.text(constructor)), *given))))
        return
    expr = expr_of(node, src)
    if expr.kind in ("str", "ref", "concat", "dynamic", "call"):
        bindings.append((name, expr))


def _bind_enum(name: str, declaration: Node, src: SourceText, bindings: list[tuple[str, Expr]]) -> None:
    body = declaration.child_by_field_name("body")
    if body is None:
        return
    for member in body.named_children:
        if member.type == "enum_assignment":
            key = property_name(member.child_by_field_name("name"), src)
            value = member.child_by_field_name("value")
            if key is not None and value is not None and value.type != "number":  # numeric enums name no job
                expr = expr_of(value, src)
                if expr.kind in ("str", "ref", "concat"):
                    bindings.append((f"{name}.{key}", expr))


def _bind_static_members(name: str, declaration: Node, src: SourceText, bindings: list[tuple[str, Expr]]) -> None:
    """`static X = …`, and instance fields given a value where they are declared (`readonly
    jobName = 'invoice-pdf'`): what `this.jobName` is on an object of the class."""
    body = declaration.child_by_field_name("body")
    if body is None:
        return
    for member in body.named_children:
        if member.type == "method_definition" and src.text(member.child_by_field_name("name")) == "constructor":
            _bind_constructor_fields(name, member, src, bindings)
        if member.type != "public_field_definition":
            continue
        key = property_name(member.child_by_field_name("name"), src)
        value = member.child_by_field_name("value")
        if key is not None and value is not None:
            _bind(f"{name}.{key}", value, src, bindings, depth=1)


def _bind_constructor_fields(name: str, constructor: Node, src: SourceText, bindings: list[tuple[str, Expr]]) -> None:
    """`constructor(public readonly topic: Topic)` and `this.topic = topic`: a field that is
    the constructor's parameter, known for an object whose class (or a class extending it)
    passes it (`super(Topic.Mail)`, see `flow.callsites.Supers`)."""
    params = constructor.child_by_field_name("parameters")
    positions: dict[str, int] = {}
    for index, param in enumerate(p for p in (params.named_children if params is not None else []) if p.type != "comment"):
        pattern = param.child_by_field_name("pattern")
        if pattern is None or pattern.type != "identifier":
            continue
        positions[src.text(pattern)] = index
        if any(child.type in ("accessibility_modifier", "readonly") for child in param.children):
            bindings.append((f"{name}.{src.text(pattern)}", _constructor_parameter(name, index, src.text(pattern))))
    body = constructor.child_by_field_name("body")
    for statement in body.named_children if body is not None else []:
        assignment = statement.named_children[0] if statement.type == "expression_statement" \
            and statement.named_children else None
        if assignment is None or assignment.type != "assignment_expression":
            continue
        target, value = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        field = dotted_name(target, src) or ""
        if field.startswith("this.") and field.count(".") == 1 and value is not None and value.type == "identifier" \
                and src.text(value) in positions:
            key = field.removeprefix("this.")
            bindings.append((f"{name}.{key}", _constructor_parameter(name, positions[src.text(value)], key)))


def _constructor_parameter(cls: str, index: int, written: str) -> Expr:
    return Expr("param", str(index), f"{cls}.constructor", parts=(Expr.unknown(written),))


# --- queue code ----------------------------------------------------------------------


def _construction(node: Node, state: Extraction) -> None:
    """`new Queue(…)`, `new Worker(…)`, `new FlowProducer()`, `Bull(…)`: record where it is stored."""
    callee = node.child_by_field_name("constructor") or node.child_by_field_name("function")
    symbol = state.library_symbol(callee)
    if symbol is None:
        return
    module, exported = symbol
    library = LIBRARY_MODULES[module]
    adapter = bull if library == "bull" else bullmq
    obj = adapter.construction(node, exported, state)
    if obj is None:
        return
    _store_queue_object(node, obj, state)


def _store_queue_object(node: Node, obj: QueueObject, state: Extraction) -> None:
    src = state.src
    parent = node.parent
    while parent is not None:
        if parent.type in ("parenthesized_expression", "as_expression", "await_expression", "ternary_expression"):
            parent = parent.parent  # `redis ? new Queue(…) : null`: the queue, when there is one
        elif _returns_itself(parent, src):  # `new Queue('mail').on('error', log)`
            parent = parent.parent.parent  # type: ignore[union-attr]  # checked by `_returns_itself`
        else:
            break
    if parent is None:
        return
    if parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
        if target is not None and target.type == "identifier":
            state.declare(src.text(target), parent, obj)
            if _is_module_level(parent):  # other files may import this queue
                state.module_queues[src.text(target)] = obj
    elif parent.type == "assignment_expression" and (exported := _commonjs_export_key(parent, src)) is not None:
        state.module_queues[exported] = obj  # `module.exports = new Queue('mail')`, `exports.mail = …`
    elif parent.type == "export_statement" and parent.parent is not None and parent.parent.type == "program":
        state.module_queues["default"] = obj  # `export default new Queue('mail')`
    elif parent.type == "assignment_expression":
        assigned = dotted_name(parent.child_by_field_name("left"), src)
        cls = enclosing(parent, CLASS_TYPES)
        owner = src.text(cls.child_by_field_name("name")) if cls is not None else ""
        if assigned is not None and assigned.startswith("this.") and cls is not None:
            state.fields[(cls.id, assigned.removeprefix("this."))] = obj
        elif assigned is not None and owner and assigned.startswith(owner + ".") and cls is not None:
            state.fields[(cls.id, assigned.removeprefix(owner + "."))] = obj  # a static field
        elif assigned is not None and "." not in assigned:
            state.assign(assigned, parent, obj)  # `queue = new Queue(…)`: where `queue` is declared
    elif parent.type == "pair":
        _store_entry(parent, obj, state)
    elif parent.type in ("public_field_definition", "field_definition"):
        cls = enclosing(parent, CLASS_TYPES)
        key = property_name(parent.child_by_field_name("name") or parent.child_by_field_name("property"), src)
        if cls is not None and key is not None:
            state.fields[(cls.id, key)] = obj


def _store_entry(pair: Node, obj: QueueObject, state: Extraction) -> None:
    """`export const queues = { mail: new Queue('mail'), [QueueName.Sms]: new Queue(…) }` at
    module level: the entry, for `queues.mail` and `queues[QueueName.Sms]` elsewhere."""
    src = state.src
    keys: list[str] = []
    computed: Node | None = None
    node: Node | None = pair
    while node is not None and node.type == "pair":
        key = node.child_by_field_name("key")
        if key is not None and key.type == "computed_property_name" and key.named_children and not keys:
            computed = key.named_children[0]  # the innermost key only
            keys.append("")
        else:
            name = property_name(key, src)
            if name is None:
                return
            keys.append(name)
        container = node.parent
        node = container.parent if container is not None and container.type == "object" else None
    if node is None or node.type != "variable_declarator" or not _is_module_level(node):
        return
    target = node.child_by_field_name("name")
    if target is None or target.type != "identifier":
        return
    path = ".".join([src.text(target), *reversed(keys[1:] if computed is not None else keys)])
    if computed is None:
        state.module_queues[path] = obj
    else:
        state.module_tables.setdefault(path, []).append(
            Expr("choice", src.text(computed), parts=(expr_of(computed, src), Expr("queue", obj.library,
                                                                                    parts=(obj.name,)))))


def _commonjs_export_key(assignment: Node, src: SourceText) -> str | None:
    """The export a module-level `module.exports = …` (the whole module) or `exports.x = …`
    assigns, or None."""
    statement = assignment.parent
    if statement is None or statement.type != "expression_statement" or statement.parent is None \
            or statement.parent.type != "program":
        return None
    target = dotted_name(assignment.child_by_field_name("left"), src) or ""
    if target == "module.exports":
        return WHOLE_MODULE
    if target.startswith(("module.exports.", "exports.")) and target.count(".") == (2 if target[0] == "m" else 1):
        return target.rsplit(".", 1)[-1]
    return None


def _returns_itself(member: Node, src: SourceText) -> bool:
    """`member` is `x.on` (or `once`) in a call `x.on(…)`: an event emitter's listener methods
    return the emitter."""
    call = member.parent
    return (member.type == "member_expression" and call is not None and call.type == "call_expression"
            and call.child_by_field_name("function") == member
            and property_name(member.child_by_field_name("property"), src) in ("on", "once"))


def _handler(root: Node, name: str, state: Extraction) -> Handler:
    if name.endswith(MADE_BY_CALL):  # a processor factory: only what it returns is the processor
        return _made_processor(root, name, state)
    function = top_level_function(root, name, state.src)
    if function is None:
        found = handlers_module.handler_map(root, name, state.src, state.function_lookup(root))
        if found is not None:  # `export const handlers = { 'email.welcome': async (job) => … }`
            return Handler(name, tuple(found.routes), found.accepts_any, None, tuple(found.returned_errors),
                           tuple(found.swallowed_errors))
        return Handler(name)  # not found: it stays a handler of every name
    facts = handlers_module.analyse(function, state.src, state.function_lookup(function))
    return Handler(name, tuple(facts.routes), facts.accepts_any, facts.router, tuple(facts.returned_errors),
                   tuple(facts.swallowed_errors), tuple(facts.job_calls))


def _made_processor(root: Node, name: str, state: Extraction) -> Handler:
    """The processor a call of factory `name` returns (`dispatcher(handlers) { return async
    (job) => handlers[job.name](job) }`): read as a processor; a map it looks the job's name up
    in that is one of the factory's parameters is the one each call passes. A factory that
    returns no function written out: nothing known, every name."""
    function = top_level_function(root, name.removesuffix(MADE_BY_CALL), state.src)
    made = handlers_module.returned_processor(function, state.src) if function is not None else None
    if made is None:
        return Handler(name)
    processor, parameters = made
    facts = handlers_module.analyse(processor, state.src, state.function_lookup(processor))
    position = parameters.index(facts.map_ref) if facts.map_ref in parameters else -1
    return Handler(name, tuple(facts.routes), facts.accepts_any, facts.router, tuple(facts.returned_errors),
                   tuple(facts.swallowed_errors), tuple(facts.job_calls), map_param=position)


def _is_module_level(declarator: Node) -> bool:
    declaration = declarator.parent
    parent = declaration.parent if declaration is not None else None
    if parent is not None and parent.type == "export_statement":
        parent = parent.parent
    return parent is not None and parent.type == "program"


def _unknown_bull_queue(call: Node, receiver: Node, method: str, state: Extraction) -> QueueObject | None:
    """`queue.process('transcode', fn)` on an object not followed (`const { queue } = new
    VideoQueue()`), in a module using Bull: a worker of a queue not known here. It is listed
    as not followed, and keeps claims that nothing consumes a queue from being made over it."""
    if method != "process" or "bull" not in state.libraries:
        return None
    if not any(unwrap(a) is not None and unwrap(a).type in FUNCTION_TYPES for a in arguments(call)):  # type: ignore[union-attr]
        return None
    text = state.src.text(receiver)
    return QueueObject("bull", "queue", Expr.unknown(text, f"`{shorten(text, 40)}` is not known to be a queue here"))


def _followed_queue(receiver: Node, state: Extraction) -> QueueObject | None:
    """A receiver that may be a queue made elsewhere: `emailQueue` imported from a project
    module, `createQueue('mail')`, `MailQueue.getInstance()?`, `await getQueue()`, or a local
    holding one of these. The producer is kept only if the flow stage finds a queue object
    behind it (the callee's summary returns one)."""
    node = unwrap(receiver)
    while node is not None and node.type == "await_expression":
        node = unwrap(node.named_children[0]) if node.named_children else None
    if node is None:
        return None
    path = dotted_name(node, state.src)
    if path is not None and not path.startswith("this."):
        imported = state.imports.get(path.split(".", 1)[0])
        if imported is not None and imported.module not in LIBRARY_MODULES:
            return QueueObject("", "queue", Expr("queue_name", path, parts=(Expr("ref", path),)))
    made = summaries.constructed_queue(node, state) if node.type in ("new_expression", "call_expression") else None
    if made is not None:  # `new Queue('mail').add(…)`
        return QueueObject(made.text, "queue", made.parts[0])
    if node.type == "subscript_expression":  # `queues[QueueName.Mail]`, `QUEUES[name]`
        picked = expr_of(node, state.src)
        return QueueObject("", "queue", Expr("queue_name", picked.text, parts=(picked,))) \
            if picked.kind == "pick" else None
    if node.type not in ("identifier", "call_expression"):
        return None
    value = expr_of(node, state.src)
    if value.kind == "param":  # `function register(queue: Queue) { queue.process(…) }`: the caller's queue
        library = _declared_queue_type(node, state)
        if library:
            return QueueObject(library, "queue", Expr("queue_name", path or "", parts=(value,)))
        # Not declared (JavaScript), in a module using a queue library: a queue only if the
        # calls turn out to pass one (`addScheduler(name, queue)` with a queue made before).
        return QueueObject("", "queue", Expr("queue_name", path or "", parts=(value,))) if state.libraries else None
    if value.kind in ("ref", "pick") and path is not None and value.text != path:  # `const { mail } = queues`
        return QueueObject("", "queue", Expr("queue_name", value.text, parts=(value,)))
    if value.kind != "call":
        return None
    return QueueObject("", "queue", Expr("queue_name", value.text, parts=(value,)))


def _declared_queue_type(name: Node, state: Extraction) -> str | None:
    """The library of a parameter declared as its `Queue` (`queue: Queue<ImageJob>`, `q: Bull.Queue`)."""
    written = declared_parameter_type(name, state) or ""
    head, _, leaf = written.rpartition(".")
    imported = state.imports.get(head or written)
    if imported is None or imported.module not in LIBRARY_MODULES:
        return None
    library = LIBRARY_MODULES[imported.module]
    named = leaf if head else imported.imported
    return library if named in ("Queue", "Bull") or (library == "bull" and head and leaf == "Queue") else None


def _member_call(call: Node, receiver: Node, method: str, state: Extraction) -> None:
    if method in ("registerQueue", "registerQueueAsync"):
        nestjs.register_queue(call, receiver, state)
        return
    if method in ("forRoot", "forRootAsync"):
        nestjs.for_root(call, receiver, state)
        return
    obj = state.queue_object(receiver) or _followed_queue(receiver, state) or _unknown_bull_queue(call, receiver,
                                                                                                method, state)
    if obj is None:
        return
    # An imported object may be a queue of either library: Bull's reading of `add` arguments
    # covers BullMQ's, and the library is taken from the queue's definition once resolved.
    # Job schedulers are BullMQ's alone.
    adapter = bullmq if obj.library == "bullmq" or method == JOB_SCHEDULER else bull
    adapter.queue_call(call, method, obj, state)
