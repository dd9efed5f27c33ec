"""``junit.xml``: the class as JUnit XML that validates against the xunit2 schema (the one pytest writes by default).

A test suite per student (``<exercise>.<student>``) and a test case per task and case: ``bell_counts`` holds the
task-wide requirements, ``bell_counts[FakeLimaV2, 777 shots]`` those checked on one case, so every name is unique
and a CI dashboard lists them apart. Where CI systems read scores:

- the suite's ``<properties>``: ``student``, ``score``, ``max_score``, ``status`` and ``score.<task>`` per task
  (xunit2 allows properties only there, not inside a test case);
- each case's ``<system-out>``: its rubric rows with their points, and the task's score on the task's own case;
- a failure's ``message``: the unmet requirements, with the points they cost.

Submissions that could not be graded, and tasks that raised or timed out, are failures of ``type`` ``error`` or
``timeout`` (the schema has no ``<error>`` inside a test case).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from grader.export.classbook import Entry, exact, text
from grader.export.rubric import Row, rows


def _failure_type(status: str) -> str:
    return {"error": "error", "timeout": "timeout", "crashed": "error", "ungradable": "error"}.get(status, "failure")


def _row_line(row: Row) -> str:
    return f"{row.mark} {row.requirement} — {row.points_text} — {row.message}"


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name} #{number}", number + 1
    taken.add(candidate)
    return candidate


def junit_xml(exercise: str, entries: list[Entry]) -> str:
    """The JUnit XML of the class."""
    suites = ET.Element("testsuites", name=exercise)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for entry in entries:
        record = entry.record
        suite = ET.SubElement(suites, "testsuite", name=f"{exercise}.{entry.key}")
        properties = ET.SubElement(suite, "properties")
        values = {"student": entry.student.id, "student_name": entry.student.name, "submission": record.submission,
                  "status": record.status, "score": text(entry.score), "max_score": text(entry.max_score)}  # fmt: skip
        values |= {f"score.{task}": text(score) for task, score in entry.task_scores.items()}
        for name, value in values.items():
            ET.SubElement(properties, "property", name=name, value=value)
        taken: set[str] = set()
        cases = failures = 0
        if not record.tasks:
            case = ET.SubElement(suite, "testcase", classname=f"{exercise}.{entry.key}", name="graded")
            failure = ET.SubElement(case, "failure", type=_failure_type(record.status))
            failure.set("message", record.message or record.status)
            failure.text = record.message or record.status
            cases, failures = 1, 1
        for task in record.tasks:
            by_case: dict[str, list[Row]] = defaultdict(list)
            for row in rows(task):
                by_case[row.case].append(row)
            if "" not in by_case:
                by_case = {"": [], **by_case}
            score = entry.task_scores.get(task.task, exact(task.score))
            for label, found in by_case.items():
                name = _unique(f"{task.task}[{label}]" if label else task.task, taken)
                case = ET.SubElement(suite, "testcase", classname=f"{exercise}.{entry.key}.{task.task}", name=name)
                unmet = [r for r in found if not r.met]
                if unmet or (not label and not found and task.status != "passed"):
                    kind = _failure_type(task.status)
                    message = "; ".join(f"{r.requirement}: {r.message}" for r in unmet) or f"task {task.status}"
                    failure = ET.SubElement(case, "failure", type=kind, message=message[:1000])
                    failure.text = "\n".join(_row_line(r) for r in unmet) or message
                    failures += 1
                out = [_row_line(r) for r in found]
                if not label:
                    out.insert(0, f"{task.task}: {text(score)} / {text(exact(task.max_score))} points ({task.status})")
                ET.SubElement(case, "system-out").text = "\n".join(out)
                cases += 1
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        totals["tests"] += cases
        totals["failures"] += failures
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
