"""Per-file working state shared by the Python extractor and its library adapters."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from queuelint.findings import Span
from queuelint.frontends.python.handlers import analyse, job_parameter
from queuelint.frontends.python.syntax import Positions, dotted_name
from queuelint.frontends.python.values import expr_of
from queuelint.model import (
    CallSite,
    Consumer,
    Expr,
    Import,
    JobOption,
    Producer,
    QueueDecl,
    Route,
    Unresolved,
)

# Top-level modules whose import makes a file queue code, and the library each one means.
LIBRARY_MODULES = {"celery": "celery", "arq": "arq", "rq": "rq", "dramatiq": "dramatiq", "bullmq": "bullmq",
                   "django_rq": "rq"}


# Frameworks whose `request` is a module-level object holding the current request.
REQUEST_MODULES = frozenset({"flask", "quart", "bottle", "sanic", "werkzeug"})


@dataclass
class PyState:
    path: str
    module: cst.Module
    positions: Positions
    imports: dict[str, Import] = field(default_factory=dict)
    # Local names two different imports bind (in different functions), and, per function, the
    # name each such import of its own is recorded under.
    ambiguous_imports: set[str] = field(default_factory=set)
    scoped_imports: dict[str, dict[str, str]] = field(default_factory=dict)  # by `scope_key`
    module_imports: dict[str, Import] = field(default_factory=dict)  # the imports at module level
    star_imports: list[str] = field(default_factory=list)  # `from app.actors import *` at module level
    producers: list[Producer] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)
    queues: list[QueueDecl] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    bindings: list[tuple[str, Expr]] = field(default_factory=list)
    definitions: dict[str, cst.FunctionDef] = field(default_factory=dict)  # module-level functions
    made_actors: set[str] = field(default_factory=set)  # `sync = dramatiq.actor(_sync)`
    class_defs: dict[str, cst.ClassDef] = field(default_factory=dict)  # module-level classes
    created_jobs: dict[tuple[str, str], cst.Call] = field(default_factory=dict)  # RQ `job = Job.create(…)`
    scopes: list[tuple[str, dict[str, Expr]]] = field(default_factory=list)  # (function id, locals)
    classes: list[str] = field(default_factory=list)  # enclosing class names
    variables: dict[str, tuple[str, Expr]] = field(default_factory=dict)  # name -> (library, queue name)
    module_lists: dict[str, cst.List | cst.Tuple] = field(default_factory=dict)  # module-level list literals
    calls: list[CallSite] = field(default_factory=list)  # call sites of known producer wrappers
    own_broker: bool = False  # the module calls `dramatiq.set_broker(…)` at import time
    # At each `with pytest.raises(…)` entered, how many consumers there were: a test that a
    # registration fails (a duplicate name), so what it defines is not registered.
    expecting_failure: list[int] = field(default_factory=list)
    # Tasks and actors defined inside a function, by (that function, name): (job, queue).
    local_tasks: dict[tuple[str, str], tuple[Expr, Expr]] = field(default_factory=dict)
    # In-house task decorators defined in this module (`task = shared_task`), see `decorators`.
    decorator_aliases: dict[str, Expr] = field(default_factory=dict)
    # What a local holds, by (function, name), where the code says (see `objects`).
    objects: dict[tuple[str, str], Expr] = field(default_factory=dict)
    # Names a function declares `global`: its assignments to them bind the module's.
    globals_declared: dict[str, set[str]] = field(default_factory=dict)

    @property
    def libraries(self) -> set[str]:
        found = set()
        for imported in self.imports.values():
            top = imported.module.lstrip(".").split(".", 1)[0]
            if top in LIBRARY_MODULES and not imported.module.startswith("."):
                found.add(LIBRARY_MODULES[top])
        return found

    def library_of(self, name: str | None) -> tuple[str, str] | None:
        """(library, imported name) for a name imported from a queue library."""
        if name is None:
            return None
        head, _, rest = name.partition(".")
        imported = self.imports.get(head)
        if imported is None or imported.module.startswith("."):
            return None
        top = imported.module.split(".", 1)[0]
        if top not in LIBRARY_MODULES:
            return None
        leaf = rest.rsplit(".", 1)[-1] if rest else (imported.imported if imported.imported != "*" else head)
        return LIBRARY_MODULES[top], leaf

    def local_task(self, name: str) -> tuple[Expr, Expr] | None:
        """(job, queue) of a task or actor defined in an enclosing function under `name`."""
        for function, _ in reversed(self.scopes):
            found = self.local_tasks.get((function, name))
            if found is not None:
                return found
        return None

    def local(self, name: str) -> Expr | None:
        for _, names in reversed(self.scopes):
            if name in names:
                return names[name]
        imported = self.imports.get(name)
        if imported is not None and imported.imported == "request" \
                and imported.module.split(".", 1)[0] in REQUEST_MODULES:  # `from flask import request as r`
            return Expr("dynamic", name, f"request data `{name}` (Flask's `request`)"
                        if imported.module.startswith("flask") else f"request data `{name}`")
        return None

    def expr(self, node: cst.BaseExpression | None) -> Expr:
        return expr_of(node, self.local)

    def span(self, node: cst.CSTNode) -> Span:
        return self.positions.span(node)

    def function_id(self) -> str:
        return self.scopes[-1][0] if self.scopes else ""

    def scope_key(self) -> str:
        """The enclosing function as one of its kind: its id and the functions around it
        (two nested `def run()` in different functions are two scopes)."""
        return "@".join(function.replace(".", "@") for function, _ in self.scopes)

    def enclosing_scope_keys(self) -> list[str]:
        """`scope_key` of the enclosing function and of each around it, innermost first."""
        keys = [function.replace(".", "@") for function, _ in self.scopes]
        return ["@".join(keys[:depth]) for depth in range(len(keys), 0, -1)]

    def add_producer(self, anchor: cst.CSTNode, library: str, call: str, queue: Expr, job: Expr,
                     options: tuple[JobOption, ...] = ()) -> None:
        within = next((function for function, _ in reversed(self.scopes) if function), "")
        self.producers.append(Producer(self.span(anchor), library, call, self.scoped_import(queue),
                                       self.scoped_import(job), options, within=within))

    def scoped_import(self, expr: Expr) -> Expr:
        """`expr` with each name a function imports for itself (see `ambiguous_imports`) named
        as that function's import is recorded."""
        if not self.scoped_imports:
            return expr
        if expr.kind == "ref":
            head, dot, rest = expr.text.partition(".")
            for key in self.enclosing_scope_keys():
                alias = self.scoped_imports.get(key, {}).get(head)
                if alias is not None:
                    return Expr("ref", alias + dot + rest, expr.reason, expr.parts)
            return expr
        if not expr.parts:
            return expr
        return Expr(expr.kind, expr.text, expr.reason, tuple(self.scoped_import(part) for part in expr.parts))

    def add_handler(self, *, function: cst.FunctionDef | None, span: Span, library: str, kind: str, queue: Expr,
                    job: Expr, route_span: Span, handler: str, bound: bool = False, owner: str = "",
                    retries: str = "", retried: tuple[str, ...] = ()) -> None:
        """A consumer handling exactly `job` (a task, an actor, a worker function); `owner`: the
        registry it is part of, where that is not the whole app (an arq `WorkerSettings`);
        `retries`: the retries it gets on failure, in words (see `handlers.analyse`)."""
        facts = analyse(function, self.module, self.positions, self.local, job_parameter(function, bound),
                        retries, retried) if function is not None else None
        self.consumers.append(Consumer(
            span, library, kind, queue, handler, routes=(Route(job, route_span),), accepts_any=False,
            returned_errors=tuple(facts.returned_errors) if facts else (),
            swallowed_errors=tuple(facts.swallowed_errors) if facts else (), owner=owner,
            registered_in=self.function_id(),
        ))

    def add_router(self, *, function: cst.FunctionDef | None, span: Span, library: str, kind: str, queue: Expr,
                   handler: str, bound: bool = False) -> None:
        """A consumer whose names come from routing on `job.name` inside `function` (a method
        when `bound`: its job is the parameter after `self`)."""
        if function is None:
            self.consumers.append(Consumer(span, library, kind, queue, handler, accepts_any=True))
            return
        facts = analyse(function, self.module, self.positions, self.local, job_parameter(function, bound))
        self.consumers.append(Consumer(
            span, library, kind, queue, handler, routes=tuple(facts.routes), accepts_any=facts.accepts_any,
            router=facts.router, returned_errors=tuple(facts.returned_errors),
            swallowed_errors=tuple(facts.swallowed_errors),
        ))

    def options_of(self, call: cst.Call, skip: int = 0) -> tuple[JobOption, ...]:
        """Keyword arguments of a call, as options (arq's `_queue_name`, `queue=` …)."""
        return tuple(
            JobOption(arg.keyword.value, self.span(arg.keyword), self.expr(arg.value))
            for arg in call.args
            if arg.keyword is not None
        )


def callee(call: cst.Call) -> str | None:
    return dotted_name(call.func)
