"""estimator-broadcasting: several observables in one PUB, a parameter sweep in one PUB, and a chosen precision.

Each value a task returns must be the grader's replay of the job that estimated it, and each job's circuits and
observables are checked exactly, value by value. Broadcasting (one PUB for all the values) is the lesson, so it is
worth points of its own; values estimated correctly in several PUBs or jobs lose those points only.
"""

from __future__ import annotations

import math
from typing import Any

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2, FakeQuitoV2

from grader.exercises import Case, Exercise, Task
from grader.judge.common import isa_check
from grader.judge.estimation import (
    Wanted,
    estimator_entries,
    jobs_on,
    real_numbers,
    replayed_values,
    returned_values_check,
    values_problem,
    wanted_check,
)
from grader.judge.evidence import Evidence
from grader.judge.rubric import Rubric, Verdicts, credit, gate

PAULI_THETAS = (2.3, -0.8)
"""At both angles 1, sin θ and cos θ are at least 0.3 apart, so a swapped or wrong observable shows."""
SWEEP_THETAS = (0.35, -2.4, 2.9, -0.6, 1.9)
"""Not sorted, and sin θ runs from -0.68 to 0.95, never 1 or cos θ: a wrong observable or order cannot hide."""
PRECISE_CASES = ((0.9, 0.045), (2.6, 0.03))
"""(θ, precision): neither precision is the default 0.015625, so a precision that was not set shows."""
DEFAULT_PRECISION = 1 / 64
"""What the runtime's estimators run at when no precision is given."""
MOST_JOBS = 8
"""For a handful of values more jobs than this is no way of writing these tasks: the task fails before any replay."""
MOST_ENTRIES = 64
"""Likewise for values: a PUB that broadcasts to more than this is not read value by value."""


def entangled(theta: float, rotation: str = "ry", cx: bool = True) -> QuantumCircuit:
    """RY(θ) on qubit 0, then CX(0, 1); or a classic mistake: RX for RY, or no CX."""
    circuit = QuantumCircuit(2)
    if rotation == "rx":
        circuit.rx(theta, 0)
    else:
        circuit.ry(theta, 0)
    if cx:
        circuit.cx(0, 1)
    return circuit


def state_name(theta: float | None = None) -> str:
    """The state in a learner's words."""
    angle = "θ" if theta is None else f"{theta:g}"
    return f"RY({angle}) on qubit 0 then CX(0, 1)"


def state_hints(theta: float) -> tuple[tuple[str, QuantumCircuit], ...]:
    """Wrong states students prepare, each with what to change."""
    return (
        ("it rotates qubit 0 with RX; use `qc.ry(theta, 0)`", entangled(theta, "rx")),
        ("the qubits are not entangled: add `qc.cx(0, 1)` after the RY", entangled(theta, cx=False)),
    )


def circuits_of(ev: Evidence) -> list[QuantumCircuit]:
    """Every circuit the estimator jobs sent."""
    return [pub.circuit for call in ev.claim.calls_of("estimator") for pub in call.pubs]


# Task 1: three observables of one state, one PUB.

PAULI_OBSERVABLES = (("ZZ", "⟨ZZ⟩", "Z⊗Z"), ("XX", "⟨XX⟩", "X⊗X"), ("IZ", "⟨Z on qubit 0⟩", "Z on qubit 0"))
RIGHT_TO_LEFT = (
    "Qiskit reads Pauli labels right to left, so the last letter acts on qubit 0: Z on qubit 0 of two qubits is "
    '`SparsePauliOp("IZ")` ("ZI" is Z on qubit 1)'
)


def pauli_cases() -> list[Case]:
    """Backends and angles the notebook never uses."""
    return [
        Case(f"FakeBelemV2, θ = {PAULI_THETAS[0]}", (FakeBelemV2(), PAULI_THETAS[0])),
        Case(f"FakeQuitoV2, θ = {PAULI_THETAS[1]}", (FakeQuitoV2(), PAULI_THETAS[1])),
    ]


