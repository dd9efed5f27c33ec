"""Stage 5, check: judge every case of every task against its rubric, in the grader's own process.

For each case the four shared requirements come first (it runs; its code reads as V2; nothing called `backend.run`;
its evidence is verifiable), then the task's judge records its own, replaying the claimed jobs as it needs them.
A requirement is met when it is met in every case. An exception while checking a case costs that case's
unchecked requirements, with a message, never the submission.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from grader.claims import CaseOutcome, ClaimError, decode_case
from grader.exercises import Case, Exercise, Task
from grader.judge.common import error_hint
from grader.judge.evidence import Evidence
from grader.judge.rubric import Stop, Verdict, Verdicts
from grader.results import CheckResult, TaskResult
from grader.scan import Finding, ScanResult

LEGACY_KINDS = {"legacy", "legacy-call"}


def _finding_message(findings: list[Finding]) -> str:
    first = findings[0]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"Cell {first.cell}, line {first.line}: {first.message}{more}."


def _static(v: Verdicts, findings: list[Finding]) -> None:
    legacy = [f for f in findings if f.kind in LEGACY_KINDS]
    other = [f for f in findings if f.kind not in LEGACY_KINDS]
    v.check(
        "reads_as_v2", not legacy, "The code reads as V2 primitives only.", _finding_message(legacy) if legacy else ""
    )
    v.check(
        "verifiable",
        not other,
        "The code uses nothing that could change what the grader sees.",
        (_finding_message(other) + " Such code makes the task's results unverifiable, so it cannot pass.")
        if other
        else "",
    )


def _runs(task: Task, case: Case, outcome: CaseOutcome | None, cell_errors: dict[int, str]) -> str | None:
    """Why the case did not run to a return value, or None when it did."""
    call = f"`{task.name}({case.label})`"
    if outcome is None:
        return f"{call} was never called: the grading process stopped before it."
    if outcome.status == "timeout":
        return f"{call} {outcome.error}: look for a loop that never ends, or a job far larger than asked."
    if outcome.status == "crashed":
        return f"{call} {outcome.error}."
    if outcome.status == "missing":
        broken = "; ".join(f"cell {n}: {e}" for n, e in sorted(cell_errors.items())[:2])
        also = f" Cells that failed: {broken}." if broken else ""
        return f"No function `{task.name}` is defined: keep the name and signature `{task.signature}`.{also}"
    return None


def judge_case(
    task: Task, case: Case, outcome: CaseOutcome | None, scan: ScanResult, cells: dict[int, str]
) -> dict[str, Verdict]:
    """Every requirement's verdict for one case."""
    v = Verdicts(task.rubric)
    _static(v, scan.for_task(task.name))
    problem = _runs(task, case, outcome, cells)
    if problem:
        v.check("runs", False, "", problem)
        return v.complete("not checked: the function did not run")
    assert outcome is not None
    try:
        claim = decode_case(outcome.claim)
    except ClaimError as error:
        v.check("verifiable", False, "", f"What the function ran could not be read back ({error}).")
        return v.complete("not checked: the run's evidence could not be read")
    if claim.error:
        kind, message, where = claim.error["type"], claim.error["message"] or "", claim.error["where"]
        if kind == "NotImplementedError":
            v.check(
                "runs",
                False,
                "",
                f"`{task.name}` is not written yet: replace `raise NotImplementedError` with your code.",
            )
        else:
            place = f" ({where})" if where else ""
            said = message.rstrip(". ")
            v.check(
                "runs", False, "", f"`{task.name}({case.label})` raised {kind}: {said}{place}.{error_hint(message)}"
            )
        return v.complete("not checked: the function raised")
    v.met("runs", f"`{task.name}` runs and returns.")
    v.check(
        "no_backend_run",
        not claim.backend_runs,
        "No direct `backend.run` call.",
        f"`backend.run` is the legacy path (called at {claim.backend_runs[0] if claim.backend_runs else ''}); "
        "run the circuits with a V2 primitive instead.",
    )
    evidence = Evidence(case.args, claim, task.budget(case))
    try:
        task.judge(case, evidence, v)
    except Stop:
        pass
    except Exception as error:  # noqa: BLE001 - a circuit the checks did not foresee costs this case only
        return v.complete(
            f"not checked: the grader could not check this case ({type(error).__name__}: {error}); please report it"
        )
    return v.complete()


