"""Watch code run: which primitives and which `backend.run` calls the student's own frames made."""

from __future__ import annotations

import functools
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2
from qiskit.providers import BackendV2

_LIBRARY_ROOTS = tuple(
    str(Path(p).resolve()) for p in {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
) + (str(Path(__file__).resolve().parent),)


def is_library_file(filename: str) -> bool:
    """True for files of the standard library, installed packages or the grader itself."""
    if filename.startswith("<frozen "):
        return True
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return resolved.startswith(_LIBRARY_ROOTS)


def caller_is_student(frame: FrameType | None) -> tuple[bool, str]:
    """Whether the frame that made a call is student code, and where it is (file:line)."""
    if frame is None:
        return False, "?"
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    return not is_library_file(frame.f_code.co_filename), where


@dataclass
class PrimitiveCall:
    """One call of a V2 primitive's `run` made by student code."""

    kind: str  # "sampler" | "estimator"
    primitive: Any
    pubs: list[Any]
    kwargs: dict[str, Any]
    where: str
    results: list[Any] = field(default_factory=list)


@dataclass
class BackendRunCall:
    """One call of `backend.run` made directly by student code (the legacy path)."""

    backend: Any
    where: str


@dataclass
class Recording:
    """Everything the student code ran while the recorder was on."""

    primitive_calls: list[PrimitiveCall] = field(default_factory=list)
    backend_runs: list[BackendRunCall] = field(default_factory=list)

    def calls(self, kind: str) -> list[PrimitiveCall]:
        """The student's primitive calls of one kind."""
        return [c for c in self.primitive_calls if c.kind == kind]


def _all_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


class Recorder:
    """Context manager that wraps `run` on every V2 primitive and BackendV2 class while it is active."""

    def __init__(self) -> None:
        self.recording = Recording()
        self._patched: list[tuple[type, Callable[..., Any]]] = []

    def __enter__(self) -> Recording:
        for base, kind in ((BaseSamplerV2, "sampler"), (BaseEstimatorV2, "estimator")):
            for cls in _all_subclasses(base):
                if "run" in vars(cls):
                    self._patch(cls, self._primitive_wrapper(vars(cls)["run"], kind))
        for cls in _all_subclasses(BackendV2):
            if "run" in vars(cls):
                self._patch(cls, self._backend_wrapper(vars(cls)["run"]))
        return self.recording

    def __exit__(self, *exc: object) -> None:
        for cls, original in reversed(self._patched):
            cls.run = original
        self._patched.clear()

    def _patch(self, cls: type, wrapper: Callable[..., Any]) -> None:
        self._patched.append((cls, vars(cls)["run"]))
        cls.run = wrapper

    def _primitive_wrapper(self, original: Callable[..., Any], kind: str) -> Callable[..., Any]:
        recording = self.recording

        @functools.wraps(original)
        def run(primitive: Any, pubs: Any, *args: Any, **kwargs: Any) -> Any:
            student, where = caller_is_student(sys._getframe(1))
            job = original(primitive, pubs, *args, **kwargs)
            if student:
                call = PrimitiveCall(kind, primitive, list(pubs), dict(kwargs), where)
                recording.primitive_calls.append(call)
                _capture_results(job, call)
            return job

        return run

    def _backend_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        recording = self.recording

        @functools.wraps(original)
        def run(backend: Any, *args: Any, **kwargs: Any) -> Any:
            student, where = caller_is_student(sys._getframe(1))
            if student:
                recording.backend_runs.append(BackendRunCall(backend, where))
            return original(backend, *args, **kwargs)

        return run


def _capture_results(job: Any, call: PrimitiveCall) -> None:
    """Make the job remember, in ``call``, every result it hands out."""
    original_result = job.result

    def result(*args: Any, **kwargs: Any) -> Any:
        value = original_result(*args, **kwargs)
        call.results.append(value)
        return value

    try:
        job.result = result
    except AttributeError:  # a job class with slots: its results cannot be tied to the call
        pass
