"""Stage 6, report: every file of the output folder, rebuilt from the whole class on every run, written atomically.

| file | what |
| --- | --- |
| ``grades.json`` | the fixed schema, plus per record ``student``, ``autograde_score``, ``late``, ``overrides``, notes |
| ``grades.csv`` | the plain gradebook: a header line and a line per student |
| ``gradebooks/canvas.csv``, ``moodle.csv``, ``blackboard.csv`` | what each LMS imports as it is |
| ``feedback/<student>.md``, ``.html`` | each student's rubric, ready to send |
| ``report.html`` | the class report: score distribution, pass rates, item analysis, similar pairs |
| ``junit.xml`` | xunit2-valid JUnit, a test per task and case, scores in properties and system-out |
| ``item_analysis.csv``, ``similarity.csv``, ``similarity.md`` | per check; per pair |
| ``gradescope/<student>.json`` | a Gradescope results.json per student |
| ``grader.log`` | what the grader did (written by `grader.cli`) |

A regrade into a folder that holds a ``grades.json`` keeps the records of the students it does not regrade and
rebuilds every file from all of them; per-student files of students no longer in the class are deleted.
``.fingerprints.json`` keeps what the similarity report needs between runs.
"""

from __future__ import annotations

import json
import logging
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

from grader.discover import Student, Submission
from grader.exercises import Exercise
from grader.export import gradebooks
from grader.export.atomic import make_folder, prune, write_atomically
from grader.export.class_report import class_report_html
from grader.export.classbook import (
    Entry,
    LatePolicy,
    Override,
    apply,
    entry_from_json,
    exact,
    merge,
    new_entry,
    number,
    text,
)
from grader.export.exports import gradescope_results, item_analysis_csv, similarity_csv, similarity_md
from grader.export.feedback import exercise_maxima, feedback_html, feedback_markdown
from grader.export.junit import junit_xml
from grader.export.similarity import similar_pairs
from grader.results import SubmissionRecord

log = logging.getLogger("grader")
STATE = ".fingerprints.json"


@dataclass
class ReportOptions:
    """What the instructor asked for beyond grading: overrides, late policy, LMS column, group, starter features."""

    overrides: list[Override] | None = None
    """None: keep the overrides grades.json already holds; a list (maybe empty) replaces them."""
    policy: LatePolicy | None = None
    keep_policy: bool = True
    """Without a new policy, apply the one grades.json holds (False: drop it)."""
    assignment_name: str | None = None
    assignment_id: str | None = None
    gid: int | None = None
    starter_features: frozenset[str] = frozenset()
    missing: list[str] = field(default_factory=list)
    isolation: dict[str, Any] | None = None
    """How the run isolated the students' code (`grader.sandbox.isolation.Isolation.describe`)."""
    """Roster students without a submission."""


