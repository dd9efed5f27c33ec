"""The instructor's options of ``python -m grader grade``: who the students are, overrides, late policy, LMS, logs.

`grader.cli` adds these options with `add_options` and turns them into what the pipeline takes with `prepare`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from grader.discover import RosterError, Submission, find_class, parse_time, read_roster, unmatched_roster
from grader.exercises import Exercise
from grader.export.atomic import FILE_MODE, group_id, make_folder
from grader.export.classbook import LatePolicy, PolicyError, read_overrides
from grader.export.report import ReportOptions
from grader.results import SubmissionRecord

log = logging.getLogger("grader")
STARTERS = Path(__file__).resolve().parents[2] / "exercises"
"""The course's starter notebooks, in a checkout of the course."""


def add_options(grade: argparse.ArgumentParser) -> None:
    """Add the instructor's options to the ``grade`` command."""
    who = grade.add_argument_group("students")
    who.add_argument("--roster", type=Path, metavar="CSV", help="map files to students: file,id,name,email,sis_id,...")
    who.add_argument("--student", metavar="ID", help="all the paths are one student's work, with this ID")
    marks = grade.add_argument_group("overrides and late policy (kept in grades.json and applied on every regrade)")
    marks.add_argument("--overrides", type=Path, metavar="CSV", help="student,task,points,comment rows to apply")
    marks.add_argument("--deadline", metavar="TIME", help="ISO 8601 deadline, e.g. 2026-03-01T23:59 (local time)")
    marks.add_argument("--late-penalty", metavar="PERCENT", default="10", help="share of the maximum lost per day")
    marks.add_argument("--grace", type=int, default=0, metavar="MINUTES", help="minutes after the deadline not late")
    marks.add_argument("--no-late-policy", action="store_true", help="drop the late policy an earlier run kept")
    lms = grade.add_argument_group("gradebooks and reports")
    lms.add_argument("--assignment-name", help="the LMS gradebook column's name (default: the exercise ID)")
    lms.add_argument("--assignment-id", help="the LMS column's ID (Canvas, Blackboard), to fill an existing column")
    lms.add_argument("--group", help="the group that may read the reports (default: the grader's own group)")
    lms.add_argument("--starter", type=Path, metavar="NOTEBOOK", help="the notebook handed out (default: ours)")
    lms.add_argument("--verbose", action="store_true", help="say what is graded, and how, on the terminal")
    lms.add_argument("--log", type=Path, metavar="FILE", help="the log file (default: OUT/grader.log)")


def _policy(parser: argparse.ArgumentParser, args: argparse.Namespace) -> LatePolicy | None:
    if not args.deadline:
        return None
    try:
        deadline = parse_time(args.deadline)
        percent = Decimal(args.late_penalty.rstrip("%"))
    except (ValueError, InvalidOperation):
        parser.error("--deadline must be ISO 8601 (2026-03-01T23:59) and --late-penalty a number of percent")
    if not 0 <= percent <= 100 or args.grace < 0:
        parser.error("--late-penalty must be between 0 and 100 percent, --grace not negative")
    return LatePolicy(deadline, percent, args.grace)


def setup_logging(out: Path, verbose: bool, path: Path | None, gid: int | None) -> Path:
    """Log everything to ``path`` (default ``out/grader.log``, 0640, appended) and to stderr as asked."""
    path = path or out / "grader.log"
    make_folder(path.parent, gid)
    if not path.exists():
        path.touch(mode=FILE_MODE)
        if gid is not None:
            try:
                os.chown(path, -1, gid)
            except OSError:
                pass
    os.chmod(path, FILE_MODE)
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    file_handler.setLevel(logging.DEBUG)
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setFormatter(logging.Formatter("grader: %(message)s"))
    terminal.setLevel(logging.INFO if verbose else logging.WARNING)
    log.handlers = [file_handler, terminal]
    log.setLevel(logging.DEBUG)
    log.propagate = False
    return path


def prepare(
    parser: argparse.ArgumentParser, args: argparse.Namespace, exercise: Exercise
) -> tuple[list[Submission], ReportOptions]:
    """The class (one submission per student) and the report options; bad options exit 2 with a message."""
    try:
        gid = group_id(args.group)
    except KeyError:
        parser.error(f"--group: no group named {args.group!r}")
    try:
        roster = read_roster(args.roster) if args.roster else []
        overrides = read_overrides(args.overrides) if args.overrides else None
    except (RosterError, PolicyError) as error:
        parser.error(str(error))
    policy = _policy(parser, args)
    setup_logging(args.out, args.verbose, args.log, gid)
    submissions = find_class(args.paths, exercise.id, roster, args.student)
    starter = args.starter or STARTERS / f"{exercise.id}.ipynb"
    missing = [f"{row['name'] or row['id']} ({row['id']})" for row in unmatched_roster(roster, submissions)]
    options = ReportOptions(
        overrides=overrides,
        policy=policy,
        keep_policy=not args.no_late_policy,
        assignment_name=args.assignment_name,
        assignment_id=args.assignment_id,
        gid=gid,
        starter_features=starter_features(starter, [t.name for t in exercise.tasks]),
        missing=missing,
    )
    log.info("grading %d students' submissions of %s into %s", len(submissions), exercise.id, args.out)
    for submission in submissions:
        extra = f" (not graded: {', '.join(p.name for p in submission.others)})" if submission.others else ""
        log.info("  %s [%s]: %s%s", submission.student.id, submission.student.source, submission.path, extra)
    return submissions, options


def starter_features(path: Path, tasks: list[str]) -> frozenset[str]:
    """The code features of the notebook handed out: the similarity report discounts them."""
    if not path.is_file():
        return frozenset()
    try:
        from grader.export.fingerprints import code_features
        from grader.extract import extract_program
        from grader.load import load_submission

        cells = extract_program(load_submission(path).cells).cells
        return frozenset(code_features(tuple(cells), frozenset(tasks)))
    except Exception as error:  # noqa: BLE001 - without it the report only counts the stubs as shared
        log.warning("cannot read the starter notebook %s (%s): its code counts as the students' own", path, error)
        return frozenset()


def log_records(records: list[SubmissionRecord], started: float) -> None:
    """One log line per record, and the time the whole run took."""
    for record in records:
        log.info("%s: %s, %s of %s%s", record.submission, record.status, record.score, record.max_score,
                 f" ({record.message[:200]})" if record.message else "")  # fmt: skip
    log.info("%d submissions graded in %.1f s", len(records), time.monotonic() - started)
