"""Demand-driven parsing for Python: libcst is the expensive part (0.1 to 0.4 s for a large
module), so a file is first cut down to the top-level statements that can matter, using the
stdlib parser (C, about ten times faster) to find them. Lines keep their numbers (dropped statements
become blank lines) so every position libcst reports is the file's own.

Kept: imports, module-level assignments and classes of string constants, and any statement
whose text mentions queue code (a task decorator, `.delay(`, `send_task`, `enqueue_job`, …). A dropped function or
class leaves a one-line stub, so what the module defines is still known.
"""

from __future__ import annotations

import ast

# Text that makes a top-level statement worth parsing in full.
MARKERS = ("celery", "CELERY", "task", "delay(", "apply_async(", ".s(", ".si(", "send_task", "signature(",
           "beat_schedule", "task_routes", "dramatiq", "actor", "send(", "send_with_options", "enqueue",
           "WorkerSettings", "functions", "cron", "Queue", "Worker", "bullmq", "job.name", "rq")
KEEP_ALWAYS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign)


def _holds_string_constants(statement: ast.stmt) -> bool:
    """A class of name constants (`class JobName(str, Enum): SEND = "send"`)."""
    if not isinstance(statement, ast.ClassDef):
        return False
    return any(
        isinstance(item, (ast.Assign, ast.AnnAssign)) and isinstance(item.value, ast.Constant)
        and isinstance(item.value.value, str)
        for item in statement.body
    )


def slice_source(text: str, extra_markers: frozenset[str] = frozenset()) -> str | None:
    """The text with irrelevant top-level statements blanked; None to parse it whole."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # let libcst parse it and say what is wrong (or parse newer syntax)
    lines = text.splitlines(keepends=True)
    markers = MARKERS + tuple(extra_markers)
    keep = [True] * len(lines)
    stubs: dict[int, str] = {}
    for statement in tree.body:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
        last = statement.end_lineno or statement.lineno
        if isinstance(statement, KEEP_ALWAYS) or _holds_string_constants(statement):
            continue
        segment = "".join(lines[first - 1 : last])
        if any(marker in segment for marker in markers):
            continue
        for number in range(first, last + 1):
            keep[number - 1] = False
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            keyword = {ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class"}[type(statement)]
            signature = "()" if keyword != "class" else ""
            stubs[statement.lineno] = f"{keyword} {statement.name}{signature}: ...\n"
    if all(keep):
        return text
    out = []
    for number, line in enumerate(lines, start=1):
        if keep[number - 1]:
            out.append(line)
        else:
            out.append(stubs.get(number, "\n"))
    return "".join(out)
