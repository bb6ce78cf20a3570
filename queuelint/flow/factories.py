"""Which exported names hand out queue objects: the words to look for in files that use them."""

from __future__ import annotations

from collections.abc import Iterable

from queuelint.model import Expr, FileFacts


def exported_factories(facts: Iterable[FileFacts]) -> dict[str, set[bytes]]:
    """Exported functions (and classes, for static methods) whose summary returns a queue,
    exported constants holding what such a function returns, and in-house task decorators,
    found to a fixed point over the files read so far; by the language of the files that can
    use them (a TypeScript factory has no Python callers)."""
    files = list(facts)
    factories: set[str] = set()  # function ids: `createQueue`, `MailQueue.getInstance`
    exported: dict[str, set[bytes]] = {}
    for _ in range(8):
        before = len(factories)
        for file in files:
            exports = {local for _, local in file.exports}
            for name, expr in file.bindings:
                if not (_hands_out_queue(expr, factories) or _holds_queues(name, expr)):
                    continue
                factories.add(name)
                head = name.split(".", 1)[0]
                if head in exports:
                    exported.setdefault(file.language, set()).add(head.encode())
        if len(factories) == before:
            break
    return exported


def _holds_queues(name: str, expr: Expr) -> bool:
    """A container of queues: `queues.mail` of `export const queues = { mail: new Queue(…) }`,
    or its entries under computed keys (a `table`)."""
    if expr.kind == "queue" and "." in name:
        return True
    return expr.kind == "table" and any(len(case.parts) == 2 and case.parts[1].kind == "queue" for case in expr.parts)


def _hands_out_queue(expr: Expr, factories: set[str]) -> bool:
    """A summary returning a queue, or a summary or constant holding a call to a factory
    (matched by the function's own name: a cost, not a claim, as the flow stage checks it)."""
    if expr.kind == "queue" and expr.reason:  # an in-house task decorator: its users make tasks
        return True
    if expr.kind == "function" and expr.parts:
        expr = expr.parts[0]
        if expr.kind in ("queue", "pick"):  # `return queues[name]`: a cost, as the flow stage checks it
            return True
    if expr.kind == "choice":  # `switch (name) { case …: return XQueue.getInstance() }`
        return any(len(case.parts) == 2 and _hands_out_queue(case.parts[1], factories) for case in expr.parts[1:])
    if expr.kind != "call" or not expr.parts:
        return False
    called = expr.parts[0].text.rsplit(".", 1)[-1]
    return any(f.rsplit(".", 1)[-1] == called for f in factories)
