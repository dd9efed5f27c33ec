"""Checks shared by estimator tasks: the PUB sent, the value returned, provenance and trusted re-runs."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from qiskit.primitives import BackendEstimatorV2, BaseEstimatorV2
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_ibm_runtime import EstimatorV2 as RuntimeEstimatorV2
from qiskit_ibm_runtime.executor_estimator import Estimator as ClientEstimator

from grader.api_checks import numeric_option
from grader.recording import PrimitiveCall
from grader.results import CheckResult
from grader.sampler_checks import TRUSTED_SEED
from grader.statistics import same_mean_pvalue


def coerced_pubs(call: PrimitiveCall) -> list[EstimatorPub]:
    """The job's PUBs in canonical form, with the precision each one ran with."""
    precision = call.kwargs.get("precision")
    if precision is None:
        precision = numeric_option(call.primitive, "default_precision")
    return [EstimatorPub.coerce(pub, precision) for pub in call.pubs]


def ideal_expectation(pub: EstimatorPub) -> float:
    """The exact, noiseless expectation value of a PUB with one circuit, one observable and bound parameters."""
    circuit = pub.circuit
    if circuit.parameters:
        circuit = circuit.assign_parameters(pub.parameter_values.as_array().reshape(-1))
    observable = SparsePauliOp.from_list(list(pub.observables.ravel()[0].items()))
    return float(Statevector(circuit.remove_final_measurements(inplace=False)).expectation_value(observable).real)


def returned_value_check(check_id: str, value: Any) -> CheckResult:
    """Pass when ``value`` is one real number."""
    if isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(value, bool):
        return CheckResult(check_id, True, "Returns one real number.")
    if isinstance(value, np.ndarray) and value.size == 1:
        return CheckResult(check_id, False, "Returns a one-element array: convert it with `float(result[0].data.evs)`.")
    return CheckResult(check_id, False, f"Expected one float such as 0.42, got {value!r:.80}.")


def result_values(call: PrimitiveCall) -> list[tuple[float, float]]:
    """(value, standard error) of every scalar PUB result the job handed out."""
    found = []
    for result in call.results:
        data = result[0].data
        evs, stds = np.asarray(data.evs), np.asarray(data.stds)
        if evs.size == 1:
            found.append((float(evs.reshape(-1)[0]), float(stds.reshape(-1)[0])))
    return found


def trusted_estimator(primitive_type: type, backend: Any, seed: int) -> BaseEstimatorV2:
    """An estimator of the same kind as the student's, on the same backend, seeded by the grader."""
    if issubclass(primitive_type, ClientEstimator):
        estimator = ClientEstimator(mode=backend)
        estimator.options.simulator.seed_simulator = seed
        return estimator
    if issubclass(primitive_type, RuntimeEstimatorV2):
        with warnings.catch_warnings():
            # Deprecated since qiskit-ibm-runtime 0.50; the student chose it, so the grader re-runs with it.
            warnings.simplefilter("ignore", DeprecationWarning)
            return RuntimeEstimatorV2(mode=backend, options={"simulator": {"seed_simulator": seed}})
    return BackendEstimatorV2(backend=backend, options={"seed_simulator": seed})


def rerun_value(call: PrimitiveCall, pub: EstimatorPub, backend: Any, seed: int = TRUSTED_SEED) -> tuple[float, float]:
    """Run ``pub`` again with a trusted estimator; return its value and standard error."""
    data = trusted_estimator(call.primitive_type, backend, seed).run([pub]).result()[0].data
    return float(np.asarray(data.evs).reshape(-1)[0]), float(np.asarray(data.stds).reshape(-1)[0])


def consistency_check(
    check_id: str, student: tuple[float, float], trusted: tuple[float, float], alpha: float
) -> CheckResult:
    """Pass unless a z-test rejects, at level ``alpha``, that both estimates share one mean."""
    p_value = same_mean_pvalue(*student, *trusted)
    if p_value >= alpha:
        return CheckResult(check_id, True, f"Consistent with a trusted re-run (p = {p_value:.3g}).")
    return CheckResult(
        check_id,
        False,
        f"{student[0]:.4f} ± {student[1]:.4f} is very unlikely for this PUB on this backend (trusted re-run "
        f"{trusted[0]:.4f} ± {trusted[1]:.4f}, p = {p_value:.2g}). Return the value of the job you ran.",
    )
