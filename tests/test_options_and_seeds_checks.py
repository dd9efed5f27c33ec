"""The options-and-seeds rubric on real answers, graded in-process as a check cell grades them.

Honest styles must get full marks; each wrong answer must lose exactly what the rubric takes for its mistake.
"""

from __future__ import annotations

import warnings

import pytest
from answers import bell, graded, isa
from pydantic import ValidationError
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit.classical import expr
from qiskit.primitives import BackendSamplerV2
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer.noise import NoiseModel, ReadoutError
from qiskit_aer.primitives import SamplerV2 as AerSamplerV2
from qiskit_ibm_runtime import SamplerV2
from qiskit_ibm_runtime.executor_sampler import Sampler
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from grader.exercises import load_exercise
from grader.exercises.options_and_seeds import block_isa_problem, validated_options
from grader.judge.sampling import exact_outcomes
from grader.notebook import card_text, check

EXERCISE = "options-and-seeds"
SEED = 83
ACCUSING = ("typed", "typing", "edit", "cheat", "forged", "tamper")
GOOD_OPTIONS = {
    "default_shots": 3000,
    "simulator": {"seed_simulator": 11},
    "dynamical_decoupling": {"enable": True, "sequence_type": "XY4"},
}


def grade(name, function):
    return graded(EXERCISE, name, function)


def message(result, requirement):
    return next(c.message for c in result.checks if c.id.endswith("." + requirement))


def failed(result):
    """The requirements checked and not met (those a failed gate kept from being checked are left out)."""
    return {c.id.split(".", 1)[1] for c in result.checks if not c.passed and c.evaluated}


def assert_full_marks(result):
    assert result.score == result.max_score and failed(result) == set(), card_text(result)


def assert_lost(result, requirements, score):
    assert failed(result) == set(requirements), card_text(result)
    assert result.score == score, card_text(result)
    for check_result in result.checks:
        if not check_result.passed:
            assert not any(word in check_result.message.lower() for word in ACCUSING), check_result.message


def sampler_v2(backend, options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return SamplerV2(mode=backend, options=options)


def laid_out(circuit, backend):
    """Another layout: a different transpiler seed."""
    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=5).run(circuit)


# seeded_counts --------------------------------------------------------------------------------------------------


def test_seed_in_the_client_side_constructor_dict_gets_full_marks():
    def seeded_counts(backend, shots, seed):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": seed}})
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    assert_full_marks(grade("seeded_counts", seeded_counts))


def test_seed_as_an_attribute_of_the_deprecated_sampler_with_default_shots_gets_full_marks():
    def seeded_counts(backend, shots, seed):
        sampler = sampler_v2(backend, None)
        sampler.options.simulator.seed_simulator = seed
        sampler.options.default_shots = shots
        circuit = QuantumCircuit(2)
        circuit.reset([0, 1])
        circuit.h(0)
        circuit.cx(0, 1)
        circuit.measure_all()
        return sampler.run([laid_out(circuit, backend)]).result()[0].data.meas.get_counts()

    assert_full_marks(grade("seeded_counts", seeded_counts))


@pytest.mark.parametrize("kind", ["aer", "backend-sampler"])
def test_seed_of_other_v2_samplers_gets_full_marks(kind):
    def seeded_counts(backend, shots, seed):
        if kind == "aer":
            sampler = AerSamplerV2.from_backend(backend, seed=seed)
        else:
            sampler = BackendSamplerV2(backend=backend, options={"seed_simulator": seed})
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    assert_full_marks(grade("seeded_counts", seeded_counts))


def test_unseeded_sampler_loses_only_the_seed_credit():
    def seeded_counts(backend, shots, seed):
        sampler = Sampler(mode=backend)
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    result = grade("seeded_counts", seeded_counts)
    assert_lost(result, {"seed_option"}, 1.5)
    assert "without a simulator seed of yours" in message(result, "seed_option")


def test_a_constant_seed_instead_of_the_argument_loses_only_the_seed_credit():
    def seeded_counts(backend, shots, seed):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    result = grade("seeded_counts", seeded_counts)
    assert_lost(result, {"seed_option"}, 1.5)
    assert f"seed is {SEED}" in message(result, "seed_option") and "use the argument" in message(result, "seed_option")


