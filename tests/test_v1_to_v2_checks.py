"""v1-to-v2's rubric on real answers: honest styles get full marks; string keys, counts, rounding, V1-style calls,
repeated circuits and wrong angles lose what the rubric says, with messages that name the fix and never accuse."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from answers import client_estimator, client_sampler, graded, isa, unmet
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import BackendSamplerV2
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer.primitives import EstimatorV2 as AerEstimator
from qiskit_aer.primitives import SamplerV2 as AerSampler
from qiskit_ibm_runtime import EstimatorV2, SamplerV2

EXERCISE = "v1-to-v2"
ACCUSING = ("typing", "typed", "editing", "edited", "cheat", "forg", "tamper")


def messages(result):
    return " ".join(c.message for c in result.checks)


def assert_fair(result, score, missing):
    """The score and the unmet requirements are exactly these, and no message suggests cheating."""
    assert (result.score, unmet(result)) == (score, missing), messages(result)
    assert not any(word in messages(result).lower() for word in ACCUSING), messages(result)


def runtime_sampler(backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # SamplerV2 is deprecated since 0.50: still accepted
        return SamplerV2(mode=backend)


def runtime_estimator(backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # EstimatorV2 is deprecated since 0.50: still accepted
        return EstimatorV2(mode=backend)


def ry_circuit(angle, measured=True):
    circuit = QuantumCircuit(1)
    circuit.ry(angle, 0)
    if measured:
        circuit.measure_all()
    return circuit


# quasi_dists(backend, thetas, shots): V1's [{outcome: probability}] from one sweep PUB.


def quasi(function):
    return graded(EXERCISE, "quasi_dists", function)


def dists(make_sampler, angle=lambda theta: theta, keys="int", digits=None, order=lambda thetas: thetas):
    def quasi_dists(backend, thetas, shots):
        circuit = isa(ry_circuit(angle(Parameter("θ"))), backend)
        bits = make_sampler(backend).run([(circuit, order(thetas))], shots=shots).result()[0].data.meas
        out = []
        for i in range(len(thetas)):
            counts = bits[i].get_int_counts() if keys == "int" else bits[i].get_counts()
            probabilities = {k: n / shots for k, n in counts.items()}
            out.append({k: round(p, digits) for k, p in probabilities.items()} if digits else probabilities)
        return out

    return quasi_dists


def quasi_runtime_register_c_rows(backend, thetas, shots):  # unseeded SamplerV2, register `c`, values as rows
    circuit = QuantumCircuit(1, 1)
    circuit.ry(Parameter("θ"), 0)
    circuit.measure(0, 0)
    job = runtime_sampler(backend).run([(isa(circuit, backend), [[t] for t in thetas])], shots=shots)
    bits = job.result()[0].data.c
    return [{int(b, 2): n / shots for b, n in bits[i].get_counts().items()} for i in range(len(thetas))]


def quasi_aer_joined_rounded(backend, thetas, shots):  # Aer's sampler, join_data(), num_shots, both outcomes, 6 d.p.
    pass_manager = generate_preset_pass_manager(backend=backend, optimization_level=2, seed_transpiler=5)
    circuit = pass_manager.run(ry_circuit(Parameter("θ")))
    bits = AerSampler.from_backend(backend).run([(circuit, thetas)], shots=shots).result()[0].join_data()
    out = []
    for i in range(len(thetas)):
        counts = bits.get_int_counts(i)
        out.append({k: round(counts.get(k, 0) / bits.num_shots, 6) for k in (0, 1)})
    return out


def quasi_backend_sampler_reset(backend, thetas, shots):  # BackendSamplerV2, a reset first, numpy values
    circuit = QuantumCircuit(1)
    circuit.reset(0)
    circuit.ry(Parameter("θ"), 0)
    circuit.measure_all()
    bits = BackendSamplerV2(backend=backend).run([(isa(circuit, backend), thetas)], shots=shots).result()[0].data.meas
    return [{k: np.float64(n) / shots for k, n in bits[i].get_int_counts().items()} for i in range(len(thetas))]


@pytest.mark.parametrize(
    "answer",
    [dists(client_sampler), quasi_runtime_register_c_rows, quasi_aer_joined_rounded, quasi_backend_sampler_reset],
    ids=["client-seeded", "runtime-register-c-rows", "aer-joined-rounded", "backend-sampler-reset"],
)
def test_honest_quasi_dists_get_full_marks(answer):
    result = quasi(answer)
    assert (result.score, unmet(result)) == (3.0, set()), messages(result)


def test_string_keys_lose_only_the_int_keys_credit():
    result = quasi(dists(runtime_sampler, keys="str"))
    assert_fair(result, 2.5, {"int_keys"})
    assert "get_int_counts" in messages(result)


def test_calling_v2_the_v1_way_is_reported_as_an_error():
    def quasi_dists(backend, thetas, shots):
        circuit = isa(ry_circuit(Parameter("θ")), backend)
        job = client_sampler(backend).run([circuit] * len(thetas), [[t] for t in thetas], shots=shots)
        return job.result().quasi_dists

    result = quasi(quasi_dists)
    assert result.score == 0.0 and "runs" in unmet(result)


def test_one_job_per_angle_loses_only_the_one_pub_credit():
    def quasi_dists(backend, thetas, shots):
        sampler = runtime_sampler(backend)
        out = []
        for theta in thetas:
            bits = sampler.run([isa(ry_circuit(theta), backend)], shots=shots).result()[0].data.meas
            out.append({k: n / shots for k, n in bits.get_int_counts().items()})
        return out

    result = quasi(quasi_dists)
    assert_fair(result, 2.5, {"one_pub"})
    assert "Parameter" in messages(result)


def test_counts_instead_of_probabilities_fail_provenance_and_say_so():
    def quasi_dists(backend, thetas, shots):
        bits = runtime_sampler(backend).run([(isa(ry_circuit(Parameter("θ")), backend), thetas)], shots=shots)
        bits = bits.result()[0].data.meas
        return [bits[i].get_int_counts() for i in range(len(thetas))]

    result = quasi(quasi_dists)
    assert_fair(result, 0.0, {"provenance"})
    assert "counts, not probabilities" in messages(result)


def test_probabilities_rounded_to_two_decimals_fail_provenance_and_say_so():
    result = quasi(dists(runtime_sampler, digits=2))
    assert_fair(result, 0.0, {"provenance"})
    assert "rounded" in messages(result)


def test_the_default_shots_lose_only_the_shots_credit():
    def quasi_dists(backend, thetas, shots):
        bits = runtime_sampler(backend).run([(isa(ry_circuit(Parameter("θ")), backend), thetas)]).result()[0].data.meas
        return [{k: n / bits.num_shots for k, n in bits[i].get_int_counts().items()} for i in range(len(thetas))]

    result = quasi(quasi_dists)
    assert_fair(result, 2.5, {"exact_shots"})
    assert "shots=shots" in messages(result)


def test_half_the_angle_fails_the_circuit_with_the_odds_it_gives():
    result = quasi(dists(runtime_sampler, angle=lambda theta: theta / 2))
    assert_fair(result, 0.0, {"ry_circuit", "provenance", "exact_shots"})
    assert "without noise it gives" in messages(result)


def test_angles_swept_in_reverse_fail_the_circuit_with_an_order_message():
    result = quasi(dists(runtime_sampler, order=lambda thetas: thetas[::-1]))
    assert_fair(result, 0.0, {"ry_circuit", "provenance", "exact_shots"})
    assert "order of `thetas`" in messages(result)


def test_probabilities_from_backend_run_fail_the_legacy_gates():
    def quasi_dists(backend, thetas, shots):
        circuits = [isa(ry_circuit(theta), backend) for theta in thetas]
        counts = backend.run(circuits, shots=shots).result().get_counts()
        return [{int(k, 2): n / shots for k, n in c.items()} for c in counts]

    result = quasi(quasi_dists)
    assert result.score == 0.0
    assert {"reads_as_v2", "no_backend_run", "uses_v2_sampler"} <= unmet(result)


# v1_values(backend, theta): V1's [⟨ZZ⟩, ⟨XX⟩] from one estimator PUB.


def v1(function):
    return graded(EXERCISE, "v1_values", function)


def values(make_estimator, labels=("ZZ", "XX"), cx=True):
    def v1_values(backend, theta):
        circuit = QuantumCircuit(2)
        circuit.ry(theta, 0)
        if cx:
            circuit.cx(0, 1)
        circuit = isa(circuit, backend)
        observables = [SparsePauliOp(label).apply_layout(circuit.layout) for label in labels]
        return make_estimator(backend).run([(circuit, observables)]).result()[0].data.evs.tolist()

    return v1_values


def v1_runtime_array(backend, theta):  # unseeded EstimatorV2, the evs array as it comes
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    circuit.cx(0, 1)
    circuit = isa(circuit, backend)
    zz, xx = (SparsePauliOp(label).apply_layout(circuit.layout) for label in ("ZZ", "XX"))
    return runtime_estimator(backend).run([(circuit, [zz, xx])]).result()[0].data.evs


def v1_aer_rounded(backend, theta):
    return [round(value, 6) for value in values(AerEstimator.from_backend)(backend, theta)]


@pytest.mark.parametrize(
    "answer", [values(client_estimator), v1_runtime_array, v1_aer_rounded], ids=["client", "runtime-array", "aer"]
)
def test_honest_v1_values_get_full_marks(answer):
    result = v1(answer)
    assert (result.score, unmet(result)) == (2.0, set()), messages(result)


def test_swapped_observables_fail_with_an_order_message():
    result = v1(values(AerEstimator.from_backend, ("XX", "ZZ")))
    assert_fair(result, 0.0, {"right_observables", "provenance"})
    assert "order" in messages(result)


def test_a_missing_cx_fails_the_state_with_a_hint():
    result = v1(values(AerEstimator.from_backend, cx=False))
    assert_fair(result, 0.0, {"right_state", "right_observables", "provenance"})
    assert "not entangled" in messages(result)


def test_the_circuit_repeated_in_two_pubs_loses_only_the_one_pub_credit():
    def v1_values(backend, theta):
        circuit = QuantumCircuit(2)
        circuit.ry(theta, 0)
        circuit.cx(0, 1)
        circuit = isa(circuit, backend)
        zz, xx = (SparsePauliOp(label).apply_layout(circuit.layout) for label in ("ZZ", "XX"))
        result = runtime_estimator(backend).run([(circuit, zz), (circuit, xx)]).result()
        return [float(result[0].data.evs), float(result[1].data.evs)]

    result = v1(v1_values)
    assert_fair(result, 1.75, {"one_pub"})
    assert "appears once" in messages(result)


def test_a_v1_call_with_parallel_lists_is_reported_as_an_error():
    def v1_values(backend, theta):
        circuit = QuantumCircuit(2)
        circuit.ry(theta, 0)
        circuit.cx(0, 1)
        circuit = isa(circuit, backend)
        zz, xx = (SparsePauliOp(label).apply_layout(circuit.layout) for label in ("ZZ", "XX"))
        return runtime_estimator(backend).run([circuit, circuit], [zz, xx]).result().values.tolist()

    result = v1(v1_values)
    assert result.score == 0.0 and "runs" in unmet(result)


def test_ideal_values_returned_fail_provenance_without_an_accusation():
    def v1_values(backend, theta):
        values(AerEstimator.from_backend)(backend, theta)
        return [1.0, float(np.sin(theta))]

    result = v1(v1_values)
    assert_fair(result, 0.0, {"provenance"})


def test_an_untouched_stub_fails_with_a_message_not_a_crash():
    def quasi_dists(backend, thetas, shots):
        raise NotImplementedError

    result = quasi(quasi_dists)
    assert result.score == 0.0 and "runs" in unmet(result)
    assert "not written yet" in messages(result)
