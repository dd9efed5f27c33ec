"""Point a book page's Colab launch button at the page's notebook twin in `book/_colab/`.

sphinx-book-theme builds the Colab link from the page's own source file, which for a chapter is MyST Markdown, and
Colab opens only `.ipynb` files from GitHub. `tools/notebook_cells.py` writes a runnable twin of every executable
page (`book/<page>.md` → `book/_colab/<page>.ipynb`); this extension swaps the link's path for the twin's, after
the theme has made its buttons. A notebook page without a twin logs a warning, so the build says which page lost its
Colab button (`book/_static/colab-notebooks-only.js` then removes the broken link).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
TWINS = "book/_colab"


def twin_of(pagename: str) -> str | None:
    """The repository path of a book page's twin (`book/x` → `book/_colab/x.ipynb`), or None outside `book/`."""
    if not pagename.startswith("book/") or pagename.startswith(f"{TWINS}/"):
        return None
    return f"{TWINS}/{pagename.removeprefix('book/')}.ipynb"


def point_colab_at_twin(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Rewrite the Colab button of a Markdown notebook page so that it opens the page's twin."""
    source = f"{pagename}.md"
    twin = twin_of(pagename)
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if button.get("text") != "Colab" or not button.get("url", "").endswith(f"/{source}"):
                continue
            if twin is None or not (Path(app.srcdir) / twin).is_file():
                LOGGER.warning(
                    "%s has no Colab twin (%s): run python tools/notebook_cells.py", source, twin, location=pagename
                )
                continue
            button["url"] = button["url"].removesuffix(source) + twin


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the rewrite after sphinx-book-theme's launch buttons (priority 501)."""
    app.connect("html-page-context", point_colab_at_twin, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
