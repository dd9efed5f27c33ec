"""Noise models built once per backend content, and the grader's own fake backends, one instance per class.

The client-side primitives and `AerSimulator.from_backend` rebuild a noise model from the backend's properties on
every job, and a fake backend builds one for its first `run` (about 0.2 s each for 5 qubits). Both builders are
pure functions of what they read from the backend: `NoiseModel.from_backend` its target's errors and durations,
its qubits' T1, T2 and frequency, its gate names and dt; a fake backend's own builder its properties snapshot,
basis gates, size and dt. Once `install()` has run, both answer from a cache keyed by exactly that content, so a
backend whose content changed gets a model of its own. Callers get a copy, since a student may change the model
they are given. Two kinds share the cached model instead, as neither hands it to student code: the grader's own
backends, and the simulator a client-side primitive builds for one job and drops after it (Aer copies a model
before it changes one). Copying a 5-qubit model costs about a third of such a job.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from copy import deepcopy
from typing import Any

from qiskit_aer.noise import NoiseModel
from qiskit_ibm_runtime import fake_provider
from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

COURSE_BACKENDS = ("FakeBelemV2", "FakeLimaV2", "FakeManilaV2", "FakeNairobiV2", "FakeQuitoV2")
"""The fake backends the exercises use, whose noise models the sandbox's warm parent builds before it forks."""
MAX_CACHED = 64

_build_noise_model = NoiseModel.from_backend.__func__  # type: ignore[attr-defined]
_build_fake_noise_model = FakeBackendV2._get_noise_model_from_backend_v2
_models: dict[tuple[Any, ...], NoiseModel] = {}
_grader_backends: dict[str, Any] = {}
_thread_backends = threading.local()
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


def fake_content_key(backend: FakeBackendV2) -> tuple[Any, ...]:
    """Everything a fake backend's own noise-model builder reads from it, as a hashable key."""
    if backend._props_dict is None:
        backend._set_props_dict_from_json()
    snapshot = json.dumps(backend._props_dict, sort_keys=True, default=str)
    kind = (type(backend).__module__, type(backend).__qualname__)
    return (*kind, snapshot, tuple(backend.configuration().basis_gates), backend.num_qubits, backend.dt)


def _cached(key: tuple[Any, ...] | None, build: Callable[[], NoiseModel], backend: Any) -> NoiseModel:
    if key is None:
        return build()
    with _lock:
        model = _models.get(key)
    if model is None:
        model = build()
        with _lock:
            if len(_models) >= MAX_CACHED:
                _models.clear()
            _models[key] = model
    shared = any(backend is b for b in _grader_backends.values()) or _for_one_job()
    return model if shared else deepcopy(model)


_ONE_JOB = "qiskit_ibm_runtime/fake_provider/executor/run_quantum_program.py"


def _for_one_job() -> bool:
    """Whether the model was asked for by a client-side primitive's job, for a simulator it keeps to itself."""
    frame = sys._getframe(2)
    for _ in range(6):  # from the builder: AerSimulator.from_backend, Aer's SamplerV2.from_backend, the job's runner
        if frame is None:
            return False
        if frame.f_code.co_filename.replace("\\", "/").endswith(_ONE_JOB):
            return True
        frame = frame.f_back
    return False


def _noise_model(cls: type, backend: Any, **options: Any) -> NoiseModel:
    key = None if options else content_key(backend)
    return _cached(key, lambda: _build_noise_model(cls, backend, **options), backend)


def _fake_noise_model(backend: FakeBackendV2, **options: Any) -> NoiseModel:
    key = None if options else fake_content_key(backend)
    return _cached(key, lambda: _build_fake_noise_model(backend, **options), backend)


def install() -> None:
    """Answer both noise-model builders from the cache in this process."""
    NoiseModel.from_backend = classmethod(_noise_model)  # type: ignore[method-assign]
    FakeBackendV2._get_noise_model_from_backend_v2 = _fake_noise_model  # type: ignore[method-assign]


def warm_ups(names: tuple[str, ...]) -> list[Callable[[], object]]:
    """Steps that fill the cache with both noise models of each fake backend in ``names``, one model a step."""
    return [
        step
        for name in names
        for step in (
            lambda name=name: NoiseModel.from_backend(getattr(fake_provider, name)()),
            lambda name=name: getattr(fake_provider, name)()._get_noise_model_from_backend_v2(),
        )
    ]


def fake_backend_class(name: str) -> type | None:
    """The fake backend class called ``name`` in qiskit-ibm-runtime's fake provider, or None."""
    cls = getattr(fake_provider, name, None) if name.startswith("Fake") else None
    return cls if isinstance(cls, type) and issubclass(cls, FakeBackendV2) else None


def grader_backend(backend: Any) -> Any:
    """This thread's own instance of ``backend``'s fake backend class, its simulator built; others as they are.

    A fake backend builds its simulator on first use and rewrites the simulator's options on every `run`, so two
    threads sharing one instance race (one of them may run without noise). Each thread gets its own instance.
    """
    cls = fake_backend_class(type(backend).__name__)
    if cls is None or type(backend) is not cls:
        return backend
    mine = getattr(_thread_backends, "by_class", None)
    if mine is None:
        mine = _thread_backends.by_class = {}
    if cls not in mine:
        install()
        instance = cls()
        instance._setup_sim()  # build the simulator and its noise model now, in this thread
        mine[cls] = instance
        with _lock:
            _grader_backends[f"{cls.__name__}@{threading.get_ident()}"] = instance
    return mine[cls]
