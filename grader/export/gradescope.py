"""Gradescope: results.json from a submission's record, and the runner that the autograder bundle calls.

Gradescope's results.json holds a ``score`` and a list of ``tests``, each with ``score``, ``max_score``, ``name``,
``output``, ``status`` and ``visibility``. Here every check of every task is one test, and the tests add up to the
task's score: each test scores its rubric row's points (or, for checks without points, an equal share of the
task's score), in exact hundredths.

``python -m grader.export.gradescope --root ROOT`` is what the bundle's ``run_autograder`` runs, once per submission.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from grader.discover import find_submissions
from grader.export.atomic import write_atomically
from grader.export.classbook import CENT, exact
from grader.export.rubric import is_gate
from grader.results import CheckResult

CONFIG = "grader-bundle.json"
"""The bundle's configuration file, at the root of ``/autograder/source``."""


def is_hidden(check_id: str) -> bool:
    """True for an instructor-hidden check: its name after the task starts with ``hidden`` (``task.hidden_x``)."""
    return check_id.partition(".")[2].startswith("hidden")


def _case_label(message: str) -> str:
    """The ``[case]`` prefix that checks of tasks with several cases carry, or ''."""
    return message[: message.index("]") + 1] if message.startswith("[") and "]" in message else ""


def check_tests(task: dict[str, Any]) -> list[dict[str, Any]]:
    """One Gradescope test per check of a task (as in grades.json), the scores adding up to the task's score.

    When the checks carry rubric points, each test scores its row's points; otherwise the task's score is shared
    equally among its passed checks, exactly, the last one taking the remainder.
    """
    checks = task["checks"]
    score = exact(task.get("autograde_score", task["score"]))
    rubric = any(c.get("max_points") for c in checks)
    passed = [c for c in checks if c["passed"]]
    maxima = [exact(c["max_points"]) for c in checks] if rubric else _shares(exact(task["max_score"]), len(checks))
    if rubric:
        earned = [min(exact(c.get("points", 0)), m) for c, m in zip(checks, maxima, strict=True)]
    else:
        shares = iter(_shares(score, len(passed)) if score > 0 else [])
        earned = [next(shares, Decimal(0)) if c["passed"] else Decimal(0) for c in checks]
    tests: list[dict[str, Any]] = []
    for check, most, got in zip(checks, maxima, earned, strict=True):
        short = check["id"].removeprefix(f"{task['task']}.")
        label = _case_label(check["message"])
        tests.append(
            {
                "name": f"{task['task']} · {short}" + (f" {label}" if label else ""),
                "score": float(got),
                "max_score": float(most),
                "status": "passed" if check["passed"] else "failed",
                "output": check["message"],
                "visibility": "after_due_date" if is_hidden(check["id"]) else "visible",
            }
        )
    final = exact(task["score"])
    if final != score:  # the instructor's override: the rows as autograded, then the change
        override = task.get("override") or {}
        tests.append(
            {
                "name": f"{task['task']} · instructor's override",
                "score": float(final - score),
                "max_score": 0.0,
                "status": "passed",
                "output": override.get("comment") or f"Your instructor set this task to {final} points.",
                "visibility": "visible",
            }
        )
    return tests


def _shares(total: Decimal, count: int) -> list[Decimal]:
    """``total`` in ``count`` shares of a hundredth each, adding up to it exactly (the remainder on the last)."""
    if count <= 0:
        return []
    share = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [share] * (count - 1) + [total - share * (count - 1)]


def _as_check(data: dict[str, Any]) -> CheckResult:
    known = CheckResult.__dataclass_fields__
    return CheckResult(**{k: v for k, v in data.items() if k in known})


def _summary(record: dict[str, Any]) -> str:
    lines = [f"Score {record['score']:g} of {record['max_score']:g} ({record['status']})."]
    if record["message"]:
        lines.append(record["message"])
    for task in record["tasks"]:
        lines.append(f"- {task['task']}: {task['status']}, {task['score']:g} of {task['max_score']:g}")
        gates = [c for c in task["checks"] if not c["passed"] and is_gate(_as_check(c))]
        if gates and any(c["passed"] for c in task["checks"]):
            lines.append(f"  It scores 0, whatever else passed, because {gates[0]['id']} failed: {gates[0]['message']}")
    return "\n".join(lines)


