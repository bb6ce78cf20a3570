"""Demand-driven parsing for Python: libcst is the expensive part (0.1 to 0.4 s for a large
module), so a file is first cut down to the top-level statements that can matter, using the
stdlib parser (C, about ten times faster) to find them. The lines kept are numbered as in the file
(`Sliced.lines`), so every position reported is the file's own.

Kept: imports, module-level assignments and classes of string constants, and any statement
whose text mentions queue code (a task decorator, `.delay(`, `send_task`, `enqueue_job`, …). A dropped function or
class leaves a one-line stub, so what the module defines is still known. Inside a kept class,
methods that mention no queue code are dropped the same way (a class-based task's `run` is
kept: it is the handler), so one task in a 3,000-line class does not cost the whole class.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

# Text that makes a top-level statement worth parsing in full.
MARKERS = ("celery", "CELERY", "task", "delay(", "apply_async(", "_on_commit(", ".s(", ".si(", "send_task", "signature(",
           "beat_schedule", "task_routes", "dramatiq", "actor", "send(", "send_with_options", "enqueue",
           "WorkerSettings", "functions", "cron", "Queue", "Worker", "bullmq", "job.name", "rq", "create_pool")
KEEP_ALWAYS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign)
# Inside a kept class, a method is kept when it can produce or handle: module-level words
# (settings such as `CELERY_QUEUE`, `functions`, `cron`) do not count there.
METHOD_MARKERS = ("delay(", "apply_async(", "delay_on_commit(", "apply_async_on_commit(", ".s(", ".si(", ".chunks(", ".starmap(", "send_task", "signature(", "send(",
                  "send_with_options", ".message(", "message_with_options", "enqueue", "job.name", "bullmq",
                  "create_pool", "ArqRedis", "Queue(", "Worker(", "AsyncResult", "GroupResult", "Job.fetch(")
# The same, for words that are also parts of others: `app.task` / `@shared_task(` / `@actor`, not
# `tasks.py` in a mocked path, a direct call `cleanup_task()` or a `factory`.
METHOD_WORDS = re.compile(r"\.task\b|\b(?:shared_)?task\(|@task\b|\bactor\b")
# `queue.add(` produces only where bullmq is imported (elsewhere it is a set, a Django relation…).
BULLMQ_MARKERS = (".add(", ".addBulk(")
# A top-level function is kept when a decorator makes it a task (`@app.task`, `@actor`) or its
# body produces, configures or starts a worker: a test named `test_task_…`, or decorated with
# `@patch("app.tasks.send.delay")`, is not enough.
FUNCTION_MARKERS = (*METHOD_MARKERS, "celery", "beat_schedule", "task_routes")
DECORATOR_WORDS = ("task", "actor", "job", "celery", "dramatiq")
# Modules whose names, imported under any alias, make a decorator worth reading.
DECORATOR_MODULES = ("celery", "dramatiq", "rq")
# A line as the parser counts them: ended by \n, \r\n or \r only (`str.splitlines` also
# breaks at form feeds and other separators, which would shift every line after them).
LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")
HANDLER_METHODS = frozenset({"run"})  # a class-based task's body: kept even without markers
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _holds_string_constants(statement: ast.stmt) -> bool:
    """A class of name constants (`class JobName(str, Enum): SEND = "send"`), or of numbers
    a factory may choose a queue by (`class Priority(IntEnum): HIGH = 0`)."""
    if not isinstance(statement, ast.ClassDef):
        return False
    return any(
        isinstance(item, (ast.Assign, ast.AnnAssign)) and isinstance(item.value, ast.Constant)
        and isinstance(item.value.value, (str, int)) and not isinstance(item.value.value, bool)
        for item in statement.body
    )


@dataclass(frozen=True)
class Sliced:
    text: str
    lines: tuple[int, ...]  # the file's line number of each line of `text`


@lru_cache(maxsize=1)  # the front-end and `inputs` slice the same text one after the other
def slice_source(text: str, extra_markers: frozenset[str] = frozenset(),
                 kept_functions: frozenset[str] = frozenset()) -> Sliced | None:
    """The text without the statements that cannot matter (a dropped function or class leaves
    a one-line stub), and where each remaining line was; None to parse the text whole.
    `kept_functions`: top-level functions read in full whatever they mention (functions run
    as jobs elsewhere, whose bodies say how they fail)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # let libcst parse it and say what is wrong (or parse newer syntax)
    lines = LINE.findall(text)
    markers = MARKERS + tuple(extra_markers)
    local = (*extra_markers, *(BULLMQ_MARKERS if "bullmq" in text else ()), *_handle_aliases(tree.body))
    decorator_names = (*DECORATOR_WORDS, *extra_markers)
    library_aliases = _library_aliases(tree.body)
    keep = [True] * len(lines)
    stubs: dict[int, str] = {}
    kept: list[ast.stmt] = []
    unmarked: dict[str, ast.stmt] = {}  # functions without queue code, dropped unless used
    for statement in tree.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
        last = statement.end_lineno or statement.lineno
        if isinstance(statement, KEEP_ALWAYS) or _imports_only(statement):
            kept.append(statement)
            continue
        segment = "".join(lines[first - 1 : last])
        if isinstance(statement, FUNCTIONS):
            body = segment[len("".join(lines[first - 1 : statement.lineno])):]  # after the `def` line
            # A body calling what a library exports under a name of the module's own
            # (`_actor(wrapped, …)`): an in-house decorator, maybe.
            if any(_makes_a_task(d, lines, decorator_names, library_aliases) for d in statement.decorator_list) \
                    or _marked(body, (*FUNCTION_MARKERS, *local, *(f"{a}(" for a in library_aliases))):
                kept.append(statement)
            else:
                unmarked[statement.name] = statement
            continue
        if isinstance(statement, ast.ClassDef) and statement.name in kept_functions:
            kept.append(statement)  # a class whose instances run jobs (a processor), read in full
            continue
        if _holds_string_constants(statement) or any(marker in segment for marker in markers):
            kept.append(statement)
            if isinstance(statement, ast.ClassDef):
                for item in statement.body:
                    if isinstance(item, FUNCTIONS) and item.name not in HANDLER_METHODS:
                        _drop_unless_marked(item, lines, (*METHOD_MARKERS, *local), keep, stubs)
            continue
        _drop(statement, keep, stubs, "")
    # A function the kept code names is kept too: `functions = [send_email]` or
    # `Worker("mail", process)` make it a handler, and a handler's helpers tell how it fails.
    used = _names(kept) | kept_functions
    while used & unmarked.keys():
        found = [unmarked.pop(name) for name in sorted(used & unmarked.keys())]
        used |= _names(found)
    for statement in unmarked.values():
        _drop(statement, keep, stubs, "")
    # Blank and comment lines between top-level statements are not read either (suppressions
    # are read from the whole text): editing a comment there leaves the slice as it was. Not
    # one a backslash continues onto: without it, the lines on either side would be joined.
    outside = [True] * len(lines)
    for statement in tree.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
        outside[first - 1 : statement.end_lineno or statement.lineno] = [False] * (
            (statement.end_lineno or statement.lineno) - first + 1)
    for index in range(1, len(lines)):
        if outside[index] and lines[index - 1].rstrip("\r\n").endswith("\\"):
            outside[index] = False
    keep = [k and not o for k, o in zip(keep, outside, strict=True)]
    if all(keep):
        return None
    # Dropped lines are removed, not blanked: libcst makes a node of every blank line.
    out, numbers = [], []
    for number, line in enumerate(lines, start=1):
        if keep[number - 1] or number in stubs:
            out.append(line if keep[number - 1] else stubs[number])
            numbers.append(number)
    return Sliced("".join(out), tuple(numbers))


