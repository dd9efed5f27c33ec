"""Requirements of sampler tasks: the entries a job sampled, the circuits they ran, and counts read off a replay.

A sampler job's *entries* are its PUBs' sweep points in order: a PUB `(circuit, thetas)` has one entry per angle,
a job of four one-circuit PUBs has four. Counts a task returns are the replay's own if they equal, exactly, one of
the ways honest code reads a result: a register's `get_counts`, `join_data().get_counts()`, or a register's counts
with its bits put in the order of the qubits they measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from grader.claims import Call
from grader.judge import semantics


@dataclass(frozen=True)
class Entry:
    """One sweep point of one PUB: where it is, its bound circuit, and its angle(s)."""

    pub: int
    index: tuple[int, ...]
    circuit: QuantumCircuit
    values: tuple[float, ...]


def entries(call: Call) -> list[Entry]:
    """Every sweep point of every PUB of ``call``, in order, with its circuit bound."""
    found = []
    for number, pub in enumerate(call.pubs):
        values = pub.parameter_values.as_array(pub.circuit.parameters) if pub.circuit.parameters else None
        for index in np.ndindex(pub.shape) if pub.shape else [()]:
            row = tuple(float(x) for x in values[index]) if values is not None else ()
            circuit = pub.circuit.assign_parameters(list(row)) if row else pub.circuit
            found.append(Entry(number, index, circuit, row))
    return found


def counts_shape_problem(value: Any, width: int, shots: int | None = None) -> str | None:
    """Why ``value`` is not a counts dict of ``width``-bit strings (adding up to ``shots`` if given), or None."""
    if not isinstance(value, dict):
        return f"expected a dict of counts such as {{{'0' * width!r}: 480, {'1' * width!r}: 470}}, got {value!r:.80}"
    for key, count in value.items():
        if not (isinstance(key, str) and len(key) == width and set(key) <= {"0", "1"}):
            return f"counts keys should be {width}-bit strings such as {'0' * width!r}; found {key!r:.40}"
        if not isinstance(count, (int, np.integer)) or isinstance(count, bool):
            return f"counts should be integers; found {count!r:.40} for {key!r}"
    if shots is not None and sum(value.values()) != shots:
        return f"the counts add up to {sum(value.values())}, not to the {shots} shots asked for"
    return None


def _reordered(counts: dict[str, int], order: list[int]) -> dict[str, int]:
    """Counts with each key's bits rearranged: bit ``order[i]`` of the old key becomes bit i (bit 0 rightmost)."""
    width = len(order)
    moved: dict[str, int] = {}
    for key, count in counts.items():
        bits = key[::-1]
        new = "".join(bits[order[i]] for i in range(width))[::-1]
        moved[new] = moved.get(new, 0) + count
    return moved


def readings(result: Any, index: tuple[int, ...], circuit: QuantumCircuit) -> list[tuple[str, dict[str, int]]]:
    """The counts an honest task may return for one entry of a replayed PUB result: (how it was read, counts)."""
    data = result.data
    found = []
    for name in data.keys():
        bits = getattr(data, name)
        if not hasattr(bits, "get_counts"):
            continue
        counts = bits.get_counts(index if index else None)
        found.append((f"register `{name}`", counts))
        register = next((r for r in circuit.cregs if r.name == name), None)
        if register is not None:
            try:
                measured = semantics.split_measurements(circuit)
                qubits = [measured.qubit_of[circuit.find_bit(bit).index] for bit in register]
            except (semantics.NotReadable, KeyError):
                continue
            order = sorted(range(len(qubits)), key=lambda i: qubits[i])
            if order != list(range(len(qubits))):
                found.append((f"register `{name}` in qubit order", _reordered(counts, order)))
    if len(found) > 1:
        joined = result.join_data()
        found.append(("`join_data()`", joined.get_counts(index if index else None)))
    return found


def reading_of(returned: Any, result: Any, index: tuple[int, ...], circuit: QuantumCircuit) -> str | None:
    """How ``returned`` reads the replayed entry, if it equals one of its honest readings exactly; else None."""
    if not isinstance(returned, dict):
        return None
    for how, counts in readings(result, index, circuit):
        if counts == returned:
            return how
    return None


def ran_shots(result: Any) -> int:
    """How many shots a replayed sampler PUB result holds."""
    data = result.data
    for name in data.keys():
        bits = getattr(data, name)
        if hasattr(bits, "num_shots"):
            return int(bits.num_shots)
    return 0


def measured_register(circuit: QuantumCircuit, reading: str) -> list[int] | None:
    """The clbits the reading ``register `name`…`` refers to, or None for a joined reading."""
    if not reading.startswith("register `"):
        return None
    name = reading.split("`")[1]
    register = next(r for r in circuit.cregs if r.name == name)
    return [circuit.find_bit(bit).index for bit in register]


def measured_clbits(circuit: QuantumCircuit) -> list[int]:
    """The clbits that a circuit's measurements write to, in index order."""
    return sorted({circuit.find_bit(i.clbits[0]).index for i in circuit.data if i.operation.name == "measure"})


def measured_state_problem(circuit: QuantumCircuit, reference: QuantumCircuit) -> str | None:
    """Why a bound sampler circuit does not prepare ``reference``'s state and measure it, or None if it does.

    The circuit must measure ``reference.num_qubits`` qubits, each once, with the measured clbits in index order
    reading the reference's qubits 0, 1, ...; qubits it touches but does not measure must end in |0⟩. The reason is
    in a learner's words and names the noiseless distribution the circuit gives.
    """
    width = reference.num_qubits
    try:
        measured = semantics.split_measurements(circuit)
        clbits = sorted(measured.qubit_of)
        if len(clbits) != width:
            return f"it measures {len(clbits)} bit(s), not {width}: measure each of its {width} qubits once"
        qubits = [measured.qubit_of[c] for c in clbits]
        if len(set(qubits)) != width:
            return "it measures one qubit into two bits: measure each qubit once, into its own bit"
        extra = [q for q in semantics.active_qubits(measured.gates) if q not in qubits]
        state = semantics.state_on(measured.gates, qubits + extra)
        expected = semantics.Statevector(reference)
        if extra:
            expected = semantics.Statevector.from_label("0" * len(extra)).tensor(expected)
        if semantics.same_state(state, expected):
            return None
        seen = semantics.measured_distribution(measured, clbits)
    except semantics.NotReadable as error:
        return f"it cannot be read as gates then measurements: {error}"
    wanted = {k: p for k, p in semantics.Statevector(reference).probabilities_dict().items() if p > 1e-12}
    if semantics.shown(seen) == semantics.shown(wanted):
        return f"it gives the right odds, {semantics.shown(wanted)}, but prepares another state"
    return f"without noise it gives {semantics.shown(seen)}, not {semantics.shown(wanted)}"
