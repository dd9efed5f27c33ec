"""Write each script tag once.

sphinx-thebe registers an inline script after the HTML builder has started, and Sphinx 7.4 then keeps two copies
of it (one with no file name, one with an empty one). The second copy redeclares `THEBE_JS_URL`, a SyntaxError in
every reader's console.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def script_key(script: Any) -> tuple[object, ...]:
    """What makes two script tags the same tag: file name (missing or empty alike), priority and attributes."""
    return (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))


def drop_duplicate_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Keep the first of each group of identical script tags of a page."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    unique: dict[tuple[object, ...], Any] = {}
    for script in scripts:
        unique.setdefault(script_key(script), script)
    scripts[:] = list(unique.values())


def setup(app: Sphinx) -> dict[str, object]:
    """Register the page hook, after every other extension's."""
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
