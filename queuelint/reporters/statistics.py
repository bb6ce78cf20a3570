"""`--statistics`: how many findings each rule has, most first, as ruff prints them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from queuelint.findings import Diagnostic


def render(diagnostics: Sequence[Diagnostic], as_json: bool = False) -> str:
    counts = Counter((d.code, d.name, d.severity.value) for d in diagnostics)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    if as_json:
        return json.dumps([{"code": code, "name": name, "severity": severity, "count": count}
                           for (code, name, severity), count in ordered], indent=2) + "\n"
    width = len(str(ordered[0][1])) if ordered else 1
    return "".join(f"{count:>{width}}  {code}  {name:<20}  {severity}\n" for (code, name, severity), count in ordered)
