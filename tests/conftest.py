"""Shared fixtures of the project's tests."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# GitHub Pages serves notebooks with this JSON type, which is what makes browsers show them instead of saving them.
IPYNB_CONTENT_TYPE = "application/x-ipynb+json"


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository's root folder."""
    return ROOT


@pytest.fixture(scope="session")
def html(root: Path) -> Path:
    """Build the book as CI does (-W -n --keep-going) and return the HTML folder.

    COURSE_HTML_DIR names an HTML folder built elsewhere (`--path-output`) to test instead, without a build.
    """
    if prebuilt := os.environ.get("COURSE_HTML_DIR"):
        return Path(prebuilt).resolve()
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]
    build = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=3000)
    if build.returncode != 0:
        reports = sorted((root / "_build/html/reports").glob("**/*.err.log"))
        details = "\n".join(p.read_text()[-3000:] for p in reports)
        pytest.fail(f"jupyter-book build failed:\n{build.stdout[-6000:]}\n{build.stderr[-3000:]}\n{details}")
    return root / "_build" / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file handler that serves notebooks as GitHub Pages does and keeps the test log clean."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".ipynb": IPYNB_CONTENT_TYPE}

    def log_message(self, format: str, *args: object) -> None:
        """Drop the per-request log lines."""


@pytest.fixture(scope="session")
def site_url(html: Path) -> Iterator[str]:
    """Serve the built site over http on a free local port, from a thread, and return its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
