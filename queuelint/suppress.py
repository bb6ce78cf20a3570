"""Inline suppressions (`// queuelint-disable-next-line QL101`, `# noqa: QL101`) and QL002."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from queuelint.config import Settings
from queuelint.findings import Diagnostic
from queuelint.rules import lookup
from queuelint.rules.unused_suppression import RULE as UNUSED

if TYPE_CHECKING:
    from queuelint.model import FileFacts, Suppression


def apply(diagnostics: Iterable[Diagnostic], facts: Iterable[FileFacts], settings: Settings) -> list[Diagnostic]:
    """Drop suppressed diagnostics; report suppressions that matched nothing (QL002)."""
    by_line: dict[tuple[str, int], list[Suppression]] = defaultdict(list)
    for file in facts:
        for suppression in file.suppressions:
            by_line[(file.path, suppression.target_line)].append(suppression)
    used: set[Suppression] = set()
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        matching = [s for s in by_line.get((diagnostic.span.path, diagnostic.span.line), []) if _covers(s, diagnostic)]
        if matching:
            used.update(matching)
        else:
            kept.append(diagnostic)
    if settings.is_enabled(UNUSED.code):
        for suppressions in by_line.values():
            for suppression in suppressions:
                if suppression not in used and not settings.ignored_in(suppression.span.path, UNUSED.code):
                    kept.append(_unused(suppression, settings))
    return kept


def _covers(suppression: Suppression, diagnostic: Diagnostic) -> bool:
    if not suppression.codes:
        return True
    return any(code.upper() == diagnostic.code or code.lower() == diagnostic.name for code in suppression.codes)


def _unused(suppression: Suppression, settings: Settings) -> Diagnostic:
    rules = [lookup(code) for code in suppression.codes]
    unknown = [code for code, rule in zip(suppression.codes, rules, strict=True) if rule is None]
    if unknown:
        message = f"suppression names unknown rule {unknown[0]!r}"
    elif rules and not any(rule is not None and settings.is_enabled(rule.code) for rule in rules):
        message = f"suppression of {', '.join(suppression.codes)}, which is not enabled"
    else:
        what = ", ".join(suppression.codes) if suppression.codes else "any rule"
        # Which line, said without its number: a message that stays true when code moves.
        where = "its line" if suppression.target_line == suppression.span.line else "the line below"
        message = f"suppression of {what} matches no finding on {where}"
    return UNUSED.at(suppression.span, message, hint="remove the comment")
