"""One JSON object per line, per finding: the `json` format's objects, for streaming tools."""

from __future__ import annotations

import json
from collections.abc import Sequence

from queuelint.findings import Diagnostic
from queuelint.reporters.json_format import as_dict
from queuelint.reporters.paths import valid_json


def render(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    return "".join(valid_json(json.dumps(as_dict(d), ensure_ascii=False)) + "\n" for d in diagnostics)
