"""The third-party-backends checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import warnings

import pytest
from answers import bell
from qiskit.primitives import BackendSamplerV2, StatevectorSampler
from qiskit_aer.primitives import SamplerV2 as AerSampler
from qiskit_ibm_runtime import SamplerV2
from qiskit_ibm_runtime.executor_sampler import Sampler

from grader.notebook import run_checks

SEED = 29


def wrapped(backend):
    return BackendSamplerV2(backend=backend, options={"seed_simulator": SEED})


def failures(function, name=None):
    """The failed checks by id (with several cases, the last failure of each id)."""
    if name:
        function.__name__ = name
    return {r.id: r for r in run_checks("third-party-backends", function) if not r.passed}


def failed_ids(function, name=None):
    return set(failures(function, name))


@pytest.mark.parametrize("task", ["basic_counts", "aer_counts"])
def test_backend_sampler_v2_passes(task):
    def counts(backend, shots):
        return wrapped(backend).run([bell()], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(counts, task) == set()


@pytest.mark.parametrize("task", ["basic_counts", "aer_counts"])
def test_default_shots_in_the_options_also_count(task):
    def counts(backend, shots):
        sampler = BackendSamplerV2(backend=backend, options={"default_shots": shots, "seed_simulator": SEED})
        return sampler.run([bell()]).result()[0].data.meas.get_counts()

    assert failed_ids(counts, task) == set()


@pytest.mark.parametrize("task", ["basic_counts", "aer_counts"])
def test_backend_run_fails_the_gates(task):
    def counts(backend, shots):
        return backend.run(bell(), shots=shots, seed_simulator=SEED).result().get_counts()

    assert failed_ids(counts, task) == {f"{task}.no_backend_run", f"{task}.uses_v2_sampler"}


@pytest.mark.parametrize("task", ["basic_counts", "aer_counts"])
def test_samplers_without_a_backend_fail_the_gate_with_their_reason(task):
    def counts(backend, shots):
        return StatevectorSampler(seed=SEED).run([bell()], shots=shots).result()[0].data.meas.get_counts()

    results = failures(counts, task)
    assert set(results) == {f"{task}.uses_v2_sampler"}
    assert "has no backend" in results[f"{task}.uses_v2_sampler"].message

    def aer_own(backend, shots):
        return AerSampler(seed=SEED).run([bell()], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(aer_own, task) == {f"{task}.uses_v2_sampler"}


def test_runtime_samplers_refuse_basic_simulator():
    def basic_counts(backend, shots):
        return Sampler(mode=backend).run([bell()], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(basic_counts) == {"basic_counts.runs"}


def test_runtime_sampler_on_aer_runs_but_is_not_the_wrapper():
    def aer_counts(backend, shots):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sampler = SamplerV2(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return sampler.run([bell()], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(aer_counts) == {"aer_counts.backend_sampler_v2"}


def test_missing_cx_fails_the_bell_check_and_typed_counts_fail_provenance():
    def basic_counts(backend, shots):
        return wrapped(backend).run([bell(with_cx=False)], shots=shots).result()[0].data.meas.get_counts()

    results = failures(basic_counts)
    assert set(results) == {"basic_counts.bell_state"}
    assert "not entangled" in results["basic_counts.bell_state"].message

    def aer_counts(backend, shots):
        wrapped(backend).run([bell()], shots=shots).result()
        return {"00": shots // 2, "11": shots - shots // 2}

    assert failed_ids(aer_counts) == {"aer_counts.provenance"}


def test_wrong_shots_are_reported():
    def basic_counts(backend, shots):
        return wrapped(backend).run([bell()], shots=1000).result()[0].data.meas.get_counts()

    assert failed_ids(basic_counts) == {"basic_counts.returns_counts", "basic_counts.exact_shots"}


def correct_facts(backend):
    return {
        "num_qubits": backend.num_qubits,
        "coupling_map": sorted([a, b] for a, b in backend.coupling_map.get_edges()),
        "operation_names": sorted(backend.operation_names),
        "t1": backend.qubit_properties(0).t1,
        "readout_error": backend.target["measure"][(0,)].error,
    }


def test_backend_v2_facts_pass():
    def backend_facts(backend):
        return correct_facts(backend)

    assert failed_ids(backend_facts) == set()


def test_v1_basis_gates_hard_coded_qubits_and_microseconds_fail_their_facts():
    def backend_facts(backend):
        facts = correct_facts(backend)
        facts["operation_names"] = sorted(backend.configuration().basis_gates)
        facts["num_qubits"] = 5
        facts["t1"] = facts["t1"] * 1e6
        return facts

    results = failures(backend_facts)
    assert set(results) == {"backend_facts.operation_names", "backend_facts.num_qubits", "backend_facts.t1"}
    assert "FakeNairobiV2" in results["backend_facts.num_qubits"].message


def test_undirected_coupling_map_and_missing_keys_fail():
    def backend_facts(backend):
        facts = correct_facts(backend)
        facts["coupling_map"] = sorted({tuple(sorted(edge)) for edge in backend.coupling_map.get_edges()})
        return facts

    assert failed_ids(backend_facts) == {"backend_facts.coupling_map"}

    def backend_facts_partial(backend):
        return {"num_qubits": backend.num_qubits}

    assert failed_ids(backend_facts_partial, "backend_facts") == {"backend_facts.returns_dict"}
