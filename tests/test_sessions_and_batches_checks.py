"""The sessions-and-batches rubric on real answers: honest styles get full marks, wrong ones lose what they should.

Every answer runs for real on the grader's own cases (fake backends, angles and shot counts the notebook never
uses) through `grader.notebook.run_checks`, as a check cell runs it; the grader replays every job it claims. Modes
and Session or Batch membership are read from the claim, as the rubric says.
"""

from __future__ import annotations

import warnings

import pytest
from answers import graded, unmet
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import BackendSamplerV2
from qiskit.providers import JobStatus
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer.primitives import SamplerV2 as AerSampler
from qiskit_ibm_runtime import Batch, SamplerV2, Session
from qiskit_ibm_runtime.executor_sampler import Sampler

EXERCISE = "sessions-and-batches"
SEED = 61
ACCUSING = ("typ", "edit", "cheat", "forg", "tamper")


def isa(circuit: QuantumCircuit, backend, seed_transpiler: int = SEED) -> QuantumCircuit:
    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=seed_transpiler).run(
        circuit
    )


def ry(theta) -> QuantumCircuit:
    circuit = QuantumCircuit(1)
    circuit.ry(theta, 0)
    circuit.measure_all()
    return circuit


def bell() -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return circuit


def ghz(with_last_cx: bool = True) -> QuantumCircuit:
    circuit = QuantumCircuit(3)
    circuit.h(0)
    circuit.cx(0, 1)
    if with_last_cx:
        circuit.cx(1, 2)
    circuit.measure_all()
    return circuit


def client_sampler(mode, seeded: bool = True) -> Sampler:
    sampler = Sampler(mode=mode)
    if seeded:
        sampler.options.simulator.seed_simulator = SEED
    return sampler


def deprecated_sampler(mode) -> SamplerV2:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return SamplerV2(mode=mode, options={"simulator": {"seed_simulator": SEED}})


def counts_of(job) -> dict[str, int]:
    return job.result()[0].data.meas.get_counts()


def message(result, requirement: str) -> str:
    return next(c.message for c in result.checks if c.id.endswith("." + requirement))


def accuses(result) -> bool:
    return any(word in c.message.lower() for c in result.checks if not c.passed for word in ACCUSING)


def assert_full_marks(result) -> None:
    assert result.score == result.max_score, [c.message for c in result.checks if not c.passed]
    assert not unmet(result)


# batch_sweep: honest styles.


def batch_solution(backend, thetas, shots):
    circuits = [isa(ry(theta), backend) for theta in thetas]
    with Batch(backend=backend) as batch:
        sampler = client_sampler(batch)
        jobs = [sampler.run([circuit], shots=shots) for circuit in circuits]
    return [counts_of(job) for job in jobs]


def batch_of_deprecated_sampler_jobs_with_one_parameter_value_each(backend, thetas, shots):
    circuit = isa(ry(Parameter("θ")), backend)
    with Batch(backend=backend) as batch:
        sampler = deprecated_sampler(batch)
        jobs = [sampler.run([(circuit, [value])], shots=shots) for value in thetas]
    return [counts_of(job) for job in jobs]


def batch_unseeded_a_sampler_per_job_without_with(backend, thetas, shots):
    batch = Batch(backend=backend)
    jobs = [client_sampler(batch, seeded=False).run([isa(ry(t), backend, 5)], shots=shots) for t in thetas]
    batch.close()
    return [counts_of(job) for job in jobs]


def batch_submitted_in_reverse_returned_in_order_with_reset_and_barrier(backend, thetas, shots):
    def circuit(theta):
        qc = QuantumCircuit(1)
        qc.reset(0)
        qc.ry(theta, 0)
        qc.barrier()
        qc.measure_all()
        return isa(qc, backend)

    with Batch(backend=backend) as batch:
        sampler = client_sampler(batch)
        jobs = {theta: sampler.run([circuit(theta)], shots=shots) for theta in reversed(thetas)}
    return [counts_of(jobs[theta]) for theta in thetas]


@pytest.mark.parametrize(
    "answer",
    [
        batch_solution,
        batch_of_deprecated_sampler_jobs_with_one_parameter_value_each,
        batch_unseeded_a_sampler_per_job_without_with,
        batch_submitted_in_reverse_returned_in_order_with_reset_and_barrier,
    ],
    ids=lambda f: f.__name__,
)
def test_batch_sweep_honest_styles_get_full_marks(answer):
    assert_full_marks(graded(EXERCISE, "batch_sweep", answer))


# batch_sweep: wrong answers.


