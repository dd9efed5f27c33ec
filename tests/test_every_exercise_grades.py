"""Every solution gets full marks from the batch grader, and every untouched exercise gets zero without crashing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted(p.stem for p in (ROOT / "exercises").glob("*.ipynb"))


@pytest.mark.parametrize("exercise", EXERCISES)
def test_solution_scores_full_and_the_exercise_zero(exercise: str, tmp_path: Path) -> None:
    # Two students of one class: one handed in the solution, the other the notebook as it was handed out.
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / f"{exercise}.ipynb", folder / "solutions.ipynb")
    shutil.copy(ROOT / "exercises" / f"{exercise}.ipynb", folder / "exercises.ipynb")
    command = [sys.executable, "-m", "grader", "grade", str(folder), "--out", str(tmp_path / "out")]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads((tmp_path / "out" / "grades.json").read_text())
    assert report["exercise"] == exercise
    records = {Path(r["submission"]).stem: r for r in report["submissions"]}
    graded = records["solutions"]
    failed = [c["message"] for t in graded["tasks"] for c in t["checks"] if not c["passed"]]
    assert (graded["status"], graded["score"], failed) == ("graded", graded["max_score"], [])
    empty = records["exercises"]
    assert empty["status"] == "graded" and empty["score"] == 0.0
    assert {t["status"] for t in empty["tasks"]} == {"failed"}, "untouched stubs fail; they do not crash"
