"""The rule catalogue: one module per rule, and the explicit, sorted REGISTRY."""

from __future__ import annotations

from queuelint.rules import (
    duplicate_handler,
    dynamic_job_name,
    invalid_job_id,
    invalid_job_option,
    mixed_bull_api,
    orphan_handler,
    parse_error,
    returned_error,
    silent_default,
    swallowed_error,
    unhandled_job_name,
    unknown_queue,
    unused_suppression,
)
from queuelint.rules.base import Rule, RuleContext

REGISTRY: tuple[Rule, ...] = (
    parse_error.check,
    unused_suppression.RULE,
    dynamic_job_name.check,
    unhandled_job_name.check,
    orphan_handler.check,
    duplicate_handler.check,
    unknown_queue.check,
    returned_error.check,
    swallowed_error.check,
    silent_default.check,
    invalid_job_option.check,
    mixed_bull_api.check,
    invalid_job_id.check,
)
BY_CODE = {r.code: r for r in REGISTRY}
BY_NAME = {r.name: r for r in REGISTRY}


def lookup(code_or_name: str) -> Rule | None:
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())


def closest_rule(written: str) -> str | None:
    """The code or name of the rule `written` probably meant (a misspelling), if any: what
    every "did you mean" about a rule says (a suppression, a selector, `queuelint rule`)."""
    from queuelint.rules.base import did_you_mean

    return did_you_mean(written.lower(), list(BY_NAME)) or did_you_mean(written.upper(), list(BY_CODE))


__all__ = ["BY_CODE", "BY_NAME", "REGISTRY", "Rule", "RuleContext", "closest_rule", "lookup"]
