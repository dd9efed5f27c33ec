"""Requirements every primitive task shares: which job ran, on which backend, whether it replays, ISA circuits.

Each helper records its verdict in the case's `Verdicts` and returns what later checks need; a failed gate ends the
case (`Verdicts.fail`). Messages say what was expected, what was seen and how to fix it.
"""

from __future__ import annotations

from typing import Any

from qiskit import QuantumCircuit

from grader.claims import Call
from grader.judge.evidence import Evidence
from grader.judge.replay import backend_for, describe
from grader.judge.rubric import Verdicts
from grader.primitives import Unreplayable

MAKE = {
    "sampler": "build `Sampler(mode=backend)` (client-side, from `qiskit_ibm_runtime.executor_sampler`) or "
    "`SamplerV2(mode=backend)`, and call its `run`",
    "estimator": "build `Estimator(mode=backend)` (client-side, from `qiskit_ibm_runtime.executor_estimator`) or "
    "`EstimatorV2(mode=backend)`, and call its `run`",
}
NO_BACKEND = {
    "qiskit.primitives.statevector_sampler.StatevectorSampler",
    "qiskit.primitives.statevector_estimator.StatevectorEstimator",
}


def one_job(v: Verdicts, ev: Evidence, kind: str, backend: Any, requirement: str) -> Call:
    """Gate: exactly one job of a V2 ``kind``, of a class the grader replays, on ``backend``; return it."""
    calls = ev.claim.calls_of(kind)
    if not calls:
        v.fail(requirement, f"No V2 {kind} job ran. To run one, {MAKE[kind]}.")
    if len(calls) > 1:
        v.fail(requirement, f"{len(calls)} {kind} jobs ran; this task needs exactly one: put every PUB in one `run`.")
    call = calls[0]
    if call.entry is None:
        if call.class_name in NO_BACKEND:
            why = "simulates without noise and ignores the backend, so its results do not come from the device"
        else:
            why = "is not one of the V2 primitives whose results the grader can verify"
        v.fail(
            requirement, f"The job ran on `{call.class_name.rsplit('.', 1)[-1]}`, which {why}. Instead, {MAKE[kind]}."
        )
    try:
        backend_for(call.backend, backend)
    except Unreplayable:
        v.fail(
            requirement,
            f"Your {call.name} job ran on {describe(call.backend)}, not on the backend given ({backend.name}): pass "
            "the function's `backend` as `mode=backend`.",
        )
    v.met(requirement, f"One {call.name} job on {backend.name}.")
    return call


def replayed(v: Verdicts, ev: Evidence, call: Call, backend: Any, requirement: str) -> list[Any]:
    """The grader's replay of ``call``; a call it cannot replay fails ``requirement`` (a gate) with the reason."""
    try:
        return ev.replay(call, backend)
    except Unreplayable as error:
        fix = (
            " Set only the seed, and leave the fake backend's own noise model as it is."
            if "NoiseModel" in str(error)
            else ""
        )
        v.fail(
            requirement,
            f"The grader could not replay your {call.name} job: {error}. Its results cannot be verified.{fix}",
        )
    raise AssertionError("unreachable")


def isa_problem(circuit: QuantumCircuit, backend: Any) -> str | None:
    """Why ``circuit`` is not ISA for ``backend`` (an instruction its target does not support), or None."""
    target = backend.target
    for instruction in circuit.data:
        name = instruction.operation.name
        if name in ("barrier", "delay"):
            continue
        qubits = tuple(circuit.find_bit(q).index for q in instruction.qubits)
        if name not in target.operation_names:
            return f"`{name}` is not one of {backend.name}'s operations"
        if not target.instruction_supported(name, qubits):
            return f"`{name}` on qubits {qubits} is not supported by {backend.name}"
    return None


ISA_FIX = (
    "Transpile it for the backend with a preset pass manager: "
    "`generate_preset_pass_manager(backend=backend, optimization_level=1).run(circuit)`."
)


def isa_check(v: Verdicts, requirement: str, circuits: list[QuantumCircuit], backend: Any) -> bool:
    """Credit: every circuit sent is ISA for ``backend``."""
    for circuit in circuits:
        problem = isa_problem(circuit, backend)
        if problem:
            return v.check(requirement, False, "", f"The circuit sent is not ISA: {problem}. {ISA_FIX}")
    return v.check(requirement, True, f"The circuit sent is ISA for {backend.name}.", "")


def shots_check(v: Verdicts, requirement: str, ran: int, shots: int) -> bool:
    """Credit: the job ran exactly ``shots`` shots."""
    return v.check(
        requirement,
        ran == shots,
        f"The job ran exactly {shots} shots.",
        f"Your job ran {ran} shots, not the {shots} asked for: pass the function's `shots` to "
        "`run([...], shots=shots)`.",
    )


HINTS = (
    ("not supported by the target", "the circuit is not ISA. " + ISA_FIX),
    ("unknown instruction", "the circuit is not ISA (the backend has no such gate). " + ISA_FIX),
    ("is not in the target", "the circuit is not ISA. " + ISA_FIX),
    (
        "number of qubits",
        "the observable and the ISA circuit have different widths: map the observable to the circuit's layout "
        "with `observable.apply_layout(isa_circuit.layout)`.",
    ),
    (
        "does not match",
        "if the observable and the ISA circuit differ in width, map the observable with "
        "`observable.apply_layout(isa_circuit.layout)`.",
    ),
    ("has no attribute 'meas'", "the register has another name: look at `result[0].data` to see its name."),
    ("NoiseModel", "leave the fake backend's noise model as it is."),
)


def error_hint(message: str) -> str:
    """A hint for the commonest migration mistakes, read from an exception's message, or ""."""
    for needle, hint in HINTS:
        if needle in message:
            return " Likely cause: " + hint
    return ""
