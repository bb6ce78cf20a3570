"""The rule pages (`rules/QL102-unhandled-job-name.md`): docs, examples that run as tests,
`queuelint rule CODE`, and the README's rule table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from queuelint.rules import REGISTRY

TITLE = re.compile(r"^# (QL\d{3}) ([a-z0-9-]+)\s*$")
FILE_LABEL = re.compile(r"^`([^`]+)`:\s*$")
ANNOTATION = re.compile(r"\b(error|warning|info|todo): \[(QL\d{3}(?:,\s*QL\d{3})*)\]")
README_START = "<!-- rules:start -->"
README_END = "<!-- rules:end -->"


@dataclass(frozen=True)
class Example:
    """One section of a page run as a small project: its files and the findings it expects."""

    section: str
    files: dict[str, str]
    expected: frozenset[tuple[str, int, str]]  # (file, line, code) that must be reported
    known_misses: frozenset[tuple[str, int, str]]  # `todo:` lines: not reported yet


@dataclass(frozen=True)
class Page:
    code: str
    name: str
    summary: str
    text: str
    path: str

    def examples(self) -> list[Example]:
        return _examples(self.text)

    @property
    def documentation(self) -> str:
        """The page for a reader: without its `## Cases` sections, which are tests."""
        kept: list[str] = []
        in_cases = False
        for line in self.text.splitlines(keepends=True):
            if line.startswith("## "):
                in_cases = line.startswith("## Cases")
            if not in_cases:
                kept.append(line)
        return "".join(kept).rstrip("\n") + "\n"

    @property
    def file_name(self) -> str:
        return Path(self.path).name


def documentation_base() -> str | None:
    """Where the rule pages can be read on the web (`[project.urls] Documentation`, else
    `Repository` + `/blob/main/rules`), when the installed package says."""
    from importlib import metadata

    try:
        urls = metadata.metadata("queuelint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    lowered: dict[str, str] = {}
    for url in urls:
        label, _, address = url.partition(",")
        if address:
            lowered[label.strip().lower()] = address.strip()
    if "rules" in lowered:
        return lowered["rules"].rstrip("/")
    if "repository" in lowered:
        return lowered["repository"].rstrip("/") + "/blob/main/rules"
    return None


def pages_directory() -> Path:
    from importlib import resources  # 20 ms: only when a page is wanted

    shipped = resources.files("queuelint") / "_pages"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parent.parent / "rules"  # a source checkout


@cache
def pages() -> dict[str, Page]:
    found: dict[str, Page] = {}
    for path in sorted(pages_directory().glob("QL*.md")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        match = TITLE.match(lines[0]) if lines else None
        if match is None:
            continue
        summary = next((line.strip() for line in lines[1:] if line.strip()), "")
        found[match.group(1)] = Page(match.group(1), match.group(2), summary, text, str(path))
    return found


def _examples(text: str) -> list[Example]:
    examples: list[Example] = []
    section = ""
    files: dict[str, str] = {}
    label: str | None = None
    block: list[str] | None = None

    def close_section() -> None:
        if files:
            expected: set[tuple[str, int, str]] = set()
            todo: set[tuple[str, int, str]] = set()
            for name, content in files.items():
                for number, line in enumerate(content.splitlines(), start=1):
                    for kind, codes in ANNOTATION.findall(line):
                        for code in re.split(r",\s*", codes):
                            (todo if kind == "todo" else expected).add((name, number, code))
            examples.append(Example(section, dict(files), frozenset(expected), frozenset(todo)))
        files.clear()

    for line in text.splitlines():
        if block is not None:
            if line.startswith("```"):
                if label is not None:
                    files[label] = "\n".join(block) + "\n"
                block, label = None, None
            else:
                block.append(line)
            continue
        if line.startswith("## "):
            close_section()
            section = line[3:].strip()
        elif (match := FILE_LABEL.match(line)) is not None:
            label = match.group(1)
        elif line.startswith("```"):
            block = []
        elif line.strip():
            label = None  # prose between a label and its block: the block is not a file
    close_section()
    return examples


def readme_table() -> str:
    rows = ["| code | name | severity | libraries | what it finds |", "|---|---|---|---|---|"]
    for rule in REGISTRY:
        page = pages().get(rule.code)
        summary = page.summary if page else ""
        libraries = ", ".join(rule.libraries) or "all"
        link = f"[{rule.code}](rules/{rule.code}-{rule.name}.md)"
        rows.append(f"| {link} | {rule.name} | {rule.severity.value} | {libraries} | {summary} |")
    return "\n".join(rows)


def readme_with_table(readme: str) -> str:
    start, end = readme.index(README_START), readme.index(README_END)
    return readme[: start + len(README_START)] + "\n" + readme_table() + "\n" + readme[end:]


def update_readme(path: Path) -> bool:
    """Rewrite the rule table of a README in place; True when it changed."""
    text = path.read_text(encoding="utf-8")
    updated = readme_with_table(text)
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


if __name__ == "__main__":  # `python -m queuelint.catalogue README.md`
    import sys

    for name in sys.argv[1:] or ["README.md"]:
        print(f"{name}: {'updated' if update_readme(Path(name)) else 'up to date'}")
