"""The benchmark's generator plants exactly the bugs it says, and queuelint finds exactly them
(on a small tree here; `python bench/run.py` measures the 1M-line one)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from queuelint import engine
from queuelint.config import Settings
from tests.conftest import REPO


def test_generated_monorepo_findings_equal_the_planted_bugs(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("generate", REPO / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    summary = generate.generate(str(tmp_path / "tree"), lines=20_000, services=30)
    planted = {(p["path"], p["line"], p["code"]) for p in summary["planted"]}
    assert len(planted) > 5
    result = engine.analyse([str(tmp_path / "tree")], Settings(root=str(tmp_path / "tree")), jobs=2)
    found = {(str(Path(d.span.path).relative_to(tmp_path / "tree")), d.span.line, d.code) for d in result.diagnostics}
    assert found == planted
    assert json.loads((tmp_path / "tree" / "planted.json").read_text())["lines"] >= 20_000
