"""client-side-primitives: ⟨X⊗X⟩ with the client-side Estimator, with and without its default readout mitigation.

The grader replays each job with the options the student's Estimator had when `run` was called, resilience level
and mitigation switches included, so the value it compares with is the one that setup gives: a mitigated value for
a mitigated job, an unmitigated one for a job at level 0. Which of the two the task asks for is its own requirement,
read from the same claimed options.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeQuitoV2

from grader.claims import Call
from grader.exercises import Case, Exercise, Task
from grader.judge.common import isa_check, one_job, replayed
from grader.judge.estimation import bound, first_values, observable_check, one_pub_check, state_check, value_check
from grader.judge.evidence import Evidence
from grader.judge.rubric import Rubric, Verdicts, credit, gate

CLIENT_SIDE = "client.Estimator"
MITIGATED_THETAS = (1.9, -0.9)
UNMITIGATED_THETAS = (2.6, -1.3)
"""sin θ (the answer) is at least 0.5 away from ⟨ZZ⟩ = 1, from ⟨ZI⟩ = cos θ and from 0 at every angle."""
CLIENT_FIX = "Use `from qiskit_ibm_runtime.executor_estimator import Estimator` and `Estimator(mode=backend)`."
FIX = "Return `float(result[0].data.evs)` as the estimator gives it."
LEVEL_DEFAULTS = {0: (False, False), 1: (True, False), 2: (True, True)}
"""Per resilience level, whether it switches on readout mitigation (TREX) and ZNE when they are left unset."""


def angle_cases(thetas: tuple[float, float]) -> list[Case]:
    """One 5-qubit backend the notebook never uses per angle."""
    return [
        Case(f"FakeBelemV2, θ = {thetas[0]}", (FakeBelemV2(), thetas[0])),
        Case(f"FakeQuitoV2, θ = {thetas[1]}", (FakeQuitoV2(), thetas[1])),
    ]


def mitigated_cases() -> list[Case]:
    """The cases of `mitigated_xx`."""
    return angle_cases(MITIGATED_THETAS)


def unmitigated_cases() -> list[Case]:
    """The cases of `unmitigated_xx`, at other angles."""
    return angle_cases(UNMITIGATED_THETAS)


def entangled(theta: float) -> QuantumCircuit:
    """RY(θ) on qubit 0, then CX(0, 1)."""
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    circuit.cx(0, 1)
    return circuit


def mitigation(options: dict[str, Any]) -> tuple[Any, bool, bool, bool]:
    """What claimed client-side Estimator options do: (level, readout mitigation, ZNE, PEC), unset switches filled."""
    level = options.get("resilience_level")
    resilience = options.get("resilience") if isinstance(options.get("resilience"), dict) else {}
    measure, zne = LEVEL_DEFAULTS.get(level, (False, False))
    if isinstance(resilience.get("measure_mitigation"), bool):
        measure = resilience["measure_mitigation"]
    if isinstance(resilience.get("zne_mitigation"), bool):
        zne = resilience["zne_mitigation"]
    return level, measure, zne, resilience.get("pec_mitigation") is True


def resilience_check(v: Verdicts, call: Call, mitigated: bool) -> None:
    """Gate: the claimed options mitigate readout errors (TREX) and nothing else, or mitigate nothing at all."""
    level, measure, zne, pec = mitigation(call.options or {})
    how = (
        "keep the default: build `Estimator(mode=backend)` without resilience options"
        if mitigated
        else 'set it through the options: `Estimator(mode=backend, options={"resilience_level": 0})`'
    )
    did = [name for name, on in (("readout mitigation (TREX)", measure), ("ZNE", zne), ("PEC", pec)) if on]
    seen = f"resilience level {level}, which applies " + (" and ".join(did) if did else "no mitigation")
    if mitigated:
        right = measure and not zne and not pec
        ok = f"The Estimator ran at resilience level {level}: readout mitigation (TREX), nothing more."
        wanted = "readout mitigation (TREX) only, the default of resilience level 1"
    else:
        right = not (measure or zne or pec)
        ok = f"The Estimator ran at resilience level {level}: no mitigation."
        wanted = "no mitigation (resilience level 0)"
    v.check(
        "resilience_level",
        right,
        ok,
        f"Your Estimator's options, as they were when `run` was called, ask for {seen}; this task asks for {wanted}: "
        f"{how}.",
    )


def judge_xx(mitigated: bool) -> Any:
    """The judge of a task that returns ⟨X⊗X⟩ from the client-side Estimator, mitigated or not."""

    def judge(case: Case, ev: Evidence, v: Verdicts) -> None:
        backend, theta = case.args
        call = one_job(v, ev, "estimator", backend, "uses_v2_estimator")
        if call.entry is not None and call.entry.key == "runtime.EstimatorV2":
            wrong = (
                f"The job ran on the deprecated `EstimatorV2`. This task is about the client-side Estimator: in "
                "local testing mode `EstimatorV2` ignores `resilience_level` and never mitigates, so its value is "
                f"not the one asked for (and it is deprecated since qiskit-ibm-runtime 0.50). {CLIENT_FIX}"
            )
        else:
            wrong = f"The job ran on the {call.name}, not on the client-side Estimator. {CLIENT_FIX}"
        client_side = v.check(
            "client_side_estimator",
            call.entry is not None and call.entry.key == CLIENT_SIDE,
            "The job ran on the client-side Estimator.",
            wrong,
        )
        if client_side:
            resilience_check(v, call, mitigated)
        else:
            v.check(
                "resilience_level", False, "", "Not checked: resilience levels here are the client-side Estimator's."
            )
        pub = call.pubs[0]
        one_pub_check(v, "one_pub", call, "xx_pub(backend, theta)")
        isa_check(v, "isa_circuit", [pub.circuit], backend)
        circuit = bound(pub.circuit, first_values(pub))
        want = "RY(θ) on qubit 0 then CX(0, 1)"
        if not state_check(v, "right_state", circuit, entangled(theta), want):
            said = v.found["right_state"].message
            v.check(
                "right_state", False, "", f"{said} Build the PUB with `xx_pub(backend, theta)` from the setup cell."
            )
        observable = pub.observables.ravel()[0]
        observable_check(v, "right_observable", observable, circuit, SparsePauliOp("XX"), "X⊗X on qubits 0 and 1")
        results = replayed(v, ev, call, backend, "provenance")
        value_check(v, "provenance", ev.returned, float(np.asarray(results[0].data.evs).reshape(-1)[0]), FIX)

    return judge


def rubric(mitigated: bool) -> Rubric:
    """The rubric of `mitigated_xx` or of `unmitigated_xx`."""
    level = (
        gate(
            "resilience_level",
            "Its options mitigate readout errors (TREX) and nothing more: the default, resilience level 1.",
            "0.5",
        )
        if mitigated
        else gate("resilience_level", "Its options switch mitigation off: `resilience_level` 0.", "0.5")
    )
    return Rubric(
        (
            gate("uses_v2_estimator", "Exactly one job of a V2 estimator runs, on the backend given."),
            gate("client_side_estimator", "The estimator is the client-side `Estimator` (executor_estimator).", "0.25"),
            level,
            gate(
                "right_state",
                "The circuit prepares RY(θ) on qubit 0 then CX(0, 1), without measurements, up to the layout.",
                "0.25",
            ),
            gate("right_observable", "The observable is X⊗X, mapped to the circuit's layout.", "0.25"),
            gate(
                "provenance",
                "The value returned is the grader's replay of the job, with its options (to 6 decimals).",
                "0.25",
            ),
            credit("one_pub", "The job holds one PUB with one circuit and one observable.", "0.25"),
            credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.25"),
        )
    )


EXERCISE = Exercise(
    id="client-side-primitives",
    tasks=(
        Task("mitigated_xx", "mitigated_xx(backend, theta)", rubric(True), judge_xx(True), mitigated_cases),
        Task("unmitigated_xx", "unmitigated_xx(backend, theta)", rubric(False), judge_xx(False), unmitigated_cases),
    ),
)
