"""Every chapter follows the page template of CONTRIBUTING.md, read from the sources (no build needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ANATOMY = [
    "## What you'll learn",
    "## Prerequisites",
    "**Time to learn:**",
    "## Setup",
    "## Pitfalls",
    "## Exercises",
    "## Summary",
    "## What's next",
]


def chapters() -> list[Path]:
    """The chapter sources of the TOC's first part (the migration chapters)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [ROOT / f"{chapter['file']}.md" for chapter in toc["parts"][0]["chapters"]]


@pytest.mark.parametrize("path", chapters(), ids=lambda p: p.stem)
def test_chapter_follows_the_page_template(path: Path) -> None:
    text = path.read_text()
    assert text.startswith("---\njupytext:"), "chapters are MyST notebooks with a jupytext header"
    assert re.search(r"^# \S", text, flags=re.M), "a title"
    positions = [text.find(heading) for heading in ANATOMY]
    missing = [heading for heading, at in zip(ANATOMY, positions, strict=True) if at < 0]
    assert missing == [], f"missing parts: {missing}"
    assert positions == sorted(positions), "the parts are out of order"
    assert re.search(r"^:tab: ", text, flags=re.M), "at least one executed before/after tab"
    assert re.search(r"^:tags: \[.*raises-exception", text, flags=re.M), "at least one executed pitfall"
    assert "{exercise}" in text, "an exercise block"


def test_file_names_are_hyphenated() -> None:
    names = [p.name for folder in ("book", "exercises", "solutions") for p in (ROOT / folder).rglob("*.*")]
    assert [n for n in names if "_" in n and not n.startswith("_") and n.endswith((".md", ".ipynb"))] == []


def test_student_toc_is_the_full_toc_without_solutions() -> None:
    full = yaml.safe_load((ROOT / "_toc.yml").read_text())
    student = yaml.safe_load((ROOT / "_toc_student.yml").read_text())
    assert student == {**full, "parts": [p for p in full["parts"] if p["caption"] != "Solutions"]}