def test_backend_run_jobs_score_zero():
    def batch_sweep(backend, thetas, shots):
        jobs = [backend.run(isa(ry(theta), backend), shots=shots, seed_simulator=SEED) for theta in thetas]
        return [job.result().get_counts() for job in jobs]

    result = graded(EXERCISE, "batch_sweep", batch_sweep)
    assert result.score == 0
    assert {"reads_as_v2", "no_backend_run", "uses_v2_sampler"} <= unmet(result)


def test_jobs_outside_a_batch_lose_only_the_batch_credit():
    def answer(backend, thetas, shots):
        sampler = client_sampler(backend)
        jobs = [sampler.run([isa(ry(theta), backend)], shots=shots) for theta in thetas]
        return [counts_of(job) for job in jobs]

    result = graded(EXERCISE, "batch_sweep", answer)
    assert (result.score, unmet(result)) == (1.5, {"in_batch"})
    assert "job mode" in message(result, "in_batch")


def test_a_sampler_built_before_the_batch_does_not_join_it():
    def answer(backend, thetas, shots):
        sampler = client_sampler(backend)
        with Batch(backend=backend):
            jobs = [sampler.run([isa(ry(theta), backend)], shots=shots) for theta in thetas]
        return [counts_of(job) for job in jobs]

    result = graded(EXERCISE, "batch_sweep", answer)
    assert (result.score, unmet(result)) == (1.5, {"in_batch"})
    assert "does not join it" in message(result, "in_batch")


def test_jobs_in_a_session_or_in_several_batches_lose_the_batch_credit():
    def in_a_session(backend, thetas, shots):
        with Session(backend=backend) as session:
            sampler = client_sampler(session)
            jobs = [sampler.run([isa(ry(theta), backend)], shots=shots) for theta in thetas]
        return [counts_of(job) for job in jobs]

    result = graded(EXERCISE, "batch_sweep", in_a_session)
    assert (result.score, unmet(result)) == (1.5, {"in_batch"})
    assert "a Session, not in a Batch" in message(result, "in_batch")

    def a_batch_per_job(backend, thetas, shots):
        jobs = []
        for theta in thetas:
            with Batch(backend=backend) as batch:
                jobs.append(client_sampler(batch).run([isa(ry(theta), backend)], shots=shots))
        return [counts_of(job) for job in jobs]

    result = graded(EXERCISE, "batch_sweep", a_batch_per_job)
    assert (result.score, unmet(result)) == (1.5, {"in_batch"})
    assert "3 different Batches" in message(result, "in_batch")


def test_one_sweep_job_in_the_batch_loses_only_the_one_job_per_angle_credit():
    def answer(backend, thetas, shots):
        with Batch(backend=backend) as batch:
            job = client_sampler(batch).run([(isa(ry(Parameter("θ")), backend), thetas)], shots=shots)
        bits = job.result()[0].data.meas
        return [bits.get_counts(i) for i in range(len(thetas))]

    result = graded(EXERCISE, "batch_sweep", answer)
    assert (result.score, unmet(result)) == (1.75, {"one_job_per_angle"})


def test_counts_in_reversed_order_fail_provenance_and_say_whose_counts_they_are():
    def answer(backend, thetas, shots):
        with Batch(backend=backend) as batch:
            sampler = client_sampler(batch)
            jobs = [sampler.run([isa(ry(theta), backend)], shots=shots) for theta in reversed(thetas)]
        return [counts_of(job) for job in jobs]

    result = graded(EXERCISE, "batch_sweep", answer)
    assert (result.score, unmet(result)) == (0, {"provenance"})
    assert "holds the counts of θ =" in message(result, "provenance")


