"""Suppressions (`// queuelint-disable-next-line QL101`, `# noqa: QL101`, and for a whole file
`// queuelint-disable-file QL101`, `# queuelint: disable-file=QL101`) and QL002.

QL002 speaks only of rules that are on: a suppression of a rule turned off (`--ignore`, the
config) is kept for when it is on again, not reported."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from queuelint.config import Settings
from queuelint.findings import WHOLE_FILE, Diagnostic
from queuelint.rules import closest_rule, lookup
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
        path = diagnostic.span.path
        candidates = [*by_line.get((path, diagnostic.span.line), []), *by_line.get((path, WHOLE_FILE), [])]
        matching = [s for s in candidates if _covers(s, diagnostic)]
        if matching:
            used.update(matching)
        else:
            kept.append(diagnostic)
    if settings.is_enabled(UNUSED.code):
        for suppressions in by_line.values():
            for suppression in suppressions:
                if suppression not in used and not settings.ignored_in(suppression.span.path, UNUSED.code):
                    unused = _unused(suppression, settings)
                    if unused is not None:
                        kept.append(unused)
    return kept


def _covers(suppression: Suppression, diagnostic: Diagnostic) -> bool:
    if not suppression.codes:
        return True
    return any(code.upper() == diagnostic.code or code.lower() == diagnostic.name for code in suppression.codes)


def _unused(suppression: Suppression, settings: Settings) -> Diagnostic | None:
    """The QL002 for a suppression that matched nothing, or None when every rule it names is
    off (it may match again when they are on)."""
    rules = [lookup(code) for code in suppression.codes]
    unknown = [code for code, rule in zip(suppression.codes, rules, strict=True) if rule is None]
    if unknown:
        close = closest_rule(unknown[0])
        hint = f"did you mean {close!r}?" if close else "`queuelint rules` lists the rules; fix the name or remove it"
        return UNUSED.at(suppression.span, f"suppression names unknown rule {unknown[0]!r}", hint=hint)
    enabled = [code for code, rule in zip(suppression.codes, rules, strict=True)
               if rule is not None and settings.is_enabled(rule.code)]
    if suppression.codes and not enabled:
        return None
    what = ", ".join(enabled) if enabled else "any rule"
    # Which line, said without its number: a message that stays true when code moves.
    if suppression.target_line == WHOLE_FILE:
        where = "in this file"
    else:
        where = "on its line" if suppression.target_line == suppression.span.line else "on the line below"
    return UNUSED.at(suppression.span, f"suppression of {what} matches no finding {where}", hint="remove the comment")
