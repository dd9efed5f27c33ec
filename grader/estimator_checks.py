"""Checks shared by estimator tasks: the PUB sent, the value returned, provenance and trusted re-runs."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.quantum_info import SparsePauliOp, Statevector

from grader.primitives import trusted_estimator
from grader.results import CheckResult
from grader.statistics import same_mean_pvalue
from grader.trace import CallRecord


def ideal_expectation(pub: EstimatorPub) -> float:
    """The exact, noiseless expectation value of a PUB with one circuit, one observable and bound parameters."""
    circuit = pub.circuit
    if circuit.parameters:
        circuit = circuit.assign_parameters(pub.parameter_values.as_array(circuit.parameters).reshape(-1))
    observable = SparsePauliOp.from_list(list(pub.observables.ravel()[0].items()))
    return float(Statevector(circuit.remove_final_measurements(inplace=False)).expectation_value(observable).real)


def returned_value_check(check_id: str, value: Any) -> CheckResult:
    """Pass when ``value`` is one real number."""
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return CheckResult(check_id, True, "Returns one real number.")
    return CheckResult(
        check_id, False, f"Expected one float such as 0.42, got {value!r:.80}. Return `float(result[0].data.evs)`."
    )


def result_values(call: CallRecord) -> list[tuple[float, float]]:
    """(value, standard error) of every scalar first-PUB result the job handed out."""
    return [
        (result[0]["evs"][0], result[0]["stds"][0]) for result in call.results if len(result[0].get("evs", [])) == 1
    ]


def rerun_value(call: CallRecord, pub: EstimatorPub, backend: Any, seed: int) -> tuple[float, float]:
    """Run ``pub`` again with a trusted estimator of the student's kind; return its value and standard error."""
    data = trusted_estimator(call.primitive, backend, seed).run([pub]).result()[0].data
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