def test_seeded_counts_from_backend_run_get_nothing():
    def seeded_counts(backend, shots, seed):
        return backend.run(isa(bell(), backend), shots=shots, seed_simulator=seed).result().get_counts()

    result = grade("seeded_counts", seeded_counts)
    assert {"reads_as_v2", "no_backend_run", "uses_v2_sampler"} <= failed(result)
    assert result.score == 0


def test_typed_in_counts_lose_provenance():
    def seeded_counts(backend, shots, seed):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": seed}})
        sampler.run([isa(bell(), backend)], shots=shots).result()
        return {"00": shots // 2, "11": shots - shots // 2}

    result = grade("seeded_counts", seeded_counts)
    assert_lost(result, {"provenance"}, 0)


def test_counts_of_a_second_run_with_another_seed_lose_provenance():
    def seeded_counts(backend, shots, seed):
        circuit = isa(bell(), backend)
        Sampler(mode=backend, options={"simulator": {"seed_simulator": seed}}).run([circuit], shots=shots).result()
        # a home-made "honest" sample: another sampler's counts, never submitted as this task's job
        other = Sampler(mode=backend, options={"simulator": {"seed_simulator": seed + 1}})
        return other.run([circuit], shots=shots).result()[0].data.meas.get_counts()

    result = grade("seeded_counts", seeded_counts)
    assert_lost(result, {"uses_v2_sampler"}, 0)
    assert "2 sampler jobs ran" in message(result, "uses_v2_sampler")


def test_a_noise_model_of_ones_own_cannot_be_replayed_and_the_message_says_what_to_leave_alone():
    def seeded_counts(backend, shots, seed):
        readout = NoiseModel()
        readout.add_all_qubit_readout_error(ReadoutError([[0.8, 0.2], [0.2, 0.8]]))
        sampler = sampler_v2(backend, {"simulator": {"seed_simulator": seed, "noise_model": readout}})
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    result = grade("seeded_counts", seeded_counts)
    assert_lost(result, {"provenance", "seed_option"}, 0)
    assert "noise model as it is" in message(result, "provenance")
    assert "could not be read" in message(result, "seed_option")


def test_missing_cx_loses_the_bell_gate():
    def seeded_counts(backend, shots, seed):
        circuit = QuantumCircuit(2)
        circuit.h(0)
        circuit.measure_all()
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": seed}})
        return sampler.run([isa(circuit, backend)], shots=shots).result()[0].data.meas.get_counts()

    result = grade("seeded_counts", seeded_counts)
    assert_lost(result, {"bell_state"}, 0)
    assert "bit 1 always reads 0" in message(result, "bell_state")


def test_wrong_shots_lose_only_the_shots_credit():
    def seeded_counts(backend, shots, seed):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": seed}})
        return sampler.run([isa(bell(), backend)], shots=1024).result()[0].data.meas.get_counts()

    result = grade("seeded_counts", seeded_counts)
    assert_lost(result, {"exact_shots"}, 1.75)
    assert "ran 1024 shots" in message(result, "exact_shots")


# dynamic_reset --------------------------------------------------------------------------------------------------


def dynamic_circuit(with_if_test=True, flip_first=True, reset_instead=False, as_expression=False):
    mid, final = ClassicalRegister(1, "mid"), ClassicalRegister(1, "final")
    circuit = QuantumCircuit(QuantumRegister(1, "q"), mid, final)
    if flip_first:
        circuit.x(0)
    circuit.measure(0, mid[0])
    if reset_instead:
        circuit.reset(0)
    elif with_if_test:
        with circuit.if_test(expr.equal(mid, 1) if as_expression else (mid, 1)):
            circuit.x(0)
    circuit.measure(0, final[0])
    return circuit


@pytest.mark.parametrize("kind", ["client-side", "deprecated", "aer", "unseeded"])
def test_dynamic_reset_with_if_test_gets_full_marks(kind):
    def dynamic_reset(backend, shots):
        options = {"simulator": {"seed_simulator": SEED}}
        if kind == "client-side":
            sampler = Sampler(mode=backend, options=options)
        elif kind == "deprecated":
            sampler = sampler_v2(backend, options)
        elif kind == "aer":
            sampler = AerSamplerV2.from_backend(backend, seed=SEED)
        else:
            sampler = Sampler(mode=backend)
        return sampler.run([isa(dynamic_circuit(), backend)], shots=shots).result()[0].data.final.get_counts()

    assert_full_marks(grade("dynamic_reset", dynamic_reset))


def test_dynamic_reset_with_the_condition_as_an_expression_on_another_layout_gets_full_marks():
    def dynamic_reset(backend, shots):
        circuit = laid_out(dynamic_circuit(as_expression=True), backend)
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return sampler.run([circuit], shots=shots).result()[0].data.final.get_counts()

    assert_full_marks(grade("dynamic_reset", dynamic_reset))


def test_one_shot_moved_in_the_dynamic_circuits_counts_loses_provenance():
    """The replay decides provenance for a dynamic circuit too: counts one shot away from the job's do not pass."""

    def dynamic_reset(backend, shots):
        circuit = isa(dynamic_circuit(), backend)
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        counts = sampler.run([circuit], shots=shots).result()[0].data.final.get_counts()
        moved = min(counts.get("1", 0), 1) or -1  # one shot moved from '1' to '0', or the other way
        return {"0": counts.get("0", 0) + moved, "1": counts.get("1", 0) - moved}

    result = grade("dynamic_reset", dynamic_reset)
    assert_lost(result, {"provenance"}, 0)
    assert "replays your job" in message(result, "provenance")


def test_dynamic_reset_without_the_condition_loses_the_exact_gates():
    def dynamic_reset(backend, shots):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        circuit = isa(dynamic_circuit(with_if_test=False), backend)
        return sampler.run([circuit], shots=shots).result()[0].data.final.get_counts()

    result = grade("dynamic_reset", dynamic_reset)
    assert_lost(result, {"uses_if_test", "noiseless_reset"}, 0)
    assert "c_if" in message(result, "uses_if_test")
    assert "`final` reads 1 with probability 1" in message(result, "noiseless_reset")


def test_dynamic_reset_with_a_reset_instead_of_if_test_loses_the_if_test_gate():
    def dynamic_reset(backend, shots):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        circuit = isa(dynamic_circuit(reset_instead=True), backend)
        return sampler.run([circuit], shots=shots).result()[0].data.final.get_counts()

    assert_lost(grade("dynamic_reset", dynamic_reset), {"uses_if_test"}, 0)


def test_dynamic_reset_without_the_first_x_loses_the_noiseless_gate():
    def dynamic_reset(backend, shots):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        circuit = isa(dynamic_circuit(flip_first=False), backend)
        return sampler.run([circuit], shots=shots).result()[0].data.final.get_counts()

    result = grade("dynamic_reset", dynamic_reset)
    assert_lost(result, {"noiseless_reset"}, 0)
    assert "`mid` reads 1 with probability 0" in message(result, "noiseless_reset")


def test_dynamic_reset_returning_mid_loses_provenance_and_says_so():
    def dynamic_reset(backend, shots):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return sampler.run([isa(dynamic_circuit(), backend)], shots=shots).result()[0].data.mid.get_counts()

    result = grade("dynamic_reset", dynamic_reset)
    assert_lost(result, {"provenance"}, 0)
    assert "counts of `mid`" in message(result, "provenance")


def test_dynamic_reset_with_backend_run_gets_nothing():
    def dynamic_reset(backend, shots):
        counts = backend.run(isa(dynamic_circuit(), backend), shots=shots).result().get_counts()
        final = {}
        for key, n in counts.items():
            final[key.split()[0]] = final.get(key.split()[0], 0) + n
        return final

    result = grade("dynamic_reset", dynamic_reset)
    assert {"reads_as_v2", "no_backend_run", "uses_v2_sampler"} <= failed(result)
    assert result.score == 0


def test_dynamic_reset_typed_in_loses_provenance():
    def dynamic_reset(backend, shots):
        Sampler(mode=backend).run([isa(dynamic_circuit(), backend)], shots=shots).result()
        return {"0": shots}

    assert_lost(grade("dynamic_reset", dynamic_reset), {"provenance"}, 0)


def test_dynamic_reset_with_wrong_shots_loses_only_the_shots_credit():
    def dynamic_reset(backend, shots):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return sampler.run([isa(dynamic_circuit(), backend)], shots=500).result()[0].data.final.get_counts()

    assert_lost(grade("dynamic_reset", dynamic_reset), {"exact_shots"}, 1.75)


def test_the_exact_simulation_follows_every_branch():
    hadamard = QuantumCircuit(QuantumRegister(1), ClassicalRegister(1, "mid"), ClassicalRegister(1, "final"))
    hadamard.h(0)
    hadamard.measure(0, 0)
    with hadamard.if_test((hadamard.cregs[0], 1)):
        hadamard.x(0)
    hadamard.measure(0, 1)
    assert exact_outcomes(hadamard) == pytest.approx({"00": 0.5, "01": 0.5})
    assert exact_outcomes(dynamic_circuit()) == {"01": 1.0}
    assert exact_outcomes(isa(dynamic_circuit(), FakeManilaV2())) == {"01": 1.0}


def test_a_gate_the_backend_lacks_inside_the_if_test_block_is_not_isa():
    backend = FakeManilaV2()
    circuit = dynamic_circuit()
    with circuit.if_test((circuit.cregs[0], 0)):
        circuit.h(0)
    problem = block_isa_problem(circuit, list(range(circuit.num_qubits)), backend)
    assert problem and "`h`" in problem
    transpiled = isa(circuit, backend)
    assert block_isa_problem(transpiled, list(range(transpiled.num_qubits)), backend) is None


# options_dict ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        GOOD_OPTIONS,
        {**GOOD_OPTIONS, "twirling": {"enable_gates": False}, "default_shots": 3000.0},
    ],
)
def test_nested_options_dict_gets_full_marks(options):
    def options_dict():
        return options

    assert_full_marks(grade("options_dict", options_dict))


