"""A task's rubric as people read it: one row per requirement with ✔/✘, points earned of its maximum, the message.

Every feedback file, the JUnit report and the class report show these rows, so they agree with each other and with
grades.json. The checks carry their rubric fields (`CheckResult.points`, ``max_points``, ``gate``, ``evaluated``,
``requirement``); where they leave them at their defaults a row shows no points of its own and the task's score
is the task's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from grader.export.classbook import Entry, exact, text
from grader.results import CheckResult, TaskResult

try:  # the id suffixes that marked gates before checks carried `gate`
    from grader.judge.grade import GATES as _GATE_SUFFIXES
except ImportError:  # pragma: no cover - the rewrite may drop them
    _GATE_SUFFIXES = ()


def is_gate(check: CheckResult) -> bool:
    """Whether an unmet ``check`` zeroes its task."""
    return bool(check.gate) or (bool(_GATE_SUFFIXES) and check.id.endswith(tuple(_GATE_SUFFIXES)))


def case_of(check: CheckResult) -> tuple[str, str]:
    """The case a check ran on (the ``[label]`` its message starts with, or '') and the message without it."""
    message = check.message
    if message.startswith("[") and "]" in message:
        label, _, rest = message[1:].partition("]")
        return label, rest.strip()
    return "", message


@dataclass(frozen=True)
class Row:
    """One requirement of a task's rubric, as shown."""

    requirement: str
    case: str
    met: bool
    evaluated: bool
    gate: bool
    points: Decimal | None
    """Points earned, or None when the checks do not carry points."""
    max_points: Decimal | None
    message: str
    check_id: str

    @property
    def mark(self) -> str:
        """✔ for a met requirement, ✘ for an unmet one, – for one not checked because of an earlier failure."""
        return "✔" if self.met else "✘" if self.evaluated else "–"

    @property
    def points_text(self) -> str:
        """``1.5 / 2`` (earned of the maximum), or ``—`` when the rubric has no points for this row."""
        if self.max_points is None:
            return "—"
        return f"{text(self.points or Decimal(0))} / {text(self.max_points)}"


def rows(task: TaskResult) -> list[Row]:
    """The rubric rows of one task, in the order the checks ran."""
    pointed = any(c.max_points for c in task.checks)
    found = []
    for check in task.checks:
        case, message = case_of(check)
        requirement = check.requirement or check.id.removeprefix(f"{task.task}.").replace("_", " ")
        found.append(
            Row(
                requirement,
                case,
                bool(check.passed),
                bool(check.evaluated),
                is_gate(check),
                exact(check.points) if pointed else None,
                exact(check.max_points) if pointed else None,
                message,
                check.id,
            )
        )
    return found


def gate_note(task: TaskResult) -> str:
    """Why a task scores nothing although some of its requirements are met ('' when that is not the case)."""
    failed = [r for r in rows(task) if r.gate and not r.met and r.evaluated]
    if failed and any(r.met for r in rows(task)):
        first = failed[0]
        return f"This task scores 0 because “{first.requirement}” is not met: {first.message}"
    return ""


def task_line(entry: Entry, task: TaskResult) -> str:
    """``bell_counts: passed, 2 / 2 points`` with an override named when there is one."""
    score = entry.task_scores.get(task.task, Decimal(0))
    line = f"{task.task}: {task.status}, {text(score)} / {text(exact(task.max_score))} points"
    auto = entry.autograde.get(task.task)
    if auto is not None and auto != score:
        line += f" (autograded {text(auto)}, changed by your instructor)"
    return line
