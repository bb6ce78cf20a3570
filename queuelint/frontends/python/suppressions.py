"""Suppressions in Python: `noqa` comments naming queuelint codes or rule names, and
`# queuelint: disable-file=QL101` (no codes: every rule) for the whole file.

Read with the stdlib tokenizer, apart from the libcst front-end: `inputs` reads them too,
without libcst."""

from __future__ import annotations

import io
import re
import tokenize

from queuelint.findings import WHOLE_FILE, Span
from queuelint.model import Suppression

# Suppressions are `noqa` comments naming queuelint codes or rule names; codes of other
# tools (E501) are theirs, and text after the codes is a comment.
CODE = r"(?:[A-Za-z]{1,3}\d{3,4}|[a-z0-9]+(?:-[a-z0-9]+)+)"
NOQA = re.compile(rf"#\s*noqa(?::\s*(?P<codes>{CODE}(?:[\s,]*,[\s,]*{CODE}|[ \t]+{CODE})*))?", re.I)
DISABLE_FILE = re.compile(rf"#\s*queuelint:\s*disable-file\b(?:\s*=\s*(?P<codes>{CODE}(?:\s*,\s*{CODE})*))?")
QUEUELINT_CODE = re.compile(r"^(?:QL\d{3}|[a-z0-9]+(?:-[a-z0-9]+)+)$")


def _queuelint_codes(match: re.Match[str]) -> tuple[str, ...]:
    return tuple(c for c in re.split(r"[,\s]+", (match.group("codes") or "").strip())
                 if c and QUEUELINT_CODE.match(c) and _ours(c))


def _ours(code: str) -> bool:
    """`noqa` is every tool's: a hyphenated name is queuelint's if it names one of its rules,
    or nearly (a misspelling, for QL002 to report); `# noqa: group-leak` is a marker of
    another tool's."""
    if code[:2].upper() == "QL":
        return True
    from queuelint.rules import REGISTRY
    from queuelint.rules.base import did_you_mean

    names = [rule.name for rule in REGISTRY]
    return code.lower() in names or did_you_mean(code.lower(), names) is not None


def suppressions_in(path: str, text: str) -> list[Suppression]:
    found: list[Suppression] = []
    if "queuelint:" not in text and not any(_queuelint_codes(match) for match in NOQA.finditer(text)):
        return found  # the (pure Python) tokenizer only runs on files naming a queuelint rule
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        line, column = token.start
        span = Span(path, line, column + 1, line, column + 1 + len(token.string))
        whole = DISABLE_FILE.match(token.string)
        if whole is not None:
            codes = tuple(c.strip() for c in (whole.group("codes") or "").split(",") if c.strip())
            found.append(Suppression(span, WHOLE_FILE, codes))
            continue
        match = NOQA.search(token.string)
        if match is None:
            continue
        codes = _queuelint_codes(match)
        if match.group("codes") and not codes:
            continue  # other tools' codes (E501, F401): no queuelint rule named
        if not codes and match.group("codes") is None:
            continue  # a bare noqa belongs to flake8/ruff; queuelint wants its codes named
        found.append(Suppression(span, line, codes))
    return found
