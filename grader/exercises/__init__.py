"""Exercise specifications: one module per exercise, each exposing ``EXERCISE``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.results import CheckResult
from grader.trace import Trace


@dataclass(frozen=True)
class Case:
    """One set of arguments a task is called with, chosen by the grader, not the student."""

    label: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Context:
    """What every check needs besides the task's output: the level of each test and the grader's seed."""

    alpha: float
    seed: int


@dataclass(frozen=True)
class Task:
    """A function the student writes, how many points it is worth, and how to check it."""

    name: str
    points: float
    cases: Callable[[], list[Case]]
    check: Callable[[Case, Any, Trace, Context], list[CheckResult]]
    """Called with the case, what the task returned (as plain data), what it ran, and the context."""
    statistical_tests: int
    """How many two-sample tests ``check`` runs for all cases, so the notebook's error rate can be split."""


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
    def statistical_tests(self) -> int:
        """Two-sample tests run over the whole exercise."""
        return sum(t.statistical_tests for t in self.tasks)


def load_exercise(exercise_id: str) -> Exercise:
    """The specification of ``exercise_id``; raises KeyError if there is none."""
    module_name = exercise_id.replace("-", "_")
    if not module_name.isidentifier():
        raise KeyError(f"no exercise {exercise_id!r}")
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ModuleNotFoundError as error:
        raise KeyError(f"no exercise {exercise_id!r}") from error
    return module.EXERCISE
