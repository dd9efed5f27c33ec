"""estimator-basics: ⟨X⊗X⟩ of an entangled state with a V2 estimator, observable mapped to the ISA layout."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2

from grader.exercises import Case, Exercise, Task
from grader.judge.common import isa_check, one_job, replayed
from grader.judge.estimation import bound, first_values, observable_check, one_pub_check, state_check, value_check
from grader.judge.evidence import Evidence
from grader.judge.rubric import Rubric, Verdicts, credit, gate

XX_THETAS = (0.4, 2.5)
"""sin θ (the answer) is far from ⟨ZZ⟩ = 1, ⟨ZI⟩ = cos θ and 0 at both angles."""
FIX = "Return `float(result[0].data.evs)` as the estimator gives it."


def xx_cases() -> list[Case]:
    """A backend and angles the notebook never uses."""
    return [Case(f"FakeLimaV2, θ = {theta}", (FakeLimaV2(), theta)) for theta in XX_THETAS]


def xx_batch_cases() -> list[Case]:
    """The batch grader's cases: one more backend and angle."""
    return [*xx_cases(), Case("FakeBelemV2, θ = 1.1", (FakeBelemV2(), 1.1))]


def entangled(theta: float) -> QuantumCircuit:
    """RY(θ) on qubit 0, then CX(0, 1)."""
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    circuit.cx(0, 1)
    return circuit


def judge_xx_expectation(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `xx_expectation(backend, theta)` for one case."""
    backend, theta = case.args
    call = one_job(v, ev, "estimator", backend, "uses_v2_estimator")
    pub = call.pubs[0]
    one_pub_check(v, "one_pub", call, "(isa_circuit, isa_observable)")
    circuit = bound(pub.circuit, first_values(pub))
    isa_check(v, "isa_circuit", [pub.circuit], backend)
    state_check(v, "right_state", circuit, entangled(theta), "RY(θ) on qubit 0 then CX(0, 1)")
    observable = pub.observables.ravel()[0]
    observable_check(v, "right_observable", observable, circuit, SparsePauliOp("XX"), "X⊗X on qubits 0 and 1")
    results = replayed(v, ev, call, backend, "provenance")
    value_check(v, "provenance", ev.returned, float(np.asarray(results[0].data.evs).reshape(-1)[0]), FIX)


EXERCISE = Exercise(
    id="estimator-basics",
    tasks=(
        Task(
            "xx_expectation",
            "xx_expectation(backend, theta)",
            Rubric(
                (
                    gate("uses_v2_estimator", "Exactly one job of a V2 estimator runs, on the backend given."),
                    gate(
                        "right_state",
                        "The circuit prepares RY(θ) on qubit 0 then CX(0, 1), without measurements, up to the layout.",
                        "1",
                    ),
                    gate("right_observable", "The observable is X⊗X, mapped to the circuit's layout.", "1"),
                    gate("provenance", "The value returned is the grader's replay of the job (to 6 decimals).", "1"),
                    credit("one_pub", "The job holds one PUB with one circuit and one observable.", "0.5"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.5"),
                )
            ),
            judge_xx_expectation,
            xx_cases,
            xx_batch_cases,
        ),
    ),
)
