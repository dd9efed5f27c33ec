"""Exercise specifications: one module per exercise, each exposing ``EXERCISE``."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.trace import Trace
from grader.results import CheckResult


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
    batch_cases: Callable[[], list[Case]] | None = None
    """More thorough cases for the batch grader (more backends, angles); the check cells use ``cases``."""
    batch_statistical_tests: int | None = None
    """Two-sample tests ``check`` runs over ``batch_cases``."""

    def cases_for(self, batch: bool) -> list[Case]:
        """The cases of one route: the batch grader's when ``batch`` and it has its own, else the notebook's."""
        return self.batch_cases() if batch and self.batch_cases else self.cases()

    def statistical_tests_for(self, batch: bool) -> int:
        """Two-sample tests over the cases of one route."""
        if batch and self.batch_cases:
            return self.batch_statistical_tests if self.batch_statistical_tests is not None else self.statistical_tests
        return self.statistical_tests


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
        """Two-sample tests run over the whole exercise by the check cells."""
        return self.statistical_tests_for(batch=False)

    def statistical_tests_for(self, batch: bool) -> int:
        """Two-sample tests run over the whole exercise by one route."""
        return sum(t.statistical_tests_for(batch) for t in self.tasks)


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
