"""The registers-and-bitstrings rubric on real answers, graded in-process as a check cell grades them.

Honest styles must get full marks; each wrong answer must lose exactly what the rubric takes for its mistake.
"""

from __future__ import annotations

import pytest
from answers import aer_sampler, client_sampler, deprecated_sampler, graded, isa
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.primitives import BackendSamplerV2
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime.executor_sampler import Sampler

from grader.exercises import load_exercise
from grader.notebook import card_text, check

EXERCISE = "registers-and-bitstrings"
ACCUSING = ("typed", "typing", "edit", "cheat", "forged", "tamper")


def grade(name, function):
    return graded(EXERCISE, name, function)


def message(result, requirement):
    return next(c.message for c in result.checks if c.id.endswith("." + requirement))


def assert_full_marks(result):
    assert result.score == result.max_score == 2.0, card_text(result)


def failed(result):
    """The requirements checked and not met (those a failed gate kept from being checked are left out)."""
    return {c.id.split(".", 1)[1] for c in result.checks if not c.passed and c.evaluated}


def assert_lost(result, requirements, score):
    assert failed(result) == set(requirements), card_text(result)
    assert result.score == score, card_text(result)
    for check_result in result.checks:
        if not check_result.passed:
            assert not any(word in check_result.message.lower() for word in ACCUSING), check_result.message


def ghz(second_cx=True, registers=(("alpha", 1), ("beta", 2)), first="h", barrier=False, reset=False):
    circuit = QuantumCircuit(QuantumRegister(3, "q"), *(ClassicalRegister(size, name) for name, size in registers))
    if reset:
        circuit.reset([0, 1, 2])
    if first == "h":
        circuit.h(0)
    else:
        circuit.x(0)
    circuit.cx(0, 1)
    if second_cx:
        circuit.cx(0, 2)
    if barrier:
        circuit.barrier()
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


def unseeded(backend):
    return Sampler(mode=backend)


def laid_out(circuit, backend):
    """Another layout: a different transpiler seed."""
    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=5).run(circuit)


# joined_counts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make_sampler", [client_sampler, deprecated_sampler, aer_sampler, unseeded])
def test_joined_counts_from_join_data_get_full_marks(make_sampler):
    def joined_counts(backend, shots):
        result = make_sampler(backend).run([isa(ghz(barrier=True), backend)], shots=shots).result()
        return result[0].join_data().get_counts()

    assert_full_marks(grade("joined_counts", joined_counts))


def test_joined_counts_glued_by_hand_beta_first_get_full_marks():
    def joined_counts(backend, shots):
        circuit = laid_out(ghz(reset=True), backend)
        data = client_sampler(backend).run([circuit], shots=shots).result()[0].data
        joined = {}
        for a, b in zip(data.alpha.get_bitstrings(), data.beta.get_bitstrings(), strict=True):
            joined[b + a] = joined.get(b + a, 0) + 1
        return joined

    assert_full_marks(grade("joined_counts", joined_counts))


def test_joined_counts_from_backend_run_get_nothing():
    def joined_counts(backend, shots):
        counts = backend.run(isa(ghz(), backend), shots=shots).result().get_counts()
        return {key.replace(" ", ""): n for key, n in counts.items()}

    result = grade("joined_counts", joined_counts)
    assert {"reads_as_v2", "no_backend_run", "uses_v2_sampler"} <= failed(result)
    assert result.score == 0


def test_joined_counts_with_alpha_on_the_left_lose_provenance():
    def joined_counts(backend, shots):
        data = client_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()[0].data
        joined = {}
        for a, b in zip(data.alpha.get_bitstrings(), data.beta.get_bitstrings(), strict=True):
            joined[a + b] = joined.get(a + b, 0) + 1
        return joined

    result = grade("joined_counts", joined_counts)
    assert_lost(result, {"provenance"}, 0)
    assert "`beta`, on the left" in message(result, "provenance")


