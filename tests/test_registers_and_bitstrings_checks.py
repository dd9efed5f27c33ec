"""The registers-and-bitstrings checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import pytest
from answers import client_sampler, deprecated_sampler, failing_checks, isa
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter

from grader.notebook import check, run_checks

SEED = 61


def ghz(second_cx=True, registers=(("alpha", 1), ("beta", 2))):
    circuit = QuantumCircuit(QuantumRegister(3, "q"), *(ClassicalRegister(size, name) for name, size in registers))
    circuit.h(0)
    circuit.cx(0, 1)
    if second_cx:
        circuit.cx(0, 2)
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


failed_ids = failing_checks("registers-and-bitstrings")


@pytest.mark.parametrize("make_sampler", [client_sampler, deprecated_sampler])
def test_joined_counts_from_join_data_pass(make_sampler):
    def joined_counts(backend, shots):
        result = make_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()
        return result[0].join_data().get_counts()

    assert failed_ids(joined_counts) == set()


def test_joined_counts_from_backend_run_fail():
    def joined_counts(backend, shots):
        counts = backend.run(isa(ghz(), backend), shots=shots, seed_simulator=SEED).result().get_counts()
        return {key.replace(" ", ""): n for key, n in counts.items()}

    assert failed_ids(joined_counts) == {"joined_counts.no_backend_run", "joined_counts.uses_v2_sampler"}


def test_joined_counts_with_registers_swapped_in_the_key_fail_provenance():
    def joined_counts(backend, shots):
        data = client_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()[0].data
        shots_as_strings = zip(data.alpha.get_bitstrings(), data.beta.get_bitstrings(), strict=True)
        joined = {}
        for a, b in shots_as_strings:
            joined[a + b] = joined.get(a + b, 0) + 1  # alpha on the left: the wrong order
        return joined

    results = {r.id: r for r in run_checks("registers-and-bitstrings", joined_counts)}
    assert {i for i, r in results.items() if not r.passed} == {"joined_counts.provenance"}
    assert "`beta` on the left" in results["joined_counts.provenance"].message


def test_joined_counts_typed_in_fail_provenance():
    def joined_counts(backend, shots):
        client_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()
        return {"000": shots // 2, "111": shots - shots // 2}

    assert failed_ids(joined_counts) == {"joined_counts.provenance"}


def test_joined_counts_without_the_second_cx_fail_the_ghz_check():
    def joined_counts(backend, shots):
        result = client_sampler(backend).run([isa(ghz(second_cx=False), backend)], shots=shots).result()
        return result[0].join_data().get_counts()

    results = {r.id: r for r in run_checks("registers-and-bitstrings", joined_counts)}
    assert {i for i, r in results.items() if not r.passed} == {"joined_counts.ghz_state"}
    assert "not as a GHZ state" in results["joined_counts.ghz_state"].message


def test_joined_counts_with_one_register_fail_the_register_check():
    def joined_counts(backend, shots):
        circuit = ghz(registers=(("c", 3),))
        return client_sampler(backend).run([isa(circuit, backend)], shots=shots).result()[0].data.c.get_counts()

    assert failed_ids(joined_counts) == {"joined_counts.two_registers"}


def register_counts_solution(make_sampler):
    def register_counts(backend, shots):
        data = make_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()[0].data
        return {"alpha": data.alpha.get_counts(), "beta": data["beta"].get_counts()}

    return register_counts


@pytest.mark.parametrize("make_sampler", [client_sampler, deprecated_sampler])
def test_register_counts_read_by_name_pass(make_sampler):
    assert failed_ids(register_counts_solution(make_sampler)) == set()


def test_register_counts_with_registers_swapped_fail():
    def register_counts(backend, shots):
        data = client_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()[0].data
        return {"alpha": data.beta.get_counts(), "beta": data.alpha.get_counts()}

    assert failed_ids(register_counts) == {"register_counts.returns_registers"}


def test_register_counts_with_an_edited_count_fail_provenance():
    def register_counts(backend, shots):
        data = client_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()[0].data
        beta = data.beta.get_counts()
        noise = beta.pop("01", 0) + beta.pop("10", 0)
        beta["00"] += noise  # "cleaning up" the noise by hand
        return {"alpha": data.alpha.get_counts(), "beta": beta}

    results = {r.id: r for r in run_checks("registers-and-bitstrings", register_counts)}
    assert {i for i, r in results.items() if not r.passed} == {"register_counts.provenance"}
    assert "'beta'" in results["register_counts.provenance"].message


def test_register_counts_of_a_product_state_fail_the_ghz_check():
    def register_counts(backend, shots):
        circuit = QuantumCircuit(QuantumRegister(3), ClassicalRegister(1, "alpha"), ClassicalRegister(2, "beta"))
        circuit.h([0, 1])
        circuit.cx(1, 2)  # beta is '00' or '11' and alpha a coin, but the registers are independent
        circuit.measure([0, 1, 2], [0, 1, 2])
        data = client_sampler(backend).run([isa(circuit, backend)], shots=shots).result()[0].data
        return {"alpha": data.alpha.get_counts(), "beta": data.beta.get_counts()}

    assert failed_ids(register_counts) == {"register_counts.ghz_state"}


def test_register_counts_from_two_jobs_fail_the_one_job_check():
    def register_counts(backend, shots):
        sampler = client_sampler(backend)
        alpha = sampler.run([isa(ghz(), backend)], shots=shots).result()[0].data.alpha.get_counts()
        beta = sampler.run([isa(ghz(), backend)], shots=shots).result()[0].data.beta.get_counts()
        return {"alpha": alpha, "beta": beta}

    assert failed_ids(register_counts) == {"register_counts.uses_v2_sampler"}


def rotation():
    theta = Parameter("θ")
    circuit = QuantumCircuit(1)
    circuit.ry(theta, 0)
    circuit.measure_all()
    return circuit


@pytest.mark.parametrize("make_sampler", [client_sampler, deprecated_sampler])
def test_sweep_probabilities_from_one_pub_pass(make_sampler):
    def sweep_probabilities(backend, thetas, shots):
        bits = make_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=shots).result()[0].data.meas
        return [bits.get_counts(i).get("1", 0) / shots for i in range(len(thetas))]

    assert failed_ids(sweep_probabilities) == set()


def test_sweep_probabilities_of_zero_fail_provenance():
    def sweep_probabilities(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=shots).result()[0].data.meas
        return [bits.get_counts(i).get("0", 0) / shots for i in range(len(thetas))]

    assert failed_ids(sweep_probabilities) == {"sweep_probabilities.provenance"}


def test_sweep_probabilities_rounded_fail_provenance():
    def sweep_probabilities(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=shots).result()[0].data.meas
        return [round(bits.get_counts(i).get("1", 0) / shots, 2) for i in range(len(thetas))]

    assert failed_ids(sweep_probabilities) == {"sweep_probabilities.provenance"}


def test_sweep_probabilities_from_summed_counts_fail():
    def sweep_probabilities(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=shots).result()[0].data.meas
        summed = bits.get_counts()  # every angle added together: the pitfall of the chapter
        return [summed.get("1", 0) / (shots * len(thetas))] * len(thetas)

    assert failed_ids(sweep_probabilities) == {"sweep_probabilities.provenance"}


def test_sweep_probabilities_one_job_per_angle_fail():
    def sweep_probabilities(backend, thetas, shots):
        out = []
        for value in thetas:
            circuit = rotation().assign_parameters([value])
            bits = client_sampler(backend).run([isa(circuit, backend)], shots=shots).result()[0].data.meas
            out.append(bits.get_counts().get("1", 0) / shots)
        return out

    assert failed_ids(sweep_probabilities) == {"sweep_probabilities.uses_v2_sampler"}


def test_sweep_probabilities_with_angles_reversed_in_the_pub_fail():
    def sweep_probabilities(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(rotation(), backend), thetas[::-1])], shots=shots).result()
        counts = bits[0].data.meas
        return [counts.get_counts(i).get("1", 0) / shots for i in reversed(range(len(thetas)))]

    assert failed_ids(sweep_probabilities) == {"sweep_probabilities.one_pub"}


def test_untouched_stub_fails_with_a_message_not_a_crash():
    def joined_counts(backend, shots):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        check("registers-and-bitstrings", joined_counts)
