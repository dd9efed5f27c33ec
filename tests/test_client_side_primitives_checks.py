"""The client-side-primitives rubric on real answers: honest styles get full marks, wrong ones lose what they should.

Every answer runs for real on the grader's own cases (FakeBelemV2 and FakeQuitoV2, angles the notebook never uses)
through `grader.notebook.run_checks`, as a check cell runs it. The grader replays each job with the options the
Estimator had at `run`, resilience level included, so an answer at level 0 is replayed at level 0.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from answers import graded, unmet
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import EstimatorV2
from qiskit_ibm_runtime.executor_estimator import Estimator

EXERCISE = "client-side-primitives"
SEED = 5813
ACCUSING = ("typ", "edit", "cheat", "forg", "tamper")


def state(theta: float) -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    circuit.cx(0, 1)
    return circuit


def xx_pub(backend, theta, seed_transpiler=SEED, initial_layout=None):
    """The notebook's PUB: the ISA circuit and X⊗X mapped to its layout."""
    pass_manager = generate_preset_pass_manager(
        backend=backend, optimization_level=1, seed_transpiler=seed_transpiler, initial_layout=initial_layout
    )
    isa_circuit = pass_manager.run(state(theta))
    return isa_circuit, SparsePauliOp("XX").apply_layout(isa_circuit.layout)


def seeded(estimator: Estimator) -> Estimator:
    estimator.options.simulator.seed_simulator = SEED
    return estimator


def message(result, requirement: str) -> str:
    return next(c.message for c in result.checks if c.id.endswith("." + requirement))


def accuses(result) -> bool:
    return any(word in c.message.lower() for c in result.checks if not c.passed for word in ACCUSING)


def assert_full_marks(result) -> None:
    assert (result.score, result.max_score) == (2.0, 2.0), [c.message for c in result.checks if not c.passed]


# Honest styles.


def mitigated_solution(backend, theta):
    estimator = seeded(Estimator(mode=backend))
    return float(estimator.run([xx_pub(backend, theta)]).result()[0].data.evs)


def mitigated_unseeded_rounded(backend, theta):
    value = Estimator(mode=backend).run([xx_pub(backend, theta)]).result()[0].data.evs
    return round(float(value), 6)


def mitigated_level_one_said_aloud_numpy_value(backend, theta):
    options = {"resilience_level": 1, "simulator": {"seed_simulator": SEED}}
    estimator = Estimator(mode=backend, options=options)
    return estimator.run([xx_pub(backend, theta, initial_layout=[3, 4])]).result()[0].data.evs  # a 0-d array


@pytest.mark.parametrize(
    "answer",
    [mitigated_solution, mitigated_unseeded_rounded, mitigated_level_one_said_aloud_numpy_value],
    ids=lambda f: f.__name__,
)
def test_mitigated_honest_styles_get_full_marks(answer):
    assert_full_marks(graded(EXERCISE, "mitigated_xx", answer))


def unmitigated_in_the_constructor(backend, theta):
    estimator = seeded(Estimator(mode=backend, options={"resilience_level": 0}))
    return float(estimator.run([xx_pub(backend, theta)]).result()[0].data.evs)


def unmitigated_set_on_the_options_unseeded(backend, theta):
    estimator = Estimator(mode=backend)
    estimator.options.resilience_level = 0
    result = estimator.run([xx_pub(backend, theta, seed_transpiler=11)]).result()
    return np.float64(result[0].data.evs)


def unmitigated_switches_named_one_by_one(backend, theta):
    estimator = seeded(Estimator(mode=backend, options={"resilience_level": 0}))
    estimator.options.resilience.measure_mitigation = False
    estimator.options.resilience.zne_mitigation = False
    return estimator.run([xx_pub(backend, theta)]).result()[0].data.evs.item()


@pytest.mark.parametrize(
    "answer",
    [unmitigated_in_the_constructor, unmitigated_set_on_the_options_unseeded, unmitigated_switches_named_one_by_one],
    ids=lambda f: f.__name__,
)
def test_unmitigated_honest_styles_at_resilience_level_0_get_full_marks(answer):
    result = graded(EXERCISE, "unmitigated_xx", answer)
    assert_full_marks(result)
    assert "resilience level 0: no mitigation" in message(result, "resilience_level")


def test_the_replay_uses_the_claimed_level_so_the_two_levels_give_different_values():
    """The same PUB at level 0 and at level 1: each answer is its own replay's value, and the values differ."""
    from qiskit_ibm_runtime.fake_provider import FakeBelemV2

    backend, theta = FakeBelemV2(), 1.9
    at = {
        level: float(
            seeded(Estimator(mode=backend, options={"resilience_level": level}))
            .run([xx_pub(backend, theta)])
            .result()[0]
            .data.evs
        )
        for level in (0, 1)
    }
    assert abs(at[1] - at[0]) > 1e-3, at


def test_the_solution_named_as_its_task_passes_the_check_cell_scan_too():
    def mitigated_xx(backend, theta):
        estimator = Estimator(mode=backend)
        estimator.options.simulator.seed_simulator = SEED
        result = estimator.run([xx_pub(backend, theta)]).result()
        return float(result[0].data.evs)

    assert_full_marks(graded(EXERCISE, "mitigated_xx", mitigated_xx))


# Wrong answers.


