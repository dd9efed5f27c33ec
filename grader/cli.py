"""The command line: ``python -m grader grade PATH... --exercise ID --out DIR [options]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader.discover import find_submissions
from grader.exercises import load_exercise
from grader.load import SubmissionError, load_submission
from grader.pipeline import grade_all
from grader.primitives import DEFAULT_SEED
from grader.sandbox import Limits


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
    grade.add_argument("--checks", type=Path, help="folder of instructor-only exercise modules that replace ours")
    return parser


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
    records = grade_all(
        paths,
        exercise,
        args.out,
        args.workers,
        Limits(args.timeout, args.memory),
        args.seed,
        progress=_progress if sys.stderr.isatty() else None,
    )
    graded = sum(r.status == "graded" for r in records)
    print(f"{len(records)} submissions, {graded} graded; reports in {args.out}")
    return 0
