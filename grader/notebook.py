"""The check cells' route: run one task's checks in the notebook's own kernel and print a verdict.

The student's function runs here, in the kernel, under the recorder; what it ran then goes through the same
plain-data form (`Trace`, JSON) as in the batch grader, so both routes apply exactly the same checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from grader.trace import Trace, plain_value, trace_from_json, trace_of, trace_to_json
from grader.exercises import Case, Context, load_exercise
from grader.judge.statistics import NOTEBOOK_ALPHA
from grader.primitives import DEFAULT_SEED
from grader.results import CheckResult
from grader.recording import Recorder


def run_checks(exercise_id: str, function: Callable[..., Any], seed: int = DEFAULT_SEED) -> list[CheckResult]:
    """Call ``function`` with the task's cases, watching what it runs, and return every check's result."""
    exercise = load_exercise(exercise_id)
    task = exercise.task(function.__name__)
    context = Context(alpha=NOTEBOOK_ALPHA / max(1, exercise.statistical_tests), seed=seed)
    cases = task.cases()
    runs = []
    for case in cases:
        recorder = Recorder()
        with recorder as recording:
            try:
                returned = function(*case.args)
            except NotImplementedError:
                message = f"`{task.name}` is not written yet: replace `raise NotImplementedError` with your code."
                return [CheckResult(f"{task.name}.written", False, message)]
            except Exception as error:  # noqa: BLE001 - any failure of student code is feedback, not a crash
                message = f"`{task.name}({case.label})` raised {type(error).__name__}: {error}"
                return [CheckResult(f"{task.name}.runs", False, message)]
        trace = trace_from_json(json.loads(json.dumps(trace_to_json(trace_of(recording)))))
        runs.append((case, json.loads(json.dumps(plain_value(returned))), trace))

    def checks_of(run: tuple[Case, Any, Trace]) -> list[CheckResult]:
        checks = task.check(*run, context)
        return [replace(c, message=f"[{run[0].label}] {c.message}") for c in checks] if len(cases) > 1 else checks

    # The student's code ran one case at a time; the checks' seeded re-runs can share the cores.
    with ThreadPoolExecutor(max_workers=max(1, len(runs))) as pool:
        return [result for checks in pool.map(checks_of, runs) for result in checks]


def check(exercise_id: str, function: Callable[..., Any]) -> None:
    """Print a line per check; raise AssertionError with the learner-facing messages if any failed."""
    results = run_checks(exercise_id, function)
    for result in results:
        print(("✔ " if result.passed else "✘ ") + result.message)
    failed = [r for r in results if not r.passed]
    if failed:
        raise AssertionError("\n".join(f"{r.id}: {r.message}" for r in failed))
    print(f"All {len(results)} checks of `{function.__name__}` passed.")
