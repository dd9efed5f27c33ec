"""Stage 6, report: grades.json, grades.csv and junit.xml, plus the class exports, each written atomically."""

from __future__ import annotations

import csv
import io
import json
import platform
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

from grader.exercises import Exercise
from grader.export.atomic import write_atomically
from grader.export.exports import gradescope_files, item_analysis_csv, similarity_csv, similarity_md
from grader.export.similarity import similar_pairs
from grader.results import SubmissionRecord


def environment() -> dict[str, str]:
    """The versions a grade depends on, recorded in every report."""
    return {
        "python": platform.python_version(),
        **{name: version(name) for name in ("qiskit", "qiskit-ibm-runtime", "qiskit-aer")},
    }


def grades_json(exercise: Exercise, records: list[SubmissionRecord]) -> str:
    """The report in the fixed JSON schema."""
    data = {"exercise": exercise.id, "environment": environment(), "submissions": [r.to_dict() for r in records]}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def grades_csv(exercise: Exercise, records: list[SubmissionRecord]) -> str:
    """A row per submission, a column per task plus the total, timeout and error flags, and a first row of points."""
    names = [t.name for t in exercise.tasks]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["submission", "status", *names, "total", "message", "timed_out", "errored"])
    points = [t.points for t in exercise.tasks]
    writer.writerow(["points", "", *points, sum(points), "", "", ""])
    for record in records:
        scores = {t.task: t.score for t in record.tasks}
        timed_out = record.status == "timeout" or any(t.status == "timeout" for t in record.tasks)
        errored = record.status in {"ungradable", "crashed"} or any(t.status == "error" for t in record.tasks)
        writer.writerow(
            [record.submission, record.status, *(scores.get(n, 0.0) for n in names), record.score, record.message]
            + [int(timed_out), int(errored)]
        )
    return buffer.getvalue()


def junit_xml(exercise: Exercise, records: list[SubmissionRecord]) -> str:
    """One test suite per submission, one test case per check (or one error case when it was not graded)."""
    suites = ET.Element("testsuites", name=exercise.id)
    for record in records:
        suite = ET.SubElement(suites, "testsuite", name=record.submission)
        cases = failures = errors = 0
        if record.status != "graded":
            case = ET.SubElement(suite, "testcase", classname=record.submission, name="grade")
            ET.SubElement(case, "error", message=record.message or record.status).text = record.message
            cases, errors = 1, 1
        for task in record.tasks:
            for check in task.checks:
                cases += 1
                case = ET.SubElement(suite, "testcase", classname=f"{record.submission}.{task.task}", name=check.id)
                if not check.passed:
                    tag = "error" if task.status in {"error", "timeout"} else "failure"
                    failures += tag == "failure"
                    errors += tag == "error"
                    ET.SubElement(case, tag, message=check.message).text = check.message
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_reports(out: Path, exercise: Exercise, records: list[SubmissionRecord]) -> None:
    """Write the three reports into ``out``, then the class exports (item analysis, similarity, Gradescope)."""
    write_atomically(out / "grades.json", grades_json(exercise, records))
    write_atomically(out / "grades.csv", grades_csv(exercise, records))
    write_atomically(out / "junit.xml", junit_xml(exercise, records))
    write_atomically(out / "item_analysis.csv", item_analysis_csv(exercise, records))
    pairs = similar_pairs(records)
    write_atomically(out / "similarity.csv", similarity_csv(pairs))
    write_atomically(out / "similarity.md", similarity_md(pairs))
    for name, text in gradescope_files(exercise, records).items():
        write_atomically(out / "gradescope" / name, text)
