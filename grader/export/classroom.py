"""GitHub Classroom: turn grades.json into the points a Classroom autograding workflow reports, exactly.

GitHub Classroom records the points of the notice ``Points X/Y`` (title ``Autograding complete``) that the
workflow named ``Autograding Tests`` posts. ``python -m grader classroom grades.json --notice`` prints that notice
itself, with the record's score in exact decimals, so there is one total: the grade in grades.json.

For workflows that keep Classroom's reporter action (``classroom-resources/autograding-grading-reporter``),
``--github-output "$GITHUB_OUTPUT"`` also writes the JSON it reads (``max_score``, ``status`` and ``tests`` with
``name``, ``status``, ``score``, ``message``, ``line_no``, base64-encoded). The reporter posts the tests' scores
summed, which is the grade; its console table, though, shows the share of tests passed times the maximum, which
differs from the grade whenever a task earns partial credit, which is why the course's workflow does not use it.
``--summary "$GITHUB_STEP_SUMMARY"`` puts the feedback (each task's rubric) on the run's summary page.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from grader.export.classbook import exact, slug, text
from grader.export.gradescope import check_tests


def classroom_result(report: dict[str, Any]) -> dict[str, Any]:
    """The reporter's JSON for a grades.json report: one test per check, scores adding up to the grade exactly."""
    several = len(report["submissions"]) > 1
    tests: list[dict[str, Any]] = []
    statuses = set()
    for record in report["submissions"]:
        prefix = f"{_who(record)}: " if several else ""
        if record["status"] != "graded" or not record["tasks"]:
            statuses.add("error")
            tests.append({"name": f"{prefix}graded", "status": "error", "score": 0, "message": record["message"],
                          "line_no": 0})  # fmt: skip
        found = []
        for task in record["tasks"]:
            for test in check_tests(task):
                status = "pass" if test["status"] == "passed" else "error" if task["status"] == "error" else "fail"
                statuses.add(status)
                found.append({"name": prefix + test["name"], "status": status, "score": exact(test["score"]),
                              "message": test["output"], "line_no": 0})  # fmt: skip
        difference = exact(record["score"]) - sum((t["score"] for t in found), Decimal(0))
        if difference and found:  # a late penalty: its own line, so that the tests add up to the grade
            found.append({"name": f"{prefix}late penalty", "status": "fail", "score": difference,
                          "message": "Points taken off for handing in after the deadline.", "line_no": 0})  # fmt: skip
        tests += found
    for test in tests:
        test["score"] = float(exact(test["score"]))
    status = "error" if "error" in statuses else "fail" if "fail" in statuses else "pass"
    max_score = float(sum((exact(r["max_score"]) for r in report["submissions"]), Decimal(0)))
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def _who(record: dict[str, Any]) -> str:
    return (record.get("student") or {}).get("id") or Path(record["submission"]).name


def points(result: dict[str, Any]) -> tuple[str, str]:
    """The points the notice posts, as exact decimal text: the tests' scores summed, and the maximum."""
    total = sum((exact(t["score"]) for t in result["tests"]), Decimal(0))
    return text(total), text(exact(result["max_score"]))


def encoded(result: dict[str, Any]) -> str:
    """The result as the reporter reads it: base64 of its UTF-8 JSON."""
    return base64.b64encode(json.dumps(result, ensure_ascii=False).encode("utf-8")).decode("ascii")


def notices(result: dict[str, Any]) -> list[str]:
    """The workflow commands that post the points as GitHub Classroom reads them."""
    total, maximum = points(result)
    summary = json.dumps({"totalPoints": float(total), "maxPoints": float(maximum)})
    return [
        f"::notice title=Autograding complete::Points {total}/{maximum}",
        f"::notice title=Autograding report::{summary}",
    ]


def write_github_output(path: Path, result: dict[str, Any], name: str = "result") -> None:
    """Append ``name=<encoded result>`` to the step's output file ($GITHUB_OUTPUT)."""
    with path.open("a", encoding="utf-8") as stream:
        stream.write(f"{name}={encoded(result)}\n")


def step_summary(report_path: Path) -> str:
    """The feedback of every record of a grades.json, as the Markdown the grader wrote next to it."""
    report = json.loads(report_path.read_text(encoding="utf-8"))
    parts = []
    for record in report["submissions"]:
        feedback = report_path.parent / "feedback" / f"{slug(_who(record))}.md"
        if feedback.is_file():
            parts.append(feedback.read_text(encoding="utf-8"))
        else:
            parts.append(f"# {record['submission']}\n\nScore {record['score']} / {record['max_score']}\n")
    return "\n".join(parts)
