"""The command line: ``python -m grader grade PATH... --exercise ID --out DIR [options]``.

Also ``gradescope --exercise ID --out FILE.zip`` (an autograder bundle) and ``classroom GRADES_JSON`` (points
for GitHub Classroom).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from grader.discover import find_submissions
from grader.exercises import load_exercise
from grader.export.bundle import write_bundle
from grader.export.classroom import classroom_result, notices, points, step_summary, write_github_output
from grader.export.instructor import add_options, log_records, prepare
from grader.load import SubmissionError, load_submission
from grader.pipeline import grade_all
from grader.primitives import DEFAULT_SEED
from grader.sandbox import forkserver
from grader.sandbox.isolation import (
    DEFAULT_UID_BASE,
    LEVELS,
    Isolation,
    IsolationError,
    Limits,
    choose,
    closed_to_others,
)
from grader.sandbox.preflight import preflight

REQUIREMENTS = Path(__file__).resolve().parent.parent / "classroom" / "requirements-grader.txt"
"""The grader's run-time pins (a subset of requirements.txt), in a checkout of the course."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade Qiskit primitives exercises.")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade submissions (.ipynb or .py files, or folders of them)")
    grade.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    grade.add_argument("--exercise", help="exercise ID; defaults to the one the notebooks' metadata names")
    grade.add_argument("--out", required=True, type=Path, help="folder for grades.json, grades.csv, junit.xml")
    grade.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="submissions graded at once")
    grade.add_argument("--timeout", type=float, default=60.0, help="seconds per notebook cell and per task call")
    grade.add_argument("--seed", type=int, default=DEFAULT_SEED, help="non-zero seed of the grader's re-runs")
    grade.add_argument("--memory", type=int, default=4096, help="memory limit of each submission's process (MB)")
    grade.add_argument(
        "--submission-timeout", type=float, help="seconds for one submission in all (default: 10 × --timeout)"
    )
    grade.add_argument("--checks", type=Path, help="folder of instructor-only exercise modules that replace ours")
    grade.add_argument(
        "--isolation",
        choices=("auto", *LEVELS),
        default="auto",
        help="how to isolate student code; auto: the strongest this machine permits (see the grading guide)",
    )
    grade.add_argument(
        "--uid-base", type=int, default=DEFAULT_UID_BASE, help="first of the sandbox uids, one per worker (as root)"
    )
    add_options(grade)
    bundle = commands.add_parser("gradescope", help="write a Gradescope autograder bundle (.zip) for one exercise")
    bundle.add_argument("--exercise", required=True, help="exercise ID")
    bundle.add_argument("--out", required=True, type=Path, help="the .zip file to write")
    bundle.add_argument("--checks", type=Path, help="folder of instructor-only exercise modules to bundle")
    bundle.add_argument("--timeout", type=float, default=60.0, help="seconds per notebook cell and per task call")
    bundle.add_argument("--memory", type=int, default=4096, help="memory limit of the submission's process (MB)")
    bundle.add_argument("--seed", type=int, default=DEFAULT_SEED, help="non-zero seed of the grader's re-runs")
    bundle.add_argument("--requirements", type=Path, default=REQUIREMENTS, help="the pins setup.sh installs")
    classroom = commands.add_parser("classroom", help="report a grades.json to GitHub Classroom (in a workflow)")
    classroom.add_argument("report", type=Path, metavar="GRADES_JSON")
    classroom.add_argument("--github-output", type=Path, help="append `result=<base64 JSON>` to this step output file")
    classroom.add_argument("--notice", action="store_true", help="also print the `Points X/Y` notices Classroom reads")
    classroom.add_argument("--summary", type=Path, help="append the feedback to this file: $GITHUB_STEP_SUMMARY")
    return parser


