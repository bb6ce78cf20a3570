"""QL303: a static custom `jobId` that BullMQ rejects (contains `:`) or misreads (all digits)."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.graph import QueueGraph
from queuelint.model import Diagnostic, Expr, Severity
from queuelint.rules.base import Rule, RuleContext, rule


@rule(code="QL303", name="invalid-job-id", severity=Severity.ERROR, libraries=("bullmq",))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    graph = context.graph
    for site in graph.producers():
        option = site.producer.option("jobId")
        if site.producer.library != "bullmq" or option is None or option.value is None:
            continue
        static = _static_text(graph, option.value, site.path)
        whole = graph.resolver.name(option.value, site.path)
        if ":" in static:
            yield self.at(option.span, f"custom jobId {_show(option.value, whole.value)} contains `:`, which BullMQ "
                                       "rejects (\"Custom Id cannot contain :\")",
                          hint="use another separator, e.g. `-` or `_`")
        elif whole.is_value and whole.value.isdigit():
            yield self.at(option.span, f"custom jobId {whole.value!r} is all digits, which BullMQ rejects "
                                       "(\"Custom Id cannot be integers\")",
                          hint="prefix it, e.g. `order-123`")


def _static_text(graph: QueueGraph, expr: Expr, path: str) -> str:
    """The parts of a (possibly template) value that are known statically, joined."""
    parts = expr.parts if expr.kind in ("concat", "dynamic") and expr.parts else (expr,)
    known = []
    for part in parts:
        name = graph.resolver.name(part, path)
        if name.is_value:
            known.append(name.value)
    return "\u0000".join(known)


def _show(expr: Expr, value: str) -> str:
    return repr(value) if value else f"`{expr.text}`"
