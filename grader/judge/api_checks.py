"""Checks shared by every task: legacy calls, the one primitive job a task runs, ISA circuits."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from grader.trace import CallRecord, Trace
from grader.results import CheckResult

FIX = {
    "sampler": "build `SamplerV2(mode=backend)` (or the client-side `executor_sampler.Sampler(mode=backend)`) "
    "and call its `run`",
    "estimator": "build `EstimatorV2(mode=backend)` (or the client-side `executor_estimator.Estimator(mode=backend)`) "
    "and call its `run`",
}


def legacy_run_check(task: str, trace: Trace, kind: str) -> CheckResult:
    """Fail when student code called `backend.run` itself, on any backend."""
    if not trace.backend_runs:
        return CheckResult(f"{task}.no_backend_run", True, "No direct `backend.run` call.")
    return CheckResult(
        f"{task}.no_backend_run",
        False,
        f"`backend.run` is the legacy path (called at {trace.backend_runs[0]}). Use a V2 {kind} instead: {FIX[kind]}.",
    )


def one_primitive_call(task: str, trace: Trace, backend: Any, kind: str) -> tuple[CheckResult, CallRecord | None]:
    """Pass when exactly one V2 ``kind`` job ran, built on ``backend``; return that call."""
    check_id = f"{task}.uses_v2_{kind}"
    calls = trace.calls_of(kind)
    if not calls:
        return CheckResult(check_id, False, f"No V2 {kind} ran: {FIX[kind]}."), None
    if len(calls) > 1:
        return CheckResult(
            check_id, False, f"{len(calls)} {kind} jobs ran; this task needs exactly one. Put every PUB in one `run`."
        ), None
    call = calls[0]
    name = call.primitive.rsplit(".", 1)[-1]
    if call.backend_name != backend.name:
        return CheckResult(
            check_id,
            False,
            f"The {name} did not run on the backend given to the function ({backend.name}), so its results do not "
            "come from that device. Pass the function's `backend` as `mode=backend`.",
        ), None
    return CheckResult(check_id, True, f"One {name} job on {backend.name}."), call


def isa_check(task: str, circuit: QuantumCircuit, backend: Any) -> CheckResult:
    """Pass when every instruction of ``circuit`` is supported by the backend's target."""
    target = backend.target
    for instruction in circuit.data:
        name = instruction.operation.name
        if name == "barrier":
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


def sweep_values_problem(pub: Any, thetas: list[float]) -> str | None:
    """Why a sampler or estimator PUB does not sweep one `Parameter` over ``thetas`` in order, or None."""
    if pub.circuit.num_parameters != 1:
        return f"its circuit has {pub.circuit.num_parameters} parameters, not one `Parameter`"
    values = pub.parameter_values.as_array(pub.circuit.parameters).reshape(-1)
    if values.shape != (len(thetas),) or not np.allclose(values, thetas, rtol=0.0, atol=1e-9):
        shown = str(np.round(values, 4).tolist())
        return f"its parameter values are {shown:.80}, not the {len(thetas)} angles given, in order"
    return None
