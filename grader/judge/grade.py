"""Stage 5, check: turn the sandbox's plain data into scored tasks, in the grader's own process."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from grader.trace import trace_from_json
from grader.exercises import Case, Context, Exercise, Task
from grader.results import CheckResult, TaskResult
from grader.sandbox.runner import CaseOutcome, SandboxOutcome
from grader.scan import ScanResult

GATES = (
    ".no_backend_run",
    ".uses_v2_sampler",
    ".uses_v2_estimator",
    ".client_side_estimator",
    ".provenance",
    ".reads_as_v2",
    ".runs",
    ".written",
)
"""Checks that decide whether a task can earn anything: legacy code and numbers that did not come from the
primitive (typed in or edited) score zero, whatever else passes."""


def encode_args(case: Case) -> list[Any]:
    """A case's arguments as JSON-ready data; backends travel by class name (see `sandbox_child.decode_arg`)."""
    encoded = []
    for arg in case.args:
        module = type(arg).__module__
        if module.startswith("qiskit_ibm_runtime.fake_provider"):
            encoded.append({"backend": type(arg).__name__})
        elif type(arg).__name__ in {"AerSimulator", "BasicSimulator"}:
            encoded.append({"backend": type(arg).__name__})
        else:
            encoded.append(arg)
    return encoded


def static_check(task: str, scan: ScanResult) -> CheckResult:
    """Pass when reading the code finds no legacy path, dynamic trick or tampering in what ``task`` uses."""
    findings = scan.for_task(task)
    if not findings:
        return CheckResult(f"{task}.reads_as_v2", True, "The code reads as V2 primitives only.")
    first = findings[0]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return CheckResult(f"{task}.reads_as_v2", False, f"Cell {first.cell}, line {first.line}: {first.message}{more}.")


def _case_checks(
    task: Task, case: Case, outcome: CaseOutcome | None, context: Context
) -> tuple[str, list[CheckResult]]:
    """The status and checks of one case."""
    if outcome is None or outcome.status == "crashed":
        error = outcome.error if outcome else "no result came back"
        return "error", [CheckResult(f"{task.name}.runs", False, f"`{task.name}({case.label})` failed: {error}")]
    if outcome.status == "timeout":
        message = f"`{task.name}({case.label})` {outcome.error}: look for a loop that never ends or a huge job."
        return "timeout", [CheckResult(f"{task.name}.runs", False, message)]
    if outcome.status == "missing":
        message = f"No function `{task.name}` is defined: keep the name and signature of the task's stub."
        return "error", [CheckResult(f"{task.name}.defined", False, message)]
    if outcome.status == "raised":
        if outcome.error and outcome.error.startswith("NotImplementedError"):
            message = f"`{task.name}` is not written yet: replace `raise NotImplementedError` with your code."
            return "failed", [CheckResult(f"{task.name}.written", False, message)]
        return "error", [CheckResult(f"{task.name}.runs", False, f"`{task.name}({case.label})` raised {outcome.error}")]
    try:
        trace = trace_from_json(outcome.trace or {})
    except Exception as error:  # noqa: BLE001 - malformed data from the student's process
        message = f"What `{task.name}` ran could not be read back ({type(error).__name__}); it cannot be graded."
        return "error", [CheckResult(f"{task.name}.runs", False, message)]
    return "checked", task.check(case, outcome.returned, trace, context)


def grade_task(
    task: Task, cases: list[Case], sandbox: SandboxOutcome, scan: ScanResult, context: Context
) -> TaskResult:
    """Score one task from every case's outcome plus the static scan."""
    checks = [static_check(task.name, scan)]
    statuses = []
    for index, case in enumerate(cases):
        status, case_checks = _case_checks(task, case, sandbox.cases.get((task.name, index)), context)
        statuses.append(status)
        if len(cases) > 1:
            case_checks = [replace(c, message=f"[{case.label}] {c.message}") for c in case_checks]
        checks += case_checks
    passed = all(c.passed for c in checks)
    gated = any(not c.passed and c.id.endswith(GATES) for c in checks)
    score = 0.0 if gated else task.points * sum(c.passed for c in checks) / len(checks)
    if passed:
        status = "passed"
    elif "timeout" in statuses:
        status = "timeout"
    elif "error" in statuses:
        status = "error"
    else:
        status = "failed"
    return TaskResult(task.name, status, round(score, 2), task.points, checks)


def grade_exercise(
    exercise: Exercise, cases: dict[str, list[Case]], sandbox: SandboxOutcome, scan: ScanResult, context: Context
) -> list[TaskResult]:
    """Score every task of ``exercise``."""
    return [grade_task(task, cases[task.name], sandbox, scan, context) for task in exercise.tasks]