def environment(isolation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The versions a grade depends on, and how the students' code was isolated, recorded in every report."""
    found: dict[str, Any] = {
        "python": platform.python_version(),
        **{name: version(name) for name in ("qiskit", "qiskit-ibm-runtime", "qiskit-aer")},
    }
    if isolation is not None:
        found["isolation"] = isolation
    return found


def _task_json(entry: Entry, task: Any) -> dict[str, Any]:
    data = task.to_dict()
    data["autograde_score"] = number(entry.autograde.get(task.task, 0))
    data["score"] = number(entry.task_scores.get(task.task, 0))
    chosen = [o for o in entry.overrides if o.task == task.task]
    if chosen:
        data["override"] = {"points": None if chosen[-1].points is None else number(chosen[-1].points),
                            "comment": " ".join(o.comment for o in chosen if o.comment)}  # fmt: skip
    return data


def record_json(entry: Entry, policy: LatePolicy | None) -> dict[str, Any]:
    """One student's record in grades.json: the fixed fields first, then what this module adds."""
    record = entry.record
    message = "; ".join(part for part in [record.message, *entry.notes] if part)
    data: dict[str, Any] = {
        **record.to_dict(),
        "score": number(entry.score),
        "max_score": number(entry.max_score),
        "message": message,
        "tasks": [_task_json(entry, t) for t in record.tasks],
        "student": entry.student.to_dict(),
        "autograde_score": number(sum(entry.autograde.values(), Decimal(0))),
        "graded_at": entry.graded_at,
    }
    if message != record.message:
        data["grader_message"] = record.message
    if entry.notes:
        data["notes"] = entry.notes
    if entry.other_files:
        data["other_files"] = entry.other_files
    if entry.overrides:
        data["overrides"] = [o.to_dict() for o in entry.overrides]
    late: dict[str, Any] = {}
    if entry.submitted_at:
        late = {"submitted_at": entry.submitted_at.isoformat(), "submitted_from": entry.submitted_from}
    if entry.flagged_late:
        late["flagged_late"] = True
    if policy:
        late |= {"days": entry.late_days, "penalty": number(entry.penalty)}
    if late:
        data["late"] = late
    return data


def grades_json(
    exercise: Exercise,
    entries: list[Entry],
    overrides: list[Override],
    policy: LatePolicy | None,
    isolation: dict[str, Any] | None = None,
) -> str:
    """The report in the fixed JSON schema, with the class's overrides and late policy kept for regrades."""
    data: dict[str, Any] = {
        "exercise": exercise.id,
        "environment": environment(isolation),
        "submissions": [record_json(e, policy) for e in entries],
        "overrides": [o.to_dict() for o in overrides],
        "late_policy": policy.to_dict() if policy else None,
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def load_previous(out: Path, exercise: Exercise) -> tuple[list[Entry], list[Override], LatePolicy | None]:
    """The entries, overrides and late policy of an earlier run into ``out`` (nothing when there is none)."""
    path = out / "grades.json"
    if not path.is_file():
        return [], [], None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.warning("%s cannot be read (%s): the earlier records are not kept", path, error)
        return [], [], None
    if data.get("exercise") != exercise.id:
        log.warning("%s is a report of %s, not %s: its records are replaced", path, data.get("exercise"), exercise.id)
        return [], [], None
    try:
        state = json.loads((out / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    entries = []
    for item in data.get("submissions", []):
        try:
            entries.append(entry_from_json(item, state.get(item.get("submission", ""))))
        except (KeyError, TypeError, ValueError) as error:
            log.warning("an earlier record of %s cannot be read back (%s)", item.get("submission"), error)
    overrides = [
        Override(
            o["student"],
            o.get("task", ""),
            None if o.get("points") is None else exact(o["points"]),
            o.get("comment", ""),
        )  # fmt: skip
        for o in data.get("overrides") or []
    ]
    policy = LatePolicy.from_dict(data["late_policy"]) if data.get("late_policy") else None
    return entries, overrides, policy


def _default_submissions(records: list[SubmissionRecord]) -> list[Submission]:
    return [Submission(Path(r.submission), Student(Path(r.submission).stem)) for r in records]


def build_entries(
    out: Path,
    exercise: Exercise,
    records: list[SubmissionRecord],
    submissions: list[Submission] | None,
    options: ReportOptions,
) -> tuple[list[Entry], list[Override], LatePolicy | None, list[Override]]:
    """The whole class after this run: earlier entries merged with the new ones, overrides and policy applied."""
    submissions = submissions or _default_submissions(records)
    by_path = {str(s.path): s for s in submissions}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    fresh = [new_entry(r, by_path.get(r.submission) or _default_submissions([r])[0], now) for r in records]
    previous, old_overrides, old_policy = load_previous(out, exercise)
    entries = merge(previous, fresh)
    overrides = old_overrides if options.overrides is None else options.overrides
    policy = options.policy or (old_policy if options.keep_policy else None)
    unused = apply(entries, overrides, policy)
    for override in unused:
        log.warning("override for %s, task %r matches no student or task of this class", override.student,
                    override.task)  # fmt: skip
    return entries, overrides, policy, unused


def _fingerprint_state(entries: list[Entry]) -> str:
    state = {}
    for entry in entries:
        if entry.record.fingerprint:
            state[entry.record.submission] = {**entry.record.fingerprint, "evidence": entry.evidence}
    return json.dumps(state, ensure_ascii=False) + "\n"


def write_reports(
    out: Path,
    exercise: Exercise,
    records: list[SubmissionRecord],
    submissions: list[Submission] | None = None,
    options: ReportOptions | None = None,
) -> list[Entry]:
    """Merge this run's records into ``out``'s class and rewrite every report from all of them; the entries."""
    options = options or ReportOptions()
    gid = options.gid
    make_folder(out, gid)
    entries, overrides, policy, unused = build_entries(out, exercise, records, submissions, options)
    tasks = [t.name for t in exercise.tasks]
    maxima = exercise_maxima([(t.name, t.points) for t in exercise.tasks])
    graded = [e.record for e in entries]

    def write(name: str, content: str) -> None:
        write_atomically(out / name, content, gid)

    write(STATE, _fingerprint_state(entries))
    write("grades.json", grades_json(exercise, entries, overrides, policy, options.isolation))
    write("grades.csv", gradebooks.grades_csv(tasks, entries))
    column = options.assignment_name or exercise.id
    maximum = text(sum(maxima.values()))
    write("gradebooks/canvas.csv", gradebooks.canvas_csv(entries, column, options.assignment_id))
    write("gradebooks/moodle.csv", gradebooks.moodle_csv(entries, maximum))
    write("gradebooks/blackboard.csv", gradebooks.blackboard_csv(entries, column, options.assignment_id, maximum))
    unnamed = gradebooks.without_lms_id(entries)
    if unnamed:
        log.info("%d students are named after their files only (%s): give a roster for the LMS gradebooks",
                 len(unnamed), ", ".join(e.student.id for e in unnamed[:5]))  # fmt: skip
    write("junit.xml", junit_xml(exercise.id, entries))
    write("item_analysis.csv", item_analysis_csv(exercise, graded))
    pairs = similar_pairs(graded, ignore=options.starter_features)
    names = {e.record.submission: e.student.name or e.student.id for e in entries}
    evidence = {e.record.submission: e.evidence for e in entries}
    write("similarity.csv", similarity_csv(pairs))
    write("similarity.md", similarity_md(pairs, names=names, evidence=evidence))
    feedback, results = set(), set()
    for entry in entries:
        write(f"feedback/{entry.key}.md", feedback_markdown(exercise.id, entry, maxima, policy))
        write(f"feedback/{entry.key}.html", feedback_html(exercise.id, entry, maxima, policy))
        write(f"gradescope/{entry.key}.json", gradescope_results(exercise, record_json(entry, policy)))
        feedback |= {f"{entry.key}.md", f"{entry.key}.html"}
        results.add(f"{entry.key}.json")
    for folder, keep, suffixes in (("feedback", feedback, (".md", ".html")), ("gradescope", results, (".json",))):
        for name in prune(out / folder, keep, suffixes):
            log.info("removed %s/%s: no such student in the class any more", folder, name)
    write("report.html", class_report_html(exercise.id, tasks, entries, pairs, policy, unused, options.missing,
                                           environment(options.isolation)))  # fmt: skip
    log.info("reports for %d students written to %s", len(entries), out)
    return entries
