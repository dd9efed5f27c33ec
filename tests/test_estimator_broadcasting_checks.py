"""The estimator-broadcasting checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import numpy as np
import pytest
from answers import client_estimator, deprecated_estimator, failing_checks, isa
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp

from grader.notebook import check, run_checks

SEED = 71


def state(theta):
    qc = QuantumCircuit(2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    return qc


def mapped(labels, circuit):
    return [SparsePauliOp(label).apply_layout(circuit.layout) for label in labels]


failed_ids = failing_checks("estimator-broadcasting")


def three_values(make_estimator, labels=("ZZ", "XX", "IZ")):
    def pauli_expectations(backend, theta):
        circuit = isa(state(theta), backend)
        job = make_estimator(backend).run([(circuit, mapped(labels, circuit))])
        return job.result()[0].data.evs.tolist()

    return pauli_expectations


@pytest.mark.parametrize("make_estimator", [client_estimator, deprecated_estimator], ids=["client", "deprecated"])
def test_three_observables_in_one_pub_pass_with_either_estimator(make_estimator):
    assert failed_ids(three_values(make_estimator)) == set()


def test_z_on_qubit_1_instead_of_qubit_0_fails_only_the_label_check():
    # ⟨Z on qubit 1⟩ = cos θ too, so only the observable itself tells the two apart.
    z_on_qubit_1 = three_values(client_estimator, ("ZZ", "XX", "ZI"))
    results = {r.id: r for r in run_checks("estimator-broadcasting", z_on_qubit_1)}
    assert {i for i, r in results.items() if not r.passed} == {"pauli_expectations.z_on_qubit_0"}
    assert "right to left" in results["pauli_expectations.z_on_qubit_0"].message


def test_observables_in_the_wrong_order_fail_the_exact_check():
    assert failed_ids(three_values(client_estimator, ("ZZ", "IZ", "XX"))) == {
        "pauli_expectations.right_observables",
        "pauli_expectations.z_on_qubit_0",
    }


def test_measurements_left_in_the_circuit_fail_the_exact_check():
    def pauli_expectations(backend, theta):
        measured = state(theta)
        measured.measure_all()
        circuit = isa(measured, backend)
        job = deprecated_estimator(backend).run([(circuit, mapped(("ZZ", "XX", "IZ"), circuit))])
        return job.result()[0].data.evs.tolist()

    results = {r.id: r for r in run_checks("estimator-broadcasting", pauli_expectations)}
    assert {i for i, r in results.items() if not r.passed} == {"pauli_expectations.right_observables"}
    assert "without measurements" in results["pauli_expectations.right_observables"].message


def test_one_job_per_observable_fails_the_one_job_check():
    def pauli_expectations(backend, theta):
        circuit = isa(state(theta), backend)
        estimator = client_estimator(backend)
        return [
            float(estimator.run([(circuit, observable)]).result()[0].data.evs)
            for observable in mapped(("ZZ", "XX", "IZ"), circuit)
        ]

    assert failed_ids(pauli_expectations) == {"pauli_expectations.uses_v2_estimator"}


def test_summed_observable_is_one_value_not_three():
    def pauli_expectations(backend, theta):
        circuit = isa(state(theta), backend)
        summed = SparsePauliOp(["ZZ", "XX", "IZ"]).apply_layout(circuit.layout)
        value = float(client_estimator(backend).run([(circuit, summed)]).result()[0].data.evs)
        return [value, value, value]

    assert failed_ids(pauli_expectations) == {"pauli_expectations.one_pub"}


def test_parities_from_backend_run_fail_the_gates():
    def pauli_expectations(backend, theta):
        z_basis = state(theta)
        z_basis.measure_all()
        x_basis = state(theta)
        x_basis.h([0, 1])
        x_basis.measure_all()
        z_counts, x_counts = backend.run(isa([z_basis, x_basis], backend), shots=2000).result().get_counts()
        zz = sum((-1) ** key.count("1") * n for key, n in z_counts.items()) / 2000
        xx = sum((-1) ** key.count("1") * n for key, n in x_counts.items()) / 2000
        z0 = sum((-1) ** int(key[-1]) * n for key, n in z_counts.items()) / 2000
        return [zz, xx, z0]

    assert {"pauli_expectations.no_backend_run", "pauli_expectations.uses_v2_estimator"} <= failed_ids(
        pauli_expectations
    )


def test_ideal_values_typed_in_fail_provenance():
    def pauli_expectations(backend, theta):
        circuit = isa(state(theta), backend)
        client_estimator(backend).run([(circuit, mapped(("ZZ", "XX", "IZ"), circuit))]).result()
        return [1.0, float(np.sin(theta)), float(np.cos(theta))]

    assert failed_ids(pauli_expectations) == {"pauli_expectations.provenance"}


def sweep(make_estimator, label="XX", order=lambda thetas: thetas):
    def xx_sweep(backend, thetas):
        circuit = isa(state(Parameter("θ")), backend)
        job = make_estimator(backend).run([(circuit, mapped([label], circuit)[0], order(thetas))])
        return job.result()[0].data.evs.tolist()

    return xx_sweep


@pytest.mark.parametrize("make_estimator", [client_estimator, deprecated_estimator], ids=["client", "deprecated"])
def test_sweep_in_one_pub_passes_with_either_estimator(make_estimator):
    assert failed_ids(sweep(make_estimator)) == set()


def test_sweep_with_a_column_of_angles_passes():
    def xx_sweep(backend, thetas):
        circuit = isa(state(Parameter("θ")), backend)
        angles = np.asarray(thetas).reshape(-1, 1)
        job = client_estimator(backend).run([(circuit, mapped(["XX"], circuit)[0], angles)])
        return job.result()[0].data.evs.tolist()

    assert failed_ids(xx_sweep) == set()


def test_sweep_of_the_wrong_observable_fails_the_exact_check():
    assert failed_ids(sweep(client_estimator, label="ZZ")) == {"xx_sweep.right_pub"}


def test_sweep_in_reversed_order_fails_the_pub_check():
    assert failed_ids(sweep(client_estimator, order=lambda thetas: thetas[::-1])) == {"xx_sweep.one_pub"}


def test_one_job_per_angle_fails_the_one_job_check():
    def xx_sweep(backend, thetas):
        values = []
        for theta in thetas:
            circuit = isa(state(theta), backend)
            job = client_estimator(backend).run([(circuit, mapped(["XX"], circuit)[0])])
            values.append(float(job.result()[0].data.evs))
        return values

    assert failed_ids(xx_sweep) == {"xx_sweep.uses_v2_estimator"}


def precise(make_estimator, returns_precision=False, set_precision=True):
    def precise_value(backend, theta, precision):
        circuit = isa(state(theta), backend)
        options = {"precision": precision} if set_precision else {}
        job = make_estimator(backend).run([(circuit, mapped(["XX"], circuit)[0])], **options)
        data = job.result()[0].data
        return [float(data.evs), precision if returns_precision else float(data.stds)]

    return precise_value


@pytest.mark.parametrize("make_estimator", [client_estimator, deprecated_estimator], ids=["client", "deprecated"])
def test_precise_value_passes_with_either_estimator(make_estimator):
    assert failed_ids(precise(make_estimator)) == set()


def test_precision_in_the_pub_or_the_options_counts_too():
    def precise_value(backend, theta, precision):
        circuit = isa(state(theta), backend)
        estimator = client_estimator(backend)
        estimator.options.default_precision = precision
        data = estimator.run([(circuit, mapped(["XX"], circuit)[0])]).result()[0].data
        return [float(data.evs), float(data.stds)]

    assert failed_ids(precise_value) == set()

    def precise_value_in_pub(backend, theta, precision):
        circuit = isa(state(theta), backend)
        data = deprecated_estimator(backend).run([(circuit, mapped(["XX"], circuit)[0], None, precision)])
        data = data.result()[0].data
        return [float(data.evs), float(data.stds)]

    precise_value_in_pub.__name__ = "precise_value"
    assert failed_ids(precise_value_in_pub) == set()


def test_default_precision_fails_the_precision_check():
    results = {r.id: r for r in run_checks("estimator-broadcasting", precise(client_estimator, set_precision=False))}
    assert {i for i, r in results.items() if not r.passed} == {"precise_value.precision"}
    assert "0.015625" in results["precise_value.precision"].message


def test_precision_returned_as_the_standard_error_fails_provenance():
    assert failed_ids(precise(client_estimator, returns_precision=True)) == {"precise_value.provenance"}


def test_untouched_stub_fails_with_a_message_not_a_crash():
    def xx_sweep(backend, thetas):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        check("estimator-broadcasting", xx_sweep)