@pytest.mark.parametrize(
    "flat",
    [
        {"shots": 3000, "seed_simulator": 11, "enable": True, "sequence_type": "XY4"},
        {"default_shots": 3000, "simulator": {"seed_simulator": 11}, "enable": True, "sequence_type": "XY4"},
    ],
)
def test_flat_options_dicts_get_nothing_with_the_nested_tree_explained(flat):
    def options_dict():
        return flat

    result = grade("options_dict", options_dict)
    assert_lost(result, {"valid_tree"}, 0)
    text = message(result, "valid_tree")
    assert "`enable` is not an option at this level (it belongs at `dynamical_decoupling.enable`)" in text
    assert "nested tree" in text


def test_wrong_values_lose_only_their_credits():
    def options_dict():
        return {"default_shots": 3000, "simulator": {"seed_simulator": 0}, "dynamical_decoupling": {"enable": True}}

    result = grade("options_dict", options_dict)
    assert_lost(result, {"seed", "dd_sequence"}, 0.5)
    assert "not set" in message(result, "dd_sequence")


def test_an_options_object_instead_of_a_dict_gets_nothing():
    def options_dict():
        return validated_options(GOOD_OPTIONS)

    result = grade("options_dict", options_dict)
    assert_lost(result, {"returns_dict"}, 0)
    assert "not a primitive or an options object" in message(result, "returns_dict")


@pytest.mark.parametrize("options", [GOOD_OPTIONS, {"enable": True}, {"simulator": {"seed": 11}}])
def test_the_validation_agrees_with_what_sampler_v2_does(options):
    def outcome(build):
        try:
            built = build()
        except ValidationError as error:
            return sorted(tuple(e["loc"]) for e in error.errors())
        return built.model_dump() if hasattr(built, "model_dump") else repr(built)

    real = outcome(lambda: sampler_v2(FakeManilaV2(), options).options)
    assert outcome(lambda: validated_options(options)) == real


def test_untouched_stub_fails_with_a_message_not_a_crash():
    def options_dict():
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        check(EXERCISE, options_dict)


def test_cases_use_if_else_backends_and_non_zero_seeds_and_the_points_stay():
    spec = load_exercise(EXERCISE)
    for case in spec.task("dynamic_reset").cases():
        assert "if_else" in case.args[0].target.operation_names
    assert all(case.args[2] != 0 for case in spec.task("seeded_counts").cases())
    assert [(t.name, float(t.points)) for t in spec.tasks] == [
        ("seeded_counts", 2.0),
        ("dynamic_reset", 2.0),
        ("options_dict", 1.0),
    ]
