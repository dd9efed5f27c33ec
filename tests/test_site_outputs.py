"""Executed outputs as the built pages show them: short tracebacks, no build-machine paths, no outside scripts."""

from __future__ import annotations

import html as html_module
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from short_tracebacks import machine_prefixes, shorten_paths, shorten_traceback  # noqa: E402

LONGEST_TRACEBACK = 30  # lines; the untrimmed ones ran to 207
BUILD_PATHS = re.compile(r"site-packages|dist-packages|/root/|\.venv/|/tmp/ipykernel_|/lib/python3\.\d+/")
OUTPUT = re.compile(r'<div class="output ([a-z_ ]+)[^"]*"><div class="highlight"><pre>(.*?)</pre>', re.S)


def pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def shown_outputs(page: Path) -> list[tuple[str, str]]:
    """The kind (traceback, stream, stderr, text_plain…) and the text of every output block of a built page."""
    return [
        (kind, html_module.unescape(re.sub(r"<[^>]+>", "", body))) for kind, body in OUTPUT.findall(page.read_text())
    ]


def test_no_page_shows_a_path_of_the_build_machine(root: Path, html: Path) -> None:
    found = []
    for page in pages(html):
        for kind, text in shown_outputs(page):
            for line in text.splitlines():
                if BUILD_PATHS.search(line) or f"{root}/" in line:
                    found.append(f"{page.relative_to(html)} ({kind}): {line.strip()[:160]}")
    assert found == [], "\n".join(found[:30])


def test_shown_tracebacks_are_short_and_keep_what_a_learner_needs(html: Path) -> None:
    tracebacks = [(p, text) for p in pages(html) for kind, text in shown_outputs(p) if kind.startswith("traceback")]
    assert len(tracebacks) > 50, "the pitfalls of the chapters and the troubleshooting page"
    longest = max(tracebacks, key=lambda t: t[1].count("\n"))
    assert longest[1].count("\n") <= LONGEST_TRACEBACK, f"{longest[0].relative_to(html)}:\n{longest[1]}"
    for page, text in tracebacks:
        assert re.search(r"^\w[\w.]*(Error|Exception|Warning|Exit|Interrupt|Iteration)\b", text, re.M), page
        if "Cell In[" in text:
            failing_line = re.search(r"^-+> +\d+ ", text, re.M) or re.search(r"^\s*\^+\s*$", text, re.M)
            assert failing_line, f"{page}: the failing line of the cell (an arrow, or a SyntaxError's caret)"


def test_traceback_pages_still_explain_the_folded_frames(html: Path) -> None:
    page = (html / "book" / "reference" / "troubleshooting.html").read_text()
    text = html_module.unescape(re.sub(r"<[^>]+>", "", page))
    assert re.search(r"\[\.\.\. \d+ frames? inside [\w, ]+, hidden \.\.\.\]", text)


@pytest.fixture(scope="module")
def real_traceback() -> str:
    """A traceback from a real kernel: a learner's cell calls a function of another module, which raises in qiskit."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from qiskit import QuantumCircuit\n"
            "from qiskit.circuit import Parameter\n"
            "from qiskit.primitives import StatevectorSampler\n"
            "circuit = QuantumCircuit(1)\n"
            "circuit.ry(Parameter('t'), 0)\n"
            "circuit.measure_all()"
        ),
        nbformat.v4.new_code_cell("def run():\n    return StatevectorSampler().run([circuit])\n\n\nrun()"),
    ]
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True).execute()
    error = next(o for o in notebook.cells[1].outputs if o.output_type == "error")
    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))


def test_a_real_traceback_is_cut_to_the_cell_the_raise_and_the_error(real_traceback: str) -> None:
    assert "site-packages" in real_traceback and real_traceback.count("\nFile ") >= 3, "a deep library traceback"
    short = shorten_traceback(shorten_paths(real_traceback, machine_prefixes(str(ROOT))))
    lines = short.splitlines()
    assert lines[0] == "ValueError  Traceback (most recent call last)", "the header, without its rule of dashes"
    assert lines[1].startswith("Cell In[2]"), "the learner's cell comes right after the header"
    assert "----> 5 run()" in short and "----> 2     return StatevectorSampler().run([circuit])" in short
    assert re.search(r"^\[\.\.\. \d+ frames? inside qiskit, hidden \.\.\.\]$", short, re.M)
    raising = [line for line in lines if line.startswith("File ")]
    assert len(raising) == 1 and raising[0].startswith("File qiskit/primitives/"), raising
    assert lines[-1].startswith("ValueError: ") and lines[-1] == real_traceback.strip().splitlines()[-1]
    assert not BUILD_PATHS.search(short) and len(lines) < len(real_traceback.splitlines()) / 2


def test_a_syntax_error_keeps_the_cell_and_the_caret() -> None:
    shown = (
        "Traceback (most recent call last):\n\n"
        "  File ~/.venv/lib/python3.11/site-packages/IPython/core/interactiveshell.py:3823 in run_code\n"
        "    exec(code_obj, self.user_global_ns, self.user_ns)\n\n"
        "  Cell In[25], line 2\n"
        '    compile(example, "<official example>", "exec")\n\n'
        "  File <official example>:1\n"
        '    print(f"{job.status() == "RUNNING"}")\n'
        "                             ^\n"
        "SyntaxError: f-string: expecting '}'\n"
    )
    short = shorten_traceback(shorten_paths(shown, machine_prefixes(str(ROOT))))
    assert "interactiveshell" not in short and "[... 1 frame inside IPython, hidden ...]" in short
    assert "  Cell In[25], line 2" in short and "  File <official example>:1" in short
    assert short.rstrip().endswith("^\nSyntaxError: f-string: expecting '}'")


def test_paths_outside_tracebacks_are_cut_too() -> None:
    prefixes = machine_prefixes(str(ROOT))
    warning = (
        f"{sys.prefix}/lib/python3.11/site-packages/qiskit_ibm_runtime/sampler.py:127: DeprecationWarning: soon\n"
        "/tmp/ipykernel_4242/123456789.py:3: UserWarning: yours\n"
        f"grader comes from {ROOT}/grader/__init__.py\n"
    )
    assert shorten_paths(warning, prefixes) == (
        "qiskit_ibm_runtime/sampler.py:127: DeprecationWarning: soon\n"
        "<cell>:3: UserWarning: yours\n"
        "grader comes from grader/__init__.py\n"
    )