def test_typed_in_counts_for_one_angle_fail_provenance():
    def answer(backend, thetas, shots):
        counts = batch_solution(backend, thetas, shots)
        counts[1] = {"0": shots // 2, "1": shots - shots // 2}
        return counts

    result = graded(EXERCISE, "batch_sweep", answer)
    assert (result.score, unmet(result)) == (0, {"provenance"})
    assert "item 1" in message(result, "provenance")


def test_rx_instead_of_ry_fails_the_circuit_gate_with_the_hint():
    def answer(backend, thetas, shots):
        circuits = []
        for theta in thetas:
            qc = QuantumCircuit(1)
            qc.rx(theta, 0)
            qc.measure_all()
            circuits.append(isa(qc, backend))
        with Batch(backend=backend) as batch:
            sampler = client_sampler(batch)
            jobs = [sampler.run([circuit], shots=shots) for circuit in circuits]
        return [counts_of(job) for job in jobs]

    result = graded(EXERCISE, "batch_sweep", answer)
    assert result.score == 0
    assert "ry_circuits" in unmet(result)
    assert "RX instead of RY" in message(result, "ry_circuits")


def test_wrong_shots_lose_only_the_shots_credit_and_are_not_called_cheating():
    def answer(backend, thetas, shots):
        return batch_solution(backend, thetas, shots + 1)

    result = graded(EXERCISE, "batch_sweep", answer)
    assert (result.score, unmet(result)) == (1.75, {"exact_shots"})
    assert f"ran {556} shots" in message(result, "exact_shots")
    assert not accuses(result)


def test_a_circuit_that_is_not_isa_is_named_with_its_fix():
    def answer(backend, thetas, shots):
        with Batch(backend=backend) as batch:
            sampler = deprecated_sampler(batch)
            jobs = [sampler.run([ry(theta)], shots=shots) for theta in thetas]
        return [counts_of(job) for job in jobs]

    result = graded(EXERCISE, "batch_sweep", answer)
    assert result.score == 0
    assert "generate_preset_pass_manager" in message(result, "runs")


# session_pair


def session_solution(backend, shots):
    with Session(backend=backend) as session:
        sampler = client_sampler(session)
        bell_job = sampler.run([isa(bell(), backend)], shots=shots)
        ghz_job = sampler.run([isa(ghz(), backend)], shots=shots)
    return {"bell": counts_of(bell_job), "ghz": counts_of(ghz_job)}


def session_of_the_deprecated_sampler_ghz_clbits_reversed_and_put_back(backend, shots):
    reversed_ghz = QuantumCircuit(3, 3)
    reversed_ghz.h(0)
    reversed_ghz.cx(0, 1)
    reversed_ghz.cx(1, 2)
    reversed_ghz.barrier()
    reversed_ghz.measure([0, 1, 2], [2, 1, 0])
    with Session(backend=backend) as session:
        sampler = deprecated_sampler(session)
        bell_job = sampler.run([isa(bell(), backend, 3)], shots=shots)
        ghz_job = sampler.run([isa(reversed_ghz, backend, 3)], shots=shots)
    ghz_counts = ghz_job.result()[0].data.c.get_counts()
    return {"bell": counts_of(bell_job), "ghz": {key[::-1]: n for key, n in ghz_counts.items()}}


def session_unseeded_without_with(backend, shots):
    session = Session(backend=backend)
    sampler = client_sampler(session, seeded=False)
    found = {"bell": counts_of(sampler.run([isa(bell(), backend)], shots=shots))}
    found["ghz"] = counts_of(sampler.run([isa(ghz(), backend)], shots=shots))
    session.close()
    return found


@pytest.mark.parametrize(
    "answer",
    [
        session_solution,
        session_of_the_deprecated_sampler_ghz_clbits_reversed_and_put_back,
        session_unseeded_without_with,
    ],
    ids=lambda f: f.__name__,
)
def test_session_pair_honest_styles_get_full_marks(answer):
    assert_full_marks(graded(EXERCISE, "session_pair", answer))


def test_swapped_keys_fail_provenance_with_the_width_seen():
    def answer(backend, shots):
        found = session_solution(backend, shots)
        return {"bell": found["ghz"], "ghz": found["bell"]}

    result = graded(EXERCISE, "session_pair", answer)
    assert (result.score, unmet(result)) == (0, {"provenance"})
    assert "2-bit strings" in message(result, "provenance")


def test_a_ghz_circuit_without_its_second_cx_fails_the_state_gate():
    def answer(backend, shots):
        with Session(backend=backend) as session:
            sampler = client_sampler(session)
            bell_job = sampler.run([isa(bell(), backend)], shots=shots)
            ghz_job = sampler.run([isa(ghz(with_last_cx=False), backend)], shots=shots)
        return {"bell": counts_of(bell_job), "ghz": counts_of(ghz_job)}

    result = graded(EXERCISE, "session_pair", answer)
    assert result.score == 0
    assert "exact_states" in unmet(result) and "two_jobs" not in unmet(result)
    assert "a CX is missing" in message(result, "exact_states")


def test_ghz_first_or_both_in_one_job_lose_only_the_two_jobs_credit():
    def ghz_first(backend, shots):
        with Session(backend=backend) as session:
            sampler = client_sampler(session)
            ghz_job = sampler.run([isa(ghz(), backend)], shots=shots)
            bell_job = sampler.run([isa(bell(), backend)], shots=shots)
        return {"bell": counts_of(bell_job), "ghz": counts_of(ghz_job)}

    result = graded(EXERCISE, "session_pair", ghz_first)
    assert (result.score, unmet(result)) == (1.75, {"two_jobs"})
    assert "Bell circuit (2 bits) first" in message(result, "two_jobs")

    def one_job(backend, shots):
        with Session(backend=backend) as session:
            result = client_sampler(session).run([isa(bell(), backend), isa(ghz(), backend)], shots=shots).result()
        return {"bell": result[0].data.meas.get_counts(), "ghz": result[1].data.meas.get_counts()}

    result = graded(EXERCISE, "session_pair", one_job)
    assert (result.score, unmet(result)) == (1.75, {"two_jobs"})


def test_two_sessions_or_job_mode_lose_only_the_session_credit():
    def two_sessions(backend, shots):
        with Session(backend=backend) as first:
            bell_job = client_sampler(first).run([isa(bell(), backend)], shots=shots)
        with Session(backend=backend) as second:
            ghz_job = client_sampler(second).run([isa(ghz(), backend)], shots=shots)
        return {"bell": counts_of(bell_job), "ghz": counts_of(ghz_job)}

    result = graded(EXERCISE, "session_pair", two_sessions)
    assert (result.score, unmet(result)) == (1.5, {"in_session"})
    assert "2 different Sessions" in message(result, "in_session")

    def job_mode(backend, shots):
        sampler = client_sampler(backend)
        bell_job = sampler.run([isa(bell(), backend)], shots=shots)
        return {"bell": counts_of(bell_job), "ghz": counts_of(sampler.run([isa(ghz(), backend)], shots=shots))}

    result = graded(EXERCISE, "session_pair", job_mode)
    assert (result.score, unmet(result)) == (1.5, {"in_session"})


# job_done


def done_solution(backend, shots):
    job = client_sampler(backend).run([isa(bell(), backend)], shots=shots)
    job.result()
    return job.done()


def done_by_enum_identity_with_the_deprecated_sampler(backend, shots):
    job = deprecated_sampler(backend).run([isa(bell(), backend)], shots=shots)
    job.result()
    return job.status() is JobStatus.DONE


def done_by_the_status_name_unseeded(backend, shots):
    job = client_sampler(backend, seeded=False).run([isa(bell(), backend)], shots=shots)
    job.result()
    status = job.status()
    return (status if isinstance(status, str) else status.name) == "DONE"


def done_with_qiskit_aer_sampler_from_backend(backend, shots):
    job = AerSampler.from_backend(backend, seed=SEED).run([isa(bell(), backend)], shots=shots)
    job.result()
    return job.done()


def done_with_backend_sampler_v2_unseeded(backend, shots):
    job = BackendSamplerV2(backend=backend).run([isa(bell(), backend)], shots=shots)
    job.result()
    return job.status() == JobStatus.DONE


@pytest.mark.parametrize(
    "answer",
    [
        done_solution,
        done_by_enum_identity_with_the_deprecated_sampler,
        done_by_the_status_name_unseeded,
        done_with_qiskit_aer_sampler_from_backend,
        done_with_backend_sampler_v2_unseeded,
    ],
    ids=lambda f: f.__name__,
)
def test_job_done_honest_styles_get_full_marks(answer):
    assert_full_marks(graded(EXERCISE, "job_done", answer))


def test_comparing_the_local_status_with_a_string_fails_with_the_reason():
    def answer(backend, shots):
        job = client_sampler(backend).run([isa(bell(), backend)], shots=shots)
        job.result()
        return job.status() == "DONE"

    result = graded(EXERCISE, "job_done", answer)
    assert (result.score, unmet(result)) == (0, {"finished"})
    assert "`JobStatus` enum" in message(result, "finished")


def test_returning_the_status_itself_is_the_wrong_type():
    def answer(backend, shots):
        job = client_sampler(backend).run([isa(bell(), backend)], shots=shots)
        job.result()
        return job.status()

    result = graded(EXERCISE, "job_done", answer)
    assert unmet(result) == {"finished"}
    assert "Expected True or False" in message(result, "finished")


def test_a_session_and_hard_coded_shots_lose_their_own_credits():
    def answer(backend, shots):
        with Session(backend=backend) as session:
            job = client_sampler(session).run([isa(bell(), backend)], shots=1024)
        job.result()
        return job.done()

    result = graded(EXERCISE, "job_done", answer)
    assert (result.score, unmet(result)) == (0.5, {"job_mode", "exact_shots"})
    assert "ran 1024 shots" in message(result, "exact_shots")
    assert not accuses(result)


def test_default_shots_are_read_off_the_replay():
    def answer(backend, shots):
        job = client_sampler(backend).run([isa(bell(), backend)])
        job.result()
        return job.done()

    result = graded(EXERCISE, "job_done", answer)
    assert (result.score, unmet(result)) == (0.75, {"exact_shots"})
    assert "ran 4096 shots" in message(result, "exact_shots")
