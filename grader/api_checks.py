"""Checks shared by every task: legacy calls, the one primitive job a task runs, ISA circuits."""

from __future__ import annotations

from numbers import Real
from typing import Any

from qiskit import QuantumCircuit
from qiskit.primitives import StatevectorEstimator, StatevectorSampler

from grader.recording import PrimitiveCall, Recording
from grader.results import CheckResult

FIX = {
    "sampler": "build `SamplerV2(mode=backend)` (or the client-side `executor_sampler.Sampler(mode=backend)`) "
    "and call its `run`",
    "estimator": "build `EstimatorV2(mode=backend)` (or the client-side `executor_estimator.Estimator(mode=backend)`) "
    "and call its `run`",
}
IGNORES_BACKEND = (StatevectorSampler, StatevectorEstimator)


def legacy_run_check(task: str, recording: Recording, kind: str) -> CheckResult:
    """Fail when student code called `backend.run` itself, on any backend."""
    if not recording.backend_runs:
        return CheckResult(f"{task}.no_backend_run", True, "No direct `backend.run` call.")
    where = recording.backend_runs[0].where
    return CheckResult(
        f"{task}.no_backend_run",
        False,
        f"`backend.run` is the legacy path (called at {where}). Use a V2 {kind} instead: {FIX[kind]}.",
    )


def one_primitive_call(
    task: str, recording: Recording, backend: Any, kind: str
) -> tuple[CheckResult, PrimitiveCall | None]:
    """Pass when exactly one V2 ``kind`` job ran, built on ``backend``; return that call."""
    check_id = f"{task}.uses_v2_{kind}"
    calls = recording.calls(kind)
    if not calls:
        return CheckResult(check_id, False, f"No V2 {kind} ran: {FIX[kind]}."), None
    if len(calls) > 1:
        return CheckResult(
            check_id, False, f"{len(calls)} {kind} jobs ran; this task needs exactly one. Put every PUB in one `run`."
        ), None
    call = calls[0]
    if isinstance(call.primitive, IGNORES_BACKEND) or call.backend() is not backend:
        return CheckResult(
            check_id,
            False,
            f"The {type(call.primitive).__name__} ignores the `backend` argument, so its counts have no device noise. "
            "Pass the function's `backend` as `mode=backend`.",
        ), None
    return CheckResult(check_id, True, f"One {type(call.primitive).__name__} job on {backend.name}."), call


def isa_check(task: str, circuit: QuantumCircuit, backend: Any) -> CheckResult:
    """Pass when every instruction of ``circuit`` is supported by the backend's target."""
    target = backend.target
    for instruction in circuit.data:
        name = instruction.operation.name
        if name in {"barrier"}:
            continue
        qubits = tuple(circuit.find_bit(q).index for q in instruction.qubits)
        if not target.instruction_supported(name, qubits):
            return CheckResult(
                f"{task}.isa_circuit",
                False,
                f"The circuit sent has `{name}` on qubits {qubits}, which {backend.name} cannot run. Transpile first: "
                "`generate_preset_pass_manager(backend=backend, optimization_level=1).run(circuit)`.",
            )
    return CheckResult(f"{task}.isa_circuit", True, f"The circuit sent is ISA for {backend.name}.")


def numeric_option(primitive: Any, name: str) -> float | None:
    """A primitive's numeric default option (``default_shots``, ``default_precision``), or None when unset."""
    value = getattr(getattr(primitive, "options", None), name, None)
    return value if isinstance(value, Real) and not isinstance(value, bool) else None
