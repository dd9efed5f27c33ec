"""The pytest route: ``pytest -p grader.pytest_plugin --grade EXERCISE PATH... --junitxml=grades.xml``.

Every submission found under the paths becomes a pytest file with one test per task, graded by the same
pipeline as ``python -m grader grade`` (isolated process, same checks, same seed). A task's test passes when all
its checks pass; its failure report lists the failed checks' messages and the task's score.

With ``--junitxml``, scores go where the xunit2 schema (pytest's default ``junit_family``) allows them: the test
suite's ``<properties>``, as ``<test id>.score``, ``.max_score`` and ``.status`` (a ``<property>`` inside a
``<testcase>`` is not valid xunit2, and Jenkins and GitLab drop such files' properties).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from _pytest.junitxml import xml_key

from grader.exercises import Exercise, load_exercise
from grader.pipeline import grade_submission
from grader.primitives import DEFAULT_SEED
from grader.results import SubmissionRecord, TaskResult
from grader.sandbox import forkserver
from grader.sandbox.isolation import DEFAULT_UID_BASE, Isolation, Limits, choose, closed_to_others
from grader.sandbox.preflight import preflight

_RECORDS: dict[Path, SubmissionRecord] = {}
_EXERCISE = pytest.StashKey[Exercise]()
_ISOLATION = pytest.StashKey[Isolation]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the grading options."""
    group = parser.getgroup("grader", "grade exercise submissions")
    group.addoption("--grade", metavar="EXERCISE", help="grade the .ipynb/.py files collected as submissions")
    group.addoption("--grade-checks", type=Path, help="folder of instructor-only exercise modules")
    group.addoption("--grade-timeout", type=float, default=60.0, help="seconds per cell and per task call")
    group.addoption("--grade-seed", type=int, default=DEFAULT_SEED, help="non-zero seed of the re-runs")
    group.addoption(
        "--grade-isolation",
        default="auto",
        help="auto (the strongest permitted), namespaces, uid, user-namespaces, process",
    )


def pytest_configure(config: pytest.Config) -> None:
    """When grading, load the exercise once and keep nbval from collecting the notebooks too."""
    exercise_id = config.getoption("grade")
    if exercise_id:
        config.stash[_EXERCISE] = load_exercise(exercise_id, config.getoption("grade_checks"))
        for option in ("nbval", "nbval_lax"):
            if hasattr(config.option, option):
                setattr(config.option, option, False)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect every .ipynb and .py file as a submission when grading (conftest.py files excepted)."""
    if _EXERCISE in parent.config.stash and file_path.suffix in {".ipynb", ".py"}:
        if file_path.name != "conftest.py":
            return SubmissionFile.from_parent(parent, path=file_path)
    return None


class SubmissionFile(pytest.File):
    """One submission: a test per task, or one failing test when it could not be graded."""

    def collect(self) -> list[pytest.Item]:
        """One item per task of the exercise."""
        exercise = self.config.stash[_EXERCISE]
        return [TaskItem.from_parent(self, name=task.name) for task in exercise.tasks]

    def record(self) -> SubmissionRecord:
        """Grade this submission once, when its first task runs."""
        if self.path not in _RECORDS:
            config = self.config
            limits = Limits(timeout=config.getoption("grade_timeout"))
            if _ISOLATION not in config.stash:  # chosen and proven once, before the first submission
                protect = [Path(a) for a in config.args if Path(a).exists()]
                level = config.getoption("grade_isolation")
                isolation = choose(level, 1, protect, DEFAULT_UID_BASE, forkserver.shared().namespaces_allowed())
                preflight(isolation, limits)
                if isolation.level == "uid":  # as the command line does: closed to sandbox uids until pytest ends
                    closing = contextlib.ExitStack()
                    closing.enter_context(closed_to_others(isolation.hidden))
                    config.add_cleanup(closing.close)
                config.stash[_ISOLATION] = isolation
            _RECORDS[self.path] = grade_submission(
                self.path, config.stash[_EXERCISE], limits, config.getoption("grade_seed"), config.stash[_ISOLATION]
            )
        return _RECORDS[self.path]


class TaskFailed(Exception):
    """A task that did not pass every check."""


class TaskItem(pytest.Item):
    """One task of one submission."""

    def runtest(self) -> None:
        """Pass when the task passed every check."""
        assert isinstance(self.parent, SubmissionFile)
        record = self.parent.record()
        task = next((t for t in record.tasks if t.task == self.name), None)
        points = next((t.points for t in self.config.stash[_EXERCISE].tasks if t.name == self.name), 0.0)
        score, max_score = (task.score, task.max_score) if task else (0.0, points)
        self._suite_properties(task.status if task else record.status, score, max_score)
        if task is None:
            raise TaskFailed(f"{record.status}: {record.message} (score 0 of {max_score:g})")
        if task.status != "passed":
            raise TaskFailed(f"score {score:g} of {max_score:g}\n{_failed_checks(task)}")

    def _suite_properties(self, status: str, score: float, max_score: float) -> None:
        """The task's status and score as properties of the JUnit test suite (where xunit2 allows properties)."""
        xml = self.config.stash.get(xml_key, None)
        if xml is None:
            return
        for name, value in (("status", status), ("score", f"{score:g}"), ("max_score", f"{max_score:g}")):
            xml.add_global_property(f"{self.nodeid}.{name}", value)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The learner-facing messages, not a traceback."""
        if isinstance(excinfo.value, TaskFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the test comes from."""
        return self.path, 0, f"{self.path.name}::{self.name}"


def _failed_checks(task: TaskResult) -> str:
    return "\n".join(f"{c.id}: {c.message}" for c in task.checks if not c.passed)
