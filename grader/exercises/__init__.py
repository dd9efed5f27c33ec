"""Exercise specifications: one module per exercise, each exposing ``EXERCISE``.

A task is a function the student writes, the cases the grader calls it with, its rubric (the requirements of its
own, after the four every task shares) and its judge: a function that, for one case, records a verdict on each of
its requirements from the case's evidence (what the task claims, and the grader's replays of it).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from grader.judge.evidence import Evidence
from grader.judge.replay import Budget
from grader.judge.rubric import Rubric, Verdicts, gate

COMMON = (
    gate("runs", "The function is defined and returns without raising, for every case the grader tries."),
    gate("reads_as_v2", "Its code uses no legacy path: no `backend.run`, `execute`, V1 primitive or IBMQ provider."),
    gate("no_backend_run", "While it runs, nothing calls `backend.run` directly, from any thread."),
    gate(
        "verifiable",
        "Its results can be verified: no code that inspects or rewrites frames, modules, the grader or its pipes.",
    ),
)
"""The requirements every task shares, before its own; each is a gate."""


@dataclass(frozen=True)
class Case:
    """One set of arguments a task is called with, chosen by the grader, not the student."""

    label: str
    args: tuple[Any, ...]


def default_budget(case: Case) -> Budget:
    """A replay budget from a case's own arguments: the largest int argument is its shot count."""
    shots = max((a for a in case.args if isinstance(a, int) and not isinstance(a, bool)), default=1024)
    entries = max((len(a) for a in case.args if isinstance(a, (list, tuple))), default=1)
    return Budget.for_shots(shots, entries)


@dataclass(frozen=True)
class Task:
    """A function the student writes, the cases it is called with, its rubric and its judge."""

    name: str
    signature: str
    """How the task is called, for messages: ``bell_counts(backend, shots)``."""
    own: Rubric
    """The task's own requirements (after `COMMON`)."""
    judge: Callable[[Case, Evidence, Verdicts], None]
    cases: Callable[[], list[Case]]
    batch_cases: Callable[[], list[Case]] | None = None
    """More cases for the batch grader and the pytest plugin (other backends and angles)."""
    budget: Callable[[Case], Budget] = default_budget

    @property
    def rubric(self) -> Rubric:
        """The whole rubric: the shared requirements, then the task's own."""
        return Rubric((*COMMON, *self.own.requirements))

    @property
    def points(self) -> Decimal:
        """The task's maximum score."""
        return self.rubric.total

    def cases_for(self, batch: bool) -> list[Case]:
        """The cases of one route: the batch grader's when ``batch`` and it has its own, else the notebook's."""
        return self.batch_cases() if batch and self.batch_cases else self.cases()


@dataclass(frozen=True)
class Exercise:
    """An exercise: its ID (as in notebook metadata) and its tasks in notebook order."""

    id: str
    tasks: tuple[Task, ...]

    def task(self, name: str) -> Task:
        """The task called ``name``; raises KeyError naming the tasks that exist."""
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(f"exercise {self.id!r} has no task {name!r}; its tasks are {[t.name for t in self.tasks]}")

    @property
    def points(self) -> Decimal:
        """The exercise's maximum score."""
        return sum((t.points for t in self.tasks), Decimal(0))


def load_exercise(exercise_id: str, checks_dir: Path | None = None) -> Exercise:
    """The specification of ``exercise_id``; an instructor's module of that name in ``checks_dir`` replaces it.

    Raises KeyError if there is no such exercise.
    """
    module_name = exercise_id.replace("-", "_")
    if not module_name.isidentifier():
        raise KeyError(f"no exercise {exercise_id!r}")
    hidden = checks_dir / f"{module_name}.py" if checks_dir else None
    if hidden and hidden.is_file():
        spec = importlib.util.spec_from_file_location(f"grader_hidden_checks.{module_name}", hidden)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.EXERCISE
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ModuleNotFoundError as error:
        raise KeyError(f"no exercise {exercise_id!r}") from error
    return module.EXERCISE
