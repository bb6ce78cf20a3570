"""QL105: a queue produced to that nothing consumes, or injected/processed but never registered."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.findings import Diagnostic, Related, Severity
from queuelint.rules.base import Rule, RuleContext, did_you_mean, rule

NEST_USES = ("inject", "processor")
COMMAND_LINE_WORKERS = frozenset({"rq"})  # `rq worker high default`: consumers no code shows


@rule(code="QL105", name="unknown-queue", severity=Severity.WARNING, libraries=("bull", "bullmq", "arq", "dramatiq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    yield from _never_consumed(self, context)
    yield from _never_registered(self, context)


def _never_consumed(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    graph = context.graph
    consumed = {q for q in graph.queues() if graph.consumers(q)}
    if not consumed:
        return  # a producer-only codebase: its consumers live in another service
    for queue in graph.queues():
        # Producers none of whose consumers are known to be missing: no worker serving their
        # program takes the queue, and every worker that could is known.
        producers = [p for p in graph.producers(queue) if p.producer.library not in COMMAND_LINE_WORKERS
                     and not graph.serving(queue, p) and not graph.open_consumers(p)
                     and graph.closed(p)]
        if not producers or queue in context.settings.external_consumed:
            continue
        first, *others = sorted(producers, key=lambda s: s.span)
        close = did_you_mean(queue, consumed - {queue})
        hint = (f"did you mean {close!r}?" if close else
                "add a worker for it, or declare it in `[external] consumed` if another service consumes it")
        # Workers of the queue that do not take these jobs: test code's, or another library's.
        elsewhere = graph.consumers(queue)
        why = ("no worker or processor" if not elsewhere else
               "its only workers are in test code or of another library, which do not take these jobs")
        yield self.at(
            first.span,
            f"queue {queue!r} is produced to but nothing here consumes it "
            f"({len(producers)} producer{'s' if len(producers) != 1 else ''}, {why})",
            hint=hint,
            related=[*(Related(s.span, f"also produces to {queue!r}") for s in others),
                     *(Related(c.span, f"consumes {queue!r} in another program or library") for c in elsewhere)],
        )


def _never_registered(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    """NestJS resolves `@InjectQueue(x)` and `@Processor(x)` only for queues registered with
    `BullModule.registerQueue`; checked when the codebase registers its queues that way."""
    graph = context.graph
    registered = {name.value for decl, _, name in graph.declarations if decl.kind == "register" and name.is_value}
    if not registered or any(decl.kind == "register" and not name.is_value for decl, _, name in graph.declarations):
        return  # no registrations seen, or one we cannot read: no certainty
    for decl, _, name in sorted(graph.declarations, key=lambda item: item[0].span):
        if decl.kind not in NEST_USES or not name.is_value or name.value in registered:
            continue
        use = "injected" if decl.kind == "inject" else "processed"
        close = did_you_mean(name.value, registered)
        yield self.at(
            decl.span,
            f"queue {name.value!r} is {use} here but never registered with BullModule.registerQueue; "
            "Nest cannot resolve it",
            hint=f"did you mean {close!r}?" if close else f"add `BullModule.registerQueue({{ name: {name.value!r} }})` "
                                                          "to the module that provides this class",
        )
