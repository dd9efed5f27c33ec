"""The class's records as every report sees them: who each student is, their exact score, overrides, late days.

The pipeline grades files into `SubmissionRecord`s. Here each becomes an `Entry`: the record as graded, the
student it belongs to, the files set aside, when it was handed in, and the instructor's overrides and late policy
applied on top, in exact decimals. Entries are merged with those already in an output folder (a regrade of a few
students keeps the rest of the class) and read back from ``grades.json``, which is where they live between runs.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from grader.discover import Student, Submission, parse_time
from grader.results import CheckResult, SubmissionRecord, TaskResult

CENT = Decimal("0.01")


def exact(value: float | int | str | Decimal) -> Decimal:
    """A score as an exact decimal, from its shortest written form (so 0.1 is 0.1), to the hundredth."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Decimal) -> float | int:
    """An exact score as JSON writes it: 4 stays 4.0, 1.33 stays 1.33 (float of a 2-decimal number is exact)."""
    return float(value)


def text(value: Decimal) -> str:
    """A score as people read it: ``4``, ``1.5``, ``1.33``."""
    normal = value.quantize(CENT).normalize()
    return f"{normal:f}" if normal != 0 else "0"


class PolicyError(ValueError):
    """An overrides file or a late policy that cannot be used, with the reason."""


@dataclass(frozen=True)
class Override:
    """An instructor's decision on one student's task: the points it gets instead, and why (either may be empty)."""

    student: str
    task: str
    points: Decimal | None
    comment: str

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {"student": self.student, "task": self.task, "points": None if self.points is None else
                number(self.points), "comment": self.comment}  # fmt: skip


@dataclass(frozen=True)
class LatePolicy:
    """A deadline and the share of the maximum score lost per day (or part of a day) late."""

    deadline: datetime
    percent_per_day: Decimal
    grace_minutes: int = 0

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (kept in grades.json, so that a regrade applies the same policy)."""
        return {"deadline": self.deadline.isoformat(), "percent_per_day": number(self.percent_per_day),
                "grace_minutes": self.grace_minutes}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LatePolicy:
        """The policy a ``to_dict`` wrote."""
        return cls(parse_time(data["deadline"]), exact(data["percent_per_day"]), int(data.get("grace_minutes", 0)))


def aware(moment: datetime) -> datetime:
    """A timestamp with its offset: a naive one is taken as the machine's local time."""
    return moment if moment.tzinfo else moment.astimezone()


@dataclass
class Entry:
    """One student's line in every report."""

    record: SubmissionRecord
    """The record as the pipeline graded it (task scores as the checks gave them)."""
    student: Student
    other_files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    submitted_at: datetime | None = None
    submitted_from: str = ""
    flagged_late: bool = False
    graded_at: str = ""
    evidence: dict[str, str] = field(default_factory=dict)
    """Readable code or circuit text behind each fingerprint feature, for the similarity report."""

    # Filled by `apply`:
    task_scores: dict[str, Decimal] = field(default_factory=dict)
    autograde: dict[str, Decimal] = field(default_factory=dict)
    overrides: list[Override] = field(default_factory=list)
    late_days: int = 0
    penalty: Decimal = Decimal(0)
    score: Decimal = Decimal(0)
    max_score: Decimal = Decimal(0)

    @property
    def key(self) -> str:
        """The student's key: file names of their reports, and what a regrade matches on."""
        return slug(self.student.id)


def slug(value: str) -> str:
    """A file-name-safe form of a student ID."""
    return re.sub(r"[^\w.@-]+", "_", value).strip("._") or "student"


def rubric_points(task: TaskResult) -> Decimal:
    """A task's score, exactly: its rubric rows' points when the checks carry them, else the task's own score."""
    maximum = exact(task.max_score)
    if any(c.max_points for c in task.checks):
        earned = sum((exact(c.points) for c in task.checks), Decimal(0))
    else:
        earned = exact(task.score)
    return min(max(earned, Decimal(0)), maximum)


