"""One Python file -> `FileFacts`, with one libcst parse and one visitor pass.

The visitor tracks what every front-end needs (imports, module constants, function scopes,
suppression comments) and hands decorators, calls and assignments to the library adapters
(`celery`, `dramatiq`, `arq`, `rq`, `bullmq_py`).
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from queuelint.findings import Span
from queuelint.frontends.python import arq, bullmq_py, celery, decorators, dramatiq, objects, results, rq
from queuelint.frontends.python.handlers import analyse, job_parameter
from queuelint.frontends.python.inputs import IMPORTED_LIBRARY, read_text
from queuelint.frontends.python.slicing import slice_source
from queuelint.frontends.python.state import LIBRARY_MODULES, PyState
from queuelint.frontends.python.suppressions import suppressions_in
from queuelint.frontends.python.syntax import Positions, dict_items, dotted_name, string_value, walk
from queuelint.frontends.python.values import parameter_expr, route_of, route_parameter
from queuelint.model import (
    RESULT_READ,
    ApiUse,
    Argument,
    CallSite,
    Expr,
    Field,
    FileFacts,
    Handler,
    Import,
    Problem,
    ReExport,
)


def _library_decorated(node: cst.FunctionDef, current: cst.Decorator, state: PyState) -> bool:
    """Whether a decorator after `current` (nearer the function, applied first) is a library's
    task decorator: `current` then wraps a task, and does not register one."""
    later = node.decorators[node.decorators.index(current) + 1:]
    return any(celery.is_task_decorator(d.decorator, state) is not False
               or dramatiq.is_actor_decorator(d.decorator, state) is not False for d in later)


class Visitor(cst.CSTVisitor):
    def __init__(self, state: PyState, wanted_calls: frozenset[str] = frozenset()) -> None:
        self.state = state
        self.wanted_calls = wanted_calls

    # --- imports -------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            module = dotted_name(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
                self._imported(Import(local, module, "*"))
            else:  # `import a.b` binds `a`, and `a.b.x` reads through it
                top = module.split(".", 1)[0]
                self.state.imports.setdefault(top, Import(top, top, "*"))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        dots = "." * len(node.relative)
        module = dots + (dotted_name(node.module) or "") if node.module is not None else dots
        if isinstance(node.names, cst.ImportStar):  # what the module exports, this one does too
            if not self.state.scopes:
                self.state.star_imports.append(module)
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
                else name
            self._imported(Import(local, module, name))

    def _imported(self, imported: Import) -> None:
        """An import, taken for the module's wherever it is written (functions import to break
        cycles). One local name bound to different imports (`from a import x as actor` in one
        function, `from b import y as actor` in another) is each function's own: recorded under
        a name of that function's (see `PyState.scoped_import`), and the module's name is
        that import only while the function is read."""
        state = self.state
        if imported.local not in state.ambiguous_imports or not state.scopes:
            state.imports[imported.local] = imported
            if not state.scopes:
                state.module_imports[imported.local] = imported
            return
        scope = state.scope_key()
        alias = f"{imported.local}@{scope}"
        state.imports[alias] = Import(alias, imported.module, imported.imported)
        state.scoped_imports.setdefault(scope, {})[imported.local] = alias
        state.imports[imported.local] = imported  # for the library checks of the function's calls

    # --- scopes and definitions ----------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        state = self.state
        if not state.scopes and not state.classes:
            _class_constants(node, state)
            arq.worker_settings(node, state)
            celery.task_class(node, state)
            made = decorators.class_factory(node, state)
            if made is not None:  # `class retryable: def __call__(self, fn): return shared_task(…)(fn)`
                state.decorator_aliases[node.name.value] = made
                state.bindings.append((node.name.value, made))
        state.classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.state.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        state = self.state
        if not state.scopes and not state.classes:
            made = decorators.factory(node, state)
            if made is not None:  # `def retryable(**kw): return shared_task(**kw)`
                state.decorator_aliases[node.name.value] = made
                state.bindings.append((node.name.value, made))
        registered = False  # by a decorator known to be a library's
        for decorator in node.decorators:
            found = celery.is_task_decorator(decorator.decorator, state)
            if found is not False:
                celery.task(node, found, state)
                registered = True
                continue
            found = dramatiq.is_actor_decorator(decorator.decorator, state)
            if found is not False:
                dramatiq.actor(node, found, state)
                registered = True
                continue
            if rq.is_job_decorator(decorator.decorator, state):
                rq.job_decorated(node, decorator.decorator, state)
                registered = True
                continue
            if decorators.decorated(node, decorator.decorator, state):
                continue
            # A decorator imported from the project may be an in-house task decorator; beside a
            # library's own (`@app.task(name=…)` over `@allow_writer()`) it is a wrapper of the task.
            if not registered and not _library_decorated(node, decorator, state) and \
                    decorators.imported(node, decorator.decorator, state):
                continue
        owner = ".".join(state.classes)
        function = f"{owner}.{node.name.value}" if owner else node.name.value
        declared = list(node.params.params)
        if state.classes and declared and declared[0].name.value in ("self", "cls"):
            declared = declared[1:]
        route = route_of(node)
        names = {param.name.value: parameter_expr(param.name.value, index, function,
                                                  route if route is not None and route_parameter(param) else None)
                 for index, param in enumerate(declared)}
        names.update({p.name.value: Expr.unknown(p.name.value) for p in node.params.kwonly_params})
        names.setdefault("self", Expr.unknown("self"))
        state.scopes.append((function, names))
        for param in declared:
            given = objects.dependency(param, state)
            if given is not None:  # `pool = Depends(get_pool)`: what `get_pool` returns
                state.objects[(state.scope_key(), param.name.value)] = given

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if len(self.state.scopes) == 1 and not self.state.classes:  # its parameters still in scope
            rq.factory(original_node, self.state)
            arq.pool_getter(original_node, self.state)
        state = self.state
        for local in state.scoped_imports.get(state.scope_key(), {}):  # its own import: not the module's
            if local in state.module_imports:
                state.imports[local] = state.module_imports[local]
            else:
                state.imports.pop(local, None)
        state.scopes.pop()

    def visit_Global(self, node: cst.Global) -> None:
        if self.state.scopes:
            declared = self.state.globals_declared.setdefault(self.state.scope_key(), set())
            declared.update(item.name.value for item in node.names)

    def visit_For(self, node: cst.For) -> None:
        # `for account in accounts:` in a function: a local holding data, not a module name.
        if self.state.scopes:
            for name in _target_names(node.target):
                self.state.scopes[-1][1][name] = Expr.unknown(name)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if self.state.scopes:
            for name in _target_names(node.target):
                self.state.scopes[-1][1].setdefault(name, Expr.unknown(name))

    def _bind_locals(self, target: cst.BaseExpression | None) -> None:
        """Names a statement binds in a function other than by `name = value` (a tuple, `with
        … as x`, `except … as e`, `:=`): locals whose value is not known, not module names."""
        if self.state.scopes and target is not None:
            for name in _target_names(target):
                self.state.scopes[-1][1][name] = Expr.unknown(name)
                self.state.objects.pop((self.state.scope_key(), name), None)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_locals(node.name.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_locals(node.target)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if item.asname is not None:
                self._bind_locals(item.asname.name)
        if any(_expects_failure(item.item) for item in node.items):
            self.state.expecting_failure.append(len(self.state.consumers))

    def leave_With(self, original_node: cst.With) -> None:
        if any(_expects_failure(item.item) for item in original_node.items):
            del self.state.consumers[self.state.expecting_failure.pop():]

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.state.scopes.append(("", {p.name.value: Expr.unknown(p.name.value) for p in node.params.params}))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.state.scopes.pop()

    # --- assignments and calls -----------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        state = self.state
        for target in node.targets:
            name = dotted_name(target.target)
            if name is None:
                self._bind_locals(target.target)  # `mail, other = …`
                continue
            celery.schedule(name, node.value, state)
            if dramatiq.actor_made(name, node.value, state):
                continue
            if isinstance(node.value, cst.Call) and (
                rq.construction(name, node.value, state) or bullmq_py.construction(name, node.value, state)
                or rq.job_created(name, node.value, state)
            ):
                continue
            if _holds_object(name, node.value, None, state):
                continue
            if "." in name:
                continue
            if state.scopes:
                state.scopes[-1][1][name] = state.expr(node.value)
                objects.remember_local(name, node.value, state)
            elif not state.classes:
                made = decorators.alias(node.value, state)
                if made is not None:  # `task = shared_task`, `retryable = app.task(bind=True)`
                    state.decorator_aliases[name] = made
                    state.bindings.append((name, made))
                    continue
                _bind(name, node.value, state)
                if isinstance(node.value, (cst.List, cst.Tuple)):
                    state.module_lists[name] = node.value

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = dotted_name(node.target)
        if name is not None and _holds_object(name, node.value, node.annotation.annotation, self.state):
            return
        if name is not None and node.value is not None and "." not in name:
            if self.state.scopes:
                self.state.scopes[-1][1][name] = self.state.expr(node.value)
                objects.remember_local(name, node.value, self.state)
            elif not self.state.classes:
                _bind(name, node.value, self.state)
                if isinstance(node.value, (cst.List, cst.Tuple)):
                    self.state.module_lists[name] = node.value

    def visit_Call(self, node: cst.Call) -> None:
        for adapter in (celery, dramatiq, arq, rq, bullmq_py):
            adapter.call(node, self.state)
        if self.wanted_calls:
            self._call_site(node)

    def _call_site(self, node: cst.Call) -> None:
        """A call of a function known to wrap a producer: its arguments, and how to find it."""
        state = self.state
        name = dotted_name(node.func)
        if name is None or name.rsplit(".", 1)[-1] not in self.wanted_calls:
            return
        parts = name.split(".")
        if len(parts) == 1:
            imported = state.imports.get(name)
            target = f"import:{name}" if imported is not None else f"local:{name}"
        elif parts[0] in ("self", "cls") and len(parts) == 2 and state.classes:
            target = f"self:{state.classes[-1]}.{parts[1]}"
        elif len(parts) == 2 and state.local(parts[0]) is None and state.library_of(name) is None:
            target = f"static:{name}"  # a class's method, or one of an object a module made
        else:
            target = ""
        args = [
            Argument(state.span(a.value), None, tuple(
                Field(key, state.expr(value), state.span(value)) for key, value in dict_items(a.value).items()))
            if isinstance(a.value, cst.Dict) else Argument(state.span(a.value), state.expr(a.value))
            for a in node.args if a.keyword is None and not a.star
        ]
        within = next((function for function, _ in reversed(state.scopes) if function), "")
        state.calls.append(CallSite(state.span(node), parts[-1], target, tuple(args), state.span(node.func),
                                    within=within))


def _holds_object(name: str, value: cst.BaseExpression | None, annotation: cst.BaseExpression | None,
                  state: PyState) -> bool:
    """A name of the module or of a module-level class given a queue-library object (an arq
    pool): at module level, in a class body, through `global`, or as `Holder.pool = …`."""
    scope = state.scope_key()
    head, _, rest = name.partition(".")
    if not state.scopes:
        if len(state.classes) > 1 or "." in name:
            return False
        owned = f"{state.classes[0]}.{name}" if state.classes else name
    elif not rest and head in state.globals_declared.get(scope, ()):
        owned = name
    elif rest and "." not in rest and (head in state.class_defs or (head == "cls" and state.classes)):
        owned = f"{state.classes[-1] if head == 'cls' else head}.{rest}"
    else:
        return False
    return arq.bind_pool(owned, value, annotation, state)


# An import inside a block (a function's own, or one under `if TYPE_CHECKING:`).
INDENTED_IMPORT = re.compile(r"^[ \t]+(?:from|import)\s", re.M)


def _ambiguous_imports(source: str) -> set[str]:
    """Local names that two functions of the module import differently (`from a import x as
    actor` in one, `from b import y as actor` in another). Imports at module level (also under
    `try:`/`if`) are the module's and are kept as they are. Only a module with an import inside
    a block can have such names: others are not read again."""
    if INDENTED_IMPORT.search(source) is None:
        return set()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    seen: dict[str, tuple[str, str]] = {}
    ambiguous: set[str] = set()
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for function in functions:
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom):
                source_module = "." * node.level + (node.module or "")
                bound = [(alias.asname or alias.name, (source_module, alias.name)) for alias in node.names
                         if alias.name != "*"]
            elif isinstance(node, ast.Import):
                bound = [(alias.asname, (alias.name, "*")) for alias in node.names if alias.asname]
            else:
                continue
            for local, origin in bound:
                if seen.setdefault(local, origin) != origin:
                    ambiguous.add(local)
    return ambiguous


def _target_names(target: cst.BaseExpression) -> list[str]:
    """The names a `for` target binds: `x`, `k, v`, `(a, (b, c))`."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_names(element.value)]
    return []


