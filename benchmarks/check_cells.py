"""Check-cell latency of every task: how long a check cell takes beyond the student's own task calls.

    python benchmarks/check_cells.py

Runs each solution notebook's code cells in this process (a warm kernel, as a student's is after the first cell),
then for every task times one check (`grader.notebook.run_checks`, after one warm-up call) and the task function's
own calls on the same cases, and prints both and their difference.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

from grader.exercises import load_exercise
from grader.notebook import run_checks

ROOT = Path(__file__).resolve().parent.parent


def solution_namespace(path: Path) -> tuple[str, dict[str, Any]]:
    """The exercise ID of a solution notebook, and its globals after running its cells but the checks and Colab's."""
    notebook = json.loads(path.read_text())
    namespace: dict[str, Any] = {}
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and not cell["metadata"].get("grader") and "google.colab" not in source:
            exec(compile(source, str(path), "exec"), namespace)
    return notebook["metadata"]["grader"]["exercise"], namespace


def main() -> None:
    """Print a line per task and the worst case."""
    print(f"Python {platform.python_version()}; seconds of one check cell, of the task's own calls, and beyond")
    worst = 0.0
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        exercise, namespace = solution_namespace(path)
        for task in load_exercise(exercise).tasks:
            function = namespace[task.name]
            run_checks(exercise, function)
            start = time.perf_counter()
            results = run_checks(exercise, function)
            whole = time.perf_counter() - start
            start = time.perf_counter()
            for case in task.cases():
                function(*case.args)
            own = time.perf_counter() - start
            worst = max(worst, whole - own)
            verdict = "passed" if results.status == "passed" else "FAILED"
            print(f"{exercise:25} {task.name:22} {whole:5.2f} {own:5.2f} {whole - own:5.2f}  {verdict}")
    print(f"most a check cell added to the student's own calls: {worst:.2f} s")


if __name__ == "__main__":
    main()