def read_overrides(path: Path) -> list[Override]:
    """The rows of an overrides CSV: ``student,task,points,comment`` (points or comment may be empty)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.DictReader(stream)
            header = {h.strip().lower() for h in reader.fieldnames or []}
            if not {"student", "task"} <= header or not header & {"points", "comment"}:
                raise PolicyError(f"{path}: the first line must be `student,task,points,comment`")
            found = []
            for line, row in enumerate(reader, start=2):
                clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                if not clean.get("student"):
                    raise PolicyError(f"{path}, line {line}: no student")
                try:
                    points = exact(clean["points"]) if clean.get("points") else None
                except ArithmeticError:
                    raise PolicyError(f"{path}, line {line}: points {clean['points']!r} is not a number") from None
                if points is not None and not clean.get("task"):
                    raise PolicyError(f"{path}, line {line}: points need a task (leave task empty only for a comment)")
                found.append(Override(clean["student"], clean.get("task", ""), points, clean.get("comment", "")))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise PolicyError(f"{path}: {error}") from error
    return found


def late_days(policy: LatePolicy, submitted_at: datetime) -> int:
    """Whole days late, a started day counting as one, after the grace period; 0 when on time."""
    late = (aware(submitted_at) - aware(policy.deadline)).total_seconds() - 60 * policy.grace_minutes
    return max(0, math.ceil(late / 86400)) if late > 0 else 0


def _matches(override: Override, entry: Entry) -> bool:
    return override.student in {entry.student.id, entry.key, entry.student.login, entry.student.sis_id} - {""}


def apply(entries: list[Entry], overrides: list[Override], policy: LatePolicy | None) -> list[Override]:
    """Compute every entry's exact scores with the overrides and the late policy; return the overrides unused."""
    used: set[int] = set()
    for entry in entries:
        record = entry.record
        entry.autograde = {t.task: rubric_points(t) for t in record.tasks}
        entry.task_scores = dict(entry.autograde)
        maxima = {t.task: exact(t.max_score) for t in record.tasks}
        entry.max_score = exact(record.max_score)
        entry.overrides = []
        for index, override in enumerate(overrides):
            if not _matches(override, entry):
                continue
            if override.task and override.task not in maxima:
                continue
            used.add(index)
            entry.overrides.append(override)
            if override.points is not None:
                entry.task_scores[override.task] = min(max(override.points, Decimal(0)), maxima[override.task])
        total = sum(entry.task_scores.values(), Decimal(0))
        if not record.tasks:  # not graded at all: an override can still only set tasks it names
            total = Decimal(0)
        entry.late_days = late_days(policy, entry.submitted_at) if policy and entry.submitted_at else 0
        share = min(Decimal(100), policy.percent_per_day * entry.late_days) if policy else Decimal(0)
        entry.penalty = min(total, exact(entry.max_score * share / 100))
        entry.score = min(entry.max_score, max(Decimal(0), total - entry.penalty))
    return [o for i, o in enumerate(overrides) if i not in used]


def new_entry(record: SubmissionRecord, submission: Submission, graded_at: str) -> Entry:
    """The entry of a freshly graded submission."""
    evidence = {}
    if record.fingerprint and isinstance(record.fingerprint.get("evidence"), dict):
        evidence = dict(record.fingerprint["evidence"])  # type: ignore[arg-type]
    return Entry(
        record,
        submission.student,
        [str(p) for p in submission.others],
        list(submission.notes),
        submission.submitted_at,
        submission.submitted_from,
        submission.flagged_late,
        graded_at,
        evidence,
    )


def _check(data: dict[str, Any]) -> CheckResult:
    known = {f.name for f in fields(CheckResult)}
    return CheckResult(**{k: v for k, v in data.items() if k in known})


def entry_from_json(data: dict[str, Any], fingerprint: dict[str, Any] | None) -> Entry:
    """An entry as a grades.json written by `grader.export.report` holds it (scores as autograded)."""
    tasks = [
        TaskResult(
            t["task"],
            t["status"],
            float(t.get("autograde_score", t["score"])),
            float(t["max_score"]),
            [_check(c) for c in t.get("checks", [])],
        )
        for t in data.get("tasks", [])
    ]
    record = SubmissionRecord(
        data["submission"],
        data["status"],
        float(data.get("autograde_score", data["score"])),
        float(data["max_score"]),
        data.get("grader_message", data.get("message", "")),
        tasks,
    )
    evidence: dict[str, str] = {}
    if fingerprint:
        record.fingerprint = {k: v for k, v in fingerprint.items() if k in ("circuit", "code")}
        evidence = dict(fingerprint.get("evidence", {}))
    student = Student.from_dict(data["student"]) if "student" in data else Student(Path(data["submission"]).stem)
    late = data.get("late") or {}
    submitted = late.get("submitted_at") or data.get("submitted_at")
    return Entry(
        record,
        student,
        list(data.get("other_files", [])),
        list(data.get("notes", [])),
        parse_time(submitted) if submitted else None,
        late.get("submitted_from", ""),
        bool(late.get("flagged_late", False)),
        data.get("graded_at", ""),
        evidence,
    )


def merge(old: list[Entry], new: list[Entry]) -> list[Entry]:
    """The class after a (re)grade: new entries replace old ones of the same student or file; others stay.

    A file regraded on its own keeps the identity the earlier run gave it when this run could only name it after
    the file. The order is the old order, then students new to the folder.
    """
    resolved = {}
    for entry in old:
        try:
            resolved[Path(entry.record.submission).resolve()] = entry
        except OSError:
            continue
    result = list(old)
    for entry in new:
        try:
            same_file = resolved.get(Path(entry.record.submission).resolve())
        except OSError:
            same_file = None
        if same_file is not None and entry.student.source in ("file name", "folder"):
            entry.student = same_file.student
        hits = [i for i, e in enumerate(result) if e.key == entry.key or e is same_file]
        if hits:
            entry.student = _known(result[hits[0]].student, entry.student)
        if not hits:
            result.append(entry)
            continue
        result[hits[0]] = entry
        result = [e for i, e in enumerate(result) if i not in hits[1:]]
    return result


def _known(old: Student, new: Student) -> Student:
    """A student's identity after a regrade: what this run read, with what an earlier run knew filling the gaps.

    A name from a roster outlives the short name of an LMS file name when the regrade has no roster.
    """
    if new.id != old.id:
        return new
    values = {f.name: getattr(new, f.name) or getattr(old, f.name) for f in fields(Student)}
    if new.source not in ("roster", "option") and old.name:
        values["name"] = old.name
    return Student(**values)


def with_message(record: SubmissionRecord, notes: list[str]) -> SubmissionRecord:
    """The record with the discovery notes after its own message."""
    message = "; ".join(part for part in [record.message, *notes] if part)
    return replace(record, message=message)
