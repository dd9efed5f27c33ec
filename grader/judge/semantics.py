"""What a submitted PUB means, exactly: the state its circuit prepares and the operator its observable is.

Circuits are compared as states and observables as operators, both up to the layout: an ISA circuit acts on
physical qubits, and virtual qubit i of the student's circuit ends on the physical qubit the circuit's layout says.
Only the qubits a circuit touches are simulated, so a 7-qubit ISA circuit that uses two of them costs a 2-qubit
statevector. Measurements are read as what they are: a sampler circuit measures at the end, an estimator circuit
does not measure at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector

MAX_SIMULATED_QUBITS = 12
IGNORED = {"barrier", "delay"}


class NotReadable(ValueError):
    """A circuit the exact checks cannot read as gates then final measurements; the message says why."""


@dataclass(frozen=True)
class Measured:
    """A sampler circuit read as its gates (no measurements), and which qubit each clbit measures at the end."""

    gates: QuantumCircuit
    qubit_of: dict[int, int]


def _without_leading_resets(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` without the resets that come before anything else on their qubit (they act on |0⟩)."""
    touched: set[int] = set()
    kept = circuit.copy_empty_like()
    for instruction in circuit.data:
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        if instruction.operation.name == "reset" and qubits[0] not in touched:
            continue
        if instruction.operation.name not in IGNORED:
            touched.update(qubits)
        kept.append(instruction)
    return kept


def split_measurements(circuit: QuantumCircuit) -> Measured:
    """The gates of a bound circuit and its final measurements; NotReadable if it measures or resets mid-way."""
    circuit = _without_leading_resets(circuit)
    gates = circuit.copy_empty_like()
    qubit_of: dict[int, int] = {}
    measured: set[int] = set()
    for instruction in circuit.data:
        name = instruction.operation.name
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        if name == "measure":
            qubit_of[circuit.find_bit(instruction.clbits[0]).index] = qubits[0]
            measured.add(qubits[0])
            continue
        if name in IGNORED:
            continue
        if name == "reset":
            raise NotReadable(f"it resets qubit {qubits[0]} after using it")
        if instruction.operation.num_clbits or getattr(instruction.operation, "blocks", None):
            raise NotReadable(f"it has `{name}`, which depends on a measurement made mid-circuit")
        if measured.intersection(qubits):
            raise NotReadable(f"it applies `{name}` to a qubit after measuring it")
        gates.append(instruction)
    gates.remove_final_measurements(inplace=True)
    return Measured(gates, qubit_of)


def active_qubits(circuit: QuantumCircuit) -> list[int]:
    """The qubits any instruction of ``circuit`` acts on (barriers and delays aside), in order."""
    found: set[int] = set()
    for instruction in circuit.data:
        if instruction.operation.name not in IGNORED:
            found.update(circuit.find_bit(q).index for q in instruction.qubits)
    return sorted(found)


def state_on(circuit: QuantumCircuit, qubits: list[int]) -> Statevector:
    """The state a gates-only circuit prepares on ``qubits`` (listed first = least significant), from |0…0⟩.

    Every qubit the circuit touches must be among ``qubits``: the others stay |0⟩ and are left out.
    """
    used = active_qubits(circuit)
    outside = [q for q in used if q not in qubits]
    if outside:
        raise NotReadable(f"it also acts on qubit(s) {outside}")
    if len(qubits) > MAX_SIMULATED_QUBITS:
        raise NotReadable(f"it acts on {len(qubits)} qubits, more than the checks simulate")
    position = {q: i for i, q in enumerate(qubits)}
    small = QuantumCircuit(len(qubits))
    for instruction in circuit.data:
        if instruction.operation.name in IGNORED:
            continue
        small.append(instruction.operation, [position[circuit.find_bit(q).index] for q in instruction.qubits])
    if small.parameters:
        raise NotReadable("it still has unbound parameters")
    return Statevector(small)


def layout_qubits(circuit: QuantumCircuit, count: int) -> list[int]:
    """The physical qubit on which each of the first ``count`` virtual qubits ends, by the circuit's layout."""
    layout = circuit.layout
    if layout is None:
        return list(range(count))
    final = layout.final_index_layout(filter_ancillas=True)
    if len(final) < count:
        raise NotReadable(f"its layout maps {len(final)} qubits, not {count}")
    return list(final[:count])


def same_state(a: Statevector, b: Statevector) -> bool:
    """Whether two states are equal up to a global phase."""
    return a.num_qubits == b.num_qubits and abs(abs(np.vdot(a.data, b.data)) - 1.0) < 1e-7


def prepares(circuit: QuantumCircuit, reference: QuantumCircuit) -> bool:
    """Whether a gates-only circuit prepares ``reference``'s state on its layout's qubits, |0⟩ elsewhere."""
    physical = layout_qubits(circuit, reference.num_qubits)
    extra = [q for q in active_qubits(circuit) if q not in physical]
    student = state_on(circuit, physical + extra)
    expected = Statevector(reference)
    if extra:
        expected = Statevector.from_label("0" * len(extra)).tensor(expected)
    return same_state(student, expected)


def observable_on(observable: dict[str, float] | SparsePauliOp, num_qubits: int) -> SparsePauliOp:
    """An observable (as a PUB holds it) as a SparsePauliOp."""
    if isinstance(observable, SparsePauliOp):
        return observable
    return SparsePauliOp.from_list(list(observable.items()), num_qubits=num_qubits)


def same_operator(a: SparsePauliOp, b: SparsePauliOp) -> bool:
    """Whether two Pauli sums are the same operator."""
    if a.num_qubits != b.num_qubits:
        return False
    return bool(np.all(np.abs((a - b).simplify(atol=1e-9).coeffs) < 1e-9))


def mapped(reference: SparsePauliOp, circuit: QuantumCircuit) -> SparsePauliOp:
    """``reference`` (on virtual qubits) moved to the physical qubits of ``circuit``'s layout."""
    physical = layout_qubits(circuit, reference.num_qubits)
    return reference.apply_layout(physical, num_qubits=circuit.num_qubits)


def measured_distribution(measured: Measured, clbits: list[int]) -> dict[str, float]:
    """Exact probabilities of the outcomes on ``clbits`` (clbit 0 rightmost, as in counts keys)."""
    missing = [c for c in clbits if c not in measured.qubit_of]
    if missing:
        raise NotReadable(f"classical bit(s) {missing} are never measured into")
    qubits = [measured.qubit_of[c] for c in clbits]
    support = sorted(set(active_qubits(measured.gates)) | set(qubits))
    state = state_on(measured.gates, support)
    position = [support.index(q) for q in qubits]
    probabilities = state.probabilities_dict(qargs=position)
    return {key: p for key, p in probabilities.items() if p > 1e-12}


def shown(distribution: dict[str, float]) -> str:
    """A distribution as a learner reads it: ``{'00': 0.5, '11': 0.5}``."""
    return str({str(k): round(float(v), 3) for k, v in sorted(distribution.items())})
