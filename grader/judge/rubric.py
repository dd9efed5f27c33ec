"""A task's fixed rubric: its requirements with their points, and the verdicts one case gives on each of them.

Every requirement is always reported, checked or not: one that an earlier failure kept from being checked is not
met, and its message says why. A gate that is not met zeroes the task (a legacy path, a task that does not run, a
wrong circuit or observable, results that are not the replayed primitive's, evidence that cannot be verified); the
other requirements earn their points on their own. Points are exact decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Requirement:
    """One line of a rubric: what it asks, what it is worth, and whether failing it zeroes the task."""

    id: str
    text: str
    points: Decimal = Decimal(0)
    gate: bool = False


@dataclass(frozen=True)
class Rubric:
    """The requirements of one task, in the order a learner reads them."""

    requirements: tuple[Requirement, ...]

    @property
    def total(self) -> Decimal:
        """The task's maximum score."""
        return sum((r.points for r in self.requirements), Decimal(0))

    def ids(self) -> list[str]:
        """The requirement IDs, in order."""
        return [r.id for r in self.requirements]

    def markdown(self) -> str:
        """The rubric as a Markdown table, as notebooks and the rubrics page show it."""
        rows = ["| requirement | points | if not met |", "| --- | --- | --- |"]
        for requirement in self.requirements:
            effect = "the task scores 0" if requirement.gate else "these points only"
            rows.append(f"| {requirement.text} | {shown(requirement.points)} | {effect} |")
        rows.append(f"| **total** | **{shown(self.total)}** | |")
        return "\n".join(rows)


def shown(points: Decimal | float) -> str:
    """Points as a learner reads them: 2, 0.5, 0.25 (no trailing zeros)."""
    text = format(Decimal(str(points)).normalize(), "f")
    return "0" if text in ("-0", "") else text


def gate(id: str, text: str, points: str = "0") -> Requirement:
    """A requirement whose failure zeroes the task."""
    return Requirement(id, text, Decimal(points), gate=True)


def credit(id: str, text: str, points: str) -> Requirement:
    """A requirement that earns its points on its own."""
    return Requirement(id, text, Decimal(points))


@dataclass(frozen=True)
class Verdict:
    """What one case established about one requirement."""

    met: bool
    message: str
    evaluated: bool = True


class Stop(Exception):
    """Raised by `Verdicts.require` when a gate fails: what follows depends on it, so the case's checks end."""


@dataclass
class Verdicts:
    """The verdicts of one case, filled in by a task's judge; requirements it never reaches stay unset."""

    rubric: Rubric
    found: dict[str, Verdict] = field(default_factory=dict)
    stopped_by: str | None = None

    def _set(self, requirement: str, met: bool, message: str) -> bool:
        if requirement not in self.rubric.ids():
            raise KeyError(f"{requirement!r} is not in the rubric")
        if requirement not in self.found or not met:  # a later failure in the same case wins
            self.found[requirement] = Verdict(met, message)
        return met

    def met(self, requirement: str, message: str) -> None:
        """Record that ``requirement`` is met."""
        self._set(requirement, True, message)

    def check(self, requirement: str, condition: bool, ok: str, not_ok: str) -> bool:
        """Record ``requirement`` as met (message ``ok``) or not (``not_ok``); return ``condition``."""
        return self._set(requirement, bool(condition), ok if condition else not_ok)

    def require(self, requirement: str, condition: bool, ok: str, not_ok: str) -> None:
        """Like `check`, but a failure ends this case's checks (raises Stop)."""
        if not self.check(requirement, condition, ok, not_ok):
            self.stopped_by = requirement
            raise Stop(requirement)

    def fail(self, requirement: str, message: str) -> None:
        """Record that ``requirement`` is not met and end this case's checks."""
        self.require(requirement, False, "", message)

    def complete(self, reason: str | None = None) -> dict[str, Verdict]:
        """Every requirement's verdict; those never reached are not met, with ``reason`` (or the gate that failed)."""
        if reason is None:
            if self.stopped_by is not None:
                reason = f"not checked: `{self.stopped_by}` must be met first"
            else:
                reason = "not checked"
        return {r: self.found.get(r, Verdict(False, reason, evaluated=False)) for r in self.rubric.ids()}