def test_the_deprecated_estimator_v2_fails_the_client_side_gate_with_the_reason():
    def answer(backend, theta):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            estimator = EstimatorV2(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return float(estimator.run([xx_pub(backend, theta)]).result()[0].data.evs)

    result = graded(EXERCISE, "mitigated_xx", answer)
    assert result.score == 0
    assert unmet(result) == {"client_side_estimator", "resilience_level"}
    assert "never mitigates" in message(result, "client_side_estimator")
    assert not accuses(result)


def test_level_0_in_the_mitigated_task_fails_only_the_resilience_gate():
    result = graded(EXERCISE, "mitigated_xx", unmitigated_in_the_constructor)
    assert result.score == 0
    assert unmet(result) == {"resilience_level"}
    assert "resilience level 0, which applies no mitigation" in message(result, "resilience_level")


def test_the_default_level_in_the_unmitigated_task_fails_only_the_resilience_gate():
    result = graded(EXERCISE, "unmitigated_xx", mitigated_solution)
    assert result.score == 0
    assert unmet(result) == {"resilience_level"}
    assert "readout mitigation (TREX)" in message(result, "resilience_level")
    assert '{"resilience_level": 0}' in message(result, "resilience_level")


def test_level_0_set_after_run_is_not_the_level_the_job_ran_at():
    def answer(backend, theta):
        estimator = seeded(Estimator(mode=backend))
        job = estimator.run([xx_pub(backend, theta)])
        estimator.options.resilience_level = 0
        return float(job.result()[0].data.evs)

    result = graded(EXERCISE, "unmitigated_xx", answer)
    assert unmet(result) == {"resilience_level"}
    assert "when `run` was called" in message(result, "resilience_level")


def test_a_typed_in_sine_fails_provenance_only():
    def answer(backend, theta):
        seeded(Estimator(mode=backend, options={"resilience_level": 0})).run([xx_pub(backend, theta)]).result()
        return float(np.sin(theta))

    result = graded(EXERCISE, "unmitigated_xx", answer)
    assert (result.score, unmet(result)) == (0, {"provenance"})
    assert "replays your job" in message(result, "provenance")


def test_rx_instead_of_ry_fails_the_state_gate():
    def answer(backend, theta):
        circuit = QuantumCircuit(2)
        circuit.rx(theta, 0)
        circuit.cx(0, 1)
        isa_circuit = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=SEED).run(
            circuit
        )
        pub = (isa_circuit, SparsePauliOp("XX").apply_layout(isa_circuit.layout))
        return float(seeded(Estimator(mode=backend)).run([pub]).result()[0].data.evs)

    result = graded(EXERCISE, "mitigated_xx", answer)
    assert (result.score, unmet(result)) == (0, {"right_state"})
    assert "xx_pub(backend, theta)" in message(result, "right_state")


def test_a_measured_circuit_fails_the_state_gate_and_says_why():
    def answer(backend, theta):
        circuit = state(theta)
        circuit.measure_all()
        isa_circuit = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=SEED).run(
            circuit
        )
        pub = (isa_circuit, SparsePauliOp("XX").apply_layout(isa_circuit.layout))
        estimator = seeded(Estimator(mode=backend, options={"resilience_level": 0}))
        return float(estimator.run([pub]).result()[0].data.evs)

    result = graded(EXERCISE, "unmitigated_xx", answer)
    assert (result.score, unmet(result)) == (0, {"right_state"})
    assert "must not measure" in message(result, "right_state")


def test_an_observable_not_mapped_to_the_layout_is_named_with_its_fix():
    def answer(backend, theta):
        isa_circuit, _ = xx_pub(backend, theta)
        return float(seeded(Estimator(mode=backend)).run([(isa_circuit, SparsePauliOp("XX"))]).result()[0].data.evs)

    result = graded(EXERCISE, "mitigated_xx", answer)
    assert result.score == 0
    text = " ".join(c.message for c in result.checks if not c.passed)
    assert "apply_layout(isa_circuit.layout)" in text


def test_a_circuit_that_is_not_isa_is_named_with_its_fix():
    def answer(backend, theta):
        circuit = state(theta)
        observable = SparsePauliOp("XX").apply_layout(None, num_qubits=backend.num_qubits)
        wide = QuantumCircuit(backend.num_qubits)
        wide.compose(circuit, [0, 1], inplace=True)
        return float(seeded(Estimator(mode=backend)).run([(wide, observable)]).result()[0].data.evs)

    result = graded(EXERCISE, "mitigated_xx", answer)
    assert result.score == 0
    assert "generate_preset_pass_manager" in message(result, "runs")


def test_two_pubs_lose_only_the_one_pub_credit():
    def answer(backend, theta):
        pub = xx_pub(backend, theta)
        return float(seeded(Estimator(mode=backend)).run([pub, pub]).result()[0].data.evs)

    result = graded(EXERCISE, "mitigated_xx", answer)
    assert (result.score, unmet(result)) == (1.75, {"one_pub"})


def test_a_list_is_not_one_float():
    def answer(backend, theta):
        estimator = seeded(Estimator(mode=backend, options={"resilience_level": 0}))
        return [float(estimator.run([xx_pub(backend, theta)]).result()[0].data.evs)]

    result = graded(EXERCISE, "unmitigated_xx", answer)
    assert (result.score, unmet(result)) == (0, {"provenance"})
    assert "one float" in message(result, "provenance")
