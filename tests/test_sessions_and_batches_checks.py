"""The sessions-and-batches checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import warnings

from answers import bell, failing_checks, isa
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.providers import JobStatus
from qiskit_ibm_runtime import Batch, SamplerV2, Session
from qiskit_ibm_runtime.executor_sampler import Sampler

from grader.notebook import run_checks

SEED = 61


def ry(theta):
    qc = QuantumCircuit(1)
    qc.ry(theta, 0)
    qc.measure_all()
    return qc


def ghz():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure_all()
    return qc


def client_sampler(mode):
    sampler = Sampler(mode=mode)
    sampler.options.simulator.seed_simulator = SEED
    return sampler


def deprecated_sampler(mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return SamplerV2(mode=mode, options={"simulator": {"seed_simulator": SEED}})


failed_ids = failing_checks("sessions-and-batches")


def named(function, name):
    function.__name__ = name
    return function


# batch_sweep


def test_batch_of_client_sampler_jobs_passes():
    def batch_sweep(backend, thetas, shots):
        circuits = [isa(ry(theta), backend) for theta in thetas]
        with Batch(backend=backend) as batch:
            sampler = client_sampler(batch)
            jobs = [sampler.run([circuit], shots=shots) for circuit in circuits]
        return [job.result()[0].data.meas.get_counts() for job in jobs]

    assert failed_ids(batch_sweep) == set()


def test_batch_of_deprecated_sampler_jobs_with_one_parameter_value_each_passes():
    def batch_sweep(backend, thetas, shots):
        theta = Parameter("θ")
        circuit = isa(ry(theta), backend)
        with Batch(backend=backend) as batch:
            sampler = deprecated_sampler(batch)
            jobs = [sampler.run([(circuit, [value])], shots=shots) for value in thetas]
        return [job.result()[0].data.meas.get_counts() for job in jobs]

    assert failed_ids(batch_sweep) == set()


def test_backend_run_jobs_fail_the_gates():
    def batch_sweep(backend, thetas, shots):
        jobs = [backend.run(isa(ry(theta), backend), shots=shots, seed_simulator=SEED) for theta in thetas]
        return [job.result().get_counts() for job in jobs]

    assert failed_ids(batch_sweep) == {"batch_sweep.no_backend_run", "batch_sweep.uses_v2_sampler"}


def test_jobs_outside_a_batch_fail_the_mode_check():
    def batch_sweep(backend, thetas, shots):
        sampler = client_sampler(backend)
        jobs = [sampler.run([isa(ry(theta), backend)], shots=shots) for theta in thetas]
        return [job.result()[0].data.meas.get_counts() for job in jobs]

    results = {r.id: r for r in run_checks("sessions-and-batches", batch_sweep)}
    assert {i for i, r in results.items() if not r.passed} == {"batch_sweep.in_batch"}
    assert "job mode" in results["batch_sweep.in_batch"].message


def test_jobs_in_a_session_fail_the_mode_check():
    def batch_sweep(backend, thetas, shots):
        with Session(backend=backend) as session:
            sampler = client_sampler(session)
            jobs = [sampler.run([isa(ry(theta), backend)], shots=shots) for theta in thetas]
        return [job.result()[0].data.meas.get_counts() for job in jobs]

    assert failed_ids(batch_sweep) == {"batch_sweep.in_batch"}


def test_one_sweep_job_in_the_batch_fails_the_one_job_per_angle_check():
    def batch_sweep(backend, thetas, shots):
        theta = Parameter("θ")
        with Batch(backend=backend) as batch:
            job = client_sampler(batch).run([(isa(ry(theta), backend), thetas)], shots=shots)
        bits = job.result()[0].data.meas
        return [bits.get_counts(i) for i in range(len(thetas))]

    assert failed_ids(batch_sweep) == {"batch_sweep.one_job_per_angle"}


def test_reversed_angles_fail_the_circuit_check_and_typed_counts_fail_provenance():
    def batch_sweep(backend, thetas, shots):
        with Batch(backend=backend) as batch:
            sampler = client_sampler(batch)
            jobs = [sampler.run([isa(ry(theta), backend)], shots=shots) for theta in reversed(thetas)]
        return [job.result()[0].data.meas.get_counts() for job in reversed(jobs)]

    assert failed_ids(batch_sweep) == {"batch_sweep.ry_circuits", "batch_sweep.provenance"}

    def batch_sweep_typed(backend, thetas, shots):
        with Batch(backend=backend) as batch:
            sampler = client_sampler(batch)
            jobs = [sampler.run([isa(ry(theta), backend)], shots=shots) for theta in thetas]
        counts = [job.result()[0].data.meas.get_counts() for job in jobs]
        counts[1] = {"0": shots // 2, "1": shots - shots // 2}
        return counts

    assert failed_ids(named(batch_sweep_typed, "batch_sweep")) == {"batch_sweep.provenance"}


def test_wrong_shots_are_reported_per_job():
    def batch_sweep(backend, thetas, shots):
        with Batch(backend=backend) as batch:
            sampler = client_sampler(batch)
            jobs = [sampler.run([isa(ry(theta), backend)], shots=shots + 1) for theta in thetas]
        return [job.result()[0].data.meas.get_counts() for job in jobs]

    assert failed_ids(batch_sweep) == {"batch_sweep.returns_list", "batch_sweep.exact_shots", "batch_sweep.provenance"}


# session_pair


def test_session_with_client_and_deprecated_samplers_passes():
    def session_pair(backend, shots):
        with Session(backend=backend) as session:
            sampler = client_sampler(session)
            bell_job = sampler.run([isa(bell(), backend)], shots=shots)
            ghz_job = sampler.run([isa(ghz(), backend)], shots=shots)
        return {"bell": bell_job.result()[0].data.meas.get_counts(), "ghz": ghz_job.result()[0].data.meas.get_counts()}

    assert failed_ids(session_pair) == set()

    def session_pair_deprecated(backend, shots):
        with Session(backend=backend) as session:
            sampler = deprecated_sampler(session)
            bell_job = sampler.run([isa(bell(), backend)], shots=shots)
            ghz_job = sampler.run([isa(ghz(), backend)], shots=shots)
        return {"bell": bell_job.result()[0].data.meas.get_counts(), "ghz": ghz_job.result()[0].data.meas.get_counts()}

    assert failed_ids(named(session_pair_deprecated, "session_pair")) == set()


def test_sampler_built_on_the_backend_inside_the_session_fails_the_mode_check():
    def session_pair(backend, shots):
        with Session(backend=backend):
            sampler = client_sampler(backend)
            bell_job = sampler.run([isa(bell(), backend)], shots=shots)
            ghz_job = sampler.run([isa(ghz(), backend)], shots=shots)
        return {"bell": bell_job.result()[0].data.meas.get_counts(), "ghz": ghz_job.result()[0].data.meas.get_counts()}

    assert failed_ids(session_pair) == {"session_pair.in_session"}


def test_both_circuits_in_one_job_fail_the_two_jobs_check():
    def session_pair(backend, shots):
        with Session(backend=backend) as session:
            result = client_sampler(session).run([isa(bell(), backend), isa(ghz(), backend)], shots=shots).result()
        return {"bell": result[0].data.meas.get_counts(), "ghz": result[1].data.meas.get_counts()}

    assert failed_ids(session_pair) == {"session_pair.two_jobs"}


def test_ghz_without_its_last_cx_fails_the_exact_states_check():
    def session_pair(backend, shots):
        broken = QuantumCircuit(3)
        broken.h(0)
        broken.cx(0, 1)
        broken.measure_all()
        with Session(backend=backend) as session:
            sampler = client_sampler(session)
            bell_job = sampler.run([isa(bell(), backend)], shots=shots)
            ghz_job = sampler.run([isa(broken, backend)], shots=shots)
        return {"bell": bell_job.result()[0].data.meas.get_counts(), "ghz": ghz_job.result()[0].data.meas.get_counts()}

    results = {r.id: r for r in run_checks("sessions-and-batches", session_pair)}
    assert {i for i, r in results.items() if not r.passed} == {"session_pair.exact_states"}
    assert "CX(1, 2)" in results["session_pair.exact_states"].message


def test_edited_counts_fail_provenance_and_backend_run_fails_the_gates():
    def session_pair(backend, shots):
        with Session(backend=backend) as session:
            sampler = client_sampler(session)
            bell_job = sampler.run([isa(bell(), backend)], shots=shots)
            ghz_job = sampler.run([isa(ghz(), backend)], shots=shots)
        bell_counts = bell_job.result()[0].data.meas.get_counts()
        bell_counts["00"] -= 1  # one shot moved by hand
        bell_counts["11"] += 1
        return {"bell": bell_counts, "ghz": ghz_job.result()[0].data.meas.get_counts()}

    assert failed_ids(session_pair) == {"session_pair.provenance"}

    def session_pair_legacy(backend, shots):
        return {
            "bell": backend.run(isa(bell(), backend), shots=shots).result().get_counts(),
            "ghz": backend.run(isa(ghz(), backend), shots=shots).result().get_counts(),
        }

    assert failed_ids(named(session_pair_legacy, "session_pair")) == {
        "session_pair.no_backend_run",
        "session_pair.uses_v2_sampler",
    }


# job_done


def test_done_and_the_enum_comparison_pass():
    def job_done(backend, shots):
        job = client_sampler(backend).run([isa(bell(), backend)], shots=shots)
        job.result()
        return job.done()

    assert failed_ids(job_done) == set()

    def job_done_enum(backend, shots):
        job = deprecated_sampler(backend).run([isa(bell(), backend)], shots=shots)
        job.result()
        return job.status() is JobStatus.DONE

    assert failed_ids(named(job_done_enum, "job_done")) == set()


def test_string_comparison_fails_with_the_enum_explanation():
    def job_done(backend, shots):
        job = client_sampler(backend).run([isa(bell(), backend)], shots=shots)
        job.result()
        return job.status() == "DONE"

    results = {r.id: r for r in run_checks("sessions-and-batches", job_done)}
    assert {i for i, r in results.items() if not r.passed} == {"job_done.finished"}
    assert "JobStatus" in results["job_done.finished"].message


def test_job_in_a_batch_or_from_backend_run_is_reported():
    def job_done(backend, shots):
        with Batch(backend=backend) as batch:
            job = client_sampler(batch).run([isa(bell(), backend)], shots=shots)
        job.result()
        return job.done()

    assert failed_ids(job_done) == {"job_done.in_backend"}

    def job_done_legacy(backend, shots):
        job = backend.run(isa(bell(), backend), shots=shots)
        job.result()
        return job.done()

    assert failed_ids(named(job_done_legacy, "job_done")) == {"job_done.no_backend_run", "job_done.uses_v2_sampler"}
