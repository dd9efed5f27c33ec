"""Gradescope: results.json from a submission's record, and the runner that the autograder bundle calls.

Gradescope's results.json holds a ``score`` and a list of ``tests``, each with ``score``, ``max_score``, ``name``,
``output``, ``status`` and ``visibility``. Here every check of every task is one test, and the tests add up to the
task's score: a task scores its points times the share of its checks passed, or zero when a gate failed (see
`grader.judge.grade.GATES`), so each passed check of a task that scored carries an equal share of that score.

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
from pathlib import Path
from typing import Any

from grader.discover import find_submissions
from grader.export.atomic import write_atomically
from grader.judge.grade import GATES

CONFIG = "grader-bundle.json"
"""The bundle's configuration file, at the root of ``/autograder/source``."""


def is_hidden(check_id: str) -> bool:
    """True for an instructor-hidden check: its name after the task starts with ``hidden`` (``task.hidden_x``)."""
    return check_id.partition(".")[2].startswith("hidden")


def _case_label(message: str) -> str:
    """The ``[case]`` prefix that checks of tasks with several cases carry, or ''."""
    return message[: message.index("]") + 1] if message.startswith("[") and "]" in message else ""


def check_tests(task: dict[str, Any]) -> list[dict[str, Any]]:
    """One Gradescope test per check of a task (as in grades.json), the scores adding up to the task's score."""
    checks = task["checks"]
    passed = sum(bool(c["passed"]) for c in checks)
    last_passed = next((c for c in reversed(checks) if c["passed"]), None)
    tests: list[dict[str, Any]] = []
    for check in checks:
        short = check["id"].removeprefix(f"{task['task']}.")
        label = _case_label(check["message"])
        share = task["score"] / passed if check["passed"] and task["score"] > 0 else 0.0
        share = round(share, 4)
        if check["passed"] and task["score"] > 0 and check is last_passed:  # the rounding remainder goes here
            share = round(task["score"] - sum(t["score"] for t in tests if t["status"] == "passed"), 4)
        most = round(task["max_score"] / len(checks), 4)
        if check is checks[-1]:
            most = round(task["max_score"] - sum(t["max_score"] for t in tests), 4)
        tests.append(
            {
                "name": f"{task['task']} · {short}" + (f" {label}" if label else ""),
                "score": share,
                "max_score": most,
                "status": "passed" if check["passed"] else "failed",
                "output": check["message"],
                "visibility": "after_due_date" if is_hidden(check["id"]) else "visible",
            }
        )
    return tests


def _summary(record: dict[str, Any]) -> str:
    lines = [f"Score {record['score']:g} of {record['max_score']:g} ({record['status']})."]
    if record["message"]:
        lines.append(record["message"])
    for task in record["tasks"]:
        lines.append(f"- {task['task']}: {task['status']}, {task['score']:g} of {task['max_score']:g}")
        gates = [c for c in task["checks"] if not c["passed"] and c["id"].endswith(GATES)]
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
                    "max_score": value,
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
    python: str, submission: Path, out: Path, source: Path, config: dict[str, Any], run_as: str
) -> list[str]:
    """The ``python -m grader grade`` command for one submission; ``run_as`` ('' for none) runs its code as a user."""
    command = [python, "-m", "grader", "grade", str(submission), "--exercise", config["exercise"], "--out", str(out)]
    command += ["--workers", "1", "--timeout", str(config["timeout"])]
    command += ["--seed", str(config["seed"]), "--memory", str(config["memory"])]
    if config.get("checks"):
        command += ["--checks", str(source / config["checks"])]
    return command + (["--run-as", run_as] if run_as else [])


def grade_in_container(root: Path, python: str = sys.executable) -> dict[str, Any]:
    """Grade the one submission in ``root/submission`` and write ``root/results/results.json``; return it."""
    started = time.monotonic()
    config = json.loads((root / "source" / CONFIG).read_text(encoding="utf-8"))
    points: dict[str, float] = config["points"]
    found = find_submissions([root / "submission"]) if (root / "submission").is_dir() else []
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        results = _failure(
            f"Upload exactly one .ipynb notebook or .py file for {config['exercise']}; found {len(found)} ({names}).",
            points,
        )
    else:
        scratch = Path(tempfile.mkdtemp(prefix="grader-"))
        run_as = os.environ.get("GRADER_RUN_AS", config.get("run_as", "nobody"))
        if os.geteuid() != 0:
            run_as = ""
        command = grade_command(python, found[0], scratch, root / "source", config, run_as)
        run = subprocess.run(command, capture_output=True, text=True, cwd=scratch)
        print(run.stdout, run.stderr, sep="\n")  # Gradescope keeps this stdout for the instructor only
        try:
            record = json.loads((scratch / "grades.json").read_text(encoding="utf-8"))["submissions"][0]
            results = results_json(record, points)
        except (OSError, ValueError, KeyError, IndexError):
            results = _failure("The autograder itself failed on this submission; your instructor can see why.", points)
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
