"""third-party-backends: V2 samplers for backends that only have `run`, and a backend described the BackendV2 way."""

from __future__ import annotations

from typing import Any

from qiskit.providers.basic_provider import BasicSimulator
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime.fake_provider import FakeNairobiV2, FakeQuitoV2

from grader.trace import CallRecord, Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import legacy_run_check
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

WRAPPER = "qiskit.primitives.backend_sampler_v2.BackendSamplerV2"
WRAP_FIX = "wrap the backend you are given: `BackendSamplerV2(backend=backend)`, then call its `run`"
FACTS = ("num_qubits", "coupling_map", "operation_names", "t1", "readout_error")


def wrapped_sampler_call(task: str, trace: Trace, backend: Any) -> tuple[list[CheckResult], CallRecord | None]:
    """The gate (one V2 sampler job on ``backend``) and whether that sampler is a `BackendSamplerV2`; the job."""
    check_id = f"{task}.uses_v2_sampler"
    calls = trace.calls_of("sampler")
    if not calls:
        return [CheckResult(check_id, False, f"No V2 sampler ran: {WRAP_FIX}.")], None
    if len(calls) > 1:
        message = f"{len(calls)} sampler jobs ran; this task needs exactly one: call `run` once."
        return [CheckResult(check_id, False, message)], None
    call = calls[0]
    name = call.primitive.rsplit(".", 1)[-1]
    if call.backend_name is None:
        message = (
            f"The {name} you ran has no backend: it simulates on its own, so its counts do not come from "
            f"{backend.name}. StatevectorSampler and qiskit-aer's SamplerV2 work like that; instead, {WRAP_FIX}."
        )
        return [CheckResult(check_id, False, message)], None
    if call.backend_name != backend.name:
        message = f"The {name} ran on {call.backend_name}, not on the backend given ({backend.name}): {WRAP_FIX}."
        return [CheckResult(check_id, False, message)], None
    checks = [CheckResult(check_id, True, f"One {name} job on {backend.name}.")]
    if call.primitive == WRAPPER:
        checks.append(CheckResult(f"{task}.backend_sampler_v2", True, "The sampler is qiskit's BackendSamplerV2."))
    else:
        message = (
            f"The job ran with {call.primitive}, which works on {backend.name} too, but this task practises the "
            f"wrapper for backends that only have `run`: {WRAP_FIX}."
        )
        checks.append(CheckResult(f"{task}.backend_sampler_v2", False, message))
    return checks, call


def check_wrapped_bell(task: str, case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of a task that samples a Bell pair on a run-only backend through `BackendSamplerV2`."""
    backend, shots = case.args
    checks = [
        counts_shape_check(f"{task}.returns_counts", returned, 2, shots),
        legacy_run_check(task, trace, "sampler"),
    ]
    call_checks, call = wrapped_sampler_call(task, trace, backend)
    checks += call_checks
    if call is None:
        return checks
    if len(call.pubs) != 1 or call.pubs[0].parameter_values.size > 1 or call.pubs[0].circuit.parameters:
        message = f"Run one PUB holding the Bell circuit, without parameters; the job held {len(call.pubs)} PUB(s)."
        checks.append(CheckResult(f"{task}.one_pub", False, message))
        return checks
    pub = call.pubs[0]
    checks.append(shots_check(task, pub, shots))
    register = returned_register(call, returned) if isinstance(returned, dict) else None
    checks.append(provenance_check(f"{task}.provenance", register))
    if register is None:
        return checks
    checks.append(bell_state_check(f"{task}.bell_state", pub.circuit, register))
    trusted = rerun_counts(call, pub, backend, register, context.seed).get_counts()
    checks.append(consistency_check(f"{task}.honest_counts", returned, trusted, context.alpha))
    return checks


def basic_cases() -> list[Case]:
    """Qiskit's BasicSimulator, standing in for a provider's run-only backend, and an unusual shot count."""
    return [Case("BasicSimulator, 901 shots", (BasicSimulator(), 901))]


def check_basic_counts(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `basic_counts(backend, shots)`."""
    return check_wrapped_bell("basic_counts", case, returned, trace, context)


def aer_cases() -> list[Case]:
    """An AerSimulator and an unusual shot count."""
    return [Case("AerSimulator, 733 shots", (AerSimulator(), 733))]


def check_aer_counts(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `aer_counts(backend, shots)`."""
    return check_wrapped_bell("aer_counts", case, returned, trace, context)


def facts_cases() -> list[Case]:
    """Two fake backends the notebook never uses, of different sizes and shapes."""
    return [Case("FakeQuitoV2", (FakeQuitoV2(),)), Case("FakeNairobiV2", (FakeNairobiV2(),))]


def backend_facts_of(backend: Any) -> dict[str, Any]:
    """The grader's own reading of the facts the task asks for, as JSON data."""
    return {
        "num_qubits": backend.num_qubits,
        "coupling_map": sorted([a, b] for a, b in backend.coupling_map.get_edges()),
        "operation_names": sorted(backend.operation_names),
        "t1": backend.qubit_properties(0).t1,
        "readout_error": backend.target["measure"][(0,)].error,
    }


FACT_FIX = {
    "num_qubits": "`backend.num_qubits`",
    "coupling_map": "`sorted([a, b] for a, b in backend.coupling_map.get_edges())`",
    "operation_names": "`sorted(backend.operation_names)`: it lists `measure`, `delay`, `reset` and control flow "
    "too, unlike the old `configuration().basis_gates`",
    "t1": "`backend.qubit_properties(0).t1`, in seconds",
    "readout_error": '`backend.target["measure"][(0,)].error`',
}


def check_backend_facts(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `backend_facts(backend)`: each fact equals the grader's reading of the same backend."""
    (backend,) = case.args
    if not isinstance(returned, dict) or set(returned) != set(FACTS):
        return [
            CheckResult(
                "backend_facts.returns_dict",
                False,
                f"Expected a dict with the keys {list(FACTS)}; got {returned!r:.80}.",
            )
        ]
    checks = [CheckResult("backend_facts.returns_dict", True, f"A dict with the keys {list(FACTS)}.")]
    expected = backend_facts_of(backend)
    for fact in FACTS:
        if returned[fact] == expected[fact]:
            checks.append(CheckResult(f"backend_facts.{fact}", True, f"`{fact}` is right."))
        else:
            seen, wanted = f"{returned[fact]!r:.60}", f"{expected[fact]!r:.60}"
            message = f"`{fact}` of {backend.name} is {wanted}, you returned {seen}. Read it as {FACT_FIX[fact]}."
            checks.append(CheckResult(f"backend_facts.{fact}", False, message))
    return checks


EXERCISE = Exercise(
    id="third-party-backends",
    tasks=(
        Task("basic_counts", 2.0, basic_cases, check_basic_counts, statistical_tests=1),
        Task("aer_counts", 2.0, aer_cases, check_aer_counts, statistical_tests=1),
        Task("backend_facts", 1.0, facts_cases, check_backend_facts, statistical_tests=0),
    ),
)
