"""The third-party-backends rubric on real answers: honest styles get full marks, wrong ones lose what they should.

Every answer runs for real on the grader's own cases (a BasicSimulator, an AerSimulator, two fake backends) through
`grader.notebook.run_checks`, as a check cell runs it; the grader replays the jobs it claims.
"""

from __future__ import annotations

import pytest
from answers import graded, unmet
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.primitives import BackendSamplerV2, StatevectorSampler
from qiskit_aer.primitives import SamplerV2 as AerSampler
from qiskit_ibm_runtime.executor_sampler import Sampler

EXERCISE = "third-party-backends"
SEED = 29
COUNTS_TASKS = ["basic_counts", "aer_counts"]
ACCUSING = ("typ", "edit", "cheat", "forg", "tamper", "fake result")
EVERY_BELL_REQUIREMENT = {
    "runs",
    "reads_as_v2",
    "no_backend_run",
    "verifiable",
    "uses_v2_sampler",
    "backend_sampler_v2",
    "bell_state",
    "provenance",
    "one_pub",
    "exact_shots",
}


def bell(measure: bool = True) -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    if measure:
        circuit.measure_all()
    return circuit


def wrapped(backend, seeded: bool = True) -> BackendSamplerV2:
    return BackendSamplerV2(backend=backend, options={"seed_simulator": SEED} if seeded else None)


def message(result, requirement: str) -> str:
    return next(c.message for c in result.checks if c.id.endswith("." + requirement))


def accuses(result) -> bool:
    return any(word in c.message.lower() for c in result.checks if not c.passed for word in ACCUSING)


def full_marks(result) -> bool:
    return result.score == result.max_score and not unmet(result)


# Honest styles: every one gets full marks on both wrapper tasks.


def seeded_solution(backend, shots):
    sampler = BackendSamplerV2(backend=backend, options={"seed_simulator": SEED})
    return sampler.run([bell()], shots=shots).result()[0].data.meas.get_counts()


def unseeded(backend, shots):
    return wrapped(backend, seeded=False).run([bell()], shots=shots).result()[0].data.meas.get_counts()


def default_shots_in_the_options(backend, shots):
    sampler = BackendSamplerV2(backend=backend, options={"default_shots": shots, "seed_simulator": SEED})
    return sampler.run([bell()]).result()[0].data.meas.get_counts()


def transpiled_with_reset_and_barrier(backend, shots):
    circuit = QuantumCircuit(2)
    circuit.reset([0, 1])
    circuit.h(0)
    circuit.barrier()
    circuit.cx(0, 1)
    circuit.measure_all()
    circuit = transpile(circuit, backend, seed_transpiler=SEED)
    return wrapped(backend).run([circuit], shots=shots).result()[0].data.meas.get_counts()


def two_registers_joined(backend, shots):
    circuit = QuantumCircuit(QuantumRegister(2), ClassicalRegister(1, "a"), ClassicalRegister(1, "b"))
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure(0, 0)
    circuit.measure(1, 1)
    return wrapped(backend).run([circuit], shots=shots).result()[0].join_data().get_counts()


def reversed_clbits_put_back(backend, shots):
    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [1, 0])
    counts = wrapped(backend).run([circuit], shots=shots).result()[0].data.c.get_counts()
    return {key[::-1]: n for key, n in counts.items()}


def tuple_pub_without_values(backend, shots):
    job = wrapped(backend).run([(bell(),)], shots=shots)
    return dict(job.result()[0].data.meas.get_counts())


HONEST = [
    seeded_solution,
    unseeded,
    default_shots_in_the_options,
    transpiled_with_reset_and_barrier,
    two_registers_joined,
    reversed_clbits_put_back,
    tuple_pub_without_values,
]


@pytest.mark.parametrize("task", COUNTS_TASKS)
@pytest.mark.parametrize("answer", HONEST, ids=lambda f: f.__name__)
def test_honest_styles_get_full_marks(task, answer):
    result = graded(EXERCISE, task, answer)
    assert full_marks(result), [c.message for c in result.checks if not c.passed]
    assert result.max_score == 2.0


# Wrong answers: each loses what the rubric says, and no message calls a mistake cheating.


