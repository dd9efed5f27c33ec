"""Requirements of estimator tasks: circuits without measurements, states and observables up to the layout, values.

A returned value is the replay's own when it equals the replayed value up to rounding to 6 decimals, so a student may
round, but nobody can type in or compute a value that a seeded run on a noisy fake backend produces.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from grader.judge import semantics
from grader.judge.rubric import Verdicts

ROUNDING = 5.0000001e-7
"""How far a returned value may be from the replay's: rounding to 6 decimals, plus float round-off."""
MEASURES = (
    "The circuit sent measures its qubits. An Estimator circuit must not measure: the estimator measures the "
    "observable itself, and measuring first collapses the state (⟨XX⟩ then comes out near 0). Remove `measure_all()`."
)


def real_number(value: Any) -> float | None:
    """``value`` as a float if it is one real number (a float, an int, a numpy scalar or 0-d array), else None."""
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(-1)[0])
    return None


def close(returned: float, replayed: float) -> bool:
    """Whether a returned value is the replayed one, up to rounding to 6 decimals."""
    return abs(returned - replayed) <= ROUNDING + 1e-12 * abs(replayed)


def bound(circuit: QuantumCircuit, values: Any) -> QuantumCircuit:
    """``circuit`` with its parameters bound to ``values`` (one row), or as it is if it has none."""
    if not circuit.parameters:
        return circuit
    return circuit.assign_parameters(np.asarray(values, dtype=float).reshape(-1).tolist())


def first_values(pub: Any) -> Any:
    """The first parameter set of a PUB (empty when its circuit has no parameters)."""
    if not pub.circuit.parameters:
        return ()
    return pub.parameter_values.as_array(pub.circuit.parameters).reshape(-1, pub.circuit.num_parameters)[0]


def measures(circuit: QuantumCircuit) -> bool:
    """Whether the circuit contains a measurement."""
    return any(i.operation.name == "measure" for i in circuit.data)


def gates_only(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` without barriers, delays and the resets that act on |0⟩ at its start."""
    return semantics.split_measurements(circuit).gates


def state_check(v: Verdicts, requirement: str, circuit: QuantumCircuit, reference: QuantumCircuit, want: str) -> bool:
    """Gate: a circuit without measurements prepares ``reference``'s state, up to the layout."""
    if measures(circuit):
        return v.check(requirement, False, "", MEASURES)
    try:
        right = semantics.prepares(gates_only(circuit), reference)
    except semantics.NotReadable as error:
        return v.check(requirement, False, "", f"The circuit cannot be read as gates on |0…0⟩: {error}.")
    return v.check(requirement, right, f"The circuit prepares {want}.", f"The circuit does not prepare {want}.")


def shown_operator(operator: SparsePauliOp) -> str:
    """A Pauli sum in a learner's words: its terms on the qubits they act on."""
    terms = []
    for label, coeff in operator.simplify().to_list():
        acting = [f"{p}{q}" for q, p in enumerate(reversed(label)) if p != "I"] or ["I"]
        weight = f"{coeff.real:g}·" if abs(coeff - 1) > 1e-9 else ""
        terms.append(weight + "".join(acting))
    return " + ".join(terms[:6]) + (" + …" if len(terms) > 6 else "")


def observable_check(
    v: Verdicts, requirement: str, observable: Any, circuit: QuantumCircuit, reference: SparsePauliOp, want: str
) -> bool:
    """Gate: the PUB's observable is ``reference`` moved to the physical qubits of the circuit's layout."""
    try:
        expected = semantics.mapped(reference, circuit)
        student = semantics.observable_on(observable, circuit.num_qubits)
    except (semantics.NotReadable, ValueError) as error:
        return v.check(requirement, False, "", f"The observable cannot be read: {error}.")
    if semantics.same_operator(student, expected):
        return v.check(requirement, True, f"The observable is {want}, mapped to the circuit's layout.", "")
    unmapped = semantics.same_operator(student, reference.apply_layout(None, num_qubits=circuit.num_qubits))
    fix = (
        "It is not mapped to the layout: use `observable.apply_layout(isa_circuit.layout)`."
        if unmapped or student.num_qubits != circuit.num_qubits
        else f"Build {want} and map it with `observable.apply_layout(isa_circuit.layout)`."
    )
    return v.check(
        requirement,
        False,
        "",
        f"The observable sent is {shown_operator(student)}; the layout puts {want} at {shown_operator(expected)}. "
        + fix,
    )


def value_check(v: Verdicts, requirement: str, returned: Any, replayed: float, fix: str) -> None:
    """Gate (stops): ``returned`` is one real number equal to the replayed value up to rounding."""
    number = real_number(returned)
    if number is None:
        v.fail(requirement, f"Expected one float such as 0.42, got {returned!r:.80}. {fix}")
    v.require(
        requirement,
        close(number, replayed),
        "The value is the one the grader's replay of your job gives.",
        f"The value returned ({number:.6g}) is not the one the grader gets when it replays your job (same backend, "
        f"options and seed). {fix}",
    )