def test_joined_counts_typed_in_lose_provenance():
    def joined_counts(backend, shots):
        client_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()
        return {"000": shots // 2, "111": shots - shots // 2}

    result = grade("joined_counts", joined_counts)
    assert_lost(result, {"provenance"}, 0)
    assert "replays your job" in message(result, "provenance")


def test_joined_counts_of_one_register_lose_provenance():
    def joined_counts(backend, shots):
        data = client_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()[0].data
        return data.beta.get_counts()

    result = grade("joined_counts", joined_counts)
    assert_lost(result, {"provenance"}, 0)
    assert "`beta` alone" in message(result, "provenance")


def test_joined_counts_without_the_second_cx_lose_the_ghz_gate_with_a_hint_that_fits():
    def joined_counts(backend, shots):
        result = client_sampler(backend).run([isa(ghz(second_cx=False), backend)], shots=shots).result()
        return result[0].join_data().get_counts()

    result = grade("joined_counts", joined_counts)
    assert_lost(result, {"ghz_state"}, 0)
    assert "`beta[1]` always reads 0" in message(result, "ghz_state")


def test_joined_counts_with_x_for_h_lose_the_ghz_gate():
    def joined_counts(backend, shots):
        result = client_sampler(backend).run([isa(ghz(first="x"), backend)], shots=shots).result()
        return result[0].join_data().get_counts()

    result = grade("joined_counts", joined_counts)
    assert_lost(result, {"ghz_state"}, 0)
    assert "'111'" in message(result, "ghz_state") and "not X" in message(result, "ghz_state")


def test_joined_counts_with_one_register_lose_the_register_gate():
    def joined_counts(backend, shots):
        circuit = ghz(registers=(("c", 3),))
        return client_sampler(backend).run([isa(circuit, backend)], shots=shots).result()[0].data.c.get_counts()

    result = grade("joined_counts", joined_counts)
    assert_lost(result, {"two_registers"}, 0)
    assert "`c` (3 bits)" in message(result, "two_registers")


def test_joined_counts_with_wrong_shots_and_no_transpiling_lose_only_those_credits():
    def joined_counts(backend, shots):
        sampler = BackendSamplerV2(backend=backend, options={"seed_simulator": 5})  # it accepts circuits as they are
        return sampler.run([ghz()], shots=1024).result()[0].join_data().get_counts()

    result = grade("joined_counts", joined_counts)
    assert_lost(result, {"exact_shots", "isa_circuit"}, 1.5)
    assert "ran 1024 shots" in message(result, "exact_shots")
    assert "preset pass manager" in message(result, "isa_circuit")


# register_counts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make_sampler", [client_sampler, deprecated_sampler, aer_sampler])
def test_register_counts_read_by_name_get_full_marks(make_sampler):
    def register_counts(backend, shots):
        data = make_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()[0].data
        return {"alpha": data.alpha.get_counts(), "beta": data["beta"].get_counts()}

    assert_full_marks(grade("register_counts", register_counts))


def test_register_counts_with_beta_measured_in_reverse_and_put_back_get_full_marks():
    def register_counts(backend, shots):
        alpha, beta = ClassicalRegister(1, "alpha"), ClassicalRegister(2, "beta")
        circuit = QuantumCircuit(QuantumRegister(3), beta, alpha)  # registers in the other order are fine here
        circuit.h(0)
        circuit.cx(0, [1, 2])
        circuit.measure(0, alpha[0])
        circuit.measure([2, 1], beta)  # qubit 2 into beta[0]: each key read backwards
        data = client_sampler(backend).run([laid_out(circuit, backend)], shots=shots).result()[0].data
        reversed_keys = {}
        for key, n in data.beta.get_counts().items():
            reversed_keys[key[::-1]] = reversed_keys.get(key[::-1], 0) + n
        return {"alpha": data.alpha.get_counts(), "beta": reversed_keys}

    assert_full_marks(grade("register_counts", register_counts))


def test_register_counts_swapped_lose_provenance_and_say_so():
    def register_counts(backend, shots):
        data = client_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()[0].data
        return {"alpha": data.beta.get_counts(), "beta": data.alpha.get_counts()}

    result = grade("register_counts", register_counts)
    assert_lost(result, {"provenance"}, 0)
    assert "Under 'alpha' you returned the counts of `beta`" in message(result, "provenance")


def test_register_counts_cleaned_by_hand_lose_provenance():
    def register_counts(backend, shots):
        data = client_sampler(backend).run([isa(ghz(), backend)], shots=shots).result()[0].data
        beta = data.beta.get_counts()
        beta["00"] = beta.get("00", 0) + beta.pop("01", 0) + beta.pop("10", 0)
        return {"alpha": data.alpha.get_counts(), "beta": beta}

    result = grade("register_counts", register_counts)
    assert_lost(result, {"provenance"}, 0)
    assert "under 'beta'" in message(result, "provenance")


def test_register_counts_of_a_product_state_lose_the_ghz_gate():
    def register_counts(backend, shots):
        circuit = QuantumCircuit(QuantumRegister(3), ClassicalRegister(1, "alpha"), ClassicalRegister(2, "beta"))
        circuit.h([0, 1])
        circuit.cx(1, 2)  # beta is '00' or '11' and alpha a coin, but the registers are independent
        circuit.measure([0, 1, 2], [0, 1, 2])
        data = client_sampler(backend).run([isa(circuit, backend)], shots=shots).result()[0].data
        return {"alpha": data.alpha.get_counts(), "beta": data.beta.get_counts()}

    result = grade("register_counts", register_counts)
    assert_lost(result, {"ghz_state"}, 0)
    assert "not as a GHZ state" in message(result, "ghz_state")


def test_register_counts_from_two_jobs_lose_the_one_job_gate():
    def register_counts(backend, shots):
        sampler = client_sampler(backend)
        alpha = sampler.run([isa(ghz(), backend)], shots=shots).result()[0].data.alpha.get_counts()
        beta = sampler.run([isa(ghz(), backend)], shots=shots).result()[0].data.beta.get_counts()
        return {"alpha": alpha, "beta": beta}

    result = grade("register_counts", register_counts)
    assert_lost(result, {"uses_v2_sampler"}, 0)
    assert "2 sampler jobs ran" in message(result, "uses_v2_sampler")


# sweep_probabilities --------------------------------------------------------------------------------------------


def rotation(gate="ry"):
    theta = Parameter("θ")
    circuit = QuantumCircuit(1)
    if gate == "ry":
        circuit.ry(theta, 0)
    else:
        circuit.rx(theta, 0)
    circuit.measure_all()
    return circuit


@pytest.mark.parametrize("make_sampler", [client_sampler, deprecated_sampler, aer_sampler, unseeded])
def test_sweep_probabilities_from_one_pub_get_full_marks(make_sampler):
    def sweep_probabilities(backend, thetas, shots):
        bits = make_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=shots).result()[0].data.meas
        return [bits.get_counts(i).get("1", 0) / shots for i in range(len(thetas))]

    assert_full_marks(grade("sweep_probabilities", sweep_probabilities))


