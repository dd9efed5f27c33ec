"""Gradebooks: the plain ``grades.csv``, and one file each that Canvas, Moodle and Blackboard import as they are.

| file | imports into | matched on |
| --- | --- | --- |
| ``grades.csv`` | a spreadsheet; any LMS after choosing columns | — |
| ``gradebooks/canvas.csv`` | Canvas: *Grades → Import* | ``ID`` (the Canvas user ID of the bulk download's names) |
| ``gradebooks/moodle.csv`` | Moodle: the assignment's *Upload grading worksheet* | ``Identifier`` (``Participant N``) |
| ``gradebooks/blackboard.csv`` | Blackboard Original: *Grade Center → Work Offline → Upload* | ``Username`` |

Each has a header line and one line per student, no other rows. The assignment column is named after
``--assignment-name`` (default: the exercise ID); with ``--assignment-id`` it carries the LMS's column ID, so the
import fills the existing column instead of creating one.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from grader.export.classbook import Entry, text
from grader.export.feedback import STATUS_WORDS


def _flags(entry: Entry) -> tuple[int, int]:
    record = entry.record
    timed_out = record.status == "timeout" or any(t.status == "timeout" for t in record.tasks)
    errored = record.status in {"ungradable", "crashed"} or any(t.status == "error" for t in record.tasks)
    return int(timed_out), int(errored)


def _message(entry: Entry) -> str:
    return "; ".join(part for part in [entry.record.message, *entry.notes] if part)


def grades_csv(task_names: list[str], entries: list[Entry]) -> str:
    """A row per student: file, status, a column per task, the total, the message, flags, identity, late days."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["submission", "status", *task_names, "total", "message", "timed_out", "errored"]
        + ["max_score", "student_id", "student_name", "autograde_total", "late_days", "penalty", "overrides"]
    )
    for entry in entries:
        autograde = sum(entry.autograde.values(), Decimal(0))
        writer.writerow(
            [entry.record.submission, entry.record.status]
            + [text(entry.task_scores[n]) if n in entry.task_scores else "0" for n in task_names]
            + [text(entry.score), _message(entry), *_flags(entry), text(entry.max_score)]
            + [entry.student.id, entry.student.name, text(autograde), entry.late_days, text(entry.penalty)]
            + ["; ".join(f"{o.task or 'all'}: {o.comment or text(o.points)}" for o in entry.overrides)]  # type: ignore[arg-type]
        )
    return buffer.getvalue()


def canvas_csv(entries: list[Entry], column: str, column_id: str | None) -> str:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then the assignment."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{column} ({column_id})" if
                     column_id else column])  # fmt: skip
    for entry in entries:
        student = entry.student
        writer.writerow([student.name or student.id, student.id, student.sis_id, student.login, student.section,
                         text(entry.score)])  # fmt: skip
    return buffer.getvalue()


def moodle_csv(entries: list[Entry], max_score: str) -> str:
    """Moodle's offline grading worksheet, as its *Upload grading worksheet* reads it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                     "Grade can be changed", "Feedback comments"])  # fmt: skip
    for entry in entries:
        student = entry.student
        identifier = f"Participant {student.id}" if student.id.isdigit() else student.id
        comment = f"{STATUS_WORDS.get(entry.record.status, entry.record.status)}; see the feedback file"
        writer.writerow([identifier, student.name, student.email, "Submitted for grading", text(entry.score),
                         max_score, "Yes", comment])  # fmt: skip
    return buffer.getvalue()


def blackboard_csv(entries: list[Entry], column: str, column_id: str | None, max_score: str) -> str:
    """Blackboard's Grade Center upload: every value quoted, Username to match, the column as it exports it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    header = f"{column} [Total Pts: {max_score} Score] |{column_id}" if column_id else column
    writer.writerow(["Last Name", "First Name", "Username", "Student ID", header])
    for entry in entries:
        student = entry.student
        first, _, last = student.name.rpartition(" ") if " " in student.name else ("", "", student.name)
        writer.writerow([last, first, student.login or student.id, student.sis_id, text(entry.score)])
    return buffer.getvalue()


def without_lms_id(entries: list[Entry]) -> list[Entry]:
    """The entries whose student was named only after a file or folder: an LMS cannot match them."""
    return [e for e in entries if e.student.source in ("file name", "folder")]
