"""SARIF 2.1.0 for code scanning: rules from the catalogue, stable `ruleId`s,
`partialFingerprints` that survive line moves, and the other end as `relatedLocations`."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from queuelint import __version__, catalogue
from queuelint.findings import Diagnostic, Severity, Span
from queuelint.reporters.paths import display_path, valid_json
from queuelint.rules import REGISTRY

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    return valid_json(json.dumps(as_dict(diagnostics, internal_errors), indent=2, ensure_ascii=False)) + "\n"


def as_dict(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> dict[str, Any]:
    pages = catalogue.pages()
    base = catalogue.documentation_base()
    rules = []
    for rule in REGISTRY:
        page = pages.get(rule.code)
        help_text = page.documentation if page else rule.name  # the page without its test Cases
        descriptor: dict[str, Any] = {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": page.summary if page else rule.name},
            "fullDescription": {"text": page.summary if page else rule.name},
            "help": {"text": help_text, "markdown": help_text},
            "defaultConfiguration": {"level": LEVELS[rule.severity]},
            "properties": {"tags": list(rule.libraries)},
        }
        if base and page:
            descriptor["helpUri"] = f"{base}/{urllib.parse.quote(page.file_name)}"
        rules.append(descriptor)
    index = {rule.code: i for i, rule in enumerate(REGISTRY)}
    root = Path(os.getcwd()).as_uri() + "/"
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "queuelint", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "originalUriBaseIds": {"SRCROOT": {"uri": root}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, index) for d in diagnostics],
    }
    if internal_errors:
        run["invocations"] = [{"executionSuccessful": False,
                               "toolExecutionNotifications": [{"level": "error", "message": {
                                   "text": f"{internal_errors} internal error(s); the results are incomplete"}}]}]
    else:
        run["invocations"] = [{"executionSuccessful": True}]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def artifact_uri(path: str) -> str:
    """A relative URI reference, as SARIF requires: the file name's own bytes (not UTF-8 when
    the name is not), %-encoded; `/` kept."""
    return urllib.parse.quote(os.fsencode(display_path(path)))


def _location(span: Span) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(span.path), "uriBaseId": "SRCROOT"},
            "region": {"startLine": span.line, "startColumn": span.column,
                       "endLine": span.end_line, "endColumn": max(span.end_column, 1)},
        }
    }


def _result(d: Diagnostic, index: dict[str, int]) -> dict[str, Any]:
    text = f"{d.message}. Hint: {d.hint}" if d.hint else d.message
    # Stable across edits that only move lines: the rule, the file and what the message says.
    # surrogatepass: strict UTF-8 raised on an undecodable file name; the same bytes for the rest.
    key = f"{d.code}\0{display_path(d.span.path)}\0{d.message}".encode("utf-8", "surrogatepass")
    fingerprint = hashlib.sha256(key).hexdigest()[:32]
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": index[d.code],
        "level": LEVELS[d.severity],
        "message": {"text": text},
        "locations": [_location(d.span)],
        "partialFingerprints": {"queuelint/v1": fingerprint},
    }
    if d.related:
        result["relatedLocations"] = [
            {"id": i, **_location(r.span), "message": {"text": r.message}} for i, r in enumerate(d.related)
        ]
    return result