def test_sweep_probabilities_as_numpy_floats_rounded_to_6_decimals_get_full_marks():
    def sweep_probabilities(backend, thetas, shots):
        bits = client_sampler(backend).run([(laid_out(rotation(), backend), thetas)], shots=shots).result()[0].data
        ones = bits.meas.bitcount()  # numpy: the number of 1s in each shot, one row per angle
        return [round(p, 6) for p in (ones.mean(axis=-1))]

    assert_full_marks(grade("sweep_probabilities", sweep_probabilities))


def test_sweep_probabilities_of_zero_lose_provenance_and_say_so():
    def sweep_probabilities(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=shots).result()[0].data.meas
        return [bits.get_counts(i).get("0", 0) / shots for i in range(len(thetas))]

    result = grade("sweep_probabilities", sweep_probabilities)
    assert_lost(result, {"provenance"}, 0)
    assert "These are P('0')" in message(result, "provenance")


def test_sweep_probabilities_rounded_to_2_decimals_lose_provenance_with_the_reason():
    def sweep_probabilities(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=shots).result()[0].data.meas
        return [round(bits.get_counts(i).get("1", 0) / shots, 2) for i in range(len(thetas))]

    result = grade("sweep_probabilities", sweep_probabilities)
    assert_lost(result, {"provenance"}, 0)
    assert "rounded" in message(result, "provenance")


