"""estimator-broadcasting's rubric on real answers: honest styles get full marks, wrong observables, states, orders
and values lose what the rubric says, with messages that name the fix and never accuse."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from answers import client_estimator, graded, isa, unmet
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import BackendEstimatorV2
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer.primitives import EstimatorV2 as AerEstimator
from qiskit_ibm_runtime import EstimatorV2

EXERCISE = "estimator-broadcasting"
ACCUSING = ("typing", "typed", "editing", "edited", "cheat", "forg", "tamper", "fake result")


def state(theta, rotation="ry", cx=True, measure=False, reset=False):
    circuit = QuantumCircuit(2)
    if reset:
        circuit.reset([0, 1])
    if rotation == "rx":
        circuit.rx(theta, 0)
    else:
        circuit.ry(theta, 0)
    if cx:
        circuit.cx(0, 1)
    if measure:
        circuit.measure_all()
    return circuit


def mapped(labels, circuit):
    return [SparsePauliOp(label).apply_layout(circuit.layout) for label in labels]


def runtime_estimator(backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # EstimatorV2 is deprecated since 0.50: still accepted
        return EstimatorV2(mode=backend)


def aer_estimator(backend):
    return AerEstimator.from_backend(backend)


def messages(result):
    return " ".join(c.message for c in result.checks)


def assert_fair(result, score, missing):
    """The score and the unmet requirements are exactly these, and no message suggests cheating."""
    assert (result.score, unmet(result)) == (score, missing), messages(result)
    assert not any(word in messages(result).lower() for word in ACCUSING), messages(result)


# pauli_expectations(backend, theta): [⟨ZZ⟩, ⟨XX⟩, ⟨Z on qubit 0⟩] from one PUB.


def pauli(function):
    return graded(EXERCISE, "pauli_expectations", function)


def three_values(make_estimator, labels=("ZZ", "XX", "IZ"), transpile=True, **state_options):
    def pauli_expectations(backend, theta):
        circuit = isa(state(theta, **state_options), backend) if transpile else state(theta, **state_options)
        observables = mapped(labels, circuit) if transpile else [SparsePauliOp(label) for label in labels]
        job = make_estimator(backend).run([(circuit, observables)])
        return job.result()[0].data.evs.tolist()

    return pauli_expectations


def pauli_client_seeded(backend, theta):  # the solution's style
    return three_values(client_estimator)(backend, theta)


def pauli_runtime_array_reset(backend, theta):  # unseeded EstimatorV2, a reset first, the evs array as it comes
    circuit = isa(state(theta, reset=True), backend)
    return runtime_estimator(backend).run([(circuit, mapped(("ZZ", "XX", "IZ"), circuit))]).result()[0].data.evs


def pauli_aer_rounded(backend, theta):  # Aer's estimator, another layout, values rounded to 6 decimals
    pass_manager = generate_preset_pass_manager(backend=backend, optimization_level=2, seed_transpiler=5)
    circuit = pass_manager.run(state(theta))
    evs = aer_estimator(backend).run([(circuit, mapped(("ZZ", "XX", "IZ"), circuit))]).result()[0].data.evs
    return [round(float(value), 6) for value in evs]


def pauli_backend_estimator_column(backend, theta):  # observables as a column, numpy floats returned
    circuit = isa(state(theta), backend)
    observables = [[o] for o in mapped(("ZZ", "XX", "IZ"), circuit)]
    result = BackendEstimatorV2(backend=backend).run([(circuit, observables)]).result()
    return list(result[0].data.evs.reshape(-1))


@pytest.mark.parametrize(
    "answer",
    [pauli_client_seeded, pauli_runtime_array_reset, pauli_aer_rounded, pauli_backend_estimator_column],
    ids=["client-seeded", "runtime-unseeded-reset-array", "aer-other-layout-rounded", "backend-estimator-column"],
)
def test_honest_pauli_expectations_get_full_marks(answer):
    result = pauli(answer)
    assert (result.score, unmet(result)) == (3.0, set()), messages(result)


def test_z_on_qubit_1_fails_the_observables_and_explains_the_label_order():
    # ⟨Z on qubit 1⟩ = cos θ too: only the observable itself tells the two apart.
    result = pauli(three_values(aer_estimator, ("ZZ", "XX", "ZI")))
    assert_fair(result, 0.0, {"right_observables", "provenance"})
    assert "right to left" in messages(result)


def test_observables_in_another_order_fail_with_an_order_message():
    result = pauli(three_values(aer_estimator, ("ZZ", "IZ", "XX")))
    assert_fair(result, 0.0, {"right_observables", "provenance"})
    assert "order" in messages(result)


def test_measurements_in_the_circuit_fail_the_state_and_say_why():
    result = pauli(three_values(runtime_estimator, measure=True))
    assert_fair(result, 0.0, {"right_state", "right_observables", "provenance"})
    assert "must not measure" in messages(result)


def test_rx_instead_of_ry_fails_the_state_with_a_hint():
    result = pauli(three_values(aer_estimator, rotation="rx"))
    assert_fair(result, 0.0, {"right_state", "right_observables", "provenance"})
    assert "RX" in messages(result)


def test_one_job_per_observable_loses_only_the_broadcasting_credit():
    def pauli_expectations(backend, theta):
        circuit = isa(state(theta), backend)
        estimator = aer_estimator(backend)
        return [
            float(estimator.run([(circuit, observable)]).result()[0].data.evs)
            for observable in mapped(("ZZ", "XX", "IZ"), circuit)
        ]

    result = pauli(pauli_expectations)
    assert_fair(result, 2.5, {"one_pub"})
    assert "Broadcast" in messages(result)


def test_a_summed_observable_is_one_value_not_three():
    def pauli_expectations(backend, theta):
        circuit = isa(state(theta), backend)
        summed = SparsePauliOp(["ZZ", "XX", "IZ"]).apply_layout(circuit.layout)
        value = float(aer_estimator(backend).run([(circuit, summed)]).result()[0].data.evs)
        return [value, value, value]

    result = pauli(pauli_expectations)
    assert_fair(result, 0.0, {"right_observables", "one_pub", "provenance"})
    assert "asks for 3" in messages(result)


def test_a_circuit_that_is_not_isa_loses_only_the_isa_credit():
    # BackendEstimatorV2 runs a circuit as it is; the runtime's estimators and Aer's refuse it (a failed run).
    result = pauli(three_values(lambda backend: BackendEstimatorV2(backend=backend), transpile=False))
    assert_fair(result, 2.5, {"isa_circuit"})
    assert "generate_preset_pass_manager" in messages(result)


def test_an_unmapped_observable_is_reported_with_the_fix():
    def pauli_expectations(backend, theta):
        circuit = isa(state(theta), backend)
        observables = [SparsePauliOp(label) for label in ("ZZ", "XX", "IZ")]
        return client_estimator(backend).run([(circuit, observables)]).result()[0].data.evs.tolist()

    result = pauli(pauli_expectations)
    assert result.score == 0.0 and "runs" in unmet(result)
    assert "apply_layout(isa_circuit.layout)" in messages(result)


def test_parities_from_backend_run_fail_the_legacy_gates():
    def pauli_expectations(backend, theta):
        z_basis = state(theta, measure=True)
        x_basis = state(theta)
        x_basis.h([0, 1])
        x_basis.measure_all()
        z_counts, x_counts = backend.run(isa([z_basis, x_basis], backend), shots=2000).result().get_counts()
        zz = sum((-1) ** key.count("1") * n for key, n in z_counts.items()) / 2000
        xx = sum((-1) ** key.count("1") * n for key, n in x_counts.items()) / 2000
        z0 = sum((-1) ** int(key[-1]) * n for key, n in z_counts.items()) / 2000
        return [zz, xx, z0]

    result = pauli(pauli_expectations)
    assert result.score == 0.0
    assert {"reads_as_v2", "no_backend_run", "uses_v2_estimator"} <= unmet(result)


def test_ideal_values_returned_fail_provenance_without_an_accusation():
    def pauli_expectations(backend, theta):
        three_values(aer_estimator)(backend, theta)
        return [1.0, float(np.sin(theta)), float(np.cos(theta))]

    result = pauli(pauli_expectations)
    assert_fair(result, 0.0, {"provenance"})
    assert "replay" in messages(result)


def test_values_returned_in_another_order_are_told_so():
    def pauli_expectations(backend, theta):
        return three_values(aer_estimator)(backend, theta)[::-1]

    result = pauli(pauli_expectations)
    assert_fair(result, 0.0, {"provenance"})
    assert "in another order" in messages(result)


# xx_sweep(backend, thetas): ⟨XX⟩ per angle from one PUB that sweeps them.


def sweep(function):
    return graded(EXERCISE, "xx_sweep", function)


def swept(make_estimator, label="XX", order=lambda thetas: thetas):
    def xx_sweep(backend, thetas):
        circuit = isa(state(Parameter("θ")), backend)
        job = make_estimator(backend).run([(circuit, mapped([label], circuit)[0], order(thetas))])
        return job.result()[0].data.evs.tolist()

    return xx_sweep


def sweep_runtime_column(backend, thetas):  # the angles as a column of parameter values
    circuit = isa(state(Parameter("θ")), backend)
    angles = np.asarray(thetas).reshape(-1, 1)
    return runtime_estimator(backend).run([(circuit, mapped(["XX"], circuit)[0], angles)]).result()[0].data.evs


@pytest.mark.parametrize(
    "answer", [swept(client_estimator), sweep_runtime_column, swept(aer_estimator)], ids=["client", "runtime", "aer"]
)
def test_honest_sweeps_get_full_marks(answer):
    result = sweep(answer)
    assert (result.score, unmet(result)) == (3.0, set()), messages(result)


def test_a_sweep_of_the_wrong_observable_fails_it():
    result = sweep(swept(aer_estimator, label="ZZ"))
    assert_fair(result, 0.0, {"right_observable", "provenance"})
    assert "X⊗X" in messages(result)


@pytest.mark.parametrize("order", [lambda t: t[::-1], sorted], ids=["reversed", "sorted"])
def test_a_sweep_in_another_order_fails_the_states_with_an_order_message(order):
    result = sweep(swept(aer_estimator, order=order))
    assert_fair(result, 0.0, {"right_state", "right_observable", "provenance"})
    assert "another order" in messages(result)


def test_one_job_per_angle_loses_only_the_one_pub_credit():
    def xx_sweep(backend, thetas):
        estimator = aer_estimator(backend)
        values = []
        for theta in thetas:
            circuit = isa(state(theta), backend)
            values.append(float(estimator.run([(circuit, mapped(["XX"], circuit)[0])]).result()[0].data.evs))
        return values

    result = sweep(xx_sweep)
    assert_fair(result, 2.5, {"one_pub"})
    assert "Parameter" in messages(result)


# precise_value(backend, theta, precision): [value, standard error] at the precision asked for.


def precise(function):
    return graded(EXERCISE, "precise_value", function)


def at_precision(make_estimator, where="run", second="stds"):
    def precise_value(backend, theta, precision):
        circuit = isa(state(theta), backend)
        observable = mapped(["XX"], circuit)[0]
        estimator = make_estimator(backend)
        if where == "run":
            job = estimator.run([(circuit, observable)], precision=precision)
        elif where == "pub":
            job = estimator.run([(circuit, observable, None, precision)])
        elif where == "options":
            estimator.options.default_precision = precision
            job = estimator.run([(circuit, observable)])
        else:
            job = estimator.run([(circuit, observable)])
        data = job.result()[0].data
        return [float(data.evs), float(data.stds) if second == "stds" else precision]

    return precise_value


@pytest.mark.parametrize(
    "answer",
    [
        at_precision(client_estimator),
        at_precision(runtime_estimator, where="options"),
        at_precision(aer_estimator, where="pub"),
        at_precision(lambda backend: BackendEstimatorV2(backend=backend)),
    ],
    ids=["client-run", "runtime-options", "aer-pub", "backend-estimator-run"],
)
def test_honest_precise_values_get_full_marks(answer):
    result = precise(answer)
    assert (result.score, unmet(result)) == (2.0, set()), messages(result)


def test_the_default_precision_loses_only_the_precision_credit():
    result = precise(at_precision(runtime_estimator, where="nowhere"))
    assert_fair(result, 1.5, {"precision"})
    assert "0.015625" in messages(result)


def test_the_precision_returned_as_the_standard_error_fails_provenance_and_says_why():
    # (Aer's estimator reports the precision asked for as its standard error: there, that answer is right.)
    result = precise(at_precision(runtime_estimator, second="precision"))
    assert_fair(result, 0.0, {"provenance"})
    assert "data.stds" in messages(result)


def test_an_untouched_stub_fails_with_a_message_not_a_crash():
    def xx_sweep(backend, thetas):
        raise NotImplementedError

    result = sweep(xx_sweep)
    assert result.score == 0.0 and "runs" in unmet(result)
    assert "not written yet" in messages(result)
