"""Plain-data results of checks and tasks, shared by every route that runs the checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one requirement of a task's rubric, with a message a learner can act on."""

    id: str
    passed: bool
    message: str
    points: float = 0.0
    """Points earned: ``max_points`` when passed (and no gate of the task failed), else 0."""
    max_points: float = 0.0
    """What the requirement is worth in the task's rubric; gates may be worth 0."""
    gate: bool = False
    """An unmet gate zeroes the whole task (a legacy path, a wrong circuit, results that are not the primitive's)."""
    evaluated: bool = True
    """False when an earlier failure kept the requirement from being checked; it then counts as not met."""
    requirement: str = ""
    """What the requirement asks, in the rubric's words (the same text the notebook shows)."""

    def to_dict(self) -> dict[str, object]:
        """This result as JSON-ready data."""
        return asdict(self)


@dataclass
class TaskResult:
    """The outcome of one task: its status, score and checks."""

    task: str
    status: str  # passed | failed | error | timeout
    score: float
    max_score: float
    checks: list[CheckResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """This result as JSON-ready data."""
        return {**asdict(self), "checks": [c.to_dict() for c in self.checks]}


@dataclass
class SubmissionRecord:
    """One submission's record in the report: exactly one per submission found, whatever happened to it."""

    submission: str
    status: str  # graded | ungradable | timeout | crashed
    score: float
    max_score: float
    message: str = ""
    tasks: list[TaskResult] = field(default_factory=list)
    fingerprint: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)
    """Features of the circuits and code the submission ran, for the similarity report; never in grades.json."""

    def to_dict(self) -> dict[str, object]:
        """This record as JSON-ready data, in the report's schema."""
        data = asdict(self)
        del data["fingerprint"]
        return {**data, "tasks": [t.to_dict() for t in self.tasks]}