def _expects_failure(item: cst.BaseExpression) -> bool:
    """`pytest.raises(…)`, `self.assertRaises(…)`: the block is expected to fail."""
    name = dotted_name(item.func) if isinstance(item, cst.Call) else None
    return name is not None and name.rsplit(".", 1)[-1] in ("raises", "assertRaises", "assertRaisesRegex")


def _bind(name: str, value: cst.BaseExpression, state: PyState, depth: int = 0) -> None:
    """A module constant; dicts are flattened into `NAME.key` entries. An object made by a
    project class or function (`task_queue = TaskQueue()`) is bound as that call, for the
    methods called on it elsewhere."""
    items = dict_items(value)
    if items and depth < 4:
        for key, item in items.items():
            _bind(f"{name}.{key}", item, state, depth + 1)
        return
    made = rq.queue_value(value, state) if depth else None
    if made is None and isinstance(value, cst.Call) and not depth:
        made = objects.project_call(value, state, made=True)
    if made is not None:
        state.bindings.append((name, made))
        return
    expr = state.expr(value)
    if expr.kind in ("str", "ref", "concat", "dynamic"):
        state.bindings.append((name, expr))


def _class_constants(node: cst.ClassDef, state: PyState) -> None:
    """`class JobName(str, Enum): SEND = "send"` and plain constant holders."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            target: cst.BaseExpression | None = None
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            # Strings, and numbers (an `IntEnum` a factory matches on to choose a queue).
            if isinstance(target, cst.Name) and value is not None \
                    and (string_value(value) is not None or isinstance(value, cst.Integer)):
                state.bindings.append((f"{node.name.value}.{target.value}", state.expr(value)))


def extract(path: str, data: bytes, decode_problem: Problem | None = None,
            wanted_calls: frozenset[str] = frozenset(), handlers: frozenset[str] = frozenset()) -> FileFacts:
    """`handlers`: module-level functions run as jobs elsewhere (an RQ job enqueued by
    reference or dotted path), whose bodies are read for how they fail."""
    text = read_text(data)[0]
    problems = [decode_problem] if decode_problem else []
    sliced = slice_source(text, wanted_calls, handlers)
    source = sliced.text if sliced is not None else text
    too_deep = nested_too_deeply(source)
    if too_deep is not None:  # libcst's native parser would crash the process on it
        line = sliced.lines[too_deep - 1] if sliced is not None and too_deep <= len(sliced.lines) else too_deep
        problems.append(Problem(Span(path, line, 1, line, 2), f"brackets nested more than {MAX_NESTING} deep; "
                                                             "the file was skipped"))
        imported = sorted({LIBRARY_MODULES[m.decode()] for m in IMPORTED_LIBRARY.findall(data)})
        return FileFacts(path=path, language="python", libraries=tuple(imported), problems=tuple(problems),
                         suppressions=tuple(suppressions_in(path, text)))
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        line, column = error.raw_line, error.raw_column + 1
        if sliced is not None and 1 <= line <= len(sliced.lines):
            line = sliced.lines[line - 1]
        message = f"cannot parse: {error.message.splitlines()[0].rstrip('.')}; the file was skipped"
        problems.append(Problem(Span(path, line, column, line, column + 1), message))
        # Nothing of the file could be read, so its queue imports say whether that matters.
        imported = sorted({LIBRARY_MODULES[m.decode()] for m in IMPORTED_LIBRARY.findall(data)})
        return FileFacts(path=path, language="python", libraries=tuple(imported), problems=tuple(problems),
                         suppressions=tuple(suppressions_in(path, text)))
    positions = Positions(path, module, source, sliced.lines if sliced is not None else None)
    state = PyState(path, module, positions)
    for statement in module.body:  # functions are known before the calls that use them
        if isinstance(statement, cst.FunctionDef):
            state.definitions[statement.name.value] = statement
        elif isinstance(statement, cst.ClassDef):
            state.class_defs[statement.name.value] = statement
    state.ambiguous_imports = _ambiguous_imports(source)  # known before the walk reads any name
    walk(module, Visitor(state, wanted_calls), positions)
    dramatiq.own_registries(state)
    if results.worth_searching(source):  # `send.delay(…).get()`, `job.result`
        api_uses = [ApiUse(state.span(node), library, RESULT_READ) for node, library in results.result_reads(module)]
    else:
        api_uses = []
    libraries = state.libraries
    if state.producers or state.consumers:
        libraries |= {p.library for p in state.producers} | {c.library for c in state.consumers}
        libraries.discard("")  # a candidate whose library the flow stage decides
    names = {name.split(".", 1)[0] for name, _ in state.bindings} | set(state.definitions) | set(state.class_defs)
    exports = sorted((name, name) for name in names)
    reexports = (*(ReExport(local, i.module, i.imported) for local, i in state.imports.items() if i.imported != "*"),
                 *(ReExport("*", module, "*") for module in state.star_imports))
    return FileFacts(
        path=path,
        language="python",
        libraries=tuple(sorted(libraries)),
        producers=tuple(state.producers),
        consumers=tuple(state.consumers),
        queues=tuple(state.queues),
        imports=tuple(i for i in state.imports.values()
                      if i.local not in state.ambiguous_imports or i.local in state.module_imports),
        exports=tuple(exports),
        reexports=reexports,
        bindings=tuple(state.bindings),
        # Definitions are looked up by name; their position would cost a position pass per file.
        classes=tuple((name, Span(path, 1, 1, 1, 1)) for name in (*state.definitions, *state.class_defs)),
        methods=tuple(f"{name}.{method}" for name, cls in state.class_defs.items() for method in _methods(cls)),
        bases=tuple((name, base) for name, cls in state.class_defs.items() for base in _bases(cls)),
        unresolved=tuple(state.unresolved),
        calls=tuple(state.calls),
        handlers=tuple(_job_function(name, state) for name in sorted(handlers)),
        api_uses=tuple(api_uses),
        suppressions=tuple(suppressions_in(path, text)),
        problems=tuple(problems),
    )


def _methods(cls: cst.ClassDef) -> list[str]:
    """The methods a class defines in its body, for the calls made on its objects."""
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return [statement.name.value for statement in body if isinstance(statement, cst.FunctionDef)]


def _bases(cls: cst.ClassDef) -> list[str]:
    """The classes it extends, as written (`Base`, `pkg.Base`), for methods it inherits."""
    return [name for base in cls.bases if base.keyword is None and (name := dotted_name(base.value)) is not None]


def _job_function(name: str, state: PyState) -> Handler:
    """How a function run as a job fails: its arguments are the job's data, not a job. A
    class is read by its `__call__` (an instance is the processor), with its routing on the
    job's name: the job is the parameter after `self`."""
    cls = state.class_defs.get(name)
    method = bullmq_py.call_method(cls) if cls is not None else None
    if method is not None:
        facts = analyse(method, state.module, state.positions, state.local, job_parameter(method, True))
        return Handler(name, tuple(facts.routes), facts.accepts_any, facts.router, tuple(facts.returned_errors),
                       tuple(facts.swallowed_errors), span=state.span(method.name))
    function = state.definitions.get(name)
    if function is None:
        return Handler(name)
    facts = analyse(function, state.module, state.positions, state.local, None)
    return Handler(name, returned_errors=tuple(facts.returned_errors), swallowed_errors=tuple(facts.swallowed_errors),
                   span=state.span(function.name))


# CPython's own parser stops at 200 nested brackets; libcst's native one crashes the process
# (a segmentation fault, no Python exception) somewhat above that, so less is taken.
MAX_NESTING = 150
OPENING, CLOSING = frozenset("([{"), frozenset(")]}")


def nested_too_deeply(source: str) -> int | None:
    """The line where brackets first nest more than `MAX_NESTING` deep, or None. Counted by
    characters first (fast, strings included), then, only when that says so, by tokens."""
    depth = deepest = 0
    for character in source:
        if character in OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif character in CLOSING:
            depth -= 1
    if deepest <= MAX_NESTING:
        return None
    import io
    import tokenize

    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.OP and token.string in OPENING:
                depth += 1
                if depth > MAX_NESTING:
                    return token.start[0]
            elif token.type == tokenize.OP and token.string in CLOSING:
                depth -= 1
    except (tokenize.TokenError, SyntaxError):
        return None  # libcst says what is wrong
    return None
