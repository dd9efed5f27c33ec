"""The learner's path through the built site: solutions labelled as such, linked both ways, Colab on chapters.

Read from the HTML the `html` fixture builds (`-W -n --keep-going`); `test_student_build_*` builds the term's site
(`_toc_student.yml`) once more, reusing the first build's execution cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted(p.stem for p in (ROOT / "exercises").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
from notebook_cells import executable_pages, twin_path  # noqa: E402


def title(page: str) -> str:
    """A built page's own title, without the site's name."""
    found = re.search(r"<title>(.*?) &#8212;", page)
    assert found, "a <title>"
    return found[1]


def search_index(html: Path) -> dict:
    """The search index Sphinx wrote, as data."""
    text = (html / "searchindex.js").read_text()
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


@pytest.mark.parametrize("name", EXERCISES)
def test_solution_pages_are_titled_as_solutions_and_linked_both_ways(html: Path, name: str) -> None:
    exercise = (html / "exercises" / f"{name}.html").read_text()
    solution = (html / "solutions" / f"{name}.html").read_text()
    topic = title(exercise).removeprefix("Exercise: ")
    assert title(exercise) == f"Exercise: {topic}"
    assert title(solution) == f"Solution: {topic}"
    assert re.search(r"<h1>Solution: .*?</h1>", solution)
    assert re.search(rf'href="\.\./solutions/{name}\.html"><span[^>]*>Solution: ', exercise), "exercise → solution"
    assert re.search(rf'href="\.\./exercises/{name}\.html"><span[^>]*>Exercise: ', solution), "solution → exercise"


PREV_NEXT = re.compile(r'<a class="(?:left-prev|right-next)"\s+href="([^"]+)"[^>]*>.*?prev-next-title">(.*?)</p>', re.S)


def expected_prefix(href: str, page_folder: str) -> str | None:
    """What the title of a linked exercise or solution page starts with, from the link's target folder."""
    target = os.path.normpath(os.path.join(page_folder, href.split("#")[0]))
    folder = target.split("/", 1)[0]
    return {"exercises": "Exercise: ", "solutions": "Solution: "}.get(folder)


def test_sidebar_and_prev_next_say_which_pages_are_solutions(html: Path) -> None:
    intro = (html / "book" / "intro.html").read_text()
    sidebar = re.findall(r'<a class="reference internal" href="\.\./(exercises|solutions)/[^"]+">([^<]+)</a>', intro)
    assert len(sidebar) >= 2 * len(EXERCISES)
    for folder, text in sidebar:
        assert text.startswith("Solution: " if folder == "solutions" else "Exercise: "), text
    seen = 0
    for folder in ("exercises", "solutions"):
        for name in EXERCISES:
            for href, text in PREV_NEXT.findall((html / folder / f"{name}.html").read_text()):
                text = re.sub(r"<[^>]+>", "", text)
                prefix = expected_prefix(href, folder)
                if prefix:
                    assert text.startswith(prefix), (folder, name, href, text)
                    seen += 1
    assert seen == 4 * len(EXERCISES) - 2  # all but the first exercise's previous and the last solution's next


def test_search_tells_an_exercise_from_its_solution(html: Path) -> None:
    index = search_index(html)
    titles = dict(zip(index["docnames"], index["titles"], strict=True))
    for name in EXERCISES:
        assert titles[f"exercises/{name}"].startswith("Exercise: ")
        assert titles[f"solutions/{name}"] == "Solution: " + titles[f"exercises/{name}"].removeprefix("Exercise: ")
    assert len(set(titles.values())) == len(titles), "two pages share a title, so search shows two identical hits"


def test_landing_page_lists_the_solutions_as_solutions(html: Path) -> None:
    intro = (html / "book" / "intro.html").read_text()
    toc = intro[intro.index('id="chapters"') :]
    for name in EXERCISES:
        assert re.search(rf'href="\.\./solutions/{name}\.html">Solution: ', toc), name
    assert "Exercises, then their solutions" in intro


@pytest.mark.parametrize("page", executable_pages(), ids=lambda p: p.stem)
def test_notebook_pages_open_their_twin_in_colab(root: Path, html: Path, page: Path) -> None:
    repository = yaml.safe_load((root / "_config.yml").read_text())["repository"]
    slug = repository["url"].removeprefix("https://github.com/")
    built = (html / page.relative_to(root).with_suffix(".html")).read_text()
    twin = twin_path(page).relative_to(root).as_posix()
    colab = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', built)
    assert colab == [f"https://colab.research.google.com/github/{slug}/blob/{repository['branch']}/{twin}"]
    notebook = nbformat.read(root / twin, as_version=4)
    assert notebook.metadata["course"]["source"] == page.relative_to(root).as_posix()


def test_student_build_drops_the_links_to_solutions(root: Path, html: Path, tmp_path: Path) -> None:
    output = tmp_path / "student"
    cache = html.parent / ".jupyter_cache"
    if cache.is_dir():  # the pages' executions, so that this build only renders
        shutil.copytree(cache, output / "_build" / ".jupyter_cache")
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    command = [jupyter_book, "build", ".", "--toc", "_toc_student.yml", "--path-output", str(output), "-W", "-n"]
    build = subprocess.run(command + ["--keep-going"], cwd=root, capture_output=True, text=True, timeout=3000)
    assert build.returncode == 0, build.stdout[-4000:]
    site = output / "_build" / "html"
    assert not (site / "solutions").exists()
    for page in site.rglob("*.html"):  # no link to a solution (a guide may still name the folder in its text)
        assert not re.search(r'href="[^"]*solutions/', page.read_text()), page.relative_to(site)
    exercise = (site / "exercises" / "sampler-basics.html").read_text()
    assert "Its solved twin" not in exercise and "Task 1" in exercise
    assert os.path.getsize(site / "book" / "intro.html") > 0
