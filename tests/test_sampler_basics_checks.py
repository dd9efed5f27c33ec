"""sampler-basics' rubric on real answers, judged in-process as a check cell judges them: honest styles get full
marks, each wrong answer loses what the rubric says, and no message accuses a student of cheating."""

from __future__ import annotations

import warnings

import pytest
from answers import bell, client_sampler, graded, isa, unmet
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter
from qiskit.primitives import BackendSamplerV2, StatevectorSampler
from qiskit_aer.primitives import SamplerV2 as AerSampler
from qiskit_ibm_runtime import SamplerV2
from qiskit_ibm_runtime.executor_sampler import Sampler

ACCUSING = ("cheat", "typed", "typing", "forg", "dishonest", "tamper")


def bell_graded(function):
    return graded("sampler-basics", "bell_counts", function)


def sweep_graded(function):
    return graded("sampler-basics", "theta_sweep", function)


def no_accusation(result) -> None:
    for check in result.checks:
        assert not any(word in check.message.lower() for word in ACCUSING), check.message


def counts_of(sampler, circuit, shots, register="meas"):
    return sampler.run([circuit], shots=shots).result()[0].data[register].get_counts()


def runtime_sampler(backend, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # SamplerV2 is deprecated since 0.50: still accepted
        return SamplerV2(mode=backend, **options)


HONEST_BELL = {
    "client-side Sampler, unseeded": lambda b, s: counts_of(Sampler(mode=b), isa(bell(), b), s),
    "client-side Sampler, seeded": lambda b, s: counts_of(client_sampler(b), isa(bell(), b), s),
    "deprecated SamplerV2": lambda b, s: counts_of(runtime_sampler(b), isa(bell(), b), s),
    "qiskit-aer SamplerV2.from_backend": lambda b, s: counts_of(AerSampler.from_backend(b), isa(bell(), b), s),
    "BackendSamplerV2": lambda b, s: counts_of(BackendSamplerV2(backend=b), isa(bell(), b), s),
}


@pytest.mark.parametrize("style", sorted(HONEST_BELL))
def test_honest_bell_styles_get_full_marks(style: str) -> None:
    result = bell_graded(HONEST_BELL[style])
    assert (result.score, result.status, unmet(result)) == (2.0, "passed", set()), [c.message for c in result.checks]


def test_bell_with_a_reset_a_barrier_two_registers_joined_or_reversed_bits_gets_full_marks() -> None:
    def reset_and_barrier(backend, shots):
        circuit = QuantumCircuit(2)
        circuit.reset([0, 1])
        circuit.h(0)
        circuit.barrier()
        circuit.cx(0, 1)
        circuit.measure_all()
        return counts_of(Sampler(mode=backend), isa(circuit, backend), shots)

    def joined(backend, shots):
        circuit = QuantumCircuit(QuantumRegister(2), ClassicalRegister(1, "low"), ClassicalRegister(1, "high"))
        circuit.h(0)
        circuit.cx(0, 1)
        circuit.measure(0, 0)
        circuit.measure(1, 1)
        return Sampler(mode=backend).run([isa(circuit, backend)], shots=shots).result()[0].join_data().get_counts()

    def reversed_bits(backend, shots):
        circuit = QuantumCircuit(2, 2)
        circuit.h(0)
        circuit.cx(0, 1)
        circuit.measure(0, 1)
        circuit.measure(1, 0)
        counts = counts_of(Sampler(mode=backend), isa(circuit, backend), shots, register="c")
        return {key[::-1]: value for key, value in counts.items()}

    for answer in (reset_and_barrier, joined, reversed_bits):
        result = bell_graded(answer)
        assert result.score == 2.0, (answer.__name__, [c.message for c in result.checks if not c.passed])


def test_backend_run_scores_zero_with_the_legacy_message() -> None:
    def legacy(backend, shots):
        return backend.run(isa(bell(), backend), shots=shots).result().get_counts()

    result = bell_graded(legacy)
    assert result.score == 0.0 and {"reads_as_v2", "no_backend_run", "uses_v2_sampler"} <= unmet(result)
    assert "legacy path" in next(c for c in result.checks if c.id.endswith("no_backend_run")).message
    no_accusation(result)


def test_typed_in_and_edited_counts_score_zero_without_an_accusation() -> None:
    def typed(backend, shots):
        return {"00": shots // 2, "11": shots - shots // 2}

    def edited(backend, shots):
        counts = counts_of(Sampler(mode=backend), isa(bell(), backend), shots)
        counts["00"] += 1
        counts["11"] -= 1
        return counts

    assert unmet(bell_graded(typed)) >= {"uses_v2_sampler"} and bell_graded(typed).score == 0.0
    result = bell_graded(edited)
    assert (result.score, unmet(result)) == (0.0, {"provenance"})
    no_accusation(result)


def test_wrong_circuits_score_zero_with_a_hint_that_matches() -> None:
    def x_instead_of_h(backend, shots):
        circuit = QuantumCircuit(2)
        circuit.x(0)
        circuit.cx(0, 1)
        circuit.measure_all()
        return counts_of(Sampler(mode=backend), isa(circuit, backend), shots)

    result = bell_graded(x_instead_of_h)
    assert (result.score, unmet(result)) == (0.0, {"bell_state"})
    hint = next(c for c in result.checks if c.id.endswith("bell_state")).message
    assert "entangle" not in hint and "missing" not in hint and "must be H, not X" in hint  # the CX is there
    result = bell_graded(lambda b, s: counts_of(Sampler(mode=b), isa(bell(with_cx=False), b), s))
    assert unmet(result) == {"bell_state"} and "add the CX" in result.checks[5].message


def test_default_shots_and_a_circuit_not_transpiled_lose_only_their_own_points() -> None:
    result = bell_graded(lambda b, s: counts_of(Sampler(mode=b), isa(bell(), b), 1024))
    assert (result.score, unmet(result)) == (1.5, {"exact_shots"})
    shots_message = next(c for c in result.checks if c.id.endswith("exact_shots")).message
    assert "ran 1024 shots" in shots_message and "`shots`" in shots_message
    no_accusation(result)
    result = bell_graded(lambda b, s: counts_of(BackendSamplerV2(backend=b), bell(), s))
    assert (result.score, unmet(result)) == (1.5, {"isa_circuit"})
    assert "preset pass manager" in next(c for c in result.checks if c.id.endswith("isa_circuit")).message


def test_a_sampler_that_ignores_the_backend_or_a_bell_circuit_swept_over_values_fails_cleanly() -> None:
    result = bell_graded(lambda b, s: counts_of(StatevectorSampler(seed=5), bell(), s))
    assert result.score == 0.0 and "ignores the backend" in result.checks[4].message

    def swept(backend, shots):
        theta = Parameter("θ")
        circuit = QuantumCircuit(2)
        circuit.h(0)
        circuit.cx(0, 1)
        circuit.rz(theta, 0)
        circuit.measure_all()
        result = Sampler(mode=backend).run([(isa(circuit, backend), [[0.0], [0.1]])], shots=shots).result()
        return result[0].data.meas.get_counts(0)

    result = bell_graded(swept)
    assert result.score == 0.0 and result.status == "failed" and "sampled 2 circuits" in result.checks[5].message


def test_a_stub_or_a_function_that_raises_is_reported_in_the_learners_words() -> None:
    def stub(backend, shots):
        raise NotImplementedError

    result = bell_graded(stub)
    assert (result.status, result.score) == ("failed", 0.0) and "not written yet" in result.checks[0].message
    assert all(not c.evaluated for c in result.checks[4:])  # every requirement still listed, marked not checked


def sweep_counts(sampler, backend, thetas, shots, gate="ry", order=None):
    theta = Parameter("θ")
    circuit = QuantumCircuit(1)
    getattr(circuit, gate)(theta, 0)
    circuit.measure_all()
    angles = thetas if order is None else order(thetas)
    bits = sampler.run([(isa(circuit, backend), angles)], shots=shots).result()[0].data.meas
    return [bits.get_counts(i) for i in range(len(thetas))]


def test_honest_sweeps_get_full_marks() -> None:
    for answer in (
        lambda b, t, s: sweep_counts(Sampler(mode=b), b, t, s),
        lambda b, t, s: sweep_counts(runtime_sampler(b), b, t, s),
        lambda b, t, s: sweep_counts(AerSampler.from_backend(b), b, t, s),
    ):
        result = sweep_graded(answer)
        assert result.score == 2.0, [c.message for c in result.checks if not c.passed]


def test_rx_or_a_sorted_sweep_scores_zero_and_one_job_of_bound_circuits_loses_the_one_pub_points() -> None:
    result = sweep_graded(lambda b, t, s: sweep_counts(Sampler(mode=b), b, t, s, gate="rx"))
    assert result.score == 0.0 and "ry_circuit" in unmet(result) and "RX instead of RY" in result.checks[5].message
    result = sweep_graded(lambda b, t, s: sweep_counts(Sampler(mode=b), b, t, s, order=sorted))
    assert result.score == 0.0 and unmet(result) == {"provenance"}

    def bound_circuits(backend, thetas, shots):
        circuits = []
        for theta in thetas:
            circuit = QuantumCircuit(1)
            circuit.ry(theta, 0)
            circuit.measure_all()
            circuits.append(isa(circuit, backend))
        return [r.data.meas.get_counts() for r in Sampler(mode=backend).run(circuits, shots=shots).result()]

    result = sweep_graded(bound_circuits)
    assert (result.score, unmet(result)) == (1.5, {"one_pub"})
