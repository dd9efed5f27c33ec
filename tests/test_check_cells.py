"""Check cells as a learner meets them: a result card per task, and *Run All* that never stops at a check."""

from __future__ import annotations

import os
from html import unescape
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from grader.exercises import load_exercise
from grader.judge.rubric import shown
from grader.notebook import card_html, card_text, run_checks

ROOT = Path(__file__).resolve().parent.parent


def run_all_as_a_learner(path: Path) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom in a fresh kernel that, like a learner's, was not started by pytest."""
    notebook = nbformat.read(path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "GRADER_CHECK_RAISES")}
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(path.parent))
    try:
        NotebookClient(notebook, km=manager, timeout=600).execute()  # raises on the first failing cell
    finally:
        manager.shutdown_kernel(now=True)
    return notebook


@pytest.mark.parametrize("exercise", ["sampler-basics", "estimator-basics"])
def test_run_all_of_an_untouched_exercise_runs_to_the_end_with_a_card_per_task(exercise: str) -> None:
    notebook = run_all_as_a_learner(ROOT / "exercises" / f"{exercise}.ipynb")
    checks = [c for c in notebook.cells if c.cell_type == "code" and c.metadata.get("grader", {}).get("check")]
    assert len(checks) == len(load_exercise(exercise).tasks)
    for cell in checks:
        outputs = cell.outputs
        assert not [o for o in outputs if o.output_type == "error"]  # no traceback in a learner's notebook
        html = unescape(next(o.data["text/html"] for o in outputs if o.output_type == "display_data"))
        task = load_exercise(exercise).task(cell.metadata["grader"]["check"])
        assert "not written yet" in html and f"0 / {shown(task.points)} points" in html
        for requirement in task.rubric.requirements:  # every requirement of the rubric is on the card
            assert requirement.text in html


def test_a_card_lists_every_requirement_with_its_points() -> None:
    def bell_counts(backend, shots):
        return {"00": shots}

    result = run_checks("sampler-basics", bell_counts)
    text, html = card_text(result), card_html(result)
    assert text.splitlines()[0] == "bell_counts: 0 / 2 points"
    for check in result.checks:
        assert check.requirement in text and ("✔" if check.passed else "✘") in text
    assert html.count("<tr>") == len(result.checks) + 1  # a header row, then one row per requirement
    assert "0.5 / 0.5" not in html and "0 / 0.5" in html  # a gate failed: every credit is 0
