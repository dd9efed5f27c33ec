"""local-testing: read a backend from the local service by name, then sample a Bell state on it."""

from __future__ import annotations

from typing import Any

from qiskit_ibm_runtime.fake_provider import (
    FakeBelemV2,
    FakeGuadalupeV2,
    FakeJakartaV2,
    FakeLimaV2,
    FakePerth,
)

from grader.trace import Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import isa_check, legacy_run_check, one_primitive_call
from grader.judge.sampler_checks import (
    bell_state_check,
    consistency_check,
    counts_shape_check,
    provenance_check,
    rerun_counts,
    returned_register,
    shots_check,
)
from grader.results import CheckResult

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

SUMMARY_KEYS = {"name": str, "num_qubits": int, "dynamic_circuits": bool}


def fake_backend(name: str) -> Any:
    """A fresh fake backend of the class the local service returns for ``name``."""
    backend = FAKES_BY_NAME[name]()
    if backend.name != name:
        raise ValueError(f"{type(backend).__name__} is called {backend.name}, not {name}")
    return backend


def summary_cases() -> list[Case]:
    """Backend names the notebook never uses: small and larger, with and without dynamic circuits."""
    return [Case(f'"{name}"', (name,)) for name in ("fake_lima", "fake_perth", "fake_guadalupe")]


def summary_shape_check(returned: Any) -> CheckResult:
    """Pass when ``returned`` is a dict with exactly the three summary keys, each of the right type."""
    example = {"name": "fake_manila", "num_qubits": 5, "dynamic_circuits": True}
    if not isinstance(returned, dict) or set(returned) != set(SUMMARY_KEYS):
        return CheckResult(
            "backend_summary.returns_summary",
            False,
            f"Expected a dict with exactly the keys name, num_qubits and dynamic_circuits, such as {example}; "
            f"got {returned!r:.100}.",
        )
    wrong = [
        f"{key} is {type(returned[key]).__name__}, not {kind.__name__}"
        for key, kind in SUMMARY_KEYS.items()
        if not isinstance(returned[key], kind) or (kind is int and isinstance(returned[key], bool))
    ]
    if wrong:
        return CheckResult(
            "backend_summary.returns_summary",
            False,
            "; ".join(wrong) + ". Use `backend.name`, `backend.num_qubits` and a `True`/`False` test.",
        )
    return CheckResult("backend_summary.returns_summary", True, "A dict with name, num_qubits and dynamic_circuits.")


def field_check(field: str, seen: Any, expected: Any, fix: str) -> CheckResult:
    """Pass when one field of the summary equals the grader's own reading of the backend."""
    check_id = f"backend_summary.{field}"
    if seen == expected:
        return CheckResult(check_id, True, f"{field} = {expected!r}, as the backend says.")
    return CheckResult(check_id, False, f"{field} should be {expected!r} for this backend, got {seen!r:.60}. {fix}")


def check_backend_summary(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `backend_summary(name)`: every field against a backend the grader builds itself."""
    (name,) = case.args
    shape = summary_shape_check(returned)
    if not shape.passed:
        return [shape]
    backend = fake_backend(name)
    return [
        shape,
        field_check("name", returned["name"], backend.name, "Return the `backend.name` of the backend you got."),
        field_check(
            "num_qubits",
            returned["num_qubits"],
            backend.num_qubits,
            'Get the backend with `QiskitRuntimeService(channel="local").backend(name)` and read `backend.num_qubits`.',
        ),
        field_check(
            "dynamic_circuits",
            returned["dynamic_circuits"],
            "if_else" in backend.operation_names,
            'A backend runs dynamic circuits when `"if_else" in backend.operation_names`.',
        ),
    ]


def bell_cases() -> list[Case]:
    """Backend names and shot counts the notebook never uses, one 5-qubit and one 7-qubit device."""
    return [
        Case(f'"{name}", {shots} shots', (name, shots)) for name, shots in (("fake_belem", 613), ("fake_jakarta", 1111))
    ]


def named_sampler_call(task: str, trace: Trace, backend: Any) -> tuple[CheckResult, Any]:
    """`one_primitive_call` for a backend the function received by name, with a message that says so."""
    check, call = one_primitive_call(task, trace, backend, "sampler")
    calls = trace.calls_of("sampler")
    if call is None and len(calls) == 1 and calls[0].backend_name != backend.name:
        ran_on = calls[0].backend_name or "no backend"
        check = CheckResult(
            check.id,
            False,
            f"The sampler ran on {ran_on}, not on the backend called {backend.name!r} that the function was asked "
            'for. Get it with `QiskitRuntimeService(channel="local").backend(name)` and pass it as `mode=backend`.',
        )
    return check, call


def check_bell_on_named_backend(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `bell_on_named_backend(name, shots)`, against the fake backend that carries that name."""
    name, shots = case.args
    backend = fake_backend(name)
    checks = [
        counts_shape_check("bell_on_named_backend.returns_counts", returned, 2, shots),
        legacy_run_check("bell_on_named_backend", trace, "sampler"),
    ]
    sampler_check, call = named_sampler_call("bell_on_named_backend", trace, backend)
    checks.append(sampler_check)
    if call is None:
        return checks
    pub = call.pubs[0]
    checks.append(shots_check("bell_on_named_backend", pub, shots))
    checks.append(isa_check("bell_on_named_backend", pub.circuit, backend))
    register = returned_register(call, returned) if isinstance(returned, dict) else None
    checks.append(provenance_check("bell_on_named_backend.provenance", register))
    if register is None:
        return checks
    if pub.circuit.parameters:
        checks.append(
            CheckResult(
                "bell_on_named_backend.bell_state",
                False,
                "The circuit sent still has free parameters; a Bell circuit needs none.",
            )
        )
        return checks
    checks.append(bell_state_check("bell_on_named_backend.bell_state", pub.circuit, register))
    trusted = rerun_counts(call, pub, backend, register, context.seed).get_counts()
    checks.append(consistency_check("bell_on_named_backend.honest_counts", returned, trusted, context.alpha))
    return checks


EXERCISE = Exercise(
    id="local-testing",
    tasks=(
        Task("backend_summary", 2.0, summary_cases, check_backend_summary, statistical_tests=0),
        Task("bell_on_named_backend", 2.0, bell_cases, check_bell_on_named_backend, statistical_tests=2),
    ),
)