def _gradescope(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.seed == 0 or args.timeout <= 0 or args.memory < 256:
        parser.error("--seed must be non-zero, --timeout positive, --memory at least 256")
    if not args.requirements.is_file():
        parser.error(f"no such requirements file: {args.requirements}")
    if args.checks and not args.checks.is_dir():
        parser.error(f"no such folder: {args.checks}")
    try:
        names = write_bundle(
            args.exercise, args.out, args.requirements, args.checks, args.timeout, args.memory, args.seed
        )
    except KeyError:
        parser.error(f"unknown exercise {args.exercise!r}")
    except Exception as error:  # noqa: BLE001 - an instructor's hidden-checks module that fails to load
        parser.error(f"cannot load the checks of {args.exercise!r}: {type(error).__name__}: {error}")
    print(f"{args.out}: {len(names)} files; upload it as the assignment's autograder")
    return 0


def _classroom(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        result = classroom_result(json.loads(args.report.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        parser.error(f"cannot read {args.report} as a grades.json report: {type(error).__name__}: {error}")
    if args.github_output:
        write_github_output(args.github_output, result)
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as stream:
            stream.write(step_summary(args.report))
    total, maximum = points(result)
    print(f"Points {total}/{maximum}")
    for line in notices(result) if args.notice else []:
        print(line)
    return 0


def _isolation(args: argparse.Namespace, limits: Limits) -> Isolation:
    """The run's isolation, proven by the pre-flight; exits with 2 and the reason when it cannot be had."""
    try:
        allowed = forkserver.shared().namespaces_allowed()
        protect = [*args.paths, args.out, *([args.checks] if args.checks else [])]
        isolation = choose(args.isolation, args.workers, protect, args.uid_base, allowed)
        preflight(isolation, limits)
    except (IsolationError, forkserver.ForkServerError) as error:
        print(f"python -m grader: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    described = isolation.describe()
    print(
        f"isolation: {described['level']}"
        + (f" (uids {isolation.uids[0]}…{isolation.uids[-1]})" if isolation.uids else "")
    )
    if described["note"]:
        print(f"{'note' if described['hardened'] else 'WARNING'}: {described['note']}", file=sys.stderr)
    return isolation


def _exercise_from_metadata(paths: list[Path]) -> str | None:
    for path in paths:
        try:
            named = load_submission(path).exercise
        except SubmissionError:
            continue
        if named:
            return named
    return None


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} graded")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 once every submission has its record, 2 for bad usage."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "gradescope":
        return _gradescope(parser, args)
    if args.command == "classroom":
        return _classroom(parser, args)
    missing = [str(p) for p in [*args.paths, *([args.checks] if args.checks else [])] if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    if args.seed == 0 or args.timeout <= 0 or args.workers < 1 or args.memory < 256:
        parser.error("--seed must be non-zero, --timeout positive, --workers at least 1, --memory at least 256")
    paths = find_submissions(args.paths)
    if not paths:
        parser.error("no .ipynb or .py submission found in the paths given")
    exercise_id = args.exercise or _exercise_from_metadata(paths)
    if exercise_id is None:
        parser.error("no --exercise given and no notebook names one in its metadata")
    try:
        exercise = load_exercise(exercise_id, args.checks)
    except KeyError:
        parser.error(f"unknown exercise {exercise_id!r}")
    except Exception as error:  # noqa: BLE001 - an instructor's hidden-checks module that fails to load
        parser.error(f"cannot load the checks of {exercise_id!r} from {args.checks}: {type(error).__name__}: {error}")
    started = time.monotonic()
    submissions, report = prepare(parser, args, exercise)  # one per student; overrides, late policy, logging
    paths = [s.path for s in submissions]
    limits = Limits(args.timeout, args.memory, args.submission_timeout)
    isolation = _isolation(args, limits)
    report.isolation = isolation.describe()
    with closed_to_others(isolation.hidden if isolation.level == "uid" else ()):
        records = grade_all(
            paths,
            exercise,
            args.out,
            args.workers,
            limits,
            args.seed,
            isolation,
            progress=_progress if sys.stderr.isatty() else None,
            submissions=submissions,
            report=report,
        )
    log_records(records, started)
    graded = sum(r.status == "graded" for r in records)
    print(f"{len(records)} submissions, {graded} graded; reports in {args.out}")
    return 0
