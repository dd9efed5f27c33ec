"""Feedback files, one per student, in Markdown and HTML: each task's rubric with ✔/✘, points and messages.

``feedback/<student>.md`` pastes into an LMS comment box or an e-mail; ``feedback/<student>.html`` is a page on its
own (no scripts, no outside resources) to attach or upload as a feedback file. Both say the score, how it was
reached (overrides and late penalty included) and, for every requirement, what was checked and what to fix.
"""

from __future__ import annotations

import html
from decimal import Decimal

from grader.export.classbook import Entry, LatePolicy, exact, text
from grader.export.rubric import Row, gate_note, rows, task_line
from grader.results import TaskResult

STATUS_WORDS = {
    "graded": "graded",
    "ungradable": "not graded",
    "timeout": "stopped at the time limit",
    "crashed": "could not be run",
}


def _who(entry: Entry) -> str:
    student = entry.student
    return f"{student.name} ({student.id})" if student.name and student.name != student.id else student.id


def _late_line(entry: Entry, policy: LatePolicy | None) -> str:
    if not policy or not entry.submitted_at:
        return ""
    when = entry.submitted_at.strftime("%Y-%m-%d %H:%M")
    source = {"file time": "the file's time", "file name": "the LMS's file name", "roster": "the roster"}.get(
        entry.submitted_from, entry.submitted_from
    )
    if entry.late_days == 0:
        return f"Handed in on time ({when}, from {source})."
    days = "day" if entry.late_days == 1 else "days"
    return (
        f"Handed in {entry.late_days} {days} late ({when}, from {source}; deadline "
        f"{policy.deadline.strftime('%Y-%m-%d %H:%M')}): −{text(entry.penalty)} points "
        f"({text(policy.percent_per_day)}% of the maximum per day)."
    )


def _comments(entry: Entry, task: str) -> list[str]:
    return [o.comment for o in entry.overrides if o.task == task and o.comment]


def _summary(entry: Entry, policy: LatePolicy | None) -> list[str]:
    record = entry.record
    lines = [f"Score: {text(entry.score)} / {text(entry.max_score)}"]
    lines.append(f"Submission: {record.submission} ({STATUS_WORDS.get(record.status, record.status)})")
    if late := _late_line(entry, policy):
        lines.append(late)
    if record.message:
        lines.append(record.message)
    lines += entry.notes
    lines += [o.comment for o in entry.overrides if not o.task and o.comment]
    return lines


def _md(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def _md_rows(found: list[Row]) -> list[str]:
    lines = ["| | requirement | case | points | message |", "| --- | --- | --- | --- | --- |"]
    for row in found:
        requirement = row.requirement + (" (gate)" if row.gate else "")
        lines.append(
            f"| {row.mark} | {_md(requirement)} | {_md(row.case) or '—'} | {row.points_text} | {_md(row.message)} |"
        )
    return lines


def _tasks(entry: Entry, exercise_tasks: dict[str, Decimal]) -> list[TaskResult | str]:
    """The graded tasks, and the names of the exercise's tasks that were not graded at all."""
    done = {t.task for t in entry.record.tasks}
    return [*entry.record.tasks, *(name for name in exercise_tasks if name not in done)]


def feedback_markdown(exercise: str, entry: Entry, maxima: dict[str, Decimal], policy: LatePolicy | None) -> str:
    """One student's feedback as Markdown."""
    lines = [f"# {exercise}: feedback for {_who(entry)}", ""]
    summary = _summary(entry, policy)
    lines += [f"**{summary[0]}**", ""] + [f"- {line}" for line in summary[1:]] + [""]
    for task in _tasks(entry, maxima):
        if isinstance(task, str):
            lines += [f"## {task}: not graded, 0 / {text(maxima[task])} points", "", entry.record.message or "", ""]
            continue
        lines += [f"## {task_line(entry, task)}", ""]
        lines += _md_rows(rows(task)) + [""]
        if note := gate_note(task):
            lines += [note, ""]
        lines += [f"> Your instructor: {comment}" for comment in _comments(entry, task.task)]
        lines += [""] if _comments(entry, task.task) else []
    return "\n".join(lines).rstrip() + "\n"


STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.score { font-size: 1.3rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #d0d0d7; padding: .35rem .5rem;
text-align: left; vertical-align: top; } th { background: #f3f3f6; }
td.mark { font-weight: 700; text-align: center; width: 1.5rem; } tr.met td.mark { color: #137333; }
tr.unmet td.mark { color: #b3261e; } tr.unchecked { color: #6b6b73; } td.points { white-space: nowrap; }
.note { background: #fff4e5; border-left: 4px solid #e8a33d; padding: .4rem .7rem; }
.comment { background: #eef4ff; border-left: 4px solid #3d6fe8; padding: .4rem .7rem; }
"""


def _html_rows(found: list[Row]) -> str:
    out = ["<table><thead><tr><th></th><th>requirement</th><th>case</th><th>points</th><th>message</th></tr>",
           "</thead><tbody>"]  # fmt: skip
    for row in found:
        kind = "met" if row.met else "unmet" if row.evaluated else "unchecked"
        requirement = html.escape(row.requirement) + (" <small>(gate)</small>" if row.gate else "")
        out.append(
            f'<tr class="{kind}"><td class="mark">{row.mark}</td><td>{requirement}</td>'
            f'<td>{html.escape(row.case) or "—"}</td><td class="points">{html.escape(row.points_text)}</td>'
            f"<td>{html.escape(row.message)}</td></tr>"
        )
    return "".join(out) + "</tbody></table>"


def feedback_html(exercise: str, entry: Entry, maxima: dict[str, Decimal], policy: LatePolicy | None) -> str:
    """One student's feedback as a standalone HTML page."""
    summary = _summary(entry, policy)
    title = html.escape(f"{exercise}: feedback for {_who(entry)}")
    parts = [
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>',
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head><body>',
        f"<h1>{title}</h1>",
        f'<p class="score">{html.escape(summary[0])}</p>',
        "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in summary[1:]) + "</ul>",
    ]
    for task in _tasks(entry, maxima):
        if isinstance(task, str):
            parts.append(f"<h2>{html.escape(task)}: not graded, 0 / {text(maxima[task])} points</h2>")
            continue
        parts.append(f'<section data-task="{html.escape(task.task)}"><h2>{html.escape(task_line(entry, task))}</h2>')
        parts.append(_html_rows(rows(task)))
        if note := gate_note(task):
            parts.append(f'<p class="note">{html.escape(note)}</p>')
        parts += [f'<p class="comment">Your instructor: {html.escape(c)}</p>' for c in _comments(entry, task.task)]
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def exercise_maxima(tasks: list[tuple[str, float]]) -> dict[str, Decimal]:
    """Each task's maximum, exactly."""
    return {name: exact(points) for name, points in tasks}
