"""Every rule page's examples run as small projects: annotated lines must be reported,
unannotated lines must not, `todo:` lines record known misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuelint import catalogue
from queuelint.rules import REGISTRY
from tests.helpers import found, run

PAGES = catalogue.pages()
EXAMPLES = [
    pytest.param(page, example, id=f"{code}:{example.section}")
    for code, page in sorted(PAGES.items())
    for example in page.examples()
]


def test_registry_and_pages_are_one_to_one() -> None:
    assert sorted(PAGES) == sorted(r.code for r in REGISTRY)
    for rule in REGISTRY:
        page = PAGES[rule.code]
        assert page.name == rule.name
        assert Path(page.path).name == f"{rule.code}-{rule.name}.md"


@pytest.mark.parametrize("code", sorted(PAGES))
def test_page_has_the_sections_users_expect(code: str) -> None:
    text = PAGES[code].text
    for section in ("## What it finds", "## Why it matters", "## Example", "## Fix", "## Options", "## Known limits"):
        assert section in text, f"{code} page lacks {section!r}"
    sections = {e.section: e for e in PAGES[code].examples()}
    assert any(code == c for _, _, c in sections["Example"].expected), "the Example must show the rule firing"
    assert not sections["Fix"].expected, "the Fix must be clean"


@pytest.mark.parametrize(("page", "example"), EXAMPLES)
def test_page_example(page: catalogue.Page, example: catalogue.Example, tmp_path: Path) -> None:
    reported = found(tmp_path, run(tmp_path, example.files))
    assert reported == set(example.expected), (
        f"{page.code} / {example.section}: missing {sorted(set(example.expected) - reported)}, "
        f"unexpected {sorted(reported - set(example.expected))}"
    )
    promoted = reported & set(example.known_misses)
    assert not promoted, f"now reported, turn `todo:` into `error:`: {sorted(promoted)}"
