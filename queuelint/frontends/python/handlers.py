"""What a Python task/handler body does with job names and failures, as facts.

- routing on `job.name` (`if`/`elif` chains, `match`), for bullmq-python handlers;
- returned errors: `return {"success": False}`, `return {"error": …}`, `return ValueError(…)`,
  `return caught_exception`;
- swallowed errors: a `try` holding the handler's work whose `except` neither raises, retries
  (`self.retry`), rejects (`raise Reject`) nor returns an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from queuelint.findings import Span
from queuelint.frontends.common import REPORTING, HandlerFacts, is_failed_state
from queuelint.frontends.python.syntax import Positions, children, code, dict_items, dotted_name, string_value
from queuelint.frontends.python.values import Locals, expr_of
from queuelint.model import BodyFact, Fallback, Route, Router

LOGGING = re.compile(r"(^|\.)(log|logger|logging|print|warn|warning|error|info|debug|exception|critical)(\.|$)")
FAILING = re.compile(r"(^|\.)(retry|reject|fail\w*|raise\w*|rethrow\w*|handle\w*error\w*)$", re.I)
ERROR_CLASS = re.compile(r"(Error|Exception)$")


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under `node`, not entering nested functions, lambdas or classes."""
    stack = list(reversed(children(node)))
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(reversed(children(current)))


Handling = list[cst.CSTNode]  # where a failure is being handled: an `except` (or a `try` whose `finally` runs)


def _conditional_work(statements: list[cst.BaseStatement]) -> list[list[cst.BaseStatement]]:
    """`if hook.active: try: deliver(hook) except …` (an `else` that only logs, or none) as
    the function's work: the `if` is alone among its statements, so its block holds the work."""
    found = []
    for statement in statements:
        if not isinstance(statement, cst.If) or not _holds_the_work(statement, statements):
            continue
        other = statement.orelse
        if isinstance(other, cst.Else) and _classify(list(_block(other.body))) == "handles":
            continue  # the other branch does work of its own
        if isinstance(other, cst.If):
            continue  # an `elif` chain: branches of their own
        found.append(list(_block(statement.body)))
    return found


def _work_block_of(node: cst.CSTNode, blocks: list[list[cst.BaseStatement]]) -> list[cst.BaseStatement] | None:
    return next((block for block in blocks if any(statement is node for statement in block)), None)


def _walk_blocks(body: cst.BaseSuite) -> Iterator[tuple[cst.CSTNode, list[cst.BaseStatement], Handling]]:
    """`walk(body)`, each node with the statements of the innermost block holding it, and
    the innermost failure handling around it (an `except`; for a `finally`, its `try`'s
    handlers and itself)."""
    outer = list(_block(body))
    stack: list[tuple[cst.CSTNode, list[cst.BaseStatement], Handling]] = [
        (child, outer, []) for child in reversed(children(body))]
    while stack:
        current, block, handling = stack.pop()
        yield current, block, handling
        if isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        inner = list(_block(current)) if isinstance(current, (cst.IndentedBlock, cst.SimpleStatementSuite)) else block
        if isinstance(current, cst.ExceptHandler):
            handling = [current]
        elif isinstance(current, cst.Try) and current.finalbody is not None:
            stack.append((current.finalbody, block, [*current.handlers, current.finalbody]))
            stack.extend((child, inner, handling) for child in reversed(children(current)) if child is not current.finalbody)
            continue
        stack.extend((child, inner, handling) for child in reversed(children(current)))


