"""Binder's JupyterLab, rehearsed: the repository as $HOME, a chapter's MyST file opened from its launch URL.

repo2docker copies the repository into the user's home folder and starts JupyterLab there, so the repository's
`.jupyter/` folder is the user's Jupyter configuration: `.jupyter/labconfig/default_setting_overrides.json` makes
jupytext's notebook view the default for Markdown and MyST files. Without it, Binder opens a chapter in the text
editor, YAML header and all; the second case below shows exactly that, so the test can tell the two apart.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_site_browser import CHROMIUM_FLAGS, WAIT_SECONDS, browser_binaries, require_browser  # noqa: F401

try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    webdriver = None

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "book/replace-backend-run.md"
# What repo2docker puts in the home folder that matters here: the configuration and the pages.
COPIED = (".jupyter", "book", "exercises", "solutions", "_config.yml", "requirements.txt")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def binder_home(tmp_path: Path, with_config: bool) -> Path:
    """A home folder laid out as repo2docker lays out the repository (optionally without its `.jupyter/`)."""
    home = tmp_path / "home"
    home.mkdir()
    for name in COPIED:
        if name == ".jupyter" and not with_config:
            continue
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, home / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(source, home / name)
    return home


def stop(server: subprocess.Popen[bytes]) -> None:
    """End the server and every process it started (its kernels), by its process group."""
    for signal_number, wait in ((15, 30), (9, None)):
        try:
            os.killpg(server.pid, signal_number)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def lab(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab serving a Binder-like home on loopback, with a token; yields its base URL and the token."""
    home = binder_home(tmp_path, with_config=request.param)
    token = secrets.token_hex(16)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER") and k != "PYTHONPATH"}
    env["HOME"] = str(home)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.root_dir={home}",
        f"--IdentityProvider.token={token}",
        "--LabApp.news_url=",  # no news feed, which would ask the internet
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:  # Binder runs as an ordinary user; this machine may not
        command.append("--allow-root")
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}api/status?token={token}", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "JupyterLab did not start"
            time.sleep(0.5)
        yield base, token
    finally:
        stop(server)
        log.close()


@pytest.fixture
def chromium(browser_binaries: tuple[str, str], tmp_path: Path) -> Iterator[webdriver.Chrome]:  # noqa: F811
    if webdriver is None:
        require_browser("selenium is not installed (it is pinned in requirements.txt)")
    binary, driver_path = browser_binaries
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def open_document(driver: webdriver.Chrome, base: str, token: str) -> str:
    """Open the chapter as Binder's launch button does (`urlpath=lab/tree/<file>`) and say which view shows it."""
    driver.get(f"{base}lab/tree/{CHAPTER}?token={token}")
    view = WebDriverWait(driver, 120).until(
        lambda d: (d.find_elements(By.CSS_SELECTOR, ".jp-MainAreaWidget .jp-Notebook .jp-Cell") and "notebook")
        or (d.find_elements(By.CSS_SELECTOR, ".jp-MainAreaWidget .jp-FileEditor .cm-content") and "editor"),
        message="JupyterLab showed the chapter in neither a notebook nor an editor",
    )
    time.sleep(1)  # let the view finish rendering its cells
    return view


@pytest.mark.parametrize("lab", [True], indirect=True, ids=["with-.jupyter"])
def test_binder_opens_a_chapter_as_a_notebook(lab: tuple[str, str], chromium: webdriver.Chrome) -> None:
    base, token = lab
    assert open_document(chromium, base, token) == "notebook"
    tabs = chromium.find_elements(By.CSS_SELECTOR, "#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    assert [t.get_attribute("title").split("\n")[0] for t in tabs] == ["Name: replace-backend-run.md"], [
        t.get_attribute("title") for t in tabs
    ]
    notebook = chromium.find_element(By.CSS_SELECTOR, ".jp-MainAreaWidget:not(.lm-mod-hidden) .jp-Notebook")
    code_cells = notebook.find_elements(By.CSS_SELECTOR, ".jp-CodeCell")
    markdown_cells = notebook.find_elements(By.CSS_SELECTOR, ".jp-MarkdownCell")
    # JupyterLab renders only the cells in view; the first screens already hold both kinds.
    assert len(code_cells) >= 3 and len(markdown_cells) >= 3, "the chapter's cells"
    assert "jupytext:" not in notebook.text, "the YAML header is the notebook's metadata, not a cell"
    assert "Replace" in markdown_cells[0].text, "the first cell is the chapter's title"
    assert chromium.find_elements(By.CSS_SELECTOR, ".jp-MainAreaWidget .jp-FileEditor") == []


@pytest.mark.parametrize("lab", [False], indirect=True, ids=["without-.jupyter"])
def test_without_the_config_the_chapter_opens_as_text(lab: tuple[str, str], chromium: webdriver.Chrome) -> None:
    base, token = lab
    assert open_document(chromium, base, token) == "editor"
    editor = chromium.find_element(By.CSS_SELECTOR, ".jp-MainAreaWidget .jp-FileEditor .cm-content")
    assert "jupytext:" in editor.text
