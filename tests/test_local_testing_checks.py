"""The local-testing rubric on real answers, graded in-process as a check cell grades them.

Honest styles must get full marks; each wrong answer must lose exactly what the rubric takes for its mistake.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from answers import aer_sampler, bell, client_sampler, deprecated_sampler, graded, isa
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import QiskitRuntimeService
from qiskit_ibm_runtime.executor_sampler import Sampler
from qiskit_ibm_runtime.fake_provider import FakeManilaV2, FakeProviderForBackendV2

from grader.exercises import load_exercise
from grader.exercises.local_testing import EXERCISE, FAKES_BY_NAME
from grader.notebook import card_text, check

EXERCISE_ID = "local-testing"
SEED = 31
ACCUSING = ("typed", "typing", "edit", "cheat", "forged", "tamper")


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


def grade(name, function):
    return graded(EXERCISE_ID, name, function)


def message(result, requirement):
    return next(c.message for c in result.checks if c.id.endswith("." + requirement))


def failed(result):
    """The requirements checked and not met (those a failed gate kept from being checked are left out)."""
    return {c.id.split(".", 1)[1] for c in result.checks if not c.passed and c.evaluated}


def assert_full_marks(result):
    assert result.score == result.max_score == 2.0 and failed(result) == set(), card_text(result)


def assert_lost(result, requirements, score):
    assert failed(result) == set(requirements), card_text(result)
    assert result.score == score, card_text(result)
    for check_result in result.checks:
        if not check_result.passed:
            assert not any(word in check_result.message.lower() for word in ACCUSING), check_result.message


def test_the_grader_builds_the_class_the_local_service_returns_for_every_case_name(service):
    names = {case.args[0] for task in EXERCISE.tasks for case in task.cases()}
    assert names <= set(FAKES_BY_NAME)
    for name, fake_class in FAKES_BY_NAME.items():
        backend = service.backend(name)
        assert type(backend) is fake_class and backend.name == name


# backend_summary ------------------------------------------------------------------------------------------------


def test_summary_from_the_local_service_gets_full_marks():
    def backend_summary(name):
        backend = named(name)
        return {
            "name": backend.name,
            "num_qubits": backend.num_qubits,
            "dynamic_circuits": "if_else" in backend.operation_names,
        }

    assert_full_marks(grade("backend_summary", backend_summary))


def test_summary_with_the_services_dynamic_filter_gets_full_marks(service):
    def backend_summary(name):
        dynamic = {b.name for b in service.backends(dynamic_circuits=True)}
        backend = service.backend(name)
        return {"name": name, "num_qubits": backend.target.num_qubits, "dynamic_circuits": name in dynamic}

    assert_full_marks(grade("backend_summary", backend_summary))


def test_summary_from_the_fake_provider_with_numpy_values_gets_full_marks():
    def backend_summary(name):
        backend = FakeProviderForBackendV2().backend(name)
        return {
            "name": backend.name,
            "num_qubits": np.int64(backend.num_qubits),
            "dynamic_circuits": np.isin("if_else", list(backend.operation_names)).item() is True,
        }

    assert_full_marks(grade("backend_summary", backend_summary))


def test_summary_of_the_notebooks_backend_loses_the_fields_that_differ():
    def backend_summary(name):
        backend = FakeManilaV2()
        return {"name": name, "num_qubits": backend.num_qubits, "dynamic_circuits": True}

    result = grade("backend_summary", backend_summary)
    assert_lost(result, {"num_qubits", "dynamic_circuits"}, 0.5)
    assert "should be 7" in message(result, "num_qubits")


def test_summary_with_operation_names_instead_of_a_bool_loses_that_field():
    def backend_summary(name):
        backend = named(name)
        return {"name": backend.name, "num_qubits": backend.num_qubits, "dynamic_circuits": backend.operation_names}

    result = grade("backend_summary", backend_summary)
    assert_lost(result, {"dynamic_circuits"}, 1.25)
    assert "(a list, not True or False)" in message(result, "dynamic_circuits")


def test_summary_with_the_number_as_text_loses_that_field():
    def backend_summary(name):
        backend = named(name)
        dynamic = "if_else" in backend.operation_names
        return {"name": backend.name, "num_qubits": str(backend.num_qubits), "dynamic_circuits": dynamic}

    result = grade("backend_summary", backend_summary)
    assert_lost(result, {"num_qubits"}, 1.25)
    assert "(a str, not an int)" in message(result, "num_qubits")


def test_returning_the_backend_itself_gets_nothing():
    def backend_summary(name):
        return named(name)

    result = grade("backend_summary", backend_summary)
    assert_lost(result, {"returns_summary"}, 0)
    assert "exactly the keys name, num_qubits and dynamic_circuits" in message(result, "returns_summary")


# bell_on_named_backend ------------------------------------------------------------------------------------------


def unseeded(backend):
    return Sampler(mode=backend)


@pytest.mark.parametrize("make_sampler", [client_sampler, deprecated_sampler, aer_sampler, unseeded])
def test_bell_with_any_v2_sampler_gets_full_marks(make_sampler):
    def bell_on_named_backend(name, shots):
        backend = named(name)
        return make_sampler(backend).run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    assert_full_marks(grade("bell_on_named_backend", bell_on_named_backend))


def test_bell_on_another_layout_with_a_barrier_gets_full_marks():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        circuit = bell()
        circuit.barrier()
        pass_manager = generate_preset_pass_manager(backend=backend, optimization_level=3, seed_transpiler=9)
        return (
            client_sampler(backend).run([pass_manager.run(circuit)], shots=shots).result()[0].join_data().get_counts()
        )

    assert_full_marks(grade("bell_on_named_backend", bell_on_named_backend))


def test_bell_through_backend_run_gets_nothing():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        return backend.run(isa(bell(), backend), shots=shots, seed_simulator=SEED).result().get_counts()

    result = grade("bell_on_named_backend", bell_on_named_backend)
    assert {"reads_as_v2", "no_backend_run", "uses_v2_sampler"} <= failed(result)
    assert result.score == 0


def test_bell_on_the_notebooks_backend_instead_of_the_named_one_gets_nothing():
    def bell_on_named_backend(name, shots):
        backend = FakeManilaV2()
        return client_sampler(backend).run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()

    result = grade("bell_on_named_backend", bell_on_named_backend)
    assert_lost(result, {"uses_v2_sampler"}, 0)
    assert "not on the backend called 'fake_belem'" in message(result, "uses_v2_sampler")


def test_bell_typed_in_counts_lose_provenance():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        client_sampler(backend).run([isa(bell(), backend)], shots=shots).result()
        return {"00": shots // 2, "11": shots - shots // 2}

    assert_lost(grade("bell_on_named_backend", bell_on_named_backend), {"provenance"}, 0)


def test_bell_without_cx_and_with_default_shots_loses_the_state_gate_and_says_why():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        return client_sampler(backend).run([isa(bell(with_cx=False), backend)]).result()[0].data.meas.get_counts()

    result = grade("bell_on_named_backend", bell_on_named_backend)
    assert_lost(result, {"bell_state", "exact_shots"}, 0)
    assert "bit 1 always reads 0" in message(result, "bell_state")


def test_bell_with_wrong_shots_loses_only_the_shots_credit():
    def bell_on_named_backend(name, shots):
        backend = named(name)
        return client_sampler(backend).run([isa(bell(), backend)], shots=1000).result()[0].data.meas.get_counts()

    assert_lost(grade("bell_on_named_backend", bell_on_named_backend), {"exact_shots"}, 1.5)


def test_a_name_as_the_mode_fails_with_the_error_and_the_line():
    def bell_on_named_backend(name, shots):
        return Sampler(mode=name).run([bell()], shots=shots).result()[0].data.meas.get_counts()

    result = grade("bell_on_named_backend", bell_on_named_backend)
    assert result.score == 0 and "runs" in failed(result)
    assert "raised" in message(result, "runs")


def test_untouched_stub_fails_with_a_message_not_a_crash():
    def backend_summary(name):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="not written yet"):
        check(EXERCISE_ID, backend_summary)


def test_every_task_keeps_its_two_points():
    spec = load_exercise(EXERCISE_ID)
    assert [(t.name, float(t.points)) for t in spec.tasks] == [("backend_summary", 2.0), ("bell_on_named_backend", 2.0)]