def _recorded(block: list[cst.BaseStatement] | Handling, module: cst.Module) -> str:
    """A statement of `block` that records the failure in the application (an attribute or
    item set to a failed state, `job.status = Status.FAILED`; a call given one,
    `update(state="failed")`; a report, `sentry_sdk.capture_exception(e)`): the handler's own
    failure design. Its code, or ""."""
    for statement in block:
        for node in [statement, *walk(statement)]:
            if isinstance(node, cst.Call) and REPORTING.search(dotted_name(node.func) or ""):
                return code(module, node)
            if isinstance(node, (cst.Assign, cst.AnnAssign)) and node.value is not None:
                targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                if any(isinstance(t, (cst.Attribute, cst.Subscript)) for t in targets) and _failed_state(node.value):
                    return code(module, node)
            elif isinstance(node, cst.Call) and not LOGGING.search(dotted_name(node.func) or ""):
                values = [value for arg in node.args for value in _values(arg.value)]
                if any(_failed_state(value) for value in values):
                    return code(module, node)
    return ""


def _values(value: cst.BaseExpression, depth: int = 0) -> list[cst.BaseExpression]:
    """A value, and those a dict written out holds, a few levels down
    (`updates={"system_metadata": {"status": "failed"}}`)."""
    found = [value]
    if depth < 3:
        for item in dict_items(value).values():
            found.extend(_values(item, depth + 1))
    return found


def _failed_state(value: cst.BaseExpression) -> bool:
    literal = string_value(value)
    if literal is not None:
        return is_failed_state(literal, dotted=False)
    name = dotted_name(value)
    return name is not None and is_failed_state(name, dotted=True)


def job_parameter(function: cst.FunctionDef, bound: bool) -> str | None:
    """The job parameter: the first one, after `self` for methods and bound Celery tasks."""
    params = [p.name.value for p in function.params.params]
    if bound and params:
        params = params[1:]
    return params[0] if params else None


def analyse(function: cst.FunctionDef, module: cst.Module, positions: Positions, local: Locals,
            job: str | None, retries: str = "", retried: tuple[str, ...] = ()) -> HandlerFacts:
    """`retries`: the retries the task is configured with (or its library gives by default),
    said in words, for the exception classes `retried` (none named: every one); then a named
    exception among them that is only logged is swallowed too, since it keeps those retries
    from running."""
    facts = HandlerFacts()
    body = function.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else []
    if job is not None:
        _router(statements, job, positions, local, facts)
    work = [statements, *_conditional_work(statements)]
    for node, block, handling in _walk_blocks(body):
        if isinstance(node, cst.Return) and node.value is not None and _error_shaped(node.value, node, function):
            facts.returned_errors.append(BodyFact(positions.span(node), code(module, node),
                                                  recorded=_recorded(block, module) or _recorded(handling, module)))
        elif isinstance(node, cst.Try) and (holder := _work_block_of(node, work)) is not None:
            # An `except` counts only around the work itself (one beside it guards a
            # best-effort step), but catching a class the task's configuration names for
            # retrying counts wherever it is: the author asked for those failures to be retried.
            alone = _holds_the_work(node, holder)
            named = tuple(r for r in retried if r.rsplit(".", 1)[-1] not in BROAD)
            for handler in node.handlers:
                if _fails(handler, function):
                    continue
                header = code(module, handler).split(":", 1)[0] + ": …"
                recorded = _recorded(list(_block(handler.body)), module)
                if _is_broad(handler):
                    if alone:
                        facts.swallowed_errors.append(BodyFact(positions.span(handler), header, recorded=recorded))
                elif retries and _only_logs(handler) and (
                        (named and _retried(_caught(handler), named))  # the class the configuration names
                        or (alone and _retried(_caught(handler), retried) and _transient(_caught(handler)))):
                    facts.swallowed_errors.append(BodyFact(positions.span(handler), header, retries=retries))
        elif isinstance(node, cst.With) and (holder := _work_block_of(node, work)) is not None \
                and _holds_the_work(node, holder):
            # `with suppress(Exception): work()` is `except Exception: pass`. A named class
            # suppressed in silence (`suppress(FileNotFoundError)`) is `except X: pass`: a
            # decision that it is no failure, left alone like its `except` form.
            for item in node.items:
                if any(_leaf(n) in BROAD for n in _suppressed(item.item)):
                    header = f"with {code(module, item.item)}: …"
                    facts.swallowed_errors.append(BodyFact(positions.span(item), header))
    return facts