@dataclass(frozen=True)
class _Row:
    met: bool
    message: str
    evaluated: bool


def _aggregate(cases: list[Case], verdicts: list[dict[str, Verdict]], requirement: str) -> _Row:
    per_case = [found[requirement] for found in verdicts]
    same_everywhere = len({v.message for v in per_case}) == 1
    for case, verdict in zip(cases, per_case, strict=True):
        if not verdict.met:
            label = f"[{case.label}] " if len(cases) > 1 and not same_everywhere else ""
            return _Row(False, label + verdict.message, verdict.evaluated)
    return _Row(True, per_case[0].message if per_case else "", True)


def grade_task(
    task: Task,
    cases: list[Case],
    outcomes: list[CaseOutcome | None],
    scan: ScanResult,
    cells: dict[int, str],
    parallel: type[Executor] | None = None,
) -> TaskResult:
    """Score one task from all its cases: a requirement counts as met only when every case meets it.

    With ``parallel`` (an executor class), the cases are judged at once: their replays share the cores.
    """
    if parallel is not None and len(cases) > 1:
        with parallel(max_workers=len(cases)) as pool:
            pairs = zip(cases, outcomes, strict=True)
            verdicts = list(pool.map(lambda pair: judge_case(task, pair[0], pair[1], scan, cells), pairs))
    else:
        verdicts = [judge_case(task, c, o, scan, cells) for c, o in zip(cases, outcomes, strict=True)]
    rows = {r.id: _aggregate(cases, verdicts, r.id) for r in task.rubric.requirements}
    gates_met = all(rows[r.id].met for r in task.rubric.requirements if r.gate)
    checks, score = [], Decimal(0)
    for requirement in task.rubric.requirements:
        row = rows[requirement.id]
        earned = requirement.points if row.met and gates_met else Decimal(0)
        score += earned
        checks.append(
            CheckResult(
                f"{task.name}.{requirement.id}",
                row.met,
                row.message,
                points=float(earned),
                max_points=float(requirement.points),
                gate=requirement.gate,
                evaluated=row.evaluated,
                requirement=requirement.text,
            )
        )
    statuses = {_status(o) for o in outcomes}
    if all(row.met for row in rows.values()):
        status = "passed"
    elif "timeout" in statuses:
        status = "timeout"
    elif statuses & {"crashed", "missing", "raised"}:
        status = "error"
    else:
        status = "failed"  # it ran (or is not written yet) but does not meet its rubric
    return TaskResult(task.name, status, float(score), float(task.points), checks)


def _status(outcome: CaseOutcome | None) -> str:
    """How a case ended, with a stub's NotImplementedError counted as "unwritten" rather than an error."""
    if outcome is None:
        return "crashed"
    if outcome.status == "raised":
        error = outcome.claim.get("error") if isinstance(outcome.claim, dict) else None
        if isinstance(error, dict) and error.get("type") == "NotImplementedError":
            return "unwritten"
    return outcome.status


def grade_exercise(
    exercise: Exercise,
    cases: dict[str, list[Case]],
    outcomes: dict[tuple[str, int], CaseOutcome],
    scan: ScanResult,
    cells: dict[int, str],
) -> list[TaskResult]:
    """Score every task of ``exercise`` from the sandbox's outcomes, case by case."""
    return [
        grade_task(
            task, cases[task.name], [outcomes.get((task.name, i)) for i in range(len(cases[task.name]))], scan, cells
        )
        for task in exercise.tasks
    ]


def summed(scores: list[Any]) -> float:
    """The exact sum of scores that are exact decimals (no float noise)."""
    return float(sum((Decimal(str(s)) for s in scores), Decimal(0)))
