"""``report.html``: the class on one page, with its plots drawn as inline SVG (no scripts, no outside files).

- the score distribution (how many students at each score);
- each requirement's pass rate among the students whose task reached it;
- the item analysis table behind it, every student's line with a link to their feedback, and the similar pairs with
  the code they share, as code.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from decimal import Decimal
from statistics import median

from grader.export.classbook import Entry, LatePolicy, Override, text
from grader.export.feedback import STYLE
from grader.export.rubric import rows
from grader.export.similarity import Pair

BAR = "#3d6fe8"
LOW = "#b3261e"


def requirement_rates(task_order: list[str], entries: list[Entry]) -> list[tuple[str, str, int, int]]:
    """Per requirement (``task``, ``requirement``): students who reached it, and how many met it on every case."""
    reached: dict[tuple[str, str], set[str]] = defaultdict(set)
    failed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for entry in entries:
        if entry.record.status != "graded":
            continue
        for task in entry.record.tasks:
            for row in rows(task):
                key = (task.task, row.requirement)
                reached[key].add(entry.key)
                if not row.met:
                    failed[key].add(entry.key)
    order = {name: i for i, name in enumerate(task_order)}
    keys = sorted(reached, key=lambda k: (order.get(k[0], len(order)), list(reached).index(k)))
    return [(task, req, len(reached[(task, req)]), len(reached[(task, req)]) - len(failed[(task, req)]))
            for task, req in keys]  # fmt: skip


def histogram_svg(scores: list[Decimal], maximum: Decimal) -> str:
    """A bar per score value from 0 to the maximum (in steps of a tenth of it, or of 1 for small maxima)."""
    step = Decimal(1) if maximum <= 10 and maximum == maximum.to_integral() else maximum / 10
    edges = [step * i for i in range(int(maximum / step) + 1)] if step > 0 else [Decimal(0)]
    counts = Counter(max(i for i, edge in enumerate(edges) if score >= edge) for score in scores)
    width, height, left, bottom = 640, 260, 40, 40
    bar = (width - left - 10) / len(edges)
    top = max(counts.values(), default=1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        ' role="img" aria-labelledby="histogram-title" class="plot" id="score-histogram">',
        '<title id="histogram-title">Score distribution: students per score</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#555"/>',
    ]
    for i, edge in enumerate(edges):
        count = counts.get(i, 0)
        h = (height - bottom - 20) * count / top
        x = left + i * bar
        label = text(edge) if step == 1 or i == len(edges) - 1 else f"{text(edge)}–"
        parts.append(
            f'<rect class="bar" x="{x + 2:.1f}" y="{height - bottom - h:.1f}" width="{bar - 4:.1f}" height="{h:.1f}"'
            f' fill="{BAR}"><title>{count} students at {html.escape(label)}</title></rect>'
        )
        if count:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - bottom - h - 4:.1f}" text-anchor="middle"'
                         f' font-size="12">{count}</text>')  # fmt: skip
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="12">'
                     f"{html.escape(label)}</text>")  # fmt: skip
    parts.append(f'<text x="{width / 2}" y="{height - 6}" text-anchor="middle" font-size="13">score (points)</text>')
    parts.append("</svg>")
    return "".join(parts)


def pass_rate_svg(rates: list[tuple[str, str, int, int]]) -> str:
    """A horizontal bar per requirement: the share of the students who reached it and met it."""
    row_height, left, width = 24, 330, 760
    height = row_height * len(rates) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        ' role="img" aria-labelledby="rates-title" class="plot" id="pass-rates">',
        '<title id="rates-title">Pass rate of each requirement</title>',
    ]
    span = width - left - 60
    for i, (task, requirement, reached, met) in enumerate(rates):
        y = 10 + i * row_height
        share = met / reached if reached else 0.0
        label = html.escape(f"{task} · {requirement}"[:48])
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">{label}</text>')
        parts.append(
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{span * share:.1f}" height="{row_height - 8}"'
            f' fill="{BAR if share >= 0.5 else LOW}"><title>{met} of {reached} met it</title></rect>'
        )
        parts.append(f'<text x="{left + span * share + 6:.1f}" y="{y + 15}" font-size="12">{share:.0%}</text>')
    parts.append(f'<text x="{left + span / 2}" y="{height - 8}" text-anchor="middle" font-size="13">share of the '
                 "students who reached it and met it</text></svg>")  # fmt: skip
    return "".join(parts)


def _table(header: list[str], body: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    lines = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in line) + "</tr>" for line in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"


def _evidence(pair: Pair, evidence: dict[str, dict[str, str]]) -> str:
    shown = []
    for feature in pair.shared:
        code = evidence.get(pair.first, {}).get(feature) or evidence.get(pair.second, {}).get(feature) or feature
        shown.append(f"<pre><code>{html.escape(code)}</code></pre>")
    return "".join(shown) or "—"


def class_report_html(
    exercise: str,
    task_order: list[str],
    entries: list[Entry],
    pairs: list[Pair],
    policy: LatePolicy | None,
    unused: list[Override],
    missing: list[str],
    environment: dict[str, str],
) -> str:
    """The class report page."""
    scores = [e.score for e in entries]
    maximum = max((e.max_score for e in entries), default=Decimal(0))
    graded = sum(e.record.status == "graded" for e in entries)
    rates = requirement_rates(task_order, entries)
    summary = f"{len(entries)} students, {graded} graded"
    if scores:
        mean = sum(scores, Decimal(0)) / len(scores)
        summary += f"; mean {text(mean.quantize(Decimal('0.01')))}, median {text(Decimal(median(scores)))} of "
        summary += text(maximum)
    if policy:
        summary += (f"; deadline {policy.deadline.strftime('%Y-%m-%d %H:%M')}, "
                    f"{text(policy.percent_per_day)}% of the maximum per day late")  # fmt: skip
    students = []
    for entry in sorted(entries, key=lambda e: (e.student.name or e.student.id).lower()):
        link = f'<a href="feedback/{html.escape(entry.key)}.html">{html.escape(entry.student.name or entry.key)}</a>'
        notes = [n for n in [entry.record.message, *entry.notes] if n]
        notes += [f"override {o.task or 'all'}: {o.comment or text(o.points)}" for o in entry.overrides]  # type: ignore[arg-type]
        students.append([
            link, html.escape(entry.student.id), f"{text(entry.score)} / {text(entry.max_score)}",
            html.escape(entry.record.status), str(entry.late_days) if policy else "—",
            html.escape("; ".join(notes))[:600],
        ])  # fmt: skip
    items = [[html.escape(task), html.escape(req), str(reached), str(reached - met),
              f"{(reached - met) / reached:.0%}" if reached else "—"] for task, req, reached, met in rates]  # fmt: skip
    flagged = [p for p in pairs if p.flagged]
    evidence = {e.record.submission: e.evidence for e in entries}
    names = {e.record.submission: e.student.name or e.student.id for e in entries}
    similar = [[html.escape(names.get(p.first, p.first)), html.escape(names.get(p.second, p.second)),
                f"{p.score:.3f}", _evidence(p, evidence)] for p in flagged]  # fmt: skip
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(exercise)}: class report</title>",
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}'
        " svg.plot { max-width: 100%; height: auto; } pre { margin: .2rem 0; white-space: pre-wrap; }</style>",
        f"</head><body><h1>{html.escape(exercise)}: class report</h1><p>{html.escape(summary)}</p>",
        "<h2>Score distribution</h2>",
        histogram_svg(scores, maximum),
        "<h2>Pass rate of each requirement</h2>",
        pass_rate_svg(rates) if rates else "<p>No graded task yet.</p>",
        "<h2>Item analysis</h2>",
        "<p>A requirement most of the class misses points to a lesson to revisit, not to many mistakes.</p>",
        _table(["task", "requirement", "reached", "not met", "share not met"], items),
        "<h2>Students</h2>",
        _table(["student", "id", "score", "status", "days late", "notes"], students),
        "<h2>Similar submissions</h2>",
        f"<p>{len(flagged)} of {len(pairs)} pairs are flagged. What every student has (the starter notebook, the one "
        "right circuit) counts for nothing; the code below is what a pair shares that is rare in this class. A flag "
        "is a reason to read two notebooks side by side, not a verdict.</p>",
        _table(["first", "second", "score", "what they share"], similar) if similar else "",
    ]
    if unused:
        lines = [[html.escape(o.student), html.escape(o.task), html.escape(o.comment)] for o in unused]
        parts += ["<h2>Overrides that matched no student</h2>", _table(["student", "task", "comment"], lines)]
    if missing:
        parts += ["<h2>Roster students without a submission</h2>",
                  "<p>" + html.escape(", ".join(missing)) + "</p>"]  # fmt: skip
    versions = ", ".join(f"{k} {v}" for k, v in environment.items())
    parts.append(f"<p><small>Graded with {html.escape(versions)}.</small></p></body></html>\n")
    return "\n".join(parts)
