"""QL303: a static custom `jobId` that BullMQ rejects: an integer, or `:` outside its 3-part form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from queuelint.findings import Diagnostic, Severity
from queuelint.rules.base import Rule, RuleContext, rule

if TYPE_CHECKING:
    from queuelint.graph import QueueGraph
    from queuelint.model import Expr

# BullMQ's own test: `${parseInt(jobId, 10)}` === jobId.
INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


@rule(code="QL303", name="invalid-job-id", severity=Severity.ERROR, libraries=("bullmq",))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    graph = context.graph
    for site in graph.producers():
        option = site.producer.option("jobId")
        if site.producer.library != "bullmq" or option is None or option.value is None:
            continue
        whole = graph.resolver.name(option.value, site.path)
        shown = repr(whole.value) if whole.is_value else f"`{option.value.text.strip('`')}`"
        colons, complete = _colons(graph, option.value, site.path)
        # BullMQ accepts `:` only in ids of exactly three parts (its legacy repeatable-job ids).
        # Run-time parts may add colons, so two fixed ones may still be fine; one or 3+ are not.
        if colons and colons != 2:
            parts = f"{colons + 1}" if complete else f"at least {colons + 1}"
            yield self.at(
                option.span,
                f"custom jobId {shown} has {parts} `:`-separated parts; BullMQ throws "
                "\"Custom Id cannot contain :\" unless there are exactly 3",
                hint="use another separator, e.g. `-` or `_`",
            )
        elif whole.is_value and INTEGER.fullmatch(whole.value):
            yield self.at(option.span, f"custom jobId {whole.value!r} is an integer, which BullMQ rejects "
                                       "(\"Custom Id cannot be integers\")",
                          hint="prefix it, e.g. `order-123`")


def _colons(graph: QueueGraph, expr: Expr, path: str) -> tuple[int, bool]:
    """How many `:` the statically known text of an id holds, and whether all of it is known."""
    parts = expr.parts if expr.kind in ("concat", "dynamic") and expr.parts else (expr,)
    count, complete = 0, True
    for part in parts:
        name = graph.resolver.name(part, path)
        if name.is_value:
            count += name.value.count(":")
        else:
            complete = False
    return count, complete
