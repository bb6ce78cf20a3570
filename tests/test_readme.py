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
