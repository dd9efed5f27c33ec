"""The check cells' route: run one task's rubric in the notebook's own kernel and show a result card.

The student's function runs here, in the kernel, once per case, under the recorder; its claim then goes through the
same plain-data form as in the batch grader (JSON, QPY), and the same judge replays it in this kernel. Here that is
feedback, not trust: the batch grader does the same in its own process, apart from the student's.

In a learner's kernel `check` never raises, so *Run All* runs to the end. Under pytest (`pytest --nbval-lax`, which
runs the notebook in a kernel started by pytest, so it inherits ``PYTEST_CURRENT_TEST``), or when
``GRADER_CHECK_RAISES=1`` is set, a task that is not fully met raises AssertionError, so that its cell fails.
"""

from __future__ import annotations

import html
import inspect
import json
import os
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from grader.claims import CaseOutcome
from grader.exercises import load_exercise
from grader.judge.grade import grade_task
from grader.judge.rubric import shown
from grader.load import Cell
from grader.primitives import DEFAULT_SEED, case_seed
from grader.results import TaskResult
from grader.scan import ScanResult, scan_cells
from grader.student_side.recorder import is_library_file
from grader.student_side.task_call import call_task


def _source_cells(function: Callable[..., Any]) -> tuple[Cell, ...]:
    """The source of ``function`` and of the student's functions it names, as cells to scan (if available)."""
    seen, cells, todo = set(), [], [function]
    while todo:
        current = todo.pop()
        if current in seen or not callable(current):
            continue
        seen.add(current)
        try:
            source = textwrap.dedent(inspect.getsource(current))
        except (OSError, TypeError):
            continue
        cells.append(Cell(len(cells) + 1, source))
        code = getattr(current, "__code__", None)
        names = getattr(code, "co_names", ())
        found = getattr(current, "__globals__", {})
        todo += [
            found[n]
            for n in names
            if inspect.isfunction(found.get(n)) and not is_library_file(found[n].__code__.co_filename)
        ]
    return tuple(cells)


def run_checks(exercise_id: str, function: Callable[..., Any], seed: int = DEFAULT_SEED) -> TaskResult:
    """Call ``function`` once per case of its task, watching what it runs, and judge it against the rubric."""
    task = load_exercise(exercise_id).task(function.__name__)
    cases = task.cases()
    outcomes = []
    for index, case in enumerate(cases):
        claim = json.loads(json.dumps(call_task(function, case.args, case_seed(seed, task.name, index))))
        outcomes.append(CaseOutcome("raised" if claim["error"] else "returned", claim))
    try:
        scan = scan_cells(_source_cells(function))
    except Exception:  # noqa: BLE001 - feedback without the reading beats no feedback
        scan = ScanResult((), {})
    named = getattr(getattr(function, "__code__", None), "co_name", task.name)
    if named != task.name:  # a function defined under another name and renamed: read it as the task
        scan = ScanResult(scan.findings, {**scan.references, task.name: frozenset({named})})
    return grade_task(task, cases, outcomes, scan, {}, parallel=ThreadPoolExecutor)


_points = shown


def card_text(result: TaskResult) -> str:
    """The result card as plain text: a line per requirement, then the score."""
    lines = [f"{result.task}: {_points(result.score)} / {_points(result.max_score)} points"]
    for check in result.checks:
        mark = "✔" if check.passed else "✘"
        worth = f" [{_points(check.points)}/{_points(check.max_points)}]" if check.max_points else ""
        gate = " (required)" if check.gate else ""
        lines.append(f"{mark} {check.requirement}{gate}{worth}")
        if not check.passed or check.max_points:
            lines.append(f"    {check.message}")
    return "\n".join(lines)


def card_html(result: TaskResult) -> str:
    """The result card as an HTML table, for Jupyter."""
    rows = []
    for check in result.checks:
        colour = "#1a7f37" if check.passed else "#cf222e"
        mark = "✔" if check.passed else "✘"
        worth = f"{_points(check.points)} / {_points(check.max_points)}" if check.max_points else "required"
        rows.append(
            f"<tr><td style='color:{colour};font-weight:bold'>{mark}</td>"
            f"<td>{html.escape(check.requirement)}</td><td style='white-space:nowrap'>{worth}</td>"
            f"<td>{html.escape(check.message)}</td></tr>"
        )
    return (
        "<div class='grader-card'>"
        f"<p><strong>{html.escape(result.task)}</strong>: {_points(result.score)} / {_points(result.max_score)} points"
        f" — {html.escape(result.status)}</p>"
        "<table><thead><tr><th></th><th>Requirement</th><th>Points</th><th>What the checks saw</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


class ResultCard:
    """A task's verdicts, shown as HTML in Jupyter and as text elsewhere."""

    def __init__(self, result: TaskResult) -> None:
        self.result = result

    def _repr_html_(self) -> str:
        return card_html(self.result)

    def __repr__(self) -> str:
        return card_text(self.result)


def _strict() -> bool:
    return bool(os.environ.get("PYTEST_CURRENT_TEST")) or os.environ.get("GRADER_CHECK_RAISES") == "1"


def _show(card: ResultCard) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(repr(card))
        return
    if get_ipython() is None:
        print(repr(card))
    else:
        display(card)


def check(exercise_id: str, function: Callable[..., Any]) -> None:
    """Show the result card of ``function``'s task; under pytest, raise AssertionError unless every line is met."""
    result = run_checks(exercise_id, function)
    _show(ResultCard(result))
    if _strict() and result.status != "passed":
        unmet = [c for c in result.checks if not c.passed]
        raise AssertionError(f"{len(unmet)} requirement(s) of `{result.task}` not met: {unmet[0].message}")
