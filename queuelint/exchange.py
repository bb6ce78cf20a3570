"""Facts export and import: `queuelint extract -o facts.json`, `queuelint check --facts …`.

What is exported is each file's producers and consumers with their names already resolved
(to values, or marked dynamic/unknown), so a repository can check its producers against the
consumers of another one without that repository's sources, and shards of a monorepo can be
extracted separately and joined. Paths are stored relative to the exporting root.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from queuelint import __version__
from queuelint.model import Expr, FileFacts, Route, from_json, to_json

if TYPE_CHECKING:  # only `export` needs them, given a graph
    from queuelint.graph import QueueGraph
    from queuelint.resolve import Name

FORMAT = "queuelint-facts/1"


class FactsError(Exception):
    """A facts file that cannot be used, phrased for the user."""


def _fixed(name: Name) -> Expr:
    if name.is_value:
        return Expr.literal(name.value)
    if name.status == "dynamic":
        return Expr("dynamic", name.text, name.reason)
    return Expr.unknown(name.text, name.reason)


def export(graph: QueueGraph, root: str) -> dict[str, Any]:
    files: dict[str, FileFacts] = {}

    def file(path: str) -> FileFacts:
        return files.setdefault(path, FileFacts(path=path, language="exported"))

    for site in graph.producer_sites:
        producer = replace(site.producer, queue=_fixed(site.queue), job=_fixed(site.job))
        facts = file(site.path)
        files[site.path] = replace(facts, producers=(*facts.producers, producer))
    for handler in graph.consumer_sites:
        routes = tuple(Route(_fixed(name), route.span) for route, name in handler.routes)
        consumer = replace(handler.consumer, queue=_fixed(handler.queue), routes=routes, handler_ref="")
        facts = file(handler.path)
        files[handler.path] = replace(facts, consumers=(*facts.consumers, consumer))
    root = os.path.abspath(root)
    return {
        "format": FORMAT,
        "queuelint": __version__,
        "root": root,
        "files": [_paths(to_json(f), lambda p: os.path.relpath(p, root)) for _, f in sorted(files.items())],
    }


def write(graph: QueueGraph, root: str, target: str) -> int:
    data = export(graph, root)
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    return len(data["files"])


def load(source: str, root: str) -> list[FileFacts]:
    """Facts from a file; paths land under `root` when it was exported from the same root
    (shards of one checkout), else beside the facts file (another repository)."""
    try:
        with open(source, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise FactsError(f"{source}: cannot read: {error.strerror}") from None
    except ValueError as error:
        raise FactsError(f"{source}: not a facts file (invalid JSON: {error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FactsError(f"{source}: not a queuelint facts file (expected format {FORMAT!r})")
    base = root if os.path.abspath(str(data.get("root"))) == os.path.abspath(root) else \
        os.path.dirname(os.path.abspath(source))
    try:
        return [from_json(FileFacts, _paths(item, lambda p: os.path.normpath(os.path.join(base, p))))
                for item in data.get("files", [])]
    # AttributeError: a record that is not an object (a list, a string).
    except (TypeError, KeyError, ValueError, AttributeError) as error:
        raise FactsError(f"{source}: malformed facts ({error})") from None


def _paths(item: Any, convert: Any) -> Any:
    """Every `path` in a JSON-ready structure, converted."""
    if isinstance(item, dict):
        return {k: (convert(v) if k == "path" and isinstance(v, str) else _paths(v, convert)) for k, v in item.items()}
    if isinstance(item, list):
        return [_paths(v, convert) for v in item]
    return item

