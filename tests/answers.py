"""Building blocks of the students' answers that the check tests feed to the grader, seeded and non-zero."""

from __future__ import annotations

import warnings
from collections.abc import Callable

from qiskit import QuantumCircuit
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import EstimatorV2, SamplerV2
from qiskit_ibm_runtime.executor_estimator import Estimator
from qiskit_ibm_runtime.executor_sampler import Sampler

from grader.notebook import run_checks
from grader.results import TaskResult

SEED = 71


def isa(circuit: QuantumCircuit, backend: object) -> QuantumCircuit:
    """``circuit`` transpiled for ``backend`` with a fixed layout seed."""
    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=SEED).run(circuit)


def bell(with_cx: bool = True) -> QuantumCircuit:
    """A measured Bell circuit (H, CX 0→1), or without its CX: the classic wrong answer."""
    circuit = QuantumCircuit(2)
    circuit.h(0)
    if with_cx:
        circuit.cx(0, 1)
    circuit.measure_all()
    return circuit


def client_sampler(backend: object) -> Sampler:
    """A seeded client-side Sampler."""
    sampler = Sampler(mode=backend)
    sampler.options.simulator.seed_simulator = SEED
    return sampler


def client_estimator(backend: object) -> Estimator:
    """A seeded client-side Estimator."""
    estimator = Estimator(mode=backend)
    estimator.options.simulator.seed_simulator = SEED
    return estimator


def deprecated_sampler(backend: object) -> SamplerV2:
    """A seeded SamplerV2; its DeprecationWarning is expected here and silenced for this construction only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return SamplerV2(mode=backend, options={"simulator": {"seed_simulator": SEED}})


def deprecated_estimator(backend: object) -> EstimatorV2:
    """A seeded EstimatorV2; its DeprecationWarning is expected here and silenced for this construction only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return EstimatorV2(mode=backend, options={"simulator": {"seed_simulator": SEED}})


def failing_checks(exercise_id: str) -> Callable[[Callable[..., object]], set[str]]:
    """A function giving the ids of the requirements of ``exercise_id`` that an answer does not meet."""

    def failed_ids(function: Callable[..., object]) -> set[str]:
        return {r.id for r in run_checks(exercise_id, function).checks if not r.passed}

    return failed_ids


def graded(exercise_id: str, name: str, function: Callable[..., object]) -> TaskResult:
    """The result card of ``function`` graded as task ``name`` of ``exercise_id`` (in this process)."""
    function.__name__ = name
    return run_checks(exercise_id, function)


def unmet(result: TaskResult) -> set[str]:
    """The requirement IDs (without the task prefix) a result does not meet."""
    return {c.id.split(".", 1)[1] for c in result.checks if not c.passed}


def aer_sampler(backend: object):
    """A seeded qiskit-aer SamplerV2 built with `from_backend`, the way students take Aer's own primitive."""
    from qiskit_aer.primitives import SamplerV2 as AerSamplerV2

    return AerSamplerV2.from_backend(backend, seed=SEED)
