"""The built site needs no other host: every script and stylesheet, MathJax included, is served from the site."""

from __future__ import annotations

import re
from pathlib import Path

MATHJAX_VERSION = "3.2.2"  # book/_static/mathjax/VENDORED.txt
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def test_no_page_loads_a_script_or_stylesheet_from_another_host(html: Path) -> None:
    outside = []
    for page in pages(html):
        text = page.read_text()
        sources = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", text)
        sources += [
            href
            for tag in re.findall(r"<link\b[^>]*>", text)
            if re.search(r'rel="(?:stylesheet|preload|modulepreload)"', tag)
            for href in re.findall(r'href="([^"]+)"', tag)
        ]
        outside += [f"{page.relative_to(html)}: {s}" for s in sources if EXTERNAL.match(s)]
    assert outside == [], "\n".join(outside[:20])


def test_pages_with_math_load_the_vendored_mathjax(html: Path) -> None:
    with_math = [p for p in pages(html) if 'class="math' in p.read_text()]
    assert len(with_math) >= 2, "the chapters that write formulas"
    for page in with_math:
        scripts = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]*mathjax[^\"]*)\"", page.read_text())
        assert len(scripts) == 1 and re.match(r"(\.\./)*_static/mathjax/tex-mml-chtml\.js(\?|$)", scripts[0]), scripts
    mathjax = html / "_static" / "mathjax"
    assert f"{MATHJAX_VERSION}" in (mathjax / "tex-mml-chtml.js").read_text()[:100_000]
    assert len(list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))) > 20
    assert (mathjax / "input" / "tex" / "extensions" / "braket.js").is_file(), "what \\ket autoloads"
