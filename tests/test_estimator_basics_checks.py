"""The estimator-basics checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import warnings

import numpy as np
from answers import client_estimator, failing_checks, isa
from qiskit import QuantumCircuit
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp
from qiskit_ibm_runtime import EstimatorV2

from grader.notebook import run_checks

SEED = 53


def state(theta):
    qc = QuantumCircuit(2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    return qc


failed_ids = failing_checks("estimator-basics")


def test_client_side_estimator_passes():
    def xx_expectation(backend, theta):
        circuit = isa(state(theta), backend)
        observable = SparsePauliOp("XX").apply_layout(circuit.layout)
        return float(client_estimator(backend).run([(circuit, observable)]).result()[0].data.evs)

    assert failed_ids(xx_expectation) == set()


def test_deprecated_runtime_estimator_passes():
    def xx_expectation(backend, theta):
        circuit = isa(state(theta), backend)
        observable = SparsePauliOp("XX").apply_layout(circuit.layout)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            estimator = EstimatorV2(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return float(estimator.run([(circuit, observable)]).result()[0].data.evs)

    assert failed_ids(xx_expectation) == set()


def test_expectation_by_hand_from_backend_run_fails():
    def xx_expectation(backend, theta):
        circuit = state(theta)
        circuit.h([0, 1])
        circuit.measure_all()
        counts = backend.run(isa(circuit, backend), shots=4000).result().get_counts()
        return sum((-1) ** (key.count("1") % 2) * n for key, n in counts.items()) / 4000

    assert {"xx_expectation.no_backend_run", "xx_expectation.uses_v2_estimator"} <= failed_ids(xx_expectation)


def test_wrong_observable_fails_the_exact_check():
    def xx_expectation(backend, theta):
        circuit = isa(state(theta), backend)
        observable = SparsePauliOp("ZZ").apply_layout(circuit.layout)
        return float(client_estimator(backend).run([(circuit, observable)]).result()[0].data.evs)

    results = [r for r in run_checks("estimator-basics", xx_expectation) if r.id == "xx_expectation.right_pub"]
    assert results and not any(r.passed for r in results)
    assert "apply_layout" in results[0].message


def test_observable_not_mapped_to_the_layout_is_reported_as_an_error():
    def xx_expectation(backend, theta):
        circuit = isa(state(theta), backend)
        return float(client_estimator(backend).run([(circuit, SparsePauliOp("XX"))]).result()[0].data.evs)

    assert failed_ids(xx_expectation) == {"xx_expectation.runs"}


def test_ideal_value_typed_in_fails_provenance():
    def xx_expectation(backend, theta):
        circuit = isa(state(theta), backend)
        observable = SparsePauliOp("XX").apply_layout(circuit.layout)
        client_estimator(backend).run([(circuit, observable)]).result()
        return float(np.sin(theta))

    assert failed_ids(xx_expectation) == {"xx_expectation.provenance"}


def test_statevector_estimator_ignores_the_backend():
    def xx_expectation(backend, theta):
        job = StatevectorEstimator(seed=SEED).run([(state(theta), SparsePauliOp("XX"))])
        return float(job.result()[0].data.evs)

    assert "xx_expectation.uses_v2_estimator" in failed_ids(xx_expectation)
