"""Class-wide exports next to grades.json: item analysis, similarity report, and Gradescope results per student."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import defaultdict
from pathlib import Path

from grader.exercises import Exercise
from grader.export.gradescope import results_json
from grader.export.similarity import THRESHOLD, Pair
from grader.results import SubmissionRecord


def item_analysis_csv(exercise: Exercise, records: list[SubmissionRecord]) -> str:
    """Per check: the graded submissions that reached it, how many failed it, and the share failing."""
    reached: dict[str, set[str]] = defaultdict(set)
    failed: dict[str, set[str]] = defaultdict(set)
    task_of: dict[str, str] = {}
    for record in records:
        if record.status != "graded":
            continue
        for task in record.tasks:
            for check in task.checks:
                task_of[check.id] = task.task
                reached[check.id].add(record.submission)
                if not check.passed:
                    failed[check.id].add(record.submission)
    order = {t.name: i for i, t in enumerate(exercise.tasks)}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["check", "task", "attempted", "failed", "share_failing"])
    for check in sorted(reached, key=lambda c: (order.get(task_of[c], len(order)), c)):
        share = len(failed[check]) / len(reached[check])
        writer.writerow([check, task_of[check], len(reached[check]), len(failed[check]), f"{share:.3f}"])
    return buffer.getvalue()


def similarity_csv(pairs: list[Pair]) -> str:
    """Every pair of submissions with its similarity score, whether it is flagged, and the rare features shared."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["first", "second", "score", "flagged", "shared_rare_features"])
    for pair in pairs:
        writer.writerow([pair.first, pair.second, f"{pair.score:.3f}", int(pair.flagged), " ".join(pair.shared)])
    return buffer.getvalue()


def similarity_md(pairs: list[Pair], threshold: float = THRESHOLD) -> str:
    """A short report of the flagged pairs, for a person to look at before anyone is accused of anything."""
    flagged = [p for p in pairs if p.flagged]
    lines = [
        "# Similar submissions",
        "",
        f"{len(flagged)} of {len(pairs)} pairs score at least {threshold} (weighted Jaccard index of circuit and "
        "code features, each weighted by how rare it is in this class; features everyone shares weigh nothing). "
        "A flag is a reason to read two submissions side by side, not a verdict.",
        "",
    ]
    if flagged:
        lines += ["| first | second | score | rarest shared features |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {p.first} | {p.second} | {p.score:.3f} | {', '.join(f'`{f}`' for f in p.shared) or '—'} |"
            for p in flagged
        ]
    return "\n".join(lines) + "\n"


def _short_names(submissions: list[str]) -> dict[str, str]:
    """A file name per submission, from its path below the folder the submissions have in common."""
    paths = [Path(s).resolve() for s in submissions]
    common = Path(os.path.commonpath(paths)) if len(paths) > 1 else paths[0].parent if paths else Path()
    names: dict[str, str] = {}
    for submission, path in zip(submissions, paths, strict=True):
        relative = path.relative_to(common).as_posix() if path != common else path.name
        base = re.sub(r"[^\w.-]+", "_", relative).strip("_") or "submission"
        name, number = f"{base}.json", 2
        while name in names.values():
            name, number = f"{base}-{number}.json", number + 1
        names[submission] = name
    return names


def gradescope_files(exercise: Exercise, records: list[SubmissionRecord]) -> dict[str, str]:
    """A Gradescope results.json per submission, keyed by a file name made from its path."""
    points = {t.name: t.points for t in exercise.tasks}
    names = _short_names([r.submission for r in records])
    return {
        names[r.submission]: json.dumps(results_json(r.to_dict(), points), indent=1, ensure_ascii=False) + "\n"
        for r in records
    }
