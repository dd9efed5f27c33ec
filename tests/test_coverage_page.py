"""The Coverage page: every official pattern has a row, and every row's link resolves in the built book."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "book" / "reference" / "coverage.md"
ROW = re.compile(r"^\| (?P<id>[A-Z0-9]+-\w+) \| .*?\]\(#(?P<label>[\w-]+)\) \| (?P<how>[ESN]) \|", re.MULTILINE)


def rows() -> list[re.Match]:
    return list(ROW.finditer(PAGE.read_text(encoding="utf-8")))


def test_every_official_pattern_of_the_review_has_one_row() -> None:
    ids = [r["id"] for r in rows()]
    assert len(ids) == len(set(ids)), "a pattern listed twice"
    official = [i for i in ids if not i.startswith("X")]
    assert len(official) == 161  # every pattern the review of IBM's pages counted
    table_rows = [
        line
        for line in PAGE.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and "| ID |" not in line and not line.startswith("| ---")
    ]
    assert len(table_rows) == len(rows())  # every table row is well formed: an ID, a link, a treatment


def test_every_row_links_to_a_section_of_the_built_book(html: Path) -> None:
    anchors: set[str] = set()
    for page in html.rglob("*.html"):
        anchors |= set(re.findall(r'id="([\w-]+)"', page.read_text(encoding="utf-8", errors="replace")))
    missing = sorted({r["label"] for r in rows()} - anchors)
    assert missing == [], f"labels with no section in the built book: {missing}"
    built = (html / "book" / "reference" / "coverage.html").read_text(encoding="utf-8")
    assert built.count("<tr") >= len(rows())
