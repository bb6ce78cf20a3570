"""QL102: a job name is produced onto a queue none of whose consumers handle it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from queuelint.findings import DEFAULT_JOB, Diagnostic, Related, Severity
from queuelint.rules.base import Rule, RuleContext, as_code, did_you_mean, rule

if TYPE_CHECKING:
    from queuelint.graph import ConsumerSite, Handled, ProducerSite, QueueGraph


# The tasks Celery registers itself, whatever the project's own names look like.
CELERY_BUILTINS = frozenset({
    "celery.backend_cleanup", "celery.chord_unlock", "celery.chord", "celery.group", "celery.map",
    "celery.starmap", "celery.chain", "celery.chunks", "celery.accumulate",
})


@rule(code="QL102", name="unhandled-job-name", severity=Severity.ERROR,
      libraries=("bull", "bullmq", "celery", "arq", "dramatiq", "rq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    yield from _rq_paths(self, context)
    graph = context.graph
    for queue in graph.queues():
        for site in graph.producers(queue):
            if site.job.status == "unknown" and site.job.family:
                yield from _family_reaches_none(self, graph, queue, site)
                continue
            if not site.job.is_value:
                continue
            # The consumers that take this producer's jobs (a test's worker does not take
            # production's), and whether every one that could is known: else no claim.
            consumers = graph.serving(queue, site)
            if not consumers or not graph.closed(site):
                continue  # nobody consumes it here (QL105's business), or some worker's queue is not known
            handled = graph.handled(queue, site)
            if handled.accepts_any or not handled.complete or site.job.value in handled:
                continue  # a catch-all, or a handler name we could not resolve: no certainty
            related = [Related(route.span, f"handles {name!r} ({entry.consumer.handler})")
                       for name, entries in sorted(handled.names.items()) for entry, route in entries]
            libraries = {entry.consumer.library for entry in consumers}
            # Celery names tasks by module: those of a package this project does not hold (an
            # installed app's, Celery's own `celery.backend_cleanup`) are registered where we
            # cannot see.
            packages = {name.split(".", 1)[0] for name in handled.names if "." in name}
            close = did_you_mean(site.job.value, set(handled.names) - {DEFAULT_JOB})
            if libraries == {"celery"} and (site.job.value in CELERY_BUILTINS or (close is None
                                            and _of_another_package(site.job.value, packages, handled, graph,
                                                                    site.path))):
                continue
            if libraries <= TASK_REGISTRIES:  # Celery, Dramatiq, arq: names are registered tasks
                kind = {"celery": "task", "dramatiq": "actor", "arq": "function"}[min(libraries)]
                where = "" if libraries == {"celery"} else f" on queue {queue!r}"  # Celery: one registry per app
                message = f"{kind} {site.job.value!r} is not registered: no {_label(libraries)} {kind}{where} has that name"
                hint = f"did you mean {close!r}?" if close else f"define the {kind}, or fix the name"
                # A task registry holds every task of the app: the one meant is the place to
                # point at, not the first twenty of them.
                related = [r for r in related if close is not None and r.message.startswith(f"handles {close!r} ")]
                registered = sorted(n for n in handled.names if n.endswith("." + site.job.value))
                if libraries == {"celery"} and registered:  # Celery names a task by its module unless told
                    hint = (f"the worker registers this task as {registered[0]!r} (a task is named by its module "
                            f"unless given `name=`): send that name, or name the task {site.job.value!r}")
            else:
                message = (f"job {_show(site.job.value)} has no handler on queue {queue!r}; "
                           f"its consumers handle {_listing(handled)}")
                hint = f"did you mean {close!r}?" if close else _hint(site.job.value, handled, consumers)
            found = self.at(site.span, message, hint=hint, related=related[:MAX_RELATED])
            if site.producer.call == "route":  # a route sends nothing: a stale entry is dead configuration
                found = replace(found, severity=Severity.INFO,
                                message=f"{message} (a route only says where the task would go: nothing fails, "
                                        "but the entry is dead)")
            yield found


def _family_reaches_none(self: Rule, graph: QueueGraph, queue: str, site: ProducerSite) -> Iterator[Diagnostic]:
    """A name built around what is not known (`f"billing.{plan}.renew"`) can still be none of
    the names the consumers handle: then no job it makes is handled, whatever the data."""
    consumers = graph.serving(queue, site)
    if not consumers or not graph.closed(site):
        return
    handled = graph.handled(queue, site)
    if handled.accepts_any or not handled.complete or any(site.job.may_be(name) for name in handled.names):
        return
    libraries = {entry.consumer.library for entry in consumers}
    first = site.job.family[0]
    packages = {name.split(".", 1)[0] for name in handled.names if "." in name}
    if libraries == {"celery"} and (first is None or first.split(".", 1)[0] not in packages):
        return  # a task of a package this project does not hold may be registered where we cannot see
    related = [Related(route.span, f"handles {name!r} ({entry.consumer.handler})")
               for name, entries in sorted(handled.names.items()) for entry, route in entries]
    shape = site.job.family_text()
    if libraries <= TASK_REGISTRIES:  # Celery, Dramatiq, arq: names are registered tasks
        kind = {"celery": "task", "dramatiq": "actor", "arq": "function"}[min(libraries)]
        where = f"no {_label(libraries)} {kind} has such a name: the registered ones are {_listing(handled)}"
    else:
        where = f"no consumer on queue {queue!r} handles one: they handle {_listing(handled)}"
    yield self.at(site.span, f"job name {as_code(site.job.text)} can only be a name like {shape!r}, and {where}",
                  hint=f"make the names it builds ones a consumer handles, or add handlers for {shape!r}",
                  related=related[:MAX_RELATED])


def _rq_paths(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    """RQ workers import the dotted path a job names: it must lead to a function."""
    graph = context.graph
    for site in graph.producers():
        family = graph.dotted_family(site)
        if family is not None and not family[2]:
            yield self.at(site.span, f"RQ job {as_code(site.job.text)} can only name a function like "
                                     f"{family[0] + '.' + family[1]!r}, and module {family[0]!r} has none",
                          hint="fix the path, or pass the function itself")
            continue
        if site.producer.library != "rq" or not site.job.is_value or "." not in site.job.value:
            continue
        module, _, function = site.job.value.rpartition(".")
        path = graph.resolver.module_path(module, site.path)
        if path is None:
            continue  # not a module of this project: nothing to check it against
        if graph.resolver.definition(function, path) is None:
            yield self.at(site.span, f"RQ job {site.job.value!r} names no function: module {module!r} has no "
                                     f"{function!r}", hint="fix the dotted path, or pass the function itself")


def _of_another_package(name: str, packages: set[str], handled: Handled, graph: QueueGraph, path: str) -> bool:
    """A dotted task name whose top-level package neither names a task here nor is a module
    of the project, and that names no function a task here is named after (`tasks.send`
    for `proj.tasks.send` is a mistake, not another app's task)."""
    top, dot, _ = name.partition(".")
    function = name.rsplit(".", 1)[-1]
    return (bool(dot) and top not in packages and graph.resolver.module_path(top, path) is None
            and not any(known.rsplit(".", 1)[-1] == function for known in handled.names))


TASK_REGISTRIES = frozenset({"celery", "dramatiq", "arq"})
MAX_RELATED = 20
MAX_LISTED = 6


def _label(libraries: set[str]) -> str:
    return {"celery": "Celery", "dramatiq": "Dramatiq", "arq": "arq"}[min(libraries)]


def _show(name: str) -> str:
    return "without a name (`__default__`)" if name == DEFAULT_JOB else repr(name)


def _listing(handled: Handled) -> str:
    names = sorted(handled.names)
    shown = ", ".join("`__default__`" if n == DEFAULT_JOB else repr(n) for n in names[:MAX_LISTED]) or "nothing"
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def _hint(name: str, handled: Handled, consumers: Sequence[ConsumerSite]) -> str:
    """How to handle the name, in the words of the consumers' API: a `case` in a @nestjs/bullmq
    WorkerHost's `process` or a BullMQ Worker's processor, `@Process('x')` in @nestjs/bull,
    `process('x', fn)` in Bull."""
    names = set(handled.names)
    kinds = {site.consumer.kind for site in consumers}
    handlers = sorted({site.consumer.handler for site in consumers})
    bull = all(site.consumer.library == "bull" for site in consumers)
    unnamed = "`@Process()`" if "process-decorator" in kinds else "`process(fn)`"
    if names == {DEFAULT_JOB}:
        return (f"the consumers only handle unnamed jobs ({unnamed if bull else 'a processor that ignores the name'}):"
                " add the job without a name, `queue.add(data, opts)` (a per-job id goes in `opts.jobId`), or handle"
                " the name explicitly")
    if name == DEFAULT_JOB:
        return f"give the job one of the handled names, or add a handler for unnamed jobs ({unnamed})"
    if "worker-host" in kinds:
        host = next(site.consumer.handler for site in consumers if site.consumer.kind == "worker-host")
        return f"add `case {name!r}:` to the switch on `job.name` in `{host}`, or fix the name"
    if "process-decorator" in kinds:
        owner = next(site.consumer.owner or site.consumer.handler for site in consumers
                     if site.consumer.kind == "process-decorator")
        return f"add a method with `@Process({name!r})` to `{owner}`, or fix the name"
    if "custom-decorator" in kinds:  # an in-house decorator declared in the config
        declared = next(site.consumer.handler for site in consumers if site.consumer.kind == "custom-decorator")
        return f"add a handler for {name!r} declared as `{declared}` is (with its decorator), or fix the name"
    if bull and "process-call" in kinds:
        return f"add `queue.process({name!r}, handler)`, or fix the name"
    return f"handle {name!r} in the worker's processor (a `case` on `job.name` in `{handlers[0]}`), or fix the name"