@pytest.mark.parametrize("task", COUNTS_TASKS)
def test_legacy_backend_run_scores_zero(task):
    def basic_counts(backend, shots):  # the scan reads the code of the function named as the task
        return backend.run(bell(), shots=shots, seed_simulator=SEED).result().get_counts()

    def aer_counts(backend, shots):
        return backend.run(bell(), shots=shots, seed_simulator=SEED).result().get_counts()

    result = graded(EXERCISE, task, {"basic_counts": basic_counts, "aer_counts": aer_counts}[task])
    assert result.score == 0
    assert {"reads_as_v2", "no_backend_run", "uses_v2_sampler"} <= unmet(result)
    assert "legacy path" in message(result, "no_backend_run")
    assert "BackendSamplerV2(backend=backend)" in message(result, "uses_v2_sampler")


def test_qiskit_aer_sampler_ignores_the_backend_and_fails_the_wrapper_gate():
    def aer_counts(backend, shots):
        return AerSampler(seed=SEED).run([bell()], shots=shots).result()[0].data.meas.get_counts()

    result = graded(EXERCISE, "aer_counts", aer_counts)
    assert result.score == 0
    assert unmet(result) == EVERY_BELL_REQUIREMENT - {"runs", "reads_as_v2", "no_backend_run", "verifiable"} - {
        "uses_v2_sampler"
    }
    assert "ignores the backend" in message(result, "backend_sampler_v2")


def test_runtime_sampler_in_local_mode_on_the_aer_simulator_fails_the_wrapper_gate():
    def aer_counts(backend, shots):
        sampler = Sampler(mode=backend)
        sampler.options.simulator.seed_simulator = SEED
        return sampler.run([bell()], shots=shots).result()[0].data.meas.get_counts()

    result = graded(EXERCISE, "aer_counts", aer_counts)
    assert result.score == 0
    assert "backend_sampler_v2" in unmet(result) and "uses_v2_sampler" not in unmet(result)
    assert "local testing mode" in message(result, "backend_sampler_v2")


def test_statevector_sampler_ignores_the_run_only_backend():
    def basic_counts(backend, shots):
        return StatevectorSampler(seed=SEED).run([bell()], shots=shots).result()[0].data.meas.get_counts()

    result = graded(EXERCISE, "basic_counts", basic_counts)
    assert result.score == 0
    assert "uses_v2_sampler" in unmet(result)
    assert "ignores the backend" in message(result, "uses_v2_sampler")


