"""`queuelint graph`: what was understood, per queue."""

from __future__ import annotations

import json
from typing import Any

from queuelint.graph import QueueGraph
from queuelint.reporters.paths import display_path

ANY_NAME = "*"


def as_json(graph: QueueGraph) -> dict[str, Any]:
    queues = []
    for queue in graph.queues():
        producers = [
            {"path": display_path(s.path), "line": s.span.line,
             "job": s.job.value if s.job.is_value else None, "library": s.producer.library}
            for s in graph.producers(queue)
        ]
        consumers = []
        for site in graph.consumers(queue):
            base = {"path": display_path(site.path), "line": site.span.line, "library": site.consumer.library,
                    "handler": site.consumer.handler}
            if site.consumer.accepts_any:
                consumers.append({**base, "job": ANY_NAME})
            for route, name in site.routes:
                consumers.append({**base, "line": route.span.line, "job": name.value if name.is_value else None})
        queues.append({"name": queue, "producers": producers, "consumers": consumers})
    unresolved = [
        {"path": display_path(span.path), "line": span.line, "what": what}
        for span, what in sorted(graph.unresolved, key=lambda item: (item[0], item[1]))
    ]
    return {"queues": queues, "unresolved": unresolved}


def render_json(graph: QueueGraph) -> str:
    return json.dumps(as_json(graph), indent=2, ensure_ascii=False) + "\n"


