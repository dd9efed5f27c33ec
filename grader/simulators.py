"""Noise models built once per backend content, and the grader's own fake backends, one instance per class.

The client-side primitives and `AerSimulator.from_backend` rebuild a noise model from the backend's properties on
every job (about 0.2 s for a 5-qubit fake backend). `NoiseModel.from_backend` is a pure function of what it reads
from the backend (its target's errors and durations, its qubits' T1, T2 and frequency, its gate names and dt), so
once `install()` has run it answers from a cache keyed by exactly that content. A backend whose content changed
gets a model of its own. Callers get a copy, since a student may change the model they are given; the grader's
own backends, which never reach student code, share theirs.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from qiskit_aer.noise import NoiseModel
from qiskit_ibm_runtime import fake_provider

COURSE_BACKENDS = ("FakeBelemV2", "FakeLimaV2", "FakeManilaV2", "FakeNairobiV2", "FakeQuitoV2")
"""The fake backends the exercises use, whose noise models the sandbox's warm parent builds before it forks."""
MAX_CACHED = 64

_build_noise_model = NoiseModel.from_backend.__func__  # type: ignore[attr-defined]
_models: dict[tuple[Any, ...], NoiseModel] = {}
_grader_backends: dict[str, Any] = {}
_lock = threading.Lock()


def content_key(backend: Any) -> tuple[Any, ...] | None:
    """Everything `NoiseModel.from_backend` reads from a BackendV2, as a hashable key; None for anything else."""
    if getattr(backend, "version", None) != 2:
        return None
    target = backend.target
    instructions = []
    for name in sorted(target.operation_names):
        for qargs, props in sorted((target[name] or {}).items(), key=lambda item: str(item[0])):
            instructions.append((name, qargs, None if props is None else (props.error, props.duration)))
    qubits = tuple(None if q is None else (q.t1, q.t2, q.frequency) for q in (target.qubit_properties or ()))
    kind = (type(backend).__module__, type(backend).__qualname__)
    return (*kind, tuple(backend.operation_names), backend.dt, target.num_qubits, tuple(instructions), qubits)


def _noise_model(cls: type, backend: Any, **options: Any) -> NoiseModel:
    key = None if options else content_key(backend)
    if key is None:
        return _build_noise_model(cls, backend, **options)
    with _lock:
        model = _models.get(key)
    if model is None:
        model = _build_noise_model(cls, backend)
        with _lock:
            if len(_models) >= MAX_CACHED:
                _models.clear()
            _models[key] = model
    return model if any(backend is b for b in _grader_backends.values()) else copy.deepcopy(model)


def install(warm: tuple[str, ...] = ()) -> None:
    """Answer `NoiseModel.from_backend` from the cache in this process, first building the models of ``warm``."""
    NoiseModel.from_backend = classmethod(_noise_model)  # type: ignore[method-assign]
    for name in warm:
        NoiseModel.from_backend(getattr(fake_provider, name)())


def grader_backend(backend: Any) -> Any:
    """The grader's own instance of ``backend``'s fake backend class; any other backend as it is."""
    name = type(backend).__name__
    if not type(backend).__module__.startswith(fake_provider.__name__) or not hasattr(fake_provider, name):
        return backend
    with _lock:
        if name not in _grader_backends:
            _grader_backends[name] = getattr(fake_provider, name)()
    install()
    return _grader_backends[name]
