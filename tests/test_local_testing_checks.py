"""The local-testing checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import warnings

import pytest
from answers import bell, client_sampler, failing_checks, isa
from qiskit_ibm_runtime import QiskitRuntimeService, SamplerV2
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from grader.exercises.local_testing import EXERCISE, FAKES_BY_NAME
from grader.notebook import run_checks

SEED = 31


@pytest.fixture(scope="module")
def service():
    with warnings.catch_warnings():
        # The local service builds every fake, and fake_nighthawk warns that its error values are placeholders.
        warnings.filterwarnings("ignore", message="Properties of fake_nighthawk", category=UserWarning)
        local = QiskitRuntimeService(channel="local")
        local.backend("fake_manila")
    return local


def named(name):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Properties of fake_nighthawk", category=UserWarning)
        return QiskitRuntimeService(channel="local").backend(name)


failed_ids = failing_checks("local-testing")


def test_the_grader_builds_the_class_the_local_service_returns_for_every_case_name(service):
    names = {case.args[0] for task in EXERCISE.tasks for case in task.cases()}
    assert names <= set(FAKES_BY_NAME)
    for name, fake_class in FAKES_BY_NAME.items():
        backend = service.backend(name)
        assert type(backend) is fake_class and backend.name == name


def test_summary_from_the_local_service_passes():
    def backend_summary(name):
        backend = named(name)
        return {
            "name": backend.name,
            "num_qubits": backend.num_qubits,
            "dynamic_circuits": "if_else" in backend.operation_names,
        }

    assert failed_ids(backend_summary) == set()


def test_summary_with_the_services_dynamic_filter_passes_too(service):
    def backend_summary(name):
        dynamic = {b.name for b in service.backends(dynamic_circuits=True)}
        backend = service.backend(name)
        return {"name": name, "num_qubits": backend.num_qubits, "dynamic_circuits": name in dynamic}

    assert failed_ids(backend_summary) == set()


def test_summary_of_the_notebooks_backend_fails_the_fields_that_differ():
    def backend_summary(name):
        backend = FakeManilaV2()
        return {"name": name, "num_qubits": backend.num_qubits, "dynamic_circuits": True}

    assert failed_ids(backend_summary) == {"backend_summary.num_qubits", "backend_summary.dynamic_circuits"}


def test_summary_with_operation_names_instead_of_a_bool_fails_the_shape():
    def backend_summary(name):
        backend = named(name)
        return {"name": backend.name, "num_qubits": backend.num_qubits, "dynamic_circuits": backend.operation_names}

    results = [r for r in run_checks("local-testing", backend_summary) if not r.passed]
    assert {r.id for r in results} == {"backend_summary.returns_summary"}
    assert "dynamic_circuits is list, not bool" in results[0].message


def test_returning_the_backend_itself_fails_the_shape():
    def backend_summary(name):
        return named(name)

    assert failed_ids(backend_summary) == {"backend_summary.returns_summary"}


def test_bell_with_the_client_side_sampler_passes():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        return client_sampler(backend).run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(bell_on_named_backend) == set()


def test_bell_with_the_deprecated_sampler_passes():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sampler = SamplerV2(mode=backend, options={"simulator": {"seed_simulator": SEED}})
        return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    assert failed_ids(bell_on_named_backend) == set()


def test_bell_through_backend_run_fails_the_gates():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        return backend.run(isa(bell(), backend), shots=shots, seed_simulator=SEED).result().get_counts()

    assert failed_ids(bell_on_named_backend) == {
        "bell_on_named_backend.no_backend_run",
        "bell_on_named_backend.uses_v2_sampler",
    }


def test_bell_on_the_notebooks_backend_instead_of_the_named_one_fails():
    def bell_on_named_backend(name, shots):
        backend = FakeManilaV2()
        return client_sampler(backend).run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    results = [r for r in run_checks("local-testing", bell_on_named_backend) if not r.passed]
    assert {r.id for r in results} == {"bell_on_named_backend.uses_v2_sampler"}
    assert "not on the backend called 'fake_belem'" in results[0].message


def test_bell_typed_in_counts_fail_provenance():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        client_sampler(backend).run([isa(bell(), backend)], shots=shots).result()
        return {"00": shots // 2, "11": shots - shots // 2}

    assert failed_ids(bell_on_named_backend) == {"bell_on_named_backend.provenance"}


def test_bell_without_cx_and_with_default_shots_fails_those_checks():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        return client_sampler(backend).run([isa(bell(with_cx=False), backend)]).result()[0].data.meas.get_counts()

    assert failed_ids(bell_on_named_backend) == {
        "bell_on_named_backend.returns_counts",
        "bell_on_named_backend.exact_shots",
        "bell_on_named_backend.bell_state",
    }