def _imports_only(statement: ast.stmt) -> bool:
    """`if TYPE_CHECKING: from … import …`, `try: import x / except ImportError: …`: imports
    (the names a module's annotations and calls are read through), kept like any import."""
    if isinstance(statement, ast.If):
        bodies = [statement.body, statement.orelse]
    elif isinstance(statement, ast.Try):
        bodies = [statement.body, *(handler.body for handler in statement.handlers)]
    else:
        return False
    return all(isinstance(item, (ast.Import, ast.ImportFrom, ast.Pass, ast.Assign)) for body in bodies
               for item in body) and any(isinstance(item, (ast.Import, ast.ImportFrom)) for item in statement.body)


def _drop_unless_marked(statement: ast.stmt, lines: list[str], markers: tuple[str, ...], keep: list[bool],
                        stubs: dict[int, str]) -> None:
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    last = statement.end_lineno or statement.lineno
    if _marked("".join(lines[first - 1 : last]), markers):
        return
    line = lines[statement.lineno - 1]
    _drop(statement, keep, stubs, line[: len(line) - len(line.lstrip())])


def _marked(text: str, markers: tuple[str, ...]) -> bool:
    return any(marker in text for marker in markers) or (
        ("task" in text or "actor" in text) and METHOD_WORDS.search(text) is not None)


