"""`queuelint graph`: what was understood, per queue."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from queuelint.reporters.paths import display_path, printable, valid_json

if TYPE_CHECKING:
    from queuelint.graph import QueueGraph

ANY_NAME = "*"


def as_json(graph: QueueGraph) -> dict[str, Any]:
    queues = []
    for queue in graph.queues():
        producers = [
            {"path": display_path(s.path), "line": s.span.line,
             "job": s.job.value if s.job.is_value else None, "library": s.producer.library}
            for s in graph.producers(queue)
        ] + [
            {"path": display_path(s.path), "line": s.span.line,
             "job": s.job.value if s.job.is_value else None, "library": s.producer.library, "via": s.producer.via}
            for s in graph.relay_sites if s.queue.value == queue
        ]
        consumers = []
        for site in graph.consumers(queue):
            base = {"path": display_path(site.path), "line": site.span.line, "library": site.consumer.library,
                    "handler": site.consumer.handler}
            if site.consumer.accepts_any:
                consumers.append({**base, "job": ANY_NAME})
            for route, name in site.routes:  # at the route; where the worker is made, beside it
                consumers.append({**base, "path": display_path(route.span.path), "line": route.span.line,
                                  "job": name.value if name.is_value else None,
                                  "registered": {"path": base["path"], "line": base["line"]}})
        queues.append({"name": queue, "producers": producers, "consumers": consumers})
    unresolved = [
        {"path": display_path(span.path), "line": span.line, "what": what}
        for span, what in sorted(graph.unresolved, key=lambda item: (item[0], item[1]))
    ]
    return {"queues": queues, "unresolved": unresolved}


def render_json(graph: QueueGraph) -> str:
    return valid_json(json.dumps(as_json(graph), indent=2, ensure_ascii=False)) + "\n"




# --- pictures ------------------------------------------------------------------------


def _summary(graph: QueueGraph, queue: str) -> tuple[dict[str, list[str]], set[str], set[str], bool]:
    """Per queue: producers by job name, the handled names, the unhandled ones, catch-all?"""
    produced: dict[str, list[str]] = {}
    for site in graph.producers(queue):
        name = site.job.value if site.job.is_value else "(dynamic)" if site.job.status == "dynamic" else "(unknown)"
        produced.setdefault(name, []).append(f"{display_path(site.path)}:{site.span.line}")
    handled = graph.handled(queue)
    names = set(handled.names)
    certain = bool(graph.consumers(queue)) and handled.complete and not handled.accepts_any
    unhandled = {n for n in produced if certain and n not in names and not n.startswith("(")}
    return produced, names, unhandled, handled.accepts_any


def _label(text: str) -> str:
    # Every label (file, job, queue, handler) escaped: a raw CR/LF breaks the chart, ESC misleads.
    return printable(text).replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def render_mermaid(graph: QueueGraph) -> str:
    """A Mermaid flowchart (renders in GitHub Markdown): producers -> job names -> consumers.
    Names nobody handles are red, handlers nothing produces are grey."""
    lines = ["flowchart LR"]
    for q_index, queue in enumerate(graph.queues()):
        produced, handled, unhandled, _ = _summary(graph, queue)
        q = f"q{q_index}"
        lines.append(f'  subgraph {q}["queue {_label(queue)}"]')
        names = sorted(set(produced) | handled)
        ids = {name: f"{q}n{i}" for i, name in enumerate(names)}
        for name in names:
            style = ":::unhandled" if name in unhandled else ":::orphan" if name not in produced else ""
            lines.append(f'    {ids[name]}(["{_label(name)}"]){style}')
        lines.append("  end")
        for name in names:
            for i, where in enumerate(produced.get(name, [])):
                lines.append(f'  {ids[name]}p{i}["{_label(where)}"] --> {ids[name]}')
        for c_index, site in enumerate(graph.consumers(queue)):
            node = f'{q}c{c_index}["{_label(site.consumer.handler)}<br/>{_label(display_path(site.path))}:{site.span.line}"]'
            targets = [ids[n.value] for _, n in site.routes if n.is_value and n.value in ids]
            if site.consumer.accepts_any or not targets:
                lines.append(f"  {q} -- every name --> {node}")
            for target in targets:
                lines.append(f"  {target} --> {node}")
    lines.append("  classDef unhandled fill:#fdd,stroke:#c00,color:#900")
    lines.append("  classDef orphan fill:#eee,stroke:#999,color:#666")
    return "\n".join(lines) + "\n"


def render_dot(graph: QueueGraph) -> str:
    """Graphviz: one cluster per queue, holding the queue and its job names; unhandled names
    red, unproduced handlers grey. A consumer that handles every name hangs off the queue."""
    def escaped(text: str) -> str:
        # Escaped as in Mermaid; the `\\` a name's escapes add are then doubled, as any backslash is.
        return printable(text).replace("\\", "\\\\").replace('"', '\\"')

    def quote(*lines: str) -> str:
        return '"' + "\\n".join(escaped(line) for line in lines) + '"'  # DOT's own line break between them

    lines = ["digraph queuelint {", "  rankdir=LR;", "  node [fontname=Helvetica, fontsize=10];"]
    for q_index, queue in enumerate(graph.queues()):
        produced, handled, unhandled, _ = _summary(graph, queue)
        names = sorted(set(produced) | handled)
        queue_node = f"q{q_index}"
        lines.append(f"  subgraph cluster_{q_index} {{ label={quote('queue ' + queue)};")
        lines.append(f"    {queue_node} [label={quote(queue)}, shape=cylinder];")
        for i, name in enumerate(names):
            color = ', style=filled, fillcolor="#ffdddd", color="#cc0000"' if name in unhandled else (
                ', style=filled, fillcolor="#eeeeee", color="#999999"' if name not in produced else "")
            lines.append(f"    q{q_index}n{i} [label={quote(name)}, shape=ellipse{color}];")
            lines.append(f"    q{q_index}n{i} -> {queue_node} [arrowhead=none, style=dotted];")
        lines.append("  }")
        ids = {name: f"q{q_index}n{i}" for i, name in enumerate(names)}
        for name in names:
            for i, where in enumerate(produced.get(name, [])):
                lines.append(f"  {ids[name]}p{i} [label={quote(where)}, shape=box]; {ids[name]}p{i} -> {ids[name]};")
        for c_index, site in enumerate(graph.consumers(queue)):
            node = f"q{q_index}c{c_index}"
            label = quote(site.consumer.handler, f"{display_path(site.path)}:{site.span.line}")
            lines.append(f"  {node} [label={label}, shape=box, style=rounded];")
            targets = [ids[n.value] for _, n in site.routes if n.is_value and n.value in ids]
            for target in targets:
                lines.append(f"  {target} -> {node};")
            if site.consumer.accepts_any or not targets:
                lines.append(f"  {queue_node} -> {node} [label=\"every name\", style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"


RENDERERS = {"json": render_json, "mermaid": render_mermaid, "dot": render_dot}
