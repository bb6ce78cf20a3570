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
from dataclasses import dataclass

# Text that makes a top-level statement worth parsing in full.
MARKERS = ("celery", "CELERY", "task", "delay(", "apply_async(", ".s(", ".si(", "send_task", "signature(",
           "beat_schedule", "task_routes", "dramatiq", "actor", "send(", "send_with_options", "enqueue",
           "WorkerSettings", "functions", "cron", "Queue", "Worker", "bullmq", "job.name", "rq")
KEEP_ALWAYS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign)
# Inside a kept class, a method is kept when it can produce or handle: module-level words
# (settings such as `CELERY_QUEUE`, `functions`, `cron`) do not count there.
METHOD_MARKERS = ("delay(", "apply_async(", ".s(", ".si(", "send_task", "signature(", "send(", "send_with_options",
                  "enqueue", "job.name", "task(", ".task", "actor", "bullmq")
# `queue.add(` produces only where bullmq is imported (elsewhere it is a set, a Django relation…).
BULLMQ_MARKERS = (".add(", ".addBulk(")
# A top-level function is kept when its decorators name queue code (`@app.task`, `@actor`) or
# its body produces, configures or starts a worker: a test named `test_task_…` is not enough.
FUNCTION_MARKERS = (*METHOD_MARKERS, "celery", "beat_schedule", "task_routes", "Worker(", "Queue(")
HANDLER_METHODS = frozenset({"run"})  # a class-based task's body: kept even without markers
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _holds_string_constants(statement: ast.stmt) -> bool:
    """A class of name constants (`class JobName(str, Enum): SEND = "send"`)."""
    if not isinstance(statement, ast.ClassDef):
        return False
    return any(
        isinstance(item, (ast.Assign, ast.AnnAssign)) and isinstance(item.value, ast.Constant)
        and isinstance(item.value.value, str)
        for item in statement.body
    )


@dataclass(frozen=True)
class Sliced:
    text: str
    lines: tuple[int, ...]  # the file's line number of each line of `text`


def slice_source(text: str, extra_markers: frozenset[str] = frozenset()) -> Sliced | None:
    """The text without the statements that cannot matter (a dropped function or class leaves
    a one-line stub), and where each remaining line was; None to parse the text whole."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # let libcst parse it and say what is wrong (or parse newer syntax)
    lines = text.splitlines(keepends=True)
    markers = MARKERS + tuple(extra_markers)
    local = (*extra_markers, *(BULLMQ_MARKERS if "bullmq" in text else ()))
    keep = [True] * len(lines)
    stubs: dict[int, str] = {}
    kept: list[ast.stmt] = []
    unmarked: dict[str, ast.stmt] = {}  # functions without queue code, dropped unless used
    for statement in tree.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
        last = statement.end_lineno or statement.lineno
        if isinstance(statement, KEEP_ALWAYS):
            kept.append(statement)
            continue
        segment = "".join(lines[first - 1 : last])
        if isinstance(statement, FUNCTIONS):
            head = "".join(lines[first - 1 : statement.lineno])  # decorators and the `def` line
            body = segment[len(head):]
            if any(marker in head for marker in markers) \
                    or any(marker in body for marker in (*FUNCTION_MARKERS, *local)):
                kept.append(statement)
            else:
                unmarked[statement.name] = statement
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
    used = _names(kept)
    while used & unmarked.keys():
        found = [unmarked.pop(name) for name in sorted(used & unmarked.keys())]
        used |= _names(found)
    for statement in unmarked.values():
        _drop(statement, keep, stubs, "")
    if all(keep):
        return None
    # Dropped lines are removed, not blanked: libcst makes a node of every blank line.
    out, numbers = [], []
    for number, line in enumerate(lines, start=1):
        if keep[number - 1] or number in stubs:
            out.append(line if keep[number - 1] else stubs[number])
            numbers.append(number)
    return Sliced("".join(out), tuple(numbers))


def _drop_unless_marked(statement: ast.stmt, lines: list[str], markers: tuple[str, ...], keep: list[bool],
                        stubs: dict[int, str]) -> None:
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    last = statement.end_lineno or statement.lineno
    if any(marker in "".join(lines[first - 1 : last]) for marker in markers):
        return
    line = lines[statement.lineno - 1]
    _drop(statement, keep, stubs, line[: len(line) - len(line.lstrip())])


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