def _suppressed(item: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The exception classes `contextlib.suppress(…)` swallows, or none for another item."""
    if not isinstance(item, cst.Call) or (dotted_name(item.func) or "") not in ("suppress", "contextlib.suppress"):
        return []
    return [arg.value for arg in item.args if arg.keyword is None]


def _leaf(node: cst.BaseExpression) -> str:
    return (dotted_name(node) or "").rsplit(".", 1)[-1]


def _caught(handler: cst.ExceptHandler) -> list[cst.BaseExpression]:
    assert handler.type is not None  # a bare `except:` is broad, decided before
    return [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]


# --- routing -------------------------------------------------------------------------


def _is_job_name(node: cst.BaseExpression, job: str) -> bool:
    return dotted_name(node) == f"{job}.name"


def _compared(test: cst.BaseExpression, job: str, local: Locals, positions: Positions) -> list[Route]:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _compared(test.left, job, local, positions) + _compared(test.right, job, local, positions)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.operator, cst.Equal):
            if _is_job_name(test.left, job):
                return [Route(expr_of(target.comparator, local), positions.span(target.comparator))]
            if _is_job_name(target.comparator, job):
                return [Route(expr_of(test.left, local), positions.span(test.left))]
        if isinstance(target.operator, cst.In) and _is_job_name(test.left, job):
            values = target.comparator
            if isinstance(values, (cst.List, cst.Tuple, cst.Set)):
                return [Route(expr_of(e.value, local), positions.span(e.value)) for e in values.elements]
    return []


def _router(statements: list[cst.BaseStatement], job: str, positions: Positions, local: Locals,
            facts: HandlerFacts) -> None:
    for statement in statements:
        if isinstance(statement, cst.Match) and _is_job_name(statement.subject, job):
            fallback: Fallback = "missing"
            fallback_span = None
            for case in statement.cases:
                pattern = case.pattern
                if isinstance(pattern, cst.MatchAs) and pattern.pattern is None:  # case _:
                    fallback = _classify(list(_block(case.body)))
                    fallback_span = positions.span(case)
                elif isinstance(pattern, cst.MatchValue):
                    facts.routes.append(Route(expr_of(pattern.value, local), positions.span(pattern.value)))
                elif isinstance(pattern, cst.MatchOr):
                    for option in pattern.patterns:
                        if isinstance(option.pattern, cst.MatchValue):
                            value = option.pattern.value
                            facts.routes.append(Route(expr_of(value, local), positions.span(value)))
            facts.accepts_any = fallback == "handles"
            facts.router = Router(positions.span(statement.subject), "switch", f"{job}.name", fallback, fallback_span)
            return
    _if_router(statements, job, positions, local, facts)


def _if_router(statements: list[cst.BaseStatement], job: str, positions: Positions, local: Locals,
               facts: HandlerFacts) -> None:
    """`if job.name == …: … elif …: … else: …`, or consecutive guards that return, then the
    fallback for every other name."""
    guards: list[Route] = []
    first: cst.If | None = None
    all_return = True
    rest: list[cst.BaseStatement] = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, cst.If):
            if first is not None:
                rest = statements[index:]
                break
            continue
        branch: cst.If | cst.Else | None = statement
        routes: list[Route] = []
        while isinstance(branch, cst.If):
            found = _compared(branch.test, job, local, positions)
            if not found:
                break
            routes.extend(found)
            all_return = all_return and _ends_flow(branch.body)
            branch = branch.orelse
        if not routes:
            if first is not None:
                rest = statements[index:]
                break
            continue
        guards.extend(routes)
        first = first or statement
        if isinstance(branch, cst.Else):  # an explicit else is the fallback
            fallback = _classify(list(_block(branch.body)))
            _set(facts, guards, first, positions, fallback, positions.span(branch), job)
            return
    if first is None:
        return
    following = rest if all_return else []
    otherwise: Fallback = _classify(following) if following else "missing"
    _set(facts, guards, first, positions, otherwise, positions.span(following[0]) if following else None, job)


def _set(facts: HandlerFacts, routes: list[Route], statement: cst.If, positions: Positions, fallback: Fallback,
         fallback_span: Span | None, job: str) -> None:
    facts.routes.extend(routes)
    facts.accepts_any = fallback == "handles"
    facts.router = Router(positions.span(statement.test), "if", f"{job}.name", fallback, fallback_span)


def _block(body: cst.BaseSuite) -> Iterator[cst.BaseStatement]:
    if isinstance(body, cst.IndentedBlock):
        yield from body.body
    elif isinstance(body, cst.SimpleStatementSuite):
        yield cst.SimpleStatementLine(body=body.body)


def _ends_flow(body: cst.BaseSuite) -> bool:
    statements = list(_block(body))
    if not statements:
        return False
    last = statements[-1]
    return isinstance(last, cst.SimpleStatementLine) and any(isinstance(s, (cst.Return, cst.Raise)) for s in last.body)


def _classify(statements: list[cst.BaseStatement]) -> Fallback:
    for statement in statements:
        for node in [statement, *walk(statement)]:
            if isinstance(node, cst.Raise):
                return "throws"
            if isinstance(node, cst.Call) and FAILING.search(dotted_name(node.func) or ""):
                return "throws"
    for statement in statements:
        if not isinstance(statement, cst.SimpleStatementLine):
            return "handles"
        for small in statement.body:
            if isinstance(small, (cst.Pass, cst.Break, cst.Continue)):
                continue
            if isinstance(small, cst.Return) and (small.value is None or isinstance(
                    small.value, (cst.Name, cst.SimpleString, cst.Integer, cst.Dict))):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and LOGGING.search(
                    dotted_name(small.value.func) or ""):
                continue
            return "handles"
    return "silent"


# --- failure handling ----------------------------------------------------------------


def _error_shaped(value: cst.BaseExpression, statement: cst.Return, function: cst.FunctionDef) -> bool:
    if isinstance(value, cst.Await):
        value = value.expression
    items = dict_items(value)
    if items:
        for key in ("success", "ok"):
            flag = items.get(key)
            if isinstance(flag, cst.Name) and flag.value == "False":
                return True
        for key in ("error", "err"):
            item = items.get(key)
            # A list made from a collection (`[e.dict() for e in errors]`) reports zero or more
            # problems of the input, as the job's result: not a failure of its own.
            if item is not None and not (isinstance(item, cst.Name) and item.value in ("None", "False")) \
                    and not isinstance(item, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
                return True
        status = items.get("status")
        return status is not None and (dotted_name(status) or code(cst.Module([]), status).strip("'\"")) in (
            "failed", "error", "failure")
    if isinstance(value, cst.Call):
        return bool(ERROR_CLASS.search(dotted_name(value.func) or ""))
    if isinstance(value, cst.Name):
        return value.value in _caught_names(function) or _failed_result(value.value, statement, function)
    return False


# `if not result.ok: return result`, `if res.get("error"): …; return res`: a result returned
# where its own failure flag says it failed.
FAILURE_TEST = (r"(?:\bnot\s+{0}\s*(?:\.\s*|\[\s*['\"]|\.get\(\s*['\"])(?:ok|is_ok|success|succeeded)\b"
                r"|\b{0}\s*(?:\.\s*|\[\s*['\"]|\.get\(\s*['\"])(?:error|err|errors|failed|is_err|is_error)\b"
                r"(?!['\"\])]*\s*(?:is|==)\s*(?:None|False)))")


def _failed_result(name: str, statement: cst.Return, function: cst.FunctionDef) -> bool:
    """Whether the variable `name` that `statement` returns holds a failure: the return sits
    under an `if` that tests its failure flag, or an assignment before it in the function
    gives it an error-shaped value (`result = {"ok": False, …}`; not another name: no chains)."""
    test = re.compile(FAILURE_TEST.format(re.escape(name)))
    # The values the variable may hold at the return: the last one given in a block around it
    # (it runs before the return), and any given after that in a branch (it may have run).
    given: list[tuple[cst.BaseExpression, bool]] = []  # (value, in a block around the return)
    for node, block, _ in _walk_blocks(function.body):
        if node is statement:
            break
        if isinstance(node, cst.If) and test.search(cst.Module([]).code_for_node(node.test)) \
                and any(inner is statement for inner in walk(node.body)):
            return True
        if isinstance(node, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == name
                                                for t in node.targets):
            line = next((i for i, s in enumerate(block) if any(n is node for n in (s, *walk(s)))), None)
            later = block[line + 1:] if line is not None else []
            given.append((node.value, any(statement is n for s in later for n in (s, *walk(s)))))
    start = max((i for i, (_, definite) in enumerate(given) if definite), default=0)
    # Only a value written out (not another name: no chains) says it is a failure.
    return any(isinstance(value, (cst.Dict, cst.Call)) and _error_shaped(value, statement, function)
               for value, _ in given[start:])


def _caught_names(function: cst.FunctionDef) -> set[str]:
    return {
        node.name.name.value
        for node in walk(function.body)
        if isinstance(node, cst.ExceptHandler) and isinstance(node.name, cst.AsName) and isinstance(node.name.name, cst.Name)
    }


def _holds_the_work(try_statement: cst.BaseCompoundStatement, statements: list[cst.BaseStatement]) -> bool:
    """A `try` (or `with suppress(…)`) with no other real work beside it (else it guards an
    optional step). A statement after it that uses what the `try` computed (`resp = get()`
    inside, `return resp.json()` after) carries its work on, and is not work beside it."""
    bound = _bound_names(try_statement)
    after = False
    for statement in statements:
        if statement is try_statement:
            after = True
            continue
        if after and bound and any(isinstance(n, cst.Name) and n.value in bound for n in walk(statement)):
            continue
        if not after and _guard(statement):
            continue
        for node in [statement, *walk(statement)]:
            if isinstance(node, cst.Await):
                return False
            callee = dotted_name(node.func) or "" if isinstance(node, cst.Call) else None
            if callee is not None and not LOGGING.search(callee) and not _setting_up(callee):
                return False
    return True


# Calls that set up rather than work: builtins, a clock, an id, serialisation, the environment.
SETUP_CALLS = frozenset({"len", "str", "int", "float", "bool", "dict", "list", "set", "tuple", "getattr",
                         "isinstance", "range", "enumerate", "zip", "sorted", "min", "max"})
SETUP_MODULES = frozenset({"time", "datetime", "uuid", "json", "os", "math", "random", "re", "logging",
                           "timezone", "settings", "pathlib", "decimal"})


def _setting_up(callee: str) -> bool:
    """`Repo()`, `requests.Session()`, `time.monotonic()`, `uuid.uuid4()`, `get_connection()`:
    making an object, reading a clock or looking something up is set-up, not work beside a
    `try` (a class is called by its CamelCase name)."""
    leaf = callee.rsplit(".", 1)[-1]
    return callee in SETUP_CALLS or callee.split(".", 1)[0] in SETUP_MODULES or leaf[:1].isupper() \
        or bool(LOOKUP.search(leaf))  # `get_connection()`, `Order.objects.get(…)`: a lookup


# Calls that look something up rather than do the work: `Order.objects.get(pk=…)`,
# `repo.find_one(…)`, `get_connection()`.
LOOKUP = re.compile(r"^(get|find|load|query|select|lookup|retrieve|first|one)(_|[A-Z]|$)")


def _guard(statement: cst.BaseStatement) -> bool:
    """`if not lock.acquire(): raise Busy()`: a check before the work, not work beside it."""
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return False
    body = list(_block(statement.body))
    return bool(body) and all(isinstance(line, cst.SimpleStatementLine)
                              and all(isinstance(small, (cst.Raise, cst.Return)) for small in line.body)
                              for line in body)


def _bound_names(statement: cst.CSTNode) -> set[str]:
    """The local names a statement assigns (`x = …`, `x: T = …`, `with … as x`, `for x in`)."""
    bound: set[str] = set()
    for node in walk(statement):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For)):
            targets = [node.target]
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            targets = [node.asname.name]
        for target in targets:
            elements = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]
            bound.update(e.value for e in elements if isinstance(e, cst.Name))
    return bound


BROAD = frozenset({"Exception", "BaseException"})


def _is_broad(handler: cst.ExceptHandler) -> bool:
    """`except:` / `except Exception`: a handler for failures nobody anticipated. Catching a
    named exception (`DoesNotExist`, `JSONDecodeError`) and moving on is a decision."""
    if handler.type is None:
        return True
    names = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
    return any((dotted_name(n) or "").rsplit(".", 1)[-1] in BROAD for n in names)


def _retried(caught: list[cst.BaseExpression], retried: tuple[str, ...]) -> bool:
    """Whether the classes caught are among those retried: the same class, or one of a
    retried class's module (`requests.HTTPError` under `requests.RequestException`), or
    anything under a retried `Exception`. Classes elsewhere are not known to be related."""
    if not retried:
        return True
    for node in caught:
        name = dotted_name(node) or ""
        module, _, leaf = name.rpartition(".")
        for other in retried:
            other_module, _, other_leaf = other.rpartition(".")
            if other_leaf in BROAD or leaf == other_leaf or (module and module == other_module):
                return True
    return False


# Failures a retry can cure: the network, a service briefly away, a lock, a rate limit.
TRANSIENT = re.compile(r"HTTP|Connect|Timeout|TimedOut|Network|Socket|Transport|Temporar|Unavailable|"
                       r"Throttl|RateLimit|TooMany|Operational|Deadlock|Retry|Busy|BrokenPipe", re.I)
TRANSIENT_MODULES = frozenset({"requests", "httpx", "aiohttp", "urllib3", "socket", "redis", "botocore",
                               "smtplib", "grpc", "psycopg2", "kombu"})


def _transient(caught: list[cst.BaseExpression]) -> bool:
    """Whether a caught class is a failure retrying can cure (`requests.HTTPError`,
    `TimeoutError`), not a permanent one (`Order.DoesNotExist`, `ValueError`): under a
    configuration that retries everything (`autoretry_for=(Exception,)`, Dramatiq's
    default), catching a permanent one and moving on is a decision, not lost retries."""
    for node in caught:
        name = dotted_name(node) or ""
        module, _, leaf = name.rpartition(".")
        if TRANSIENT.search(leaf) or module.split(".", 1)[0] in TRANSIENT_MODULES:
            return True
    return False


def _only_logs(handler: cst.ExceptHandler) -> bool:
    """An `except` whose body only logs, and perhaps returns nothing: the failure is noted and
    dropped. Anything else (a fallback value, a compensating call) is a decision left alone."""
    logged = False
    for statement in _block(handler.body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) \
                        and LOGGING.search(dotted_name(small.value.func) or ""):
                    logged = True
                elif isinstance(small, cst.Pass) or (isinstance(small, cst.Return) and (
                        small.value is None or (isinstance(small.value, cst.Name) and small.value.value == "None"))):
                    continue
                else:
                    return False
        else:
            return False
    return logged


def _fails(handler: cst.ExceptHandler, function: cst.FunctionDef) -> bool:
    for node in walk(handler.body):
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Return) and node.value is not None and _error_shaped(node.value, node, function):
            return True  # reported as a returned error instead
        if isinstance(node, cst.Call) and FAILING.search(dotted_name(node.func) or ""):
            return True
    return False
