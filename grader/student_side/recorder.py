"""Watch a task run: every V2 primitive job it submitted, and every `backend.run` it reached on its own.

The recorder wraps `run` on every V2 primitive class and every BackendV2 class while it is active. It runs in the
student's process, so what it records is only a claim: the judge replays each recorded primitive call in its own
process and reads the code for anything that could have changed the record.

- A primitive call is recorded when code outside Qiskit's own packages made it (the client-side primitives call
  qiskit-aer's sampler internally, and local mode calls `BackendSamplerV2`: those are not the student's jobs), from
  any thread. A registered primitive without a seed gets the case's default seed first, so that it can be replayed.
- A `backend.run` is legitimate only when a primitive's implementation (or a backend wrapping another) made it;
  from anywhere else (the student's code, a thread pool, a function with a disguised code name) it is the legacy
  path.
"""

from __future__ import annotations

import functools
import sys
import sysconfig
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from qiskit import QuantumCircuit
from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2
from qiskit.providers import BackendV2

from grader.primitives import KnownPrimitive, Unreplayable, known

_SITE = tuple(str(Path(sysconfig.get_paths()[k]).resolve()) for k in ("purelib", "platlib"))
_STDLIB = tuple(str(Path(sysconfig.get_paths()[k]).resolve()) for k in ("stdlib", "platstdlib"))
_QISKIT_PACKAGES = ("qiskit", "qiskit_aer", "qiskit_ibm_runtime")
_PRIMITIVE_INTERNALS = ("qiskit/primitives/", "qiskit_aer/primitives/", "qiskit_aer/backends/", "qiskit_ibm_runtime/")
_GRADER = str(Path(__file__).resolve().parent.parent)


def _site_relative(filename: str) -> str | None:
    """The path of ``filename`` inside site-packages (``qiskit/primitives/x.py``), or None if it is not there."""
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return None
    for root in _SITE:
        if resolved.startswith(root + "/"):
            return resolved[len(root) + 1 :]
    return None


def is_library_file(filename: str) -> bool:
    """True for files of the standard library, installed packages or the grader itself."""
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return resolved.startswith((*_SITE, *_STDLIB, _GRADER)) and Path(resolved).is_file()


def student_frame(frame: FrameType | None) -> str:
    """Where the nearest student code in the stack above ``frame`` is (``<cell 4>:12``), or "library code"."""
    while frame is not None:
        if not is_library_file(frame.f_code.co_filename):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "library code (a thread or a callback)"


def _made_by_qiskit(frame: FrameType | None) -> bool:
    relative = _site_relative(frame.f_code.co_filename) if frame is not None else None
    return relative is not None and relative.split("/", 1)[0] in _QISKIT_PACKAGES


def _made_by_primitive(frame: FrameType | None) -> bool:
    relative = _site_relative(frame.f_code.co_filename) if frame is not None else None
    return relative is not None and relative.startswith(_PRIMITIVE_INTERNALS)


@dataclass
class LiveCall:
    """One primitive job the task submitted, as seen in the student's process."""

    kind: str  # "sampler" | "estimator"
    primitive: Any
    entry: KnownPrimitive | None
    pubs: list[Any]
    shots: Any  # the `shots=` / `precision=` given to `run`, None when not given
    precision: Any
    options: dict[str, Any] | None
    unreplayable: str | None
    seeded_by_grader: bool
    where: str
    job: Any = None


@dataclass
class Recording:
    """Everything the recorder saw while it was on."""

    calls: list[LiveCall] = field(default_factory=list)
    backend_runs: list[str] = field(default_factory=list)


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


class Recorder:
    """Context manager that watches primitive and backend `run` calls; ``default_seed`` seeds unseeded ones."""

    def __init__(self, default_seed: int | None = None) -> None:
        self.default_seed = default_seed
        self.recording = Recording()
        self._lock = threading.Lock()
        self._inside = threading.local()
        self._patched: list[tuple[type, Callable[..., Any]]] = []

    def __enter__(self) -> Recording:
        for base, kind in ((BaseSamplerV2, "sampler"), (BaseEstimatorV2, "estimator")):
            for cls in _subclasses(base):
                if "run" in vars(cls):
                    self._patch(cls, self._primitive_wrapper(vars(cls)["run"], kind))
        for cls in _subclasses(BackendV2):
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
        recorder = self

        @functools.wraps(original)
        def run(primitive: Any, pubs: Any, *args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1)
            if getattr(recorder._inside, "depth", 0) or _made_by_qiskit(caller):
                return original(primitive, pubs, *args, **kwargs)
            if not isinstance(pubs, (list, tuple, QuantumCircuit)):
                try:
                    pubs = list(pubs)  # a generator can be read once: record it and run the same list
                except TypeError:
                    return original(primitive, pubs, *args, **kwargs)  # the primitive will reject it
            call = recorder._start_call(kind, primitive, pubs, kwargs, student_frame(caller))
            recorder._inside.depth = 1
            try:
                call.job = original(primitive, pubs, *args, **kwargs)
            finally:
                recorder._inside.depth = 0
            with recorder._lock:  # only a job that was accepted: a `run` that raised submitted nothing
                recorder.recording.calls.append(call)
            return call.job

        return run

    def _start_call(self, kind: str, primitive: Any, pubs: Any, kwargs: dict[str, Any], where: str) -> LiveCall:
        entry = known(primitive)
        options, problem, seeded = None, None, False
        if entry is None:
            problem = f"`{type(primitive).__module__}.{type(primitive).__qualname__}` is not a known V2 primitive"
        else:
            try:
                options = entry.snapshot(primitive)
                if entry.seed_of(options) is None and self.default_seed is not None:
                    entry.set_seed(primitive, self.default_seed)
                    options, seeded = entry.snapshot(primitive), True
            except Unreplayable as error:
                problem = str(error)
            except Exception as error:  # noqa: BLE001 - a primitive whose options cannot be read
                problem = f"its options could not be read ({type(error).__name__}: {error})"
        return LiveCall(
            kind,
            primitive,
            entry,
            list(pubs) if isinstance(pubs, (list, tuple)) else [pubs],
            kwargs.get("shots"),
            kwargs.get("precision"),
            options,
            problem,
            seeded,
            where,
        )

    def _backend_wrapper(self, original: Callable[..., Any]) -> Callable[..., Any]:
        recorder = self

        @functools.wraps(original)
        def run(backend: Any, *args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1)
            if not _made_by_primitive(caller):
                with recorder._lock:
                    recorder.recording.backend_runs.append(student_frame(caller))
            return original(backend, *args, **kwargs)

        return run