def results_json(
    record: dict[str, Any], points: dict[str, float], execution_time: float | None = None
) -> dict[str, Any]:
    """Gradescope's results.json for one submission's record (as in grades.json); ``points`` maps task → points."""
    tests = [test for task in record["tasks"] for test in check_tests(task)]
    done = {task["task"] for task in record["tasks"]}
    for name, value in points.items():
        if name not in done:  # a submission that was not graded still shows every task, at zero
            tests.append(
                {
                    "name": f"{name} · graded",
                    "score": 0.0,
                    "max_score": float(value),
                    "status": "failed",
                    "output": record["message"] or "This task was not graded.",
                    "visibility": "visible",
                }
            )
    results: dict[str, Any] = {
        "score": record["score"],
        "output": _summary(record),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if execution_time is not None:
        results["execution_time"] = int(round(execution_time))
    return results


def _failure(message: str, points: dict[str, float]) -> dict[str, Any]:
    record = {"score": 0.0, "max_score": sum(points.values()), "status": "ungradable", "message": message, "tasks": []}
    return results_json(record, points)


def grade_command(
    python: str, submission: Path, out: Path, source: Path, config: dict[str, Any], student: str
) -> list[str]:
    """The ``python -m grader grade`` command for one student's upload (a folder: the grader picks the notebook).

    No ``--run-as``: run as root, the grader gives the student's code a uid of its own.
    """
    command = [python, "-m", "grader", "grade", str(submission), "--exercise", config["exercise"], "--out", str(out)]
    command += ["--workers", "1", "--timeout", str(config["timeout"])]
    command += ["--seed", str(config["seed"]), "--memory", str(config["memory"]), "--student", student]
    if config.get("checks"):
        command += ["--checks", str(source / config["checks"])]
    return command


def _student(root: Path) -> str:
    """Who uploaded, from Gradescope's ``submission_metadata.json`` (their e-mail or id), else ``submission``."""
    try:
        users = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))["users"]
        return str(users[0].get("email") or users[0].get("id") or "submission")
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return "submission"


def grade_in_container(root: Path, python: str = sys.executable) -> dict[str, Any]:
    """Grade the upload in ``root/submission`` and write ``root/results/results.json``; return it.

    An upload with several files is graded on the notebook of the exercise (see `grader.discover.pick_file`),
    the other files named in the output.
    """
    started = time.monotonic()
    config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
    points: dict[str, float] = config["points"]
    found = find_submissions([root / "submission"]) if (root / "submission").is_dir() else []
    if not found:
        results = _failure(f"Upload the .ipynb notebook (or a .py file) of {config['exercise']}; found none.", points)
    else:
        with tempfile.TemporaryDirectory(prefix="grader-") as folder:
            scratch = Path(folder)
            command = grade_command(python, root / "submission", scratch, root / "source", config, _student(root))
            run = subprocess.run(command, capture_output=True, text=True, cwd=scratch)
            print(run.stdout, run.stderr, sep="\n")  # Gradescope keeps this stdout for the instructor only
            try:
                record = json.loads((scratch / "grades.json").read_text(encoding="utf-8"))["submissions"][0]
                results = results_json(record, points)
            except (OSError, ValueError, KeyError, IndexError):
                message = "The autograder itself failed on this submission; your instructor can see why."
                results = _failure(message, points)
    results["execution_time"] = int(round(time.monotonic() - started))
    write_atomically(root / "results" / "results.json", json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    return results


def main(argv: list[str] | None = None) -> int:
    """Grade the submission of a Gradescope container (``--root`` defaults to $AUTOGRADER_ROOT or /autograder)."""
    parser = argparse.ArgumentParser(prog="python -m grader.export.gradescope", description=main.__doc__)
    parser.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    results = grade_in_container(parser.parse_args(argv).root)
    print(f"results.json written: score {results['score']:g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
