"""Producers whose library is told by the function they call: `send_mail.delay(…)` reads as
Celery's where it is written, but enqueues on RQ when `send_mail` was decorated by RQ's
`@job` (or an in-house alias of it, perhaps in a third module). The decorator is found by
resolution, not guessed from the method's name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from queuelint.model import ACTOR_QUEUE, RQ_DECORATOR, RQ_JOB_KIND, Expr, Producer

if TYPE_CHECKING:
    from queuelint.resolve import Resolver


def with_rq_jobs(producers: Mapping[str, list[Producer]], resolver: Resolver) -> dict[str, list[Producer]]:
    """The producers, each `.delay()` of an RQ `@job` function made RQ's, on the queue its
    decorator names."""
    found: dict[str, list[Producer]] = {}
    for path, items in producers.items():
        found[path] = [_relabelled(producer, path, resolver) for producer in items]
    return found


def _relabelled(producer: Producer, path: str, resolver: Resolver) -> Producer:
    if producer.library != "celery" or producer.call != "delay" or producer.job.kind != "ref":
        return producer
    decorator = Expr("queue_name", producer.job.text, parts=(Expr("ref", producer.job.text + RQ_DECORATOR),))
    if resolver.queue_kind(decorator, path) != RQ_JOB_KIND:
        return producer
    return replace(producer, library="rq", queue=Expr("ref", producer.job.text + ACTOR_QUEUE))
