"""Show executed outputs as a learner needs them: short tracebacks, and no file paths of the build machine.

Every page's outputs pass through here at build time (the notebooks and the execution cache keep them whole):

- a **traceback** keeps its header (without IPython's rule of 75 dashes), the frames of the reader's own cells
  (`Cell In[...]`), the frame that raised (its source cut to the failing line and two before it) and the
  exception; the library frames in between become one line that says how many there were and in which packages;
- in **every output** (tracebacks, warnings on stderr, printed text), a path into an installed package, the Python
  installation, a virtual environment, the repository or the home folder is cut to the part a reader can look up:
  `/…/.venv/lib/python3.11/site-packages/qiskit/primitives/sampler_pub.py` becomes `qiskit/primitives/sampler_pub.py`,
  and a cell's temporary file (`/tmp/ipykernel_…/….py`) becomes `<cell>`.

`tests/test_site_outputs.py` checks the built pages for both.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

KEPT_SOURCE_LINES = 2  # of the raising frame, before its failing line
FRAME_START = re.compile(r"^ {0,2}(Cell In\[\d+\]|File |Input In \[\d+\])")  # indented in a SyntaxError's
HEADER_RULE = re.compile(r"^-{20,}$")
ARROW = re.compile(r"^\s*-*> ")
PACKAGE_PATH = re.compile(r"""(?:~|/)[^\s:'"(),]*?/(?:site|dist)-packages/""")
PYTHON_PATH = re.compile(r"""(?:~|/)[^\s:'"(),]*?/lib/python3\.\d+/""")
CELL_FILE = re.compile(r"/tmp/ipykernel_\d+/\d+\.py")


def machine_prefixes(srcdir: str) -> list[str]:
    """Absolute folders of this machine that may appear in outputs, longest first, each with a trailing slash."""
    folders = {srcdir, os.path.expanduser("~"), sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"]}
    return sorted({f.rstrip("/") + "/" for f in folders if f and f != "/"}, key=len, reverse=True)


def shorten_paths(text: str, prefixes: list[str]) -> str:
    """Cut build-machine paths down to what a reader can look up (a package's module path, a repository path)."""
    text = CELL_FILE.sub("<cell>", text)
    text = PACKAGE_PATH.sub("", text)
    text = PYTHON_PATH.sub("", text)
    for prefix in prefixes:
        text = text.replace(prefix, "")
    return text


def frame_package(frame: list[str]) -> str:
    """The top-level package of a library frame (`File qiskit/primitives/x.py:12, in f` → `qiskit`)."""
    found = re.match(r"File ([^/:\s]+)", frame[0].lstrip())
    return found[1].removesuffix(".py") if found else "the library"


def cut_frame(frame: list[str]) -> list[str]:
    """A raising library frame: its `File` line, then its failing line and a few before it."""
    arrows = [i for i, line in enumerate(frame) if ARROW.match(line)]
    if not arrows:
        return frame
    last = arrows[-1]
    context = [line for line in frame[max(1, last - KEPT_SOURCE_LINES) : last] if not line.lstrip().startswith("(...)")]
    return [frame[0], *context, frame[last]]


def shorten_traceback(text: str) -> str:
    """Keep a traceback's header, the reader's cells, the raising frame and the exception; fold the rest."""
    blocks: list[tuple[str, list[str]]] = []
    for chunk in re.split(r"\n\s*\n", text.strip("\n")):
        lines = chunk.split("\n")
        if len(lines) > 1 and HEADER_RULE.match(lines[0]) and "Traceback" in lines[1]:
            # IPython's header: a rule as wide as a terminal, which wraps into three lines on a phone, then the
            # exception's name padded to a column. Keep the words; the first frame shares the block.
            blocks.append(("header", [re.sub(r"\s{2,}", "  ", lines[1].strip())]))
            if len(lines) > 2:
                blocks.append(("frame" if FRAME_START.match(lines[2]) else "text", lines[2:]))
        else:
            blocks.append(("frame" if FRAME_START.match(lines[0]) else "text", lines))
    shown: list[tuple[str, list[str]]] = []
    hidden: list[list[str]] = []
    for number, (kind, lines) in enumerate(blocks):
        last_frame = kind == "frame" and (number + 1 == len(blocks) or blocks[number + 1][0] != "frame")
        reader = lines[0].lstrip().startswith(("Cell In", "Input In"))
        if kind == "frame" and not reader and not last_frame:
            hidden.append(lines)
            continue
        if hidden:
            shown.append(("fold", fold(hidden)))
            hidden = []
        shown.append((kind, cut_frame(lines) if last_frame and not reader else lines))
    out = ""
    for number, (_kind, lines) in enumerate(shown):
        out += ("\n" if number and shown[number - 1][0] == "header" else "\n\n" if number else "") + "\n".join(lines)
    return out + "\n"


def fold(frames: list[list[str]]) -> list[str]:
    """The one line that stands for hidden library frames."""
    packages = list(dict.fromkeys(frame_package(f) for f in frames))
    named = ", ".join(packages[:-1]) + f" and {packages[-1]}" if len(packages) > 1 else packages[0]
    plural = "s" if len(frames) > 1 else ""
    return [f"[... {len(frames)} frame{plural} inside {named}, hidden ...]"]


class ShortOutputs(SphinxTransform):
    """Rewrite the executed outputs of a page: shorter tracebacks, no build paths."""

    default_priority = 900  # after myst-nb has turned the notebook's outputs into literal blocks

    def apply(self, **kwargs: Any) -> None:
        """Rewrite each output block in place."""
        prefixes = machine_prefixes(str(self.env.srcdir))
        for block in self.document.findall(nodes.literal_block):
            classes = block.get("classes", [])
            if "output" not in classes:
                continue
            text = shorten_paths(block.astext(), prefixes)
            if "traceback" in classes:
                text = shorten_traceback(text)
            if text != block.astext():
                block.rawsource = text  # kept equal to the text, or Sphinx stops highlighting the block
                block.clear()
                block += nodes.Text(text)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the transform."""
    app.add_transform(ShortOutputs)
    # Part of the pickled environment's identity: bump it when the rewriting changes, so every page is read again.
    return {"env_version": 2, "parallel_read_safe": True, "parallel_write_safe": True}
