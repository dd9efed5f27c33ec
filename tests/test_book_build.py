"""The book builds from a clean configuration with warnings as errors, and its pages hold what they promise."""

from __future__ import annotations

import re
from pathlib import Path

import yaml


def toc_files(root: Path) -> list[str]:
    """Every file the table of contents names, without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def test_every_toc_page_is_built(root: Path, html: Path) -> None:
    missing = [f for f in toc_files(root) if not (html / f"{f}.html").is_file()]
    assert missing == []


def test_chapter_shows_before_and_after_in_one_tab_set(html: Path) -> None:
    page = (html / "book/replace-backend-run.html").read_text()
    labels = re.findall(r'<label [^>]*class="sd-tab-label"[^>]*>\s*(.*?)\s*</label>', page, flags=re.S)
    assert labels[:5] == [
        "Before: qiskit_ibm_provider",
        "Before: Runtime backend.run",
        "Before: fake backend .run",
        "After: SamplerV2",
        "After: client-side Sampler (0.50+)",
    ]
    assert page.count("legacy-code-reason") >= 2


def test_pitfalls_show_the_real_errors(html: Path) -> None:
    page = (html / "book/replace-backend-run.html").read_text()
    for message in ("unexpected keyword argument", "IBMInputValueError", "has no attribute"):
        assert message in page, message


def test_launch_buttons_point_at_the_repository(root: Path, html: Path) -> None:
    repository = yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]
    chapter = (html / "book/replace-backend-run.html").read_text()
    exercise = (html / "exercises/sampler-basics.html").read_text()
    slug = repository.removeprefix("https://github.com/")
    assert f"mybinder.org/v2/gh/{slug}/main?urlpath=lab/tree/book/replace-backend-run.md" in chapter
    assert f"colab.research.google.com/github/{slug}/blob/main/exercises/sampler-basics.ipynb" in exercise
