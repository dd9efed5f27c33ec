"""Every figure of the built site says in its alt text what it shows (not its hashed file name, never nothing).

Chapter authors write the alt text (`mystnb: image: alt:` in a code cell's metadata, or the `alt` of an image in
Markdown); this test names every image still without one, page by page.
"""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path

import pytest

HASHED = re.compile(r"^[0-9a-f]{16,}(\.\w+)?$")


def article_images(page: Path) -> list[tuple[str, str | None]]:
    """The (src, alt) of every image in a built page's article; alt is None when the attribute is missing."""
    text = page.read_text()
    start, end = text.find("<article"), text.find("</article>")
    found = []
    for tag in re.findall(r"<img\b[^>]*>", text[start:end] if start >= 0 else ""):
        src = re.search(r'\bsrc="([^"]*)"', tag)
        alt = re.search(r'\balt="([^"]*)"', tag)
        found.append((src[1] if src else "", html_module.unescape(alt[1]).strip() if alt else None))
    return found


def weak_alt(src: str, alt: str | None) -> str | None:
    """Why an image's alt text says nothing about the figure, or None when it does."""
    if alt is None or not alt:
        return "no alt text"
    named = Path(alt.split("?")[0]).name
    if HASHED.match(named) or named in (Path(src).stem, Path(src).name) or alt == src:
        return f"alt text is the file name ({alt[:24]}…)"
    if len(alt.split()) < 3:
        return f"alt text too short to say what it shows ({alt!r})"
    return None


def test_every_figure_has_alt_text_that_says_what_it_shows(html: Path) -> None:
    pages = sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)
    images = {page: article_images(page) for page in pages}
    assert sum(len(found) for found in images.values()) >= 5, "the book's plots and circuit drawings"
    problems = [
        f"{page.relative_to(html)}: {Path(src).name}: {reason}"
        for page, found in images.items()
        for src, alt in found
        if (reason := weak_alt(src, alt))
    ]
    assert problems == [], f"{len(problems)} images:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("alt", "weak"),
    [
        (None, True),
        ("", True),
        ("2dd060d30dbeb2c119e978075d5403884efcc3a0585e3858bebc804cd5a6961f", True),
        ("plot", True),
        ("../_images/2dd060d30dbeb2c119e978075d5403884efcc3a0585e3858bebc804cd5a6961f.png", True),
        ("Bar chart of Bell-state counts: 00 and 11 near 500 each, 01 and 10 small", False),
    ],
)
def test_what_counts_as_alt_text(alt: str | None, weak: bool) -> None:
    src = "../_images/2dd060d30dbeb2c119e978075d5403884efcc3a0585e3858bebc804cd5a6961f.png"
    assert (weak_alt(src, alt) is not None) == weak