def test_sweep_probabilities_from_summed_counts_lose_provenance_with_the_pitfall_named():
    def sweep_probabilities(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=shots).result()[0].data.meas
        summed = bits.get_counts()  # every angle added together: the pitfall of the chapter
        return [summed.get("1", 0) / (shots * len(thetas))] * len(thetas)

    result = grade("sweep_probabilities", sweep_probabilities)
    assert_lost(result, {"provenance"}, 0)
    assert "without an index" in message(result, "provenance")


def test_sweep_probabilities_in_sorted_order_lose_provenance():
    def sweep_probabilities(backend, thetas, shots):
        ordered = sorted(thetas)
        bits = client_sampler(backend).run([(isa(rotation(), backend), ordered)], shots=shots).result()[0].data.meas
        return [bits.get_counts(i).get("1", 0) / shots for i in range(len(ordered))]

    result = grade("sweep_probabilities", sweep_probabilities)
    assert_lost(result, {"provenance"}, 0)
    assert "not in the order of `thetas`" in message(result, "provenance")


def test_sweep_probabilities_with_rx_for_ry_lose_the_circuit_gate():
    def sweep_probabilities(backend, thetas, shots):
        circuit = isa(rotation("rx"), backend)
        bits = client_sampler(backend).run([(circuit, thetas)], shots=shots).result()[0].data.meas
        return [bits.get_counts(i).get("1", 0) / shots for i in range(len(thetas))]

    result = grade("sweep_probabilities", sweep_probabilities)
    assert_lost(result, {"ry_circuit"}, 0)
    assert "RX instead of RY" in message(result, "ry_circuit")


def test_sweep_probabilities_one_job_per_angle_lose_the_one_job_gate():
    def sweep_probabilities(backend, thetas, shots):
        out = []
        for value in thetas:
            circuit = rotation().assign_parameters([value])
            bits = client_sampler(backend).run([isa(circuit, backend)], shots=shots).result()[0].data.meas
            out.append(bits.get_counts().get("1", 0) / shots)
        return out

    assert_lost(grade("sweep_probabilities", sweep_probabilities), {"uses_v2_sampler"}, 0)


def test_sweep_probabilities_of_bound_circuits_in_one_job_lose_only_the_one_pub_credit():
    def sweep_probabilities(backend, thetas, shots):
        circuits = [isa(rotation().assign_parameters([value]), backend) for value in thetas]
        result = client_sampler(backend).run(circuits, shots=shots).result()
        return [result[i].data.meas.get_counts().get("1", 0) / shots for i in range(len(thetas))]

    result = grade("sweep_probabilities", sweep_probabilities)
    assert_lost(result, {"one_pub"}, 1.5)


def test_sweep_probabilities_with_wrong_shots_lose_the_shots_credit_only_when_divided_consistently():
    def sweep_probabilities(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=1000).result()[0].data.meas
        return [bits.get_counts(i).get("1", 0) / 1000 for i in range(len(thetas))]

    result = grade("sweep_probabilities", sweep_probabilities)
    assert_lost(result, {"exact_shots"}, 1.75)

    def divided_by_the_argument(backend, thetas, shots):
        bits = client_sampler(backend).run([(isa(rotation(), backend), thetas)], shots=1000).result()[0].data.meas
        return [bits.get_counts(i).get("1", 0) / shots for i in range(len(thetas))]

    result = grade("sweep_probabilities", divided_by_the_argument)
    assert_lost(result, {"exact_shots", "provenance"}, 0)
    assert "ran 1000 shots per angle" in message(result, "provenance")


def test_untouched_stub_fails_with_a_message_not_a_crash():
    def joined_counts(backend, shots):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        check(EXERCISE, joined_counts)


def test_every_task_keeps_its_two_points():
    spec = load_exercise(EXERCISE)
    assert [(t.name, float(t.points)) for t in spec.tasks] == [
        ("joined_counts", 2.0),
        ("register_counts", 2.0),
        ("sweep_probabilities", 2.0),
    ]
