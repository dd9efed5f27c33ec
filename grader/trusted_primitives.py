"""The grader's own, trusted primitives: the same kind as the student's, on the same backend, seeded."""

from __future__ import annotations

import warnings
from typing import Any

from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2, BaseEstimatorV2, BaseSamplerV2
from qiskit_ibm_runtime import EstimatorV2 as RuntimeEstimatorV2
from qiskit_ibm_runtime import SamplerV2 as RuntimeSamplerV2
from qiskit_ibm_runtime.executor_estimator import Estimator as ClientEstimator
from qiskit_ibm_runtime.executor_sampler import Sampler as ClientSampler

from grader.simulators import grader_backend

DEFAULT_SEED = 20261120


def _deprecated(factory: type, backend: Any, seed: int) -> Any:
    with warnings.catch_warnings():
        # Deprecated since qiskit-ibm-runtime 0.50; the student chose it, so the grader re-runs with it.
        warnings.simplefilter("ignore", DeprecationWarning)
        return factory(mode=backend, options={"simulator": {"seed_simulator": seed}})


def trusted_sampler(primitive: str, backend: Any, seed: int) -> BaseSamplerV2:
    """A sampler of the kind named by ``primitive`` ("module.Class"), on ``backend``, seeded with ``seed``."""
    backend = grader_backend(backend)
    if primitive.startswith("qiskit_ibm_runtime.executor_sampler."):
        sampler = ClientSampler(mode=backend)
        sampler.options.simulator.seed_simulator = seed
        return sampler
    if primitive.startswith("qiskit_ibm_runtime.sampler."):
        return _deprecated(RuntimeSamplerV2, backend, seed)
    return BackendSamplerV2(backend=backend, options={"seed_simulator": seed})


def trusted_estimator(primitive: str, backend: Any, seed: int) -> BaseEstimatorV2:
    """An estimator of the kind named by ``primitive`` ("module.Class"), on ``backend``, seeded with ``seed``."""
    backend = grader_backend(backend)
    if primitive.startswith("qiskit_ibm_runtime.executor_estimator."):
        estimator = ClientEstimator(mode=backend)
        estimator.options.simulator.seed_simulator = seed
        return estimator
    if primitive.startswith("qiskit_ibm_runtime.estimator."):
        return _deprecated(RuntimeEstimatorV2, backend, seed)
    return BackendEstimatorV2(backend=backend, options={"seed_simulator": seed})
