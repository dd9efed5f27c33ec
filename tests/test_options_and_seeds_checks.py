"""The options-and-seeds checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import warnings

import pytest
from answers import bell, isa
from pydantic import ValidationError
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit_aer.noise import NoiseModel, ReadoutError
from qiskit_ibm_runtime import SamplerV2
from qiskit_ibm_runtime.executor_sampler import Sampler
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from grader.exercises import load_exercise
from grader.exercises.options_and_seeds import block_isa_check, validated_options
from grader.notebook import check, run_checks

SEED = 83
GOOD_OPTIONS = {
    "default_shots": 3000,
    "simulator": {"seed_simulator": 11},
    "dynamical_decoupling": {"enable": True, "sequence_type": "XY4"},
}


def deprecated_sampler(backend, options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return SamplerV2(mode=backend, options=options)


def results_of(function):
    return {r.id: r for r in run_checks("options-and-seeds", function)}


def failed_ids(function):
    return {i for i, r in results_of(function).items() if not r.passed}


def test_seed_in_the_client_side_constructor_dict_passes():
    def seeded_counts(backend, shots, seed):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": seed}})
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(seeded_counts) == set()


def test_seed_set_as_an_attribute_of_the_deprecated_sampler_passes():
    def seeded_counts(backend, shots, seed):
        sampler = deprecated_sampler(backend, None)
        sampler.options.simulator.seed_simulator = seed
        sampler.options.default_shots = shots
        return sampler.run([isa(bell(), backend)]).result()[0].data.meas.get_counts()

    assert failed_ids(seeded_counts) == set()


def test_unseeded_sampler_fails_the_seed_checks():
    def seeded_counts(backend, shots, seed):
        sampler = Sampler(mode=backend)
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    results = results_of(seeded_counts)
    assert {i for i, r in results.items() if not r.passed} == {
        "seeded_counts.seed_option",
        "seeded_counts.reproducible",
    }
    assert "without a simulator seed" in results["seeded_counts.seed_option"].message


def test_a_constant_seed_instead_of_the_argument_fails_the_seed_checks():
    def seeded_counts(backend, shots, seed):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    results = results_of(seeded_counts)
    assert {i for i, r in results.items() if not r.passed} == {
        "seeded_counts.seed_option",
        "seeded_counts.reproducible",
    }
    assert "use the argument" in results["seeded_counts.seed_option"].message


def test_seeded_counts_from_backend_run_fail():
    def seeded_counts(backend, shots, seed):
        return backend.run(isa(bell(), backend), shots=shots, seed_simulator=seed).result().get_counts()

    assert failed_ids(seeded_counts) == {"seeded_counts.no_backend_run", "seeded_counts.uses_v2_sampler"}


def test_typed_in_counts_fail_provenance():
    def seeded_counts(backend, shots, seed):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": seed}})
        sampler.run([isa(bell(), backend)], shots=shots).result()
        return {"00": shots // 2, "11": shots - shots // 2}

    assert failed_ids(seeded_counts) == {"seeded_counts.provenance"}


def test_a_noise_model_that_changes_the_run_fails_reproducibility():
    def seeded_counts(backend, shots, seed):
        readout = NoiseModel()
        readout.add_all_qubit_readout_error(ReadoutError([[0.8, 0.2], [0.2, 0.8]]))
        sampler = deprecated_sampler(backend, {"simulator": {"seed_simulator": seed, "noise_model": readout}})
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(seeded_counts) == {"seeded_counts.reproducible"}


def test_missing_cx_fails_the_bell_check():
    def seeded_counts(backend, shots, seed):
        circuit = QuantumCircuit(2)
        circuit.h([0, 1])
        circuit.measure_all()
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": seed}})
        return sampler.run([isa(circuit, backend)], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(seeded_counts) == {"seeded_counts.bell_state"}


def dynamic_circuit(with_if_test=True, flip_first=True):
    mid, final = ClassicalRegister(1, "mid"), ClassicalRegister(1, "final")
    circuit = QuantumCircuit(QuantumRegister(1, "q"), mid, final)
    if flip_first:
        circuit.x(0)
    circuit.measure(0, mid[0])
    if with_if_test:
        with circuit.if_test((mid, 1)):
            circuit.x(0)
    circuit.measure(0, final[0])
    return circuit


@pytest.mark.parametrize("generation", ["client-side", "deprecated"])
def test_dynamic_reset_with_if_test_passes(generation):
    def dynamic_reset(backend, shots):
        options = {"simulator": {"seed_simulator": SEED}}
        sampler = Sampler(mode=backend, options=options) if generation == "client-side" else None
        sampler = sampler or deprecated_sampler(backend, options)
        return sampler.run([isa(dynamic_circuit(), backend)], shots=shots).result()[0].data.final.get_counts()

    assert failed_ids(dynamic_reset) == set()


def test_dynamic_reset_without_the_condition_fails_the_exact_checks():
    def dynamic_reset(backend, shots):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        circuit = isa(dynamic_circuit(with_if_test=False), backend)
        return sampler.run([circuit], shots=shots).result()[0].data.final.get_counts()

    results = results_of(dynamic_reset)
    assert {i for i, r in results.items() if not r.passed} == {
        "dynamic_reset.uses_if_test",
        "dynamic_reset.noiseless_reset",
    }
    assert "c_if" in results["dynamic_reset.uses_if_test"].message


def test_dynamic_reset_without_the_first_x_fails_the_noiseless_check():
    def dynamic_reset(backend, shots):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        circuit = isa(dynamic_circuit(flip_first=False), backend)
        return sampler.run([circuit], shots=shots).result()[0].data.final.get_counts()

    results = results_of(dynamic_reset)
    assert {i for i, r in results.items() if not r.passed} == {"dynamic_reset.noiseless_reset"}
    assert "`mid` read" in results["dynamic_reset.noiseless_reset"].message


def test_dynamic_reset_returning_mid_fails_provenance():
    def dynamic_reset(backend, shots):
        sampler = Sampler(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return sampler.run([isa(dynamic_circuit(), backend)], shots=shots).result()[0].data.mid.get_counts()

    results = results_of(dynamic_reset)
    assert {i for i, r in results.items() if not r.passed} == {"dynamic_reset.provenance"}
    assert "counts of `mid`" in results["dynamic_reset.provenance"].message


def test_dynamic_reset_with_backend_run_fails():
    def dynamic_reset(backend, shots):
        counts = backend.run(isa(dynamic_circuit(), backend), shots=shots).result().get_counts()
        final = {}
        for key, n in counts.items():
            final[key.split()[0]] = final.get(key.split()[0], 0) + n
        return final

    assert failed_ids(dynamic_reset) == {"dynamic_reset.no_backend_run", "dynamic_reset.uses_v2_sampler"}


def test_dynamic_reset_typed_in_fails_provenance():
    def dynamic_reset(backend, shots):
        Sampler(mode=backend).run([isa(dynamic_circuit(), backend)], shots=shots).result()
        return {"0": shots}

    assert failed_ids(dynamic_reset) == {"dynamic_reset.provenance"}


def test_nested_options_dict_passes():
    def options_dict():
        return GOOD_OPTIONS

    assert failed_ids(options_dict) == set()


@pytest.mark.parametrize(
    "flat",
    [
        {"shots": 3000, "seed_simulator": 11, "enable": True, "sequence_type": "XY4"},
        {"default_shots": 3000, "simulator": {"seed_simulator": 11}, "enable": True, "sequence_type": "XY4"},
    ],
)
def test_flat_options_dicts_fail_with_the_nested_tree_explained(flat):
    def options_dict():
        return flat

    results = results_of(options_dict)
    assert {i for i, r in results.items() if not r.passed} == {
        "options_dict.valid_tree",
        "options_dict.default_shots",
        "options_dict.seed",
        "options_dict.dd_enabled",
        "options_dict.dd_sequence",
    }
    message = results["options_dict.valid_tree"].message
    assert "`enable` is not an option at this level (it belongs at `dynamical_decoupling.enable`)" in message
    assert "nested tree" in message


def test_wrong_values_fail_only_their_checks():
    def options_dict():
        return {"default_shots": 3000, "simulator": {"seed_simulator": 0}, "dynamical_decoupling": {"enable": True}}

    results = results_of(options_dict)
    assert {i for i, r in results.items() if not r.passed} == {"options_dict.seed", "options_dict.dd_sequence"}
    assert "not set" in results["options_dict.dd_sequence"].message


def test_an_options_object_instead_of_a_dict_fails():
    def options_dict():
        return validated_options(GOOD_OPTIONS)

    assert {"options_dict.returns_dict", "options_dict.valid_tree"} <= failed_ids(options_dict)


@pytest.mark.parametrize("options", [GOOD_OPTIONS, {"enable": True}, {"simulator": {"seed": 11}}])
def test_the_validation_agrees_with_what_sampler_v2_does(options):
    def outcome(build):
        try:
            built = build()
        except ValidationError as error:
            return sorted(tuple(e["loc"]) for e in error.errors())
        return built.model_dump() if hasattr(built, "model_dump") else repr(built)

    real = outcome(lambda: deprecated_sampler(FakeManilaV2(), options).options)
    assert outcome(lambda: validated_options(options)) == real


def test_untouched_stub_fails_with_a_message_not_a_crash():
    def options_dict():
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        check("options-and-seeds", options_dict)


def test_cases_use_if_else_backends_and_non_zero_seeds():
    spec = load_exercise("options-and-seeds")
    for case in spec.task("dynamic_reset").cases():
        assert "if_else" in case.args[0].target.operation_names
    assert all(case.args[2] != 0 for case in spec.task("seeded_counts").cases())


def test_a_gate_the_backend_lacks_inside_the_if_test_block_is_not_isa():
    backend = FakeManilaV2()
    circuit = dynamic_circuit()
    with circuit.if_test((circuit.cregs[0], 0)):
        circuit.h(0)
    result = block_isa_check("dynamic_reset", circuit, backend)
    assert not result.passed and "`h`" in result.message
    assert block_isa_check("dynamic_reset", isa(circuit, backend), backend).passed
