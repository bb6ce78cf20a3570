"""Facts up to where they are: an edit that only moves queue code (lines added above it, a
function inserted between two producers, a reformatted call) changes every position in the
file and nothing the rules judge, so the last run's findings stay right once their positions
follow the code.

A file's *shape* is its facts with every position taken out, plus the order of those positions
among themselves: which come first, which share a line (a `# noqa` applies to its line). Rules
read positions only through such comparisons, so two versions of a file with the same shape
give the same findings, at the new positions. Positions are matched by their place in the
facts: the n-th position of the old facts is now the n-th position of the new ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import fields, is_dataclass, replace
from typing import TYPE_CHECKING

from queuelint.findings import Diagnostic, Related, Span

if TYPE_CHECKING:
    from queuelint.model import FileFacts

# Line numbers held outside a `Span` (a suppression's target line).
LINE_FIELDS = frozenset({"target_line"})
Position = tuple[int, int, int, int]


def positions(facts: FileFacts | None) -> list[Position]:
    """Every position in the facts, in the order they are held."""
    found: list[Position] = []
    if facts is not None:
        _strip(facts, found, [])
    return found


def shape(facts: FileFacts | None, error: str | None, receivers: tuple[str, ...] | None) -> str:
    """What the analysis sees of a file, positions reduced to their mutual order."""
    spans: list[Position] = []
    lines: list[int] = []
    structure = _strip(facts, spans, lines) if facts is not None else None
    all_lines = [span[0] for span in spans] + [span[2] for span in spans] + lines
    points = [span[:2] for span in spans] + [span[2:] for span in spans]
    payload = repr((structure, error, receivers, _ranks(all_lines), _ranks(points)))
    return hashlib.blake2b(payload.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _strip(value: object, spans: list[Position], lines: list[int]) -> object:
    if isinstance(value, Span):
        spans.append((value.line, value.column, value.end_line, value.end_column))
        return "@"
    if isinstance(value, tuple):
        return tuple([_strip(item, spans, lines) for item in value])
    names = _field_names(type(value))
    if names is None:
        return value
    parts: list[object] = []
    for name in names:
        item = getattr(value, name)
        if name in LINE_FIELDS and isinstance(item, int):
            lines.append(item)
            parts.append("#")
        else:
            parts.append(_strip(item, spans, lines))
    return (type(value).__name__, tuple(parts))


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A record type's fields (None for plain values), looked up once per type."""
    if kind not in _FIELD_NAMES:
        _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind)) if is_dataclass(kind) else None
    return _FIELD_NAMES[kind]


def _ranks(values: Sequence[object]) -> tuple[int, ...]:
    order = {value: rank for rank, value in enumerate(sorted(set(values)))}  # type: ignore[type-var]
    return tuple(order[value] for value in values)


def relocate(diagnostics: Sequence[Diagnostic], path: str, before: Sequence[Position],
             after: Sequence[Position]) -> list[Diagnostic] | None:
    """The findings with the positions in `path` moved from `before` to `after` (the same
    file's positions, by place); None if a finding there is not at one of them."""
    moved = dict(zip(before, after, strict=True))

    def follow(span: Span) -> Span | None:
        if span.path != path:
            return span
        found = moved.get((span.line, span.column, span.end_line, span.end_column))
        return Span(path, *found) if found is not None else None

    result = []
    for diagnostic in diagnostics:
        span = follow(diagnostic.span)
        related = [(follow(r.span), r.message) for r in diagnostic.related]
        if span is None or any(s is None for s, _ in related):
            return None
        result.append(replace(diagnostic, span=span,
                              related=tuple(Related(s, message) for s, message in related if s is not None)))
    return sorted(result, key=Diagnostic.sort_key)
