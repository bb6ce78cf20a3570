"""QL301: a job option the library does not support there (it is silently ignored)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from queuelint.findings import Diagnostic, Severity
from queuelint.rules.base import Rule, RuleContext, did_you_mean, rule

if TYPE_CHECKING:
    from queuelint.model import JobOption

# Per-job options each library reads (`JobsOptions` in BullMQ, `JobOpts` in Bull).
KNOWN = {
    "bullmq": frozenset({
        "timestamp", "priority", "delay", "attempts", "repeat", "repeatJobKey", "backoff", "lifo",
        "removeOnComplete", "removeOnFail", "keepLogs", "stackTraceLimit", "sizeLimit", "jobId", "parent",
        "prevMillis", "failParentOnFailure", "ignoreDependencyOnFailure", "removeDependencyOnFailure",
        "continueParentOnFailure", "deduplication", "debounce", "telemetry", "group",
    }),
    "bull": frozenset({
        "priority", "delay", "attempts", "repeat", "backoff", "lifo", "timeout", "jobId", "removeOnComplete",
        "removeOnFail", "stackTraceLimit", "preventParsingData",
    }),
}
# Other queue libraries' names for the number of tries (Bee-Queue's `retries`, Celery's
# `max_retries`): Bull and BullMQ read only `attempts`, and run a job once without it.
_ATTEMPTS = "the option is `attempts` (the number of tries, the first included); without it the job runs once"
RETRY_ALIASES = {key: _ATTEMPTS for key in ("retries", "retry", "maxRetries", "max_retries", "maxAttempts")}
# Options that exist elsewhere (the other library, the queue, the worker) but not per job here.
MISPLACED = {
    "bullmq": {
        **RETRY_ALIASES,
        "timeout": "BullMQ has no per-job timeout; enforce it inside the processor (e.g. with an AbortSignal)",
        "lifespan": "BullMQ has no `lifespan`; use `removeOnComplete: { age }` to expire finished jobs",
        "limiter": "rate limits are set on the Worker: `new Worker(name, fn, { limiter })`",
        "repeat.cron": "BullMQ calls the cron expression `repeat.pattern`",
        "id": "the option is `jobId`",
    },
    # arq passes every keyword without a leading underscore to the job function itself.
    "arq": {
        "queue": "arq's option is `_queue_name`; `queue=` is passed to the job function as an argument",
        "queue_name": "arq's option is `_queue_name`; `queue_name=` is passed to the job function as an argument",
        "job_id": "arq's option is `_job_id`; `job_id=` is passed to the job function as an argument",
        "defer_by": "arq's option is `_defer_by`; `defer_by=` is passed to the job function as an argument",
        "defer_until": "arq's option is `_defer_until`; `defer_until=` is passed to the job function as an argument",
        "expires": "arq's option is `_expires`; `expires=` is passed to the job function as an argument",
    },
    "bull": {
        **RETRY_ALIASES,
        "lifespan": "Bull has no `lifespan`; use `removeOnComplete` to expire finished jobs",
        "limiter": "Bull's rate limiter is a queue option: `new Queue(name, { limiter })`",
        "repeat.pattern": "Bull calls the cron expression `repeat.cron`",
        "id": "the option is `jobId`",
    },
}


# Options of a job (or of a queue) written in `new Worker(name, fn, opts)`, where BullMQ reads
# `WorkerOptions` only (`removeOnComplete`/`removeOnFail` are Worker options too, and valid).
_PER_JOB = "it is a job option: set it where jobs are added (`queue.add(name, data, {{ {0} }})`) or in the " \
           "queue's `defaultJobOptions`"
ON_A_WORKER = {
    **{key: _PER_JOB.format(key) for key in ("attempts", "backoff", "delay", "priority", "jobId", "repeat", "lifo")},
    "defaultJobOptions": "`defaultJobOptions` is a Queue option: `new Queue(name, { defaultJobOptions })`",
    "timeout": "BullMQ has no job timeout; enforce it inside the processor (e.g. with an AbortSignal)",
    "redis": "BullMQ connects with `connection`; `redis` is Bull's option, and BullMQ ignores it",
}


@rule(code="QL301", name="invalid-job-option", severity=Severity.ERROR, libraries=("bull", "bullmq", "arq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    for site in context.graph.producers():
        library = site.producer.library
        if library == "arq":
            for option in site.producer.options:
                if option.key in MISPLACED["arq"]:
                    yield self.at(option.span, f"`{option.key}=` is not an arq option: it is passed to the job "
                                               "function", hint=MISPLACED["arq"][option.key])
            continue
        yield from _unknown_options(self, library, site.producer.options, "job option")
    for consumer_site in context.graph.consumers():  # job options written on a BullMQ Worker
        consumer = consumer_site.consumer
        if consumer.library == "bullmq" and consumer.kind == "worker":
            for option in consumer.options:
                reason = ON_A_WORKER.get(option.key)
                if reason is not None:
                    yield self.at(option.span, f"`{option.key}` is not a BullMQ Worker option: it is ignored",
                                  hint=reason)
    # `defaultJobOptions` of a queue (`new Queue`, `BullModule.registerQueue`, or all of an
    # app's in `BullModule.forRoot`): every job
    # gets them, and the library ignores a key it does not know as it does per job.
    seen = set()
    for declaration, _, _ in context.graph.declarations:
        if declaration.default_options and declaration.span not in seen:
            seen.add(declaration.span)
            yield from _unknown_options(self, declaration.library, declaration.default_options,
                                        "job option (in `defaultJobOptions`)")


def _unknown_options(self: Rule, library: str, options: Iterable[JobOption], what: str) -> Iterator[Diagnostic]:
    if library not in KNOWN:
        return
    for option in options:
        reason = MISPLACED[library].get(option.key)
        if reason is not None:
            yield self.at(option.span, f"`{option.key}` is not a {_label(library)} {what}: it is ignored",
                          hint=reason)
        elif "." not in option.key and option.key not in KNOWN[library]:
            close = did_you_mean(option.key, KNOWN[library])
            if close is not None:  # an unknown key far from every known one may be newer than this list
                yield self.at(option.span, f"`{option.key}` is not a {_label(library)} {what}: it is ignored",
                              hint=f"did you mean `{close}`?")


def _label(library: str) -> str:
    return {"bull": "Bull", "bullmq": "BullMQ", "arq": "arq"}[library]
