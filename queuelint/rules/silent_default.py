"""QL203: a job-name switch whose default (or missing default) does not throw."""

from __future__ import annotations

from collections.abc import Iterator

from queuelint.findings import Diagnostic, Related, Severity
from queuelint.rules.base import Rule, RuleContext, in_python, rule


@rule(code="QL203", name="silent-default", severity=Severity.WARNING, libraries=("bull", "bullmq"))
def check(self: Rule, context: RuleContext) -> Iterator[Diagnostic]:
    for site in context.graph.consumers():
        router = site.consumer.router
        if router is None or router.fallback not in ("silent", "missing"):
            continue
        # Names not known here (`allowed.includes(job.name)`) are quoted as the code says them.
        handled = ", ".join(sorted(n.display() if n.is_value else f"`{n.text}`" for _, n in site.routes)) or "no names"
        if in_python(router.span.path):
            routing = {"switch": f"match {router.subject}", "if": f"if {router.subject} == …",
                       "guard": f"if {router.subject} != …"}[router.form]
        else:
            routing = {"switch": f"switch ({router.subject})", "if": f"if ({router.subject} === …)",
                       "guard": f"if ({router.subject} !== …)"}[router.form]
        if router.form == "guard":
            span, what = router.span, f"`{routing}` returns without failing the job"
        elif router.fallback == "silent" and router.fallback_span is not None:
            branch = "default" if router.form == "switch" else "fallback"
            span, what = router.fallback_span, f"the {branch} of `{routing}` only logs or returns"
        else:
            span, what = router.span, f"`{routing}` has no default"
        yield self.at(
            span,
            f"{what} in {site.consumer.handler}: a job named anything but {handled} completes "
            "without being processed",
            hint="raise for unknown names, e.g. `raise ValueError(f'unknown job {job.name}')`, so such jobs fail"
            if in_python(router.span.path) else
            "throw for unknown names, e.g. `throw new Error('Unknown job ' + job.name)`, so such jobs "
            "fail and show up as failed",
            related=[Related(site.consumer.span, f"handler {site.consumer.handler}")],
        )