def judge_pauli_expectations(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `pauli_expectations(backend, theta)` for one case."""
    backend, theta = case.args
    calls = jobs_on(v, ev, "estimator", backend, "uses_v2_estimator", MOST_JOBS)
    pub = calls[0].pubs[0]
    v.check(
        "one_pub",
        len(calls) == 1 and len(calls[0].pubs) == 1 and pub.observables.size == 3 and pub.parameter_values.size <= 1,
        "One PUB holds the circuit once and the three observables.",
        f"Your {len(calls)} job(s) hold {sum(len(c.pubs) for c in calls)} PUB(s). Broadcast instead: one PUB with "
        "the circuit once and a list of the three observables, `estimator.run([(isa_circuit, [isa_zz, isa_xx, "
        "isa_z0])])`.",
    )
    isa_check(v, "isa_circuit", circuits_of(ev), backend)
    wanted = [
        Wanted(
            name,
            entangled(theta),
            state_name(),
            SparsePauliOp(label),
            shown,
            state_hints(theta),
            ((RIGHT_TO_LEFT, SparsePauliOp("ZI")),) if label == "IZ" else (),
        )
        for label, name, shown in PAULI_OBSERVABLES
    ]
    entries = wanted_check(
        v,
        estimator_entries(calls, MOST_ENTRIES),
        wanted,
        ("right_state", "right_observables", "right_observables"),
        'Send three observables, each its own `SparsePauliOp`: "ZZ", "XX" and "IZ", in that order (a sum of them '
        "is one observable, and gives one value).",
    )
    values = replayed_values(v, ev, calls, backend, "provenance", entries)
    returned_values_check(
        v,
        "provenance",
        ev.returned,
        [value for value, _ in values],
        "[0.91, 0.52, 0.61]",
        "the observables: ⟨ZZ⟩, ⟨XX⟩, ⟨Z on qubit 0⟩",
        "Return `result[0].data.evs.tolist()`, in the order of the observables.",
    )


# Task 2: one observable against a sweep of angles, one PUB.


def sweep_cases() -> list[Case]:
    """A backend and angles the notebook never uses."""
    return [Case(f"FakeLimaV2, {len(SWEEP_THETAS)} angles", (FakeLimaV2(), list(SWEEP_THETAS)))]


def judge_xx_sweep(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `xx_sweep(backend, thetas)` for one case."""
    backend, thetas = case.args
    calls = jobs_on(v, ev, "estimator", backend, "uses_v2_estimator", max(MOST_JOBS, len(thetas)))
    pub = calls[0].pubs[0]
    v.check(
        "one_pub",
        len(calls) == 1
        and len(calls[0].pubs) == 1
        and pub.circuit.num_parameters == 1
        and pub.observables.size == 1
        and pub.parameter_values.size == len(thetas),
        f"One PUB sweeps one `Parameter` over all {len(thetas)} angles, with one observable.",
        f"Your {len(calls)} job(s) hold {sum(len(c.pubs) for c in calls)} PUB(s). Let the estimator sweep the "
        "angles: build the circuit once with `theta = Parameter('θ')` and send one PUB, "
        "`estimator.run([(isa_circuit, isa_xx, thetas)])`.",
    )
    isa_check(v, "isa_circuit", circuits_of(ev), backend)
    wanted = [
        Wanted(
            f"⟨XX⟩ at θ = {theta:g}",
            entangled(theta),
            state_name(theta),
            SparsePauliOp("XX"),
            "X⊗X",
            state_hints(theta),
        )
        for theta in thetas
    ]
    entries = wanted_check(
        v,
        estimator_entries(calls, MOST_ENTRIES),
        wanted,
        ("right_state", "right_observable", "right_state"),
        "Sweep all the angles of `thetas`, in their order, with one observable: `(isa_circuit, isa_xx, thetas)`.",
    )
    values = replayed_values(v, ev, calls, backend, "provenance", entries)
    returned_values_check(
        v,
        "provenance",
        ev.returned,
        [value for value, _ in values],
        "[-0.6, 0.3, …]",
        "`thetas`",
        "Return `result[0].data.evs.tolist()`, one value per angle.",
    )


# Task 3: one value at a chosen precision, with its standard error.


def precise_cases() -> list[Case]:
    """A backend, angles and precisions the notebook never uses."""
    return [
        Case(f"FakeQuitoV2, θ = {theta}, precision {precision}", (FakeQuitoV2(), theta, precision))
        for theta, precision in PRECISE_CASES
    ]


def precision_of(call: Any, pub: Any) -> float | None:
    """The precision a PUB ran at: its own, the one given to `run`, or the estimator's `default_precision`."""
    if pub.precision is not None:
        return float(pub.precision)
    option = (call.options or {}).get("default_precision")
    return float(option) if isinstance(option, (int, float)) and not isinstance(option, bool) else None


def judge_precise_value(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `precise_value(backend, theta, precision)` for one case."""
    backend, theta, precision = case.args
    calls = jobs_on(v, ev, "estimator", backend, "uses_v2_estimator", 1)
    call = calls[0]
    pub = call.pubs[0]
    v.check(
        "one_pub",
        len(call.pubs) == 1 and pub.observables.size == 1 and pub.parameter_values.size <= 1,
        "One PUB with one circuit and one observable.",
        f"The job holds {len(call.pubs)} PUB(s) and {sum(math.prod(p.shape) for p in call.pubs)} value(s). Run one: "
        "`estimator.run([(isa_circuit, isa_xx)], precision=precision)`.",
    )
    isa_check(v, "isa_circuit", circuits_of(ev), backend)
    used = precision_of(call, pub)
    shown = f"the estimator's default precision ({DEFAULT_PRECISION:g})" if used is None else f"precision {used:g}"
    v.check(
        "precision",
        used is not None and abs(used - precision) < 1e-12,
        f"The PUB ran at precision {precision:g}.",
        f"The PUB ran at {shown}, not at the {precision:g} asked for. Pass the function's argument: "
        "`estimator.run([pub], precision=precision)`.",
    )
    entries = wanted_check(
        v,
        estimator_entries(calls, MOST_ENTRIES),
        [Wanted("⟨XX⟩", entangled(theta), state_name(), SparsePauliOp("XX"), "X⊗X", state_hints(theta))],
        ("right_state", "right_observable", "right_observable"),
        "Estimate one value, ⟨XX⟩: `estimator.run([(isa_circuit, isa_xx)], precision=precision)`.",
    )
    (value, std), *_ = replayed_values(v, ev, calls, backend, "provenance", entries)
    fix = "Return `[float(data.evs), float(data.stds)]` with `data = result[0].data`."
    numbers = real_numbers(ev.returned, 2)
    if numbers is None:
        v.fail("provenance", f"Expected a list of 2 floats, the value and its standard error; got {ev.returned!r:.80}.")
    problem = values_problem(numbers, [value, std], "value, then standard error")
    if problem and values_problem(numbers[:1], [value], "") is None and abs(numbers[1] - precision) < 1e-12:
        problem = "The value is right, but the second number is the precision you asked for, not the standard error."
        fix = "The standard error the estimator reports is `result[0].data.stds`: return `float(data.stds)`."
    v.require(
        "provenance",
        problem is None,
        "The value and its standard error are the grader's replay of your job.",
        f"{problem} {fix}",
    )


def ry_cx_rubric(*own: Any, one_job: bool = False) -> Rubric:
    """A rubric that starts with the estimator gate; the task's other requirements follow."""
    jobs = (
        "Exactly one job of a V2 estimator runs, on the backend given."
        if one_job
        else "Its values come from V2 estimator jobs on the backend given (one job is best, see `one_pub`)."
    )
    return Rubric((gate("uses_v2_estimator", jobs), *own))


STATE = "The circuit prepares RY(θ) on qubit 0 then CX(0, 1), without measurements, up to the layout."

EXERCISE = Exercise(
    id="estimator-broadcasting",
    tasks=(
        Task(
            "pauli_expectations",
            "pauli_expectations(backend, theta)",
            ry_cx_rubric(
                gate("right_state", STATE, "0.75"),
                gate(
                    "right_observables",
                    "The observables are ZZ, XX and Z on qubit 0, in that order, each mapped to the layout.",
                    "0.75",
                ),
                gate(
                    "provenance", "The three values returned are the grader's replay of the job (to 6 decimals).", "0.5"
                ),
                credit("one_pub", "One PUB holds the circuit once and the three observables (broadcasting).", "0.5"),
                credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.5"),
            ),
            judge_pauli_expectations,
            pauli_cases,
        ),
        Task(
            "xx_sweep",
            "xx_sweep(backend, thetas)",
            ry_cx_rubric(
                gate(
                    "right_state",
                    "For every θ of `thetas`, in order, the circuit prepares RY(θ) on qubit 0 then CX(0, 1), "
                    "without measurements.",
                    "0.75",
                ),
                gate("right_observable", "The observable is X⊗X, mapped to the circuit's layout.", "0.75"),
                gate("provenance", "The values returned, angle by angle, are the grader's replay of the job.", "0.5"),
                credit("one_pub", "One PUB sweeps a single `Parameter` over all the angles.", "0.5"),
                credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.5"),
            ),
            judge_xx_sweep,
            sweep_cases,
        ),
        Task(
            "precise_value",
            "precise_value(backend, theta, precision)",
            ry_cx_rubric(
                gate("right_state", STATE, "0.25"),
                gate("right_observable", "The observable is X⊗X, mapped to the circuit's layout.", "0.25"),
                gate(
                    "provenance",
                    "The value and standard error returned are the grader's replay of the job (to 6 decimals).",
                    "0.5",
                ),
                credit("precision", "The job runs at the `precision` asked for.", "0.5"),
                credit("one_pub", "The job holds one PUB with one circuit and one observable.", "0.25"),
                credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.25"),
                one_job=True,
            ),
            judge_precise_value,
            precise_cases,
        ),
    ),
)
