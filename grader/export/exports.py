"""Class-wide exports next to grades.json: item analysis, similarity report, and Gradescope results per student."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

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


def similarity_md(
    pairs: list[Pair],
    threshold: float = THRESHOLD,
    names: dict[str, str] | None = None,
    evidence: dict[str, dict[str, str]] | None = None,
) -> str:
    """The flagged pairs with the code they share, for a person to read before anyone is accused of anything."""
    names, evidence = names or {}, evidence or {}
    flagged = [p for p in pairs if p.flagged]
    lines = [
        "# Similar submissions",
        "",
        f"{len(flagged)} of {len(pairs)} pairs score at least {threshold} (weighted Jaccard index of circuit and "
        "code features, each weighted by how rare it is in this class; features everyone shares, and everything "
        "in the starter notebook, weigh nothing). A flag is a reason to read two submissions side by side, not a "
        "verdict.",
        "",
    ]
    for pair in flagged:
        first, second = names.get(pair.first, pair.first), names.get(pair.second, pair.second)
        lines += [f"## {first} and {second}: {pair.score:.3f}", "", f"`{pair.first}` and `{pair.second}` share:", ""]
        for feature in pair.shared:
            shown = evidence.get(pair.first, {}).get(feature) or evidence.get(pair.second, {}).get(feature)
            lines += ["```python", shown, "```", ""] if shown else [f"- `{feature}`", ""]
    return "\n".join(lines).rstrip() + "\n"


def gradescope_results(exercise: Exercise, record: dict[str, object]) -> str:
    """A Gradescope results.json for one student's record (as grades.json holds it)."""
    points = {t.name: float(t.points) for t in exercise.tasks}
    return json.dumps(results_json(record, points), indent=1, ensure_ascii=False) + "\n"