@pytest.mark.parametrize("task", COUNTS_TASKS)
def test_typed_in_counts_fail_provenance_only(task):
    def counts(backend, shots):
        wrapped(backend).run([bell()], shots=shots).result()
        return {"00": shots // 2, "11": shots - shots // 2}

    result = graded(EXERCISE, task, counts)
    assert result.score == 0
    assert unmet(result) == {"provenance"}


def test_edited_counts_fail_provenance():
    def basic_counts(backend, shots):
        counts = wrapped(backend).run([bell()], shots=shots).result()[0].data.meas.get_counts()
        counts["00"] = counts.get("00", 0) + 1
        counts["11"] = counts["11"] - 1
        return counts

    assert unmet(graded(EXERCISE, "basic_counts", basic_counts)) == {"provenance"}


def test_missing_cx_fails_the_state_gate_with_the_matching_hint():
    def basic_counts(backend, shots):
        circuit = QuantumCircuit(2)
        circuit.h(0)
        circuit.measure_all()
        return wrapped(backend).run([circuit], shots=shots).result()[0].data.meas.get_counts()

    result = graded(EXERCISE, "basic_counts", basic_counts)
    assert result.score == 0
    assert "bell_state" in unmet(result)
    assert "not entangled" in message(result, "bell_state")


def test_x_instead_of_h_fails_the_state_gate_without_the_cx_hint():
    def aer_counts(backend, shots):
        circuit = QuantumCircuit(2)
        circuit.x(0)
        circuit.cx(0, 1)
        circuit.measure_all()
        return wrapped(backend).run([circuit], shots=shots).result()[0].data.meas.get_counts()

    result = graded(EXERCISE, "aer_counts", aer_counts)
    assert result.score == 0
    text = message(result, "bell_state")
    assert "{'11': 1.0}" in text and "not entangled" not in text


@pytest.mark.parametrize("task", COUNTS_TASKS)
def test_hard_coded_shots_lose_only_the_shots_credit_and_are_not_called_cheating(task):
    def counts(backend, shots):
        return wrapped(backend).run([bell()], shots=1024).result()[0].data.meas.get_counts()

    result = graded(EXERCISE, task, counts)
    assert result.score == 1.75
    assert unmet(result) == {"exact_shots"}
    assert "ran 1024 shots" in message(result, "exact_shots")
    assert not accuses(result)


def test_two_pubs_lose_only_the_one_pub_credit():
    def basic_counts(backend, shots):
        result = wrapped(backend).run([bell(), bell()], shots=shots).result()
        return result[0].data.meas.get_counts()

    result = graded(EXERCISE, "basic_counts", basic_counts)
    assert (result.score, unmet(result)) == (1.75, {"one_pub"})


def test_two_jobs_fail_the_one_job_gate():
    def basic_counts(backend, shots):
        sampler = wrapped(backend)
        sampler.run([bell()], shots=shots).result()
        return sampler.run([bell()], shots=shots).result()[0].data.meas.get_counts()

    result = graded(EXERCISE, "basic_counts", basic_counts)
    assert result.score == 0
    assert "2 sampler jobs ran" in message(result, "uses_v2_sampler")


def test_int_keyed_counts_are_the_wrong_type():
    def basic_counts(backend, shots):
        return wrapped(backend).run([bell()], shots=shots).result()[0].data.meas.get_int_counts()

    result = graded(EXERCISE, "basic_counts", basic_counts)
    assert (result.score, unmet(result)) == (0, {"provenance"})
    assert "2-bit strings" in message(result, "provenance")


def test_a_bit_array_is_not_counts():
    def basic_counts(backend, shots):
        return wrapped(backend).run([bell()], shots=shots).result()[0].data.meas

    result = graded(EXERCISE, "basic_counts", basic_counts)
    assert unmet(result) == {"provenance"}
    assert "counts dict" in message(result, "provenance")
    assert not accuses(result)


# backend_facts: judged against the grader's own reading of a fresh backend of the same class.


def facts(backend):
    return {
        "num_qubits": backend.num_qubits,
        "coupling_map": sorted([a, b] for a, b in backend.coupling_map.get_edges()),
        "operation_names": sorted(backend.operation_names),
        "t1": backend.qubit_properties(0).t1,
        "readout_error": backend.target["measure"][(0,)].error,
    }


def test_backend_facts_solution_and_natural_variations_get_full_marks():
    def backend_facts(backend):
        return facts(backend)

    assert full_marks(graded(EXERCISE, "backend_facts", backend_facts))

    def backend_facts_variant(backend):
        target = backend.target
        return {
            "num_qubits": target.num_qubits,
            "coupling_map": sorted(backend.coupling_map.get_edges()),  # tuples are pairs too
            "operation_names": sorted(target.operation_names),
            "t1": target.qubit_properties[0].t1,
            "readout_error": target["measure"][(0,)].error,
        }

    assert full_marks(graded(EXERCISE, "backend_facts", backend_facts_variant))


@pytest.mark.parametrize(
    ("fact", "wrong", "hint"),
    [
        ("coupling_map", lambda b: [list(e) for e in b.coupling_map.get_edges()][::-1], "not sorted"),
        ("operation_names", lambda b: sorted(b.configuration().basis_gates), "misses"),
        ("t1", lambda b: b.qubit_properties(0).t1 * 1e6, "you returned"),
        ("readout_error", lambda b: b.target["measure"][(1,)].error, "you returned"),
        ("num_qubits", lambda b: float(b.num_qubits), "`int` is expected"),
    ],
)
def test_one_wrong_fact_loses_its_own_credit_only(fact, wrong, hint):
    def backend_facts(backend):
        return {**facts(backend), fact: wrong(backend)}

    result = graded(EXERCISE, "backend_facts", backend_facts)
    assert (result.score, unmet(result)) == (0.8, {fact})
    assert hint in message(result, fact)


def test_facts_typed_in_from_one_backend_fail_on_the_other():
    def backend_facts(backend):
        return {
            "num_qubits": 5,
            "coupling_map": [[0, 1], [1, 0], [1, 2], [1, 3], [2, 1], [3, 1], [3, 4], [4, 3]],
            "operation_names": sorted(backend.operation_names),
            "t1": backend.qubit_properties(0).t1,
            "readout_error": backend.target["measure"][(0,)].error,
        }

    result = graded(EXERCISE, "backend_facts", backend_facts)
    assert unmet(result) == {"num_qubits", "coupling_map"}
    assert "FakeNairobiV2" in message(result, "num_qubits")


def test_missing_key_fails_the_dict_gate():
    def backend_facts(backend):
        found = facts(backend)
        del found["t1"]
        return found

    result = graded(EXERCISE, "backend_facts", backend_facts)
    assert result.score == 0
    assert "returns_dict" in unmet(result) and "exactly the keys" in message(result, "returns_dict")
