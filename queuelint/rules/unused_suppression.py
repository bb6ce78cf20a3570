"""QL002: a suppression comment that suppresses nothing (computed in `suppress.py`)."""

from __future__ import annotations

from queuelint.findings import Severity
from queuelint.rules.base import Rule

# The engine applies suppressions after every other rule ran, so only it can tell which
# comments were used; this entry carries the rule's identity for config and reporters.
RULE = Rule("QL002", "unused-suppression", Severity.WARNING, (), None)
