"""The grading pipeline, in one place: load → extract → scan → run isolated → check → report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from grader import wire
from grader.discover import Submission
from grader.exercises import Case, Exercise
from grader.export.fingerprints import fingerprint_submission
from grader.export.report import ReportOptions, write_reports
from grader.extract import extract_program
from grader.judge.grade import grade_exercise, summed
from grader.load import SubmissionError, load_submission
from grader.primitives import case_seed
from grader.results import SubmissionRecord
from grader.sandbox import forkserver
from grader.sandbox.isolation import Isolation, Limits
from grader.sandbox.runner import CaseRequest, run_isolated
from grader.scan import scan_cells


def encode_args(case: Case) -> list[Any]:
    """A case's arguments for the sandbox: backends by class name (it builds its own), other values typed."""
    encoded = []
    for arg in case.args:
        cls = type(arg)
        if cls.__module__.startswith("qiskit_ibm_runtime.fake_provider") or cls.__name__ in (
            "AerSimulator",
            "BasicSimulator",
        ):
            encoded.append({"backend": cls.__name__})
        else:
            encoded.append({"value": wire.encode(arg)})
    return encoded


def grade_submission(
    path: Path, exercise: Exercise, limits: Limits, seed: int, isolation: Isolation
) -> SubmissionRecord:
    """Grade one submission; every failure of the submission becomes part of its record."""
    max_score = float(exercise.points)

    def record(status: str, message: str, tasks: list | None = None) -> SubmissionRecord:
        tasks = tasks or []
        return SubmissionRecord(str(path), status, summed([t.score for t in tasks]), max_score, message, tasks)

    try:
        submission = load_submission(path)  # 1. load
    except SubmissionError as error:
        return record("ungradable", f"Not graded: {error}.")
    if submission.exercise not in (None, exercise.id):
        return record("ungradable", f"Not graded: this notebook is for exercise {submission.exercise!r}.")
    program = extract_program(submission.cells)  # 2. extract
    task_names = [t.name for t in exercise.tasks]
    if not program.functions & set(task_names):
        return record("ungradable", f"Not graded: no function named {' or '.join(task_names)} is defined.")
    scan = scan_cells(program.cells)  # 3. scan
    cases = {t.name: t.cases_for(batch=True) for t in exercise.tasks}
    requests = [
        CaseRequest(name, index, encode_args(case), case_seed(seed, name, index))
        for name, task_cases in cases.items()
        for index, case in enumerate(task_cases)
    ]
    sandbox = run_isolated(program.cells, requests, limits, isolation)  # 4. run isolated
    if sandbox.crashed:
        return record("crashed", f"Not graded: {sandbox.crashed}.")
    tasks = grade_exercise(exercise, cases, sandbox.cases, scan, sandbox.cell_errors)  # 5. check
    notes = [f"cell {n}: {e}" for n, e in sorted(sandbox.cell_errors.items())] + program.notes + sandbox.notes
    status = "timeout" if tasks and all(t.status == "timeout" for t in tasks) else "graded"
    graded = record(status, "; ".join(notes)[:2000], tasks)
    try:
        graded.fingerprint = fingerprint_submission(program.cells, sandbox, task_names)  # for similarity.csv only
    except Exception:  # noqa: BLE001 - a submission without a fingerprint is left out of the similarity report
        graded.fingerprint = None
    return graded


def grade_all(
    paths: list[Path],
    exercise: Exercise,
    out: Path,
    workers: int,
    limits: Limits,
    seed: int,
    isolation: Isolation,
    progress: Callable[[int, int], None] | None = None,
    submissions: list[Submission] | None = None,
    report: ReportOptions | None = None,
) -> list[SubmissionRecord]:
    """Grade every submission in parallel, then write the reports (6. report); one record per submission.

    ``submissions`` says whose each path is (`grader.discover.find_class`); ``report`` carries the instructor's
    overrides, late policy and LMS column. The reports cover the whole class in ``out``, earlier records included.
    """
    records: list[SubmissionRecord | None] = [None] * len(paths)

    def one(index: int) -> None:
        try:
            records[index] = grade_submission(paths[index], exercise, limits, seed, isolation)
        except Exception as error:  # noqa: BLE001 - a grader bug must not lose the rest of the class
            message = f"Not graded: the grader failed ({type(error).__name__}: {error}); please report it."
            print(message, file=sys.stderr)
            records[index] = SubmissionRecord(str(paths[index]), "crashed", 0.0, float(exercise.points), message)

    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for _ in pool.map(one, range(len(paths))):
            done += 1
            if progress:
                progress(done, len(paths))
    final = [r for r in records if r is not None]
    survivors = isolation.clear(forkserver.shared().kill_uid)  # 6. report, once every sandbox process is gone
    if survivors:
        print(f"warning: processes of sandbox uids {survivors} survived the cleanup", file=sys.stderr)
    write_reports(out, exercise, final, submissions, report)
    return final
