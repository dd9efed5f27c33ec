"""local-testing: read a backend from the local service by name, then sample a Bell state on it."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from qiskit_ibm_runtime.fake_provider import (
    FakeBelemV2,
    FakeGuadalupeV2,
    FakeJakartaV2,
    FakeLimaV2,
    FakePerth,
)

from grader.exercises import Case, Exercise, Task
from grader.judge.common import one_job
from grader.judge.evidence import Evidence
from grader.judge.replay import backend_for, describe
from grader.judge.rubric import Rubric, Verdicts, credit, gate
from grader.judge.sampling import bell_job
from grader.primitives import Unreplayable

FAKES_BY_NAME = {
    "fake_lima": FakeLimaV2,
    "fake_perth": FakePerth,
    "fake_guadalupe": FakeGuadalupeV2,
    "fake_belem": FakeBelemV2,
    "fake_jakarta": FakeJakartaV2,
}
"""The class that `QiskitRuntimeService(channel="local").backend(name)` returns for each name the cases use.

The grader builds the class directly: asking the local service would build all 68 fakes on every check.
tests/test_local_testing_checks.py verifies that the service returns these very classes for these names."""

SUMMARY_KEYS = ("name", "num_qubits", "dynamic_circuits")
GET_BACKEND = 'Get the backend with `QiskitRuntimeService(channel="local").backend(name)`'
BUILD_BELL = "Apply H to qubit 0, then CX from qubit 0 to qubit 1, and measure both qubits"


def fake_backend(name: str) -> Any:
    """A fresh fake backend of the class the local service returns for ``name``."""
    backend = FAKES_BY_NAME[name]()
    if backend.name != name:
        raise ValueError(f"{type(backend).__name__} is called {backend.name}, not {name}")
    return backend


def summary_cases() -> list[Case]:
    """Backend names the notebook never uses: small and larger, with and without dynamic circuits."""
    return [Case(f'"{name}"', (name,)) for name in ("fake_lima", "fake_perth", "fake_guadalupe")]


def judge_backend_summary(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `backend_summary(name)`: every field against a backend the grader builds itself."""
    (name,) = case.args
    returned = ev.returned
    example = {"name": "fake_manila", "num_qubits": 5, "dynamic_circuits": True}
    v.require(
        "returns_summary",
        isinstance(returned, dict) and set(returned) == set(SUMMARY_KEYS),
        "A dict with the keys name, num_qubits and dynamic_circuits.",
        f"Expected a dict with exactly the keys name, num_qubits and dynamic_circuits, such as {example}; got "
        f"{returned!r:.100}.",
    )
    backend = fake_backend(name)
    seen = returned["name"]
    v.check(
        "name",
        isinstance(seen, str) and seen == backend.name,
        f"name = {backend.name!r}, as the backend says.",
        f"name should be {backend.name!r} for this backend, got {seen!r:.60}. Return the `backend.name` of the "
        "backend you got.",
    )
    seen = returned["num_qubits"]
    is_int = isinstance(seen, numbers.Integral) and not isinstance(seen, (bool, np.bool_))
    v.check(
        "num_qubits",
        is_int and seen == backend.num_qubits,
        f"num_qubits = {backend.num_qubits}, as the backend says.",
        f"num_qubits should be {backend.num_qubits} for this backend, got {seen!r:.60}"
        + ("" if is_int else f" (a {type(seen).__name__}, not an int)")
        + f". {GET_BACKEND} and read `backend.num_qubits`.",
    )
    seen = returned["dynamic_circuits"]
    expected = "if_else" in backend.operation_names
    is_bool = isinstance(seen, (bool, np.bool_))
    v.check(
        "dynamic_circuits",
        is_bool and bool(seen) == expected,
        f"dynamic_circuits = {expected}, as the backend says.",
        f"dynamic_circuits should be {expected} for this backend, got {seen!r:.60}"
        + ("" if is_bool else f" (a {type(seen).__name__}, not True or False)")
        + '. A backend runs dynamic circuits when `"if_else" in backend.operation_names`, a True/False test.',
    )


def bell_cases() -> list[Case]:
    """Backend names and shot counts the notebook never uses, one 5-qubit and one 7-qubit device."""
    return [
        Case(f'"{name}", {shots} shots', (name, shots)) for name, shots in (("fake_belem", 613), ("fake_jakarta", 1111))
    ]


def named_backend_check(v: Verdicts, ev: Evidence, backend: Any, requirement: str) -> None:
    """Gate (before `one_job`): a single sampler job ran on the backend called by the case's name."""
    calls = ev.claim.calls_of("sampler")
    if len(calls) != 1 or calls[0].entry is None:
        return  # `one_job` says what is wrong
    try:
        backend_for(calls[0].backend, backend)
    except Unreplayable:
        v.fail(
            requirement,
            f"The sampler ran on {describe(calls[0].backend)}, not on the backend called {backend.name!r} that the "
            f"function was asked for. {GET_BACKEND} and pass it as `mode=backend`.",
        )


def judge_bell_on_named_backend(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `bell_on_named_backend(name, shots)`, against the fake backend that carries that name."""
    name, shots = case.args
    backend = fake_backend(name)
    named_backend_check(v, ev, backend, "uses_v2_sampler")
    bell_job(v, ev, one_job(v, ev, "sampler", backend, "uses_v2_sampler"), backend, shots)


EXERCISE = Exercise(
    id="local-testing",
    tasks=(
        Task(
            "backend_summary",
            "backend_summary(name)",
            Rubric(
                (
                    gate(
                        "returns_summary",
                        "It returns a dict with exactly the keys name, num_qubits and dynamic_circuits.",
                    ),
                    credit("name", "`name` is the backend's own name (a str).", "0.5"),
                    credit("num_qubits", "`num_qubits` is the backend's number of qubits (an int).", "0.75"),
                    credit(
                        "dynamic_circuits",
                        "`dynamic_circuits` is True exactly when the backend lists `if_else` (a bool).",
                        "0.75",
                    ),
                )
            ),
            judge_backend_summary,
            summary_cases,
        ),
        Task(
            "bell_on_named_backend",
            "bell_on_named_backend(name, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend called `name`."),
                    gate("bell_state", "The circuit prepares (|00⟩ + |11⟩)/√2 and measures both qubits.", "0.5"),
                    gate(
                        "provenance", "The counts returned are exactly those of the grader's replay of the job.", "0.5"
                    ),
                    credit("exact_shots", "The job runs exactly `shots` shots.", "0.5"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.5"),
                )
            ),
            judge_bell_on_named_backend,
            bell_cases,
        ),
    ),
)
