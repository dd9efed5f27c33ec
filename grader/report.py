"""Stage 6, report: grades.json, grades.csv and junit.xml, each written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import tempfile
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

from grader.exercises import Exercise
from grader.results import SubmissionRecord


def environment() -> dict[str, str]:
    """The versions a grade depends on, recorded in every report."""
    return {
        "python": platform.python_version(),
        **{name: version(name) for name in ("qiskit", "qiskit-ibm-runtime", "qiskit-aer")},
    }


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def grades_json(exercise: Exercise, records: list[SubmissionRecord]) -> str:
    """The report in the fixed JSON schema."""
    data = {"exercise": exercise.id, "environment": environment(), "submissions": [r.to_dict() for r in records]}
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def grades_csv(exercise: Exercise, records: list[SubmissionRecord]) -> str:
    """A row per submission, a column per task plus the total, and a first row of points."""
    names = [t.name for t in exercise.tasks]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["submission", "status", *names, "total", "message"])
    writer.writerow(["points", "", *(t.points for t in exercise.tasks), sum(t.points for t in exercise.tasks), ""])
    for record in records:
        scores = {t.task: t.score for t in record.tasks}
        writer.writerow(
            [record.submission, record.status, *(scores.get(n, 0.0) for n in names), record.score, record.message]
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
    """Write the three reports into ``out``."""
    write_atomically(out / "grades.json", grades_json(exercise, records))
    write_atomically(out / "grades.csv", grades_csv(exercise, records))
    write_atomically(out / "junit.xml", junit_xml(exercise, records))
