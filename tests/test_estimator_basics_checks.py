"""estimator-basics' rubric on real answers: honest styles get full marks, wrong states, observables and values
lose what the rubric says, with messages that name the fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from answers import graded, isa, unmet
from qiskit import QuantumCircuit
from qiskit.primitives import BackendEstimatorV2
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer.primitives import EstimatorV2 as AerEstimator
from qiskit_ibm_runtime import EstimatorV2
from qiskit_ibm_runtime.executor_estimator import Estimator


def xx_graded(function):
    return graded("estimator-basics", "xx_expectation", function)


def prepared(theta: float, cx: bool = True, measure: bool = False) -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    if cx:
        circuit.cx(0, 1)
    if measure:
        circuit.measure_all()
    return circuit


def value(estimator, backend, theta, label="XX", mapped=True, **kwargs):
    circuit = isa(prepared(theta, **kwargs), backend)
    observable = SparsePauliOp(label)
    observable = observable.apply_layout(circuit.layout) if mapped else observable
    return estimator.run([(circuit, observable)]).result()[0].data.evs


def runtime_estimator(backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # EstimatorV2 is deprecated since 0.50: still accepted
        return EstimatorV2(mode=backend)


HONEST = {
    "client-side Estimator": lambda b, t: float(value(Estimator(mode=b), b, t)),
    "client-side Estimator, resilience_level 0": lambda b, t: float(
        value(Estimator(mode=b, options={"resilience_level": 0}), b, t)
    ),
    "deprecated EstimatorV2": lambda b, t: float(value(runtime_estimator(b), b, t)),
    "qiskit-aer EstimatorV2.from_backend": lambda b, t: float(value(AerEstimator.from_backend(b), b, t)),
    "BackendEstimatorV2": lambda b, t: float(value(BackendEstimatorV2(backend=b), b, t)),
    "rounded to 6 decimals": lambda b, t: round(float(value(Estimator(mode=b), b, t)), 6),
    "a 0-d numpy array": lambda b, t: value(Estimator(mode=b), b, t),
    "a numpy float": lambda b, t: np.float64(value(Estimator(mode=b), b, t)),
}


@pytest.mark.parametrize("style", sorted(HONEST))
def test_honest_styles_get_full_marks(style: str) -> None:
    result = xx_graded(HONEST[style])
    assert (result.score, result.status) == (4.0, "passed"), [c.message for c in result.checks if not c.passed]


def test_a_circuit_that_measures_scores_zero_and_says_why() -> None:
    result = xx_graded(lambda b, t: float(value(Estimator(mode=b), b, t, measure=True)))
    assert result.score == 0.0 and "right_state" in unmet(result)
    assert "must not measure" in next(c for c in result.checks if c.id.endswith("right_state")).message


def test_ry_without_cx_measured_with_ix_scores_zero_although_its_value_is_close() -> None:
    result = xx_graded(lambda b, t: float(value(Estimator(mode=b), b, t, label="IX", cx=False)))
    assert result.score == 0.0 and {"right_state", "right_observable"} <= unmet(result)


def test_an_unmapped_observable_raises_and_the_message_names_apply_layout() -> None:
    result = xx_graded(lambda b, t: float(value(Estimator(mode=b), b, t, mapped=False)))
    assert (result.status, result.score) == ("error", 0.0)
    assert "apply_layout(isa_circuit.layout)" in result.checks[0].message


def test_a_typed_in_or_edited_value_scores_zero() -> None:
    assert xx_graded(lambda b, t: float(np.sin(t))).score == 0.0

    def edited(backend, theta):
        estimator = Estimator(mode=backend)
        circuit = isa(prepared(theta), backend)
        result = estimator.run([(circuit, SparsePauliOp("XX").apply_layout(circuit.layout))]).result()
        result[0].data.evs[...] = np.sin(theta)  # the typed-in answer, written into the job's own result
        return float(result[0].data.evs)

    result = xx_graded(edited)
    assert (result.score, unmet(result)) == (0.0, {"provenance"})


def test_a_circuit_not_transpiled_loses_only_the_isa_points() -> None:
    def not_isa(backend, theta):
        observable = SparsePauliOp("XX").apply_layout(None, num_qubits=backend.num_qubits)
        circuit = QuantumCircuit(backend.num_qubits)
        circuit.ry(theta, 0)
        circuit.cx(0, 1)
        return float(BackendEstimatorV2(backend=backend).run([(circuit, observable)]).result()[0].data.evs)

    result = xx_graded(not_isa)
    assert (result.score, unmet(result)) == (3.5, {"isa_circuit"})
