"""The check cells' route: run one task's checks in the notebook's own kernel and print a verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from grader.exercises import load_exercise
from grader.recording import Recorder
from grader.results import CheckResult
from grader.statistics import NOTEBOOK_ALPHA


def run_checks(exercise_id: str, function: Callable[..., Any]) -> list[CheckResult]:
    """Call ``function`` with the task's cases, watching what it runs, and return every check's result."""
    exercise = load_exercise(exercise_id)
    task = exercise.task(function.__name__)
    alpha = NOTEBOOK_ALPHA / exercise.statistical_tests
    results: list[CheckResult] = []
    cases = task.cases()
    for case in cases:
        with Recorder() as recording:
            try:
                returned = function(*case.args)
            except NotImplementedError:
                return [
                    CheckResult(
                        f"{task.name}.written",
                        False,
                        f"`{task.name}` is not written yet: replace `raise NotImplementedError` with your code.",
                    )
                ]
            except Exception as error:  # noqa: BLE001 - any failure of student code is feedback, not a crash
                return [
                    CheckResult(
                        f"{task.name}.runs",
                        False,
                        f"`{task.name}({case.label})` raised {type(error).__name__}: {error}",
                    )
                ]
        checks = task.check(case, returned, recording, alpha)
        if len(cases) > 1:
            checks = [replace(c, message=f"[{case.label}] {c.message}") for c in checks]
        results += checks
    return results


def check(exercise_id: str, function: Callable[..., Any]) -> None:
    """Print a line per check; raise AssertionError with the learner-facing messages if any failed."""
    results = run_checks(exercise_id, function)
    for result in results:
        print(("✔ " if result.passed else "✘ ") + result.message)
    failed = [r for r in results if not r.passed]
    if failed:
        raise AssertionError("\n".join(f"{r.id}: {r.message}" for r in failed))
    print(f"All {len(results)} checks of `{function.__name__}` passed.")
