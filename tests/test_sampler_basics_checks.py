"""The sampler-basics checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import warnings

import pytest
from answers import bell, client_sampler, failing_checks, isa
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import StatevectorSampler
from qiskit_ibm_runtime import SamplerV2

from grader.notebook import check, run_checks

SEED = 97


failed_ids = failing_checks("sampler-basics")


def test_client_side_sampler_passes():
    def bell_counts(backend, shots):
        job = client_sampler(backend).run([isa(bell(), backend)], shots=shots)
        return job.result()[0].data.meas.get_counts()

    assert failed_ids(bell_counts) == set()


def test_deprecated_runtime_sampler_passes():
    def bell_counts(backend, shots):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sampler = SamplerV2(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(bell_counts) == set()


def test_backend_run_fails_with_the_legacy_message():
    def bell_counts(backend, shots):
        return backend.run(isa(bell(), backend), shots=shots, seed_simulator=SEED).result().get_counts()

    results = {r.id: r for r in run_checks("sampler-basics", bell_counts)}
    assert not results["bell_counts.no_backend_run"].passed
    assert "legacy path" in results["bell_counts.no_backend_run"].message
    assert not results["bell_counts.uses_v2_sampler"].passed


def test_backend_run_hidden_behind_getattr_is_seen():
    def bell_counts(backend, shots):
        runner = getattr(backend, "r" + "un")
        return runner(isa(bell(), backend), shots=shots).result().get_counts()

    assert "bell_counts.no_backend_run" in failed_ids(bell_counts)


def test_hard_coded_counts_fail_provenance():
    def bell_counts(backend, shots):
        client_sampler(backend).run([isa(bell(), backend)], shots=shots).result()
        return {"00": shots // 2, "11": shots - shots // 2}

    assert failed_ids(bell_counts) == {"bell_counts.provenance"}


def test_missing_cx_fails_the_exact_circuit_check():
    def bell_counts(backend, shots):
        job = client_sampler(backend).run([isa(bell(with_cx=False), backend)], shots=shots)
        return job.result()[0].data.meas.get_counts()

    results = {r.id: r for r in run_checks("sampler-basics", bell_counts)}
    assert not results["bell_counts.bell_state"].passed
    assert "not entangled" in results["bell_counts.bell_state"].message


def test_wrong_shots_and_non_isa_are_reported():
    def bell_counts(backend, shots):
        job = StatevectorSampler(seed=SEED).run([bell()], shots=shots + 1)
        return job.result()[0].data.meas.get_counts()

    assert {"bell_counts.returns_counts", "bell_counts.uses_v2_sampler"} <= failed_ids(bell_counts)


def test_sweep_in_one_pub_passes_and_one_job_per_angle_fails():
    def theta_sweep(backend, thetas, shots):
        theta = Parameter("θ")
        qc = QuantumCircuit(1)
        qc.ry(theta, 0)
        qc.measure_all()
        bits = client_sampler(backend).run([(isa(qc, backend), thetas)], shots=shots).result()[0].data.meas
        return [bits.get_counts(i) for i in range(len(thetas))]

    assert failed_ids(theta_sweep) == set()

    def theta_sweep_per_angle(backend, thetas, shots):
        out = []
        for value in thetas:
            qc = QuantumCircuit(1)
            qc.ry(value, 0)
            qc.measure_all()
            out.append(client_sampler(backend).run([isa(qc, backend)], shots=shots).result()[0].data.meas.get_counts())
        return out

    theta_sweep_per_angle.__name__ = "theta_sweep"
    assert "theta_sweep.uses_v2_sampler" in failed_ids(theta_sweep_per_angle)


def test_untouched_stub_fails_with_a_message_not_a_crash():
    def bell_counts(backend, shots):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        check("sampler-basics", bell_counts)
