"""Exercise and solution notebooks: metadata, cleared or stored outputs, and the two kept in step."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader.exercises import load_exercise

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


def check_cells(notebook: nbformat.NotebookNode) -> list[str]:
    """The task names of the notebook's check cells, in order."""
    return [c.metadata["grader"]["check"] for c in notebook.cells if "check" in c.metadata.get("grader", {})]


def test_every_exercise_has_its_solution_and_the_contract_ones_exist() -> None:
    names = {p.name for p in EXERCISES}
    assert names == {p.name for p in (ROOT / "solutions").glob("*.ipynb")}
    assert {"sampler-basics.ipynb", "estimator-basics.ipynb"} <= names


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_exercise_and_solution_stay_in_step(path: Path) -> None:
    exercise = nbformat.read(path, as_version=4)
    solution = nbformat.read(ROOT / "solutions" / path.name, as_version=4)
    exercise_id = exercise.metadata["grader"]["exercise"]
    assert exercise_id == path.stem == solution.metadata["grader"]["exercise"]
    spec = load_exercise(exercise_id)
    assert check_cells(exercise) == check_cells(solution) == [task.name for task in spec.tasks]
    assert [c.cell_type for c in exercise.cells] == [c.cell_type for c in solution.cells]
    for cell in exercise.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "exercise outputs must be cleared"
    task_cells = [c for c in exercise.cells if "raise NotImplementedError" in c.source]
    assert len(task_cells) == len(spec.tasks), "one stub per task"
    # The title cells differ ("Exercise: …" / "Solution: …", each linking the other): tests/test_notebook_cells.py.
    for exercise_cell, solution_cell in zip(exercise.cells[1:], solution.cells[1:], strict=True):
        if exercise_cell.cell_type == "markdown" or "grader" in exercise_cell.metadata:
            assert exercise_cell.source == solution_cell.source, "statements and check cells are identical"
    stored = [c for c in solution.cells if c.cell_type == "code" and "grader" in c.metadata]
    assert all(c.outputs for c in stored), "solutions keep their check cells' outputs"
    rubrics = [c.metadata["grader"]["rubric"] for c in exercise.cells if "rubric" in c.metadata.get("grader", {})]
    assert rubrics == [task.name for task in spec.tasks], "a rubric cell above every check cell"
