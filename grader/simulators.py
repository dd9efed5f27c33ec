"""The grader's own fake backends: one instance per class, whose noise models are built once per process.

Every trusted re-run used to start from a fresh fake backend, and the client-side primitives rebuild a noise model
from the backend on every job (about 0.2 s each). The grader's backends never reach student code, so their noise
models cannot change: `NoiseModel.from_backend` is answered from a cache for them, and computed as before for every
other backend. Aer copies a noise model before it changes one, so sharing it is safe.
"""

from __future__ import annotations

import threading
from typing import Any

from qiskit_aer.noise import NoiseModel
from qiskit_ibm_runtime import fake_provider

_backends: dict[str, Any] = {}
_noise_models: dict[int, NoiseModel | None] = {}
_lock = threading.Lock()
_build_noise_model = NoiseModel.from_backend.__func__  # type: ignore[attr-defined]


def _cached_noise_model(cls: type, backend: Any, **options: Any) -> NoiseModel:
    if options or id(backend) not in _noise_models:
        return _build_noise_model(cls, backend, **options)
    with _lock:
        cached = _noise_models[id(backend)]
        if cached is None:
            cached = _noise_models[id(backend)] = _build_noise_model(cls, backend)
        return cached


def grader_backend(backend: Any) -> Any:
    """The grader's own instance of ``backend``'s fake backend class; any other backend as it is."""
    name = type(backend).__name__
    if not type(backend).__module__.startswith(fake_provider.__name__) or not hasattr(fake_provider, name):
        return backend
    with _lock:
        if name not in _backends:
            NoiseModel.from_backend = classmethod(_cached_noise_model)  # type: ignore[method-assign]
            _backends[name] = getattr(fake_provider, name)()
            _noise_models[id(_backends[name])] = None
        return _backends[name]
