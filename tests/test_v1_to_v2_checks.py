"""The v1-to-v2 checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import numpy as np
import pytest
from answers import client_estimator, client_sampler, deprecated_estimator, deprecated_sampler, failing_checks, isa
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp

from grader.notebook import check, run_checks

SEED = 89


failed_ids = failing_checks("v1-to-v2")


def ry_circuit(angle, measured=True):
    qc = QuantumCircuit(1)
    qc.ry(angle, 0)
    if measured:
        qc.measure_all()
    return qc


def dists(make_sampler, angle=lambda theta: theta, shots=lambda shots: shots, digits=None):
    def quasi_dists(backend, thetas, shots_asked):
        circuit = isa(ry_circuit(angle(Parameter("θ"))), backend)
        job = make_sampler(backend).run([(circuit, thetas)], shots=shots(shots_asked))
        bits = job.result()[0].data.meas
        out = []
        for i in range(len(thetas)):
            probabilities = {k: n / shots_asked for k, n in bits[i].get_int_counts().items()}
            out.append({k: round(p, digits) for k, p in probabilities.items()} if digits else probabilities)
        return out

    return quasi_dists


@pytest.mark.parametrize("make_sampler", [client_sampler, deprecated_sampler], ids=["client", "deprecated"])
def test_one_sweep_pub_passes_with_either_sampler(make_sampler):
    assert failed_ids(dists(make_sampler)) == set()


def test_a_register_named_c_and_value_sets_as_rows_pass_too():
    def quasi_dists(backend, thetas, shots):
        qc = QuantumCircuit(1, 1)
        qc.ry(Parameter("θ"), 0)
        qc.measure(0, 0)
        bits = client_sampler(backend).run([(isa(qc, backend), [[t] for t in thetas])], shots=shots)
        bits = bits.result()[0].data.c
        return [{int(b, 2): n / shots for b, n in bits[i].get_counts().items()} for i in range(len(thetas))]

    assert failed_ids(quasi_dists) == set()


def test_calling_v2_the_v1_way_is_reported_as_an_error():
    def quasi_dists(backend, thetas, shots):
        circuit = isa(ry_circuit(Parameter("θ")), backend)
        job = client_sampler(backend).run([circuit] * len(thetas), [[t] for t in thetas], shots=shots)
        return job.result().quasi_dists

    assert failed_ids(quasi_dists) == {"quasi_dists.runs"}


def test_one_job_per_angle_fails_the_one_job_check():
    def quasi_dists(backend, thetas, shots):
        sampler = client_sampler(backend)
        out = []
        for theta in thetas:
            bits = sampler.run([isa(ry_circuit(theta), backend)], shots=shots).result()[0].data.meas
            out.append({k: n / shots for k, n in bits.get_int_counts().items()})
        return out

    assert failed_ids(quasi_dists) == {"quasi_dists.uses_v2_sampler"}


def test_counts_instead_of_probabilities_fail_shape_and_provenance():
    def quasi_dists(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(ry_circuit(Parameter("θ")), backend), thetas)], shots=shots)
        bits = bits.result()[0].data.meas
        return [bits[i].get_int_counts() for i in range(len(thetas))]

    assert failed_ids(quasi_dists) == {"quasi_dists.returns_dists", "quasi_dists.provenance"}


def test_rounded_probabilities_fail_provenance():
    assert failed_ids(dists(client_sampler, digits=2)) == {"quasi_dists.provenance"}


def test_default_shots_fail_the_shots_check():
    def quasi_dists(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(ry_circuit(Parameter("θ")), backend), thetas)]).result()[0].data.meas
        return [{k: n / bits.num_shots for k, n in bits[i].get_int_counts().items()} for i in range(len(thetas))]

    assert failed_ids(quasi_dists) == {"quasi_dists.exact_shots"}


def test_half_the_angle_fails_the_exact_circuit_check():
    results = {r.id: r for r in run_checks("v1-to-v2", dists(client_sampler, angle=lambda theta: theta / 2))}
    assert {i for i, r in results.items() if not r.passed} == {"quasi_dists.ry_circuit"}
    assert "P(1)" in results["quasi_dists.ry_circuit"].message


def values(make_estimator, labels=("ZZ", "XX")):
    def v1_values(backend, theta):
        qc = QuantumCircuit(2)
        qc.ry(theta, 0)
        qc.cx(0, 1)
        circuit = isa(qc, backend)
        observables = [SparsePauliOp(label).apply_layout(circuit.layout) for label in labels]
        return make_estimator(backend).run([(circuit, observables)]).result()[0].data.evs.tolist()

    return v1_values


@pytest.mark.parametrize("make_estimator", [client_estimator, deprecated_estimator], ids=["client", "deprecated"])
def test_one_pub_with_two_observables_passes_with_either_estimator(make_estimator):
    assert failed_ids(values(make_estimator)) == set()


def test_swapped_observables_fail_the_exact_check():
    assert failed_ids(values(client_estimator, ("XX", "ZZ"))) == {"v1_values.right_observables"}


def test_the_circuit_repeated_in_two_pubs_fails_the_pub_check():
    def v1_values(backend, theta):
        qc = QuantumCircuit(2)
        qc.ry(theta, 0)
        qc.cx(0, 1)
        circuit = isa(qc, backend)
        zz, xx = (SparsePauliOp(label).apply_layout(circuit.layout) for label in ("ZZ", "XX"))
        result = client_estimator(backend).run([(circuit, zz), (circuit, xx)]).result()
        return [float(result[0].data.evs), float(result[1].data.evs)]

    assert failed_ids(v1_values) == {"v1_values.one_pub"}


def test_v1_call_with_parallel_lists_is_reported_as_an_error():
    def v1_values(backend, theta):
        qc = QuantumCircuit(2)
        qc.ry(theta, 0)
        qc.cx(0, 1)
        circuit = isa(qc, backend)
        zz, xx = (SparsePauliOp(label).apply_layout(circuit.layout) for label in ("ZZ", "XX"))
        return client_estimator(backend).run([circuit, circuit], [zz, xx]).result().values.tolist()

    assert failed_ids(v1_values) == {"v1_values.runs"}


def test_typed_in_values_fail_provenance():
    def v1_values(backend, theta):
        values(client_estimator)(backend, theta)
        return [1.0, float(np.sin(theta))]

    assert failed_ids(v1_values) == {"v1_values.provenance"}


def test_untouched_stub_fails_with_a_message_not_a_crash():
    def quasi_dists(backend, thetas, shots):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        check("v1-to-v2", quasi_dists)
