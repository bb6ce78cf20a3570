"""GitLab Code Quality (the `codequality` report of a merge request): a JSON array with a
description, check_name, fingerprint, severity and location per finding.

Paths are relative to the working directory, which in a GitLab job is the repository root,
as GitLab wants them. A fingerprint is stable when lines move (the rule, the file, the
message) and unique in the report (a counter tells identical findings apart)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from queuelint.findings import Diagnostic, Severity
from queuelint.reporters.paths import display_path, valid_json

# GitLab's scale: info, minor, major, critical, blocker.
SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def as_list(diagnostics: Sequence[Diagnostic]) -> list[dict[str, Any]]:
    seen: Counter[str] = Counter()
    issues = []
    for d in diagnostics:
        path = display_path(d.span.path)
        key = f"{d.code}\0{path}\0{d.message}"
        seen[key] += 1
        fingerprint = hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogatepass")).hexdigest()
        issues.append({
            "type": "issue",
            "description": f"{d.code} [{d.name}] {d.message}",
            "check_name": d.code,
            "content": {"body": d.hint} if d.hint else {"body": d.message},
            "categories": ["Bug Risk"],
            "fingerprint": fingerprint,
            "severity": SEVERITIES[d.severity],
            "location": {"path": path, "lines": {"begin": d.span.line, "end": d.span.end_line}},
        })
    return issues


def render(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    return valid_json(json.dumps(as_list(diagnostics), indent=2, ensure_ascii=False)) + "\n"
