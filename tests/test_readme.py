"""The README stays true: its rule table is the catalogue's, its sample output is real."""

from __future__ import annotations

import os
import re

from click.testing import CliRunner

from queuelint import catalogue
from queuelint.cli import cli
from tests.conftest import REPO


def test_rule_table_is_generated_from_the_catalogue() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert catalogue.readme_with_table(readme) == readme, "run `python -m queuelint.catalogue README.md`"


def at_repo_root(*args: str) -> str:
    """The CLI's output, run from the repository root as the README shows it."""
    previous = os.getcwd()
    os.chdir(REPO)
    try:
        return CliRunner().invoke(cli, [*args, "--jobs", "1", "--no-cache"]).stdout
    finally:
        os.chdir(previous)


def test_sample_output_is_what_the_tool_prints() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Sample output \(`queuelint check (\S+)`\):\n\n```text\n(.*?)```", readme, re.S)
    assert match is not None
    assert at_repo_root("check", match.group(1)) == match.group(2)


def test_every_toml_example_is_a_valid_config(tmp_path: object) -> None:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    from queuelint import config

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "language-server" not in b]  # editors' own
    assert len(blocks) >= 3
    for block in blocks:
        config.from_table(tomllib.loads(block), "queuelint.toml")  # raises ConfigError if not


def test_queue_picture_is_what_the_tool_draws() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"This is `queuelint graph (\S+) --format mermaid`:\n\n```mermaid\n(.*?)```", readme, re.S)
    assert match is not None
    assert at_repo_root("graph", match.group(1), "--format", "mermaid") == match.group(2)


def test_bad_inputs_table_names_tests_that_exist() -> None:
    text = (REPO / "docs" / "bad-inputs.md").read_text(encoding="utf-8")
    references = re.findall(r"`(test_\w+\.py)::(\w+)`", text)
    assert len(references) >= 12
    for module, name in references:
        source = (REPO / "tests" / module).read_text(encoding="utf-8")
        assert f"def {name}(" in source, f"{module}::{name} is named in docs/bad-inputs.md but does not exist"


def test_every_flag_and_config_key_is_documented() -> None:
    from queuelint import config

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    usage = re.search(r"## Usage\n\n```text\n(.*?)```", readme, re.S)
    assert usage is not None
    for name, command in cli.commands.items():
        assert f"queuelint {name}" in usage.group(1), name
        for parameter in command.params:
            for flag in getattr(parameter, "opts", []):
                if flag.startswith("--") and flag != "--help":
                    assert flag in usage.group(1) or name != "check", f"check {flag} is not in the README's usage"
    for key in config.KNOWN_KEYS:
        assert f"`{key}`" in readme, f"config key {key!r} is not documented"


def test_the_gitlab_job_writes_the_report_it_uploads(in_tmp: object) -> None:
    import json
    import shlex
    from pathlib import Path

    import jsonschema
    import yaml  # type: ignore[import-untyped]  # pre-commit's own dependency

    from tests.helpers import write_project
    from tests.test_cli_options import MIXED

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"### GitLab CI\n.*?```yaml\n(.*?)```", readme, re.S)
    assert block is not None
    job = yaml.safe_load(block.group(1))["queuelint"]
    [command] = [line for line in job["script"] if line.startswith("queuelint ")]
    arguments, _, target = command.partition(" > ")
    assert job["artifacts"]["reports"]["codequality"] == target and job["artifacts"]["when"] == "always"
    write_project(Path(str(in_tmp)), MIXED)
    result = CliRunner().invoke(cli, shlex.split(arguments)[1:])
    assert result.exit_code == 1  # the job fails on findings, and keeps the report
    schema = json.loads((REPO / "tests" / "data" / "gitlab-codequality.schema.json").read_text())
    report = json.loads(result.stdout)
    assert report
    for item in report:
        jsonschema.validate(item, schema)
