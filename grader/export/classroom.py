"""GitHub Classroom: turn grades.json into what a Classroom autograding workflow reports.

GitHub Classroom's reporter action (``classroom-resources/autograding-grading-reporter``) reads, for every runner
id it is given, an environment variable ``<RUNNER>_RESULTS`` holding base64-encoded JSON: ``max_score``, a
``status`` (``pass``, ``fail`` or ``error``) and ``tests``, each with ``name``, ``status``, ``score`` and
``message``. It adds up the tests' scores and posts the notice ``Points X/Y``, which is what Classroom records.

``python -m grader classroom grades.json --github-output "$GITHUB_OUTPUT"`` writes that JSON as the step output
``result``; ``--notice`` also prints the notices itself, for a workflow that does not use the reporter.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from grader.export.gradescope import check_tests


def classroom_result(report: dict[str, Any]) -> dict[str, Any]:
    """The reporter's JSON for a grades.json report: one test per check, scores adding up to the grade."""
    several = len(report["submissions"]) > 1
    tests: list[dict[str, Any]] = []
    statuses = set()
    for record in report["submissions"]:
        prefix = f"{Path(record['submission']).name}: " if several else ""
        if record["status"] != "graded" or not record["tasks"]:
            statuses.add("error")
            tests.append({"name": f"{prefix}graded", "status": "error", "score": 0, "message": record["message"]})
        for task in record["tasks"]:
            for test in check_tests(task):
                status = "pass" if test["status"] == "passed" else "error" if task["status"] == "error" else "fail"
                statuses.add(status)
                tests.append({"name": prefix + test["name"], "status": status, "score": test["score"],
                              "message": test["output"]})  # fmt: skip
    status = "error" if "error" in statuses else "fail" if "fail" in statuses else "pass"
    max_score = sum(r["max_score"] for r in report["submissions"])
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def points(result: dict[str, Any]) -> tuple[float, float]:
    """The points the reporter would post: the tests' scores summed, and the maximum."""
    return round(sum(t["score"] for t in result["tests"]), 2), result["max_score"]


def encoded(result: dict[str, Any]) -> str:
    """The result as the reporter reads it: base64 of its UTF-8 JSON."""
    return base64.b64encode(json.dumps(result, ensure_ascii=False).encode("utf-8")).decode("ascii")


def notices(result: dict[str, Any]) -> list[str]:
    """The workflow commands that post the points as GitHub Classroom reads them."""
    total, maximum = points(result)
    summary = json.dumps({"totalPoints": total, "maxPoints": maximum})
    return [
        f"::notice title=Autograding complete::Points {total:g}/{maximum:g}",
        f"::notice title=Autograding report::{summary}",
    ]


def write_github_output(path: Path, result: dict[str, Any], name: str = "result") -> None:
    """Append ``name=<encoded result>`` to the step's output file ($GITHUB_OUTPUT)."""
    with path.open("a", encoding="utf-8") as stream:
        stream.write(f"{name}={encoded(result)}\n")