def _library_aliases(statements: list[ast.stmt]) -> frozenset[str]:
    """Names imported from Celery or dramatiq (`from dramatiq import actor as background`)."""
    names: set[str] = set()
    for statement in statements:
        if isinstance(statement, ast.ImportFrom) and statement.module \
                and statement.module.split(".")[0] in DECORATOR_MODULES:
            names.update(alias.asname or alias.name for alias in statement.names)
        elif isinstance(statement, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in statement.names
                         if alias.name.split(".")[0] in DECORATOR_MODULES)
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name) and _names_task_decorator(statement.value, names):
            names.add(statement.targets[0].id)  # `task = shared_task`: an alias used as a decorator
    return frozenset(names)


def _handle_aliases(statements: list[ast.stmt]) -> tuple[str, ...]:
    """`R(` for a result handle class imported under a name of its own
    (`from celery.result import AsyncResult as R`): a function calling it reads results."""
    return tuple(f"{alias.asname}(" for statement in statements if isinstance(statement, ast.ImportFrom)
                 for alias in statement.names if alias.asname and alias.name in ("AsyncResult", "GroupResult"))


def _names_task_decorator(value: ast.expr, aliases: set[str]) -> bool:
    """`shared_task`, `app.task(bind=True)`, `actor(queue_name=…)` or an alias of one."""
    node = value.func if isinstance(value, ast.Call) else value
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return bool(parts) and (parts[-1] in aliases or parts[0] in ("task", "shared_task", "actor"))


def _makes_a_task(decorator: ast.expr, lines: list[str], words: tuple[str, ...], aliases: frozenset[str]) -> bool:
    """Whether a decorator can make its function a task: what it calls is named like one
    (`app.task`, `shared_task`, `dramatiq.actor`) or comes from a queue library. Its arguments
    do not count: `@patch("shop.tasks.send.delay")` decorates a test."""
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):  # `@registry[0]`: judged by its text
        text = "".join(lines[decorator.lineno - 1 : (decorator.end_lineno or decorator.lineno)])
        return any(word in text for word in words)
    parts.append(node.id)
    callee = ".".join(reversed(parts))
    return node.id in aliases or any(word in callee for word in words)


def _drop(statement: ast.stmt, keep: list[bool], stubs: dict[int, str], indent: str) -> None:
    """Blank a statement's lines; a function or class leaves `def name(): ...` on its line."""
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    for number in range(first, (statement.end_lineno or statement.lineno) + 1):
        keep[number - 1] = False
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        keyword = {ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class"}[type(statement)]
        signature = "()" if keyword != "class" else ""
        stubs[statement.lineno] = f"{indent}{keyword} {statement.name}{signature}: ...\n"


def _names(statements: list[ast.stmt]) -> set[str]:
    return {node.id for statement in statements for node in ast.walk(statement) if isinstance(node, ast.Name)}
