"""Exact, noiseless answers: what a submitted circuit would give on a perfect device."""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector


def measured_qubits(circuit: QuantumCircuit, clbits: list[int]) -> list[int]:
    """The qubit measured into each of ``clbits``, in order; raises ValueError if one is never written."""
    qubit_of: dict[int, int] = {}
    for instruction in circuit.data:
        if instruction.operation.name == "measure":
            qubit = circuit.find_bit(instruction.qubits[0]).index
            clbit = circuit.find_bit(instruction.clbits[0]).index
            qubit_of[clbit] = qubit
    missing = [c for c in clbits if c not in qubit_of]
    if missing:
        raise ValueError(f"classical bits {missing} are never measured into")
    return [qubit_of[c] for c in clbits]


def ideal_distribution(circuit: QuantumCircuit, clbits: list[int] | None = None) -> dict[str, float]:
    """Exact probabilities of a bound circuit's outcomes on ``clbits`` (default all), keyed like counts."""
    qubits = measured_qubits(circuit, list(range(circuit.num_clbits)) if clbits is None else clbits)
    unitary_part = circuit.remove_final_measurements(inplace=False)
    if any(i.operation.name in {"measure", "reset"} for i in unitary_part.data):
        raise ValueError("the circuit measures or resets a qubit before its last gate")
    probabilities = Statevector(unitary_part).probabilities_dict(qargs=qubits)
    # probabilities_dict puts qargs[0] rightmost, as counts keys put clbit 0 rightmost.
    return {key: p for key, p in probabilities.items() if p > 1e-12}


def total_variation(p: dict[str, float], q: dict[str, float]) -> float:
    """Total variation distance between two distributions over bitstrings."""
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


def is_product(distribution: dict[str, float]) -> bool:
    """True when a two-bit distribution is the product of its marginals (no correlation between the bits)."""
    high = {b: sum(p for k, p in distribution.items() if k[0] == b) for b in "01"}
    low = {b: sum(p for k, p in distribution.items() if k[1] == b) for b in "01"}
    return all(abs(distribution.get(h + lo, 0.0) - high[h] * low[lo]) < 1e-9 for h in "01" for lo in "01")
