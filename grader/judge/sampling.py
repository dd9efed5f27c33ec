"""Requirements of sampler tasks: the entries a job sampled, the circuits they ran, and counts read off a replay.

A sampler job's *entries* are its PUBs' sweep points in order: a PUB `(circuit, thetas)` has one entry per angle,
a job of four one-circuit PUBs has four. Counts a task returns are the replay's own if they equal, exactly, one of
the ways honest code reads a result: a register's `get_counts`, `join_data().get_counts()`, or a register's counts
with its bits put in the order of the qubits they measure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ClassicalRegister, Clbit
from qiskit.circuit.classical import expr
from qiskit.quantum_info import Operator

from grader.claims import Call
from grader.judge import semantics
from grader.judge.common import isa_check, replayed, shots_check


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


def _virtual_index(circuit: QuantumCircuit) -> dict[int, int]:
    """For each physical qubit of an ISA circuit, the student's qubit that ends on it (by the circuit's layout)."""
    if circuit.layout is None:
        return {}
    return {physical: virtual for virtual, physical in enumerate(circuit.layout.final_index_layout())}


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
            virtual = _virtual_index(circuit)
            order = sorted(range(len(qubits)), key=lambda i: virtual.get(qubits[i], qubits[i]))
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


def measured_state(
    circuit: QuantumCircuit, clbits: list[int], reference: QuantumCircuit
) -> tuple[bool, dict[str, float]]:
    """Whether a sampler circuit prepares ``reference``'s state on the qubits it measures into ``clbits``.

    The qubit measured into ``clbits[i]`` plays ``reference``'s qubit i; every other qubit the circuit acts on must
    stay |0⟩. Also returns the noiseless distribution over ``clbits`` (``clbits[0]`` rightmost), for messages.
    Raises `semantics.NotReadable` for a circuit that is not gates then final measurements.
    """
    measured = semantics.split_measurements(circuit)
    missing = [c for c in clbits if c not in measured.qubit_of]
    if missing:
        raise semantics.NotReadable(f"classical bit(s) {missing} are never measured into")
    qubits = [measured.qubit_of[c] for c in clbits]
    if len(set(qubits)) != len(qubits):
        raise semantics.NotReadable("it measures one qubit into several of the bits read")
    extra = [q for q in semantics.active_qubits(measured.gates) if q not in qubits]
    state = semantics.state_on(measured.gates, qubits + extra)
    expected = semantics.Statevector(reference)
    if extra:
        expected = semantics.Statevector.from_label("0" * len(extra)).tensor(expected)
    return bool(semantics.same_state(state, expected)), semantics.measured_distribution(measured, clbits)


def outcome_hint(distribution: dict[str, float], bit_names: list[str]) -> str:
    """What a wrong noiseless distribution shows, in a learner's words, or "" (``bit_names[i]`` names bit i)."""
    width = len(bit_names)
    if len(distribution) == 1:
        (key,) = distribution
        first = "the first gate must be H, not X" if "1" in key else "start with H on qubit 0"
        return f"every shot reads {key!r}, so no qubit is in a superposition: {first}"
    stuck = [i for i in range(width) if all(key[width - 1 - i] == "0" for key in distribution)]
    if stuck:
        names = " and ".join(bit_names[i] for i in stuck)
        if len(stuck) == 1:
            return f"the qubit measured into {names} always reads 0, so nothing entangles it: add the CX onto it"
        return f"the qubits measured into {names} always read 0, so nothing entangles them: add the CX gates onto them"
    marginals = [sum(p for key, p in distribution.items() if key[width - 1 - i] == "1") for i in range(width)]
    product = all(
        abs(p - np.prod([m if key[width - 1 - i] == "1" else 1 - m for i, m in enumerate(marginals)])) < 1e-9
        for key, p in distribution.items()
    )
    if product:
        return "the bits come out independent, so the qubits are not entangled: apply the H first, then the CX"
    return ""


MAX_BRANCHES = 256
"""How many measurement branches `exact_outcomes` follows at most."""


def _touched_qubits(circuit: QuantumCircuit, outer: list[int], found: set[int]) -> None:
    for instruction in circuit.data:
        qubits = [outer[circuit.find_bit(q).index] for q in instruction.qubits]
        if instruction.operation.name not in semantics.IGNORED:
            found.update(qubits)
        for block in getattr(instruction.operation, "blocks", ()):
            _touched_qubits(block, qubits, found)


def _condition_value(node: Any, bit_value: Callable[[Any], int]) -> int:
    """The value of an `if_test` condition's expression, with ``bit_value`` reading one clbit."""

    def register_value(register: ClassicalRegister) -> int:
        return sum(bit_value(bit) << i for i, bit in enumerate(register))

    if isinstance(node, expr.Var) and isinstance(node.var, Clbit):
        return bit_value(node.var)
    if isinstance(node, expr.Var) and isinstance(node.var, ClassicalRegister):
        return register_value(node.var)
    if isinstance(node, expr.Value):
        return int(node.value)
    if isinstance(node, expr.Cast):
        return _condition_value(node.operand, bit_value)
    if isinstance(node, expr.Unary) and node.op is expr.Unary.Op.LOGIC_NOT:
        return int(not _condition_value(node.operand, bit_value))
    if isinstance(node, expr.Binary):
        left, right = _condition_value(node.left, bit_value), _condition_value(node.right, bit_value)
        ops = {
            expr.Binary.Op.EQUAL: lambda a, b: int(a == b),
            expr.Binary.Op.NOT_EQUAL: lambda a, b: int(a != b),
            expr.Binary.Op.LOGIC_AND: lambda a, b: int(bool(a) and bool(b)),
            expr.Binary.Op.LOGIC_OR: lambda a, b: int(bool(a) or bool(b)),
            expr.Binary.Op.BIT_AND: lambda a, b: a & b,
            expr.Binary.Op.BIT_OR: lambda a, b: a | b,
            expr.Binary.Op.BIT_XOR: lambda a, b: a ^ b,
        }
        if node.op in ops:
            return ops[node.op](left, right)
    raise semantics.NotReadable("its `if_test` condition is an expression the checks cannot evaluate")


def _condition_holds(condition: Any, bit_value: Callable[[Any], int]) -> bool:
    if isinstance(condition, tuple):
        target, value = condition
        bits = [target] if isinstance(target, Clbit) else list(target)
        return sum(bit_value(bit) << i for i, bit in enumerate(bits)) == int(value)
    return bool(_condition_value(condition, bit_value))


def _follow(
    circuit: QuantumCircuit, qmap: list[int], cmap: list[int], branches: list[tuple[np.ndarray, tuple[int, ...]]]
) -> list[tuple[np.ndarray, tuple[int, ...]]]:
    """Every branch after ``circuit`` (qubit i at position ``qmap[i]``, clbit j at ``cmap[j]``)."""
    num = int(np.log2(len(branches[0][0]))) if branches else 0
    indices = np.arange(2**num)
    for instruction in circuit.data:
        operation = instruction.operation
        name = operation.name
        qubits = [qmap[circuit.find_bit(q).index] for q in instruction.qubits]
        clbits = [cmap[circuit.find_bit(c).index] for c in instruction.clbits]
        if name in semantics.IGNORED:
            continue
        if name in ("measure", "reset"):
            ones = ((indices >> qubits[0]) & 1).astype(bool)
            split = []
            for state, bits in branches:
                for outcome, mask in ((0, ~ones), (1, ones)):
                    part = np.where(mask, state, 0)
                    if np.vdot(part, part).real < 1e-14:
                        continue
                    if name == "measure":
                        split.append((part, bits[: clbits[0]] + (outcome,) + bits[clbits[0] + 1 :]))
                    else:  # reset: the |1⟩ part moves to |0⟩
                        split.append((part[indices ^ (1 << qubits[0])] if outcome else part, bits))
            branches = split
        elif name == "if_else":
            true_body, false_body = (list(operation.blocks) + [None])[:2]
            after = []
            for state, bits in branches:

                def bit_value(bit: Any, bits: tuple[int, ...] = bits) -> int:
                    return bits[cmap[circuit.find_bit(bit).index]]

                body = true_body if _condition_holds(operation.condition, bit_value) else false_body
                if body is None:
                    after.append((state, bits))
                else:
                    after += _follow(body, qubits, clbits, [(state, bits)])
            branches = after
        elif getattr(operation, "blocks", None) or instruction.clbits:
            raise semantics.NotReadable(f"it has `{name}`, which the checks cannot simulate exactly")
        else:
            try:
                unitary = Operator(operation)
            except Exception as error:  # noqa: BLE001 - an unbound parameter, a gate without a matrix
                raise semantics.NotReadable(f"`{name}` has no matrix ({error})") from None
            branches = [
                (semantics.Statevector(state).evolve(unitary, qargs=qubits).data, bits) for state, bits in branches
            ]
        if len(branches) > MAX_BRANCHES:
            raise semantics.NotReadable(f"it branches into more than {MAX_BRANCHES} measurement outcomes")
    return branches


def exact_outcomes(circuit: QuantumCircuit) -> dict[str, float]:
    """The exact noiseless distribution of all the clbits of a bound sampler circuit, clbit 0 rightmost.

    Unlike `semantics.split_measurements`, it reads dynamic circuits: measurements and resets anywhere, and
    `if_test`/`if_else` blocks conditioned on clbits or registers; it follows every measurement branch with its
    exact probability. Raises `semantics.NotReadable` for loops, switches and anything else it cannot simulate.
    """
    touched: set[int] = set()
    _touched_qubits(circuit, list(range(circuit.num_qubits)), touched)
    active = sorted(touched)
    if len(active) > semantics.MAX_SIMULATED_QUBITS:
        raise semantics.NotReadable(f"it acts on {len(active)} qubits, more than the checks simulate")
    if circuit.parameters:
        raise semantics.NotReadable("it still has unbound parameters")
    position = {q: i for i, q in enumerate(active)}
    qmap = [position.get(q, -1) for q in range(circuit.num_qubits)]
    start = np.zeros(2 ** len(active), dtype=complex)
    start[0] = 1.0
    branches = _follow(circuit, qmap, list(range(circuit.num_clbits)), [(start, (0,) * circuit.num_clbits)])
    distribution: dict[str, float] = {}
    for state, bits in branches:
        key = "".join(str(b) for b in reversed(bits))
        distribution[key] = distribution.get(key, 0.0) + float(np.vdot(state, state).real)
    return {key: p for key, p in distribution.items() if p > 1e-12}


def measured_state_check(
    v: Any,
    requirement: str,
    circuit: QuantumCircuit,
    clbits: list[int],
    reference: QuantumCircuit,
    bit_names: list[str],
    build: str,
) -> bool:
    """Gate: the circuit prepares ``reference``'s state on the qubits it measures into ``clbits`` (`measured_state`).

    ``bit_names`` names the bits for hints (``["bit 0", "bit 1"]``); ``build`` says how to build the right circuit.
    """
    want = semantics.shown(semantics.Statevector(reference).probabilities_dict())
    if len(clbits) != reference.num_qubits:
        return v.check(
            requirement,
            False,
            "",
            f"The counts should have {reference.num_qubits} bits, one per qubit; they have {len(clbits)}. {build}.",
        )
    try:
        right, distribution = measured_state(circuit, clbits, reference)
    except semantics.NotReadable as error:
        return v.check(
            requirement, False, "", f"The circuit cannot be read as gates then measurements: {error}. {build}."
        )
    if right:
        return v.check(requirement, True, f"Without noise the circuit gives {want}, and prepares the right state.", "")
    ideal = semantics.Statevector(reference).probabilities_dict()
    same_odds = set(distribution) == {k for k, p in ideal.items() if p > 1e-12} and all(
        abs(p - ideal[k]) < 1e-9 for k, p in distribution.items()
    )
    hint = (
        "the outcomes have the right odds, but the state has another phase"
        if same_odds
        else outcome_hint(distribution, bit_names) or "the outcomes are correlated, but not as they should be"
    )
    return v.check(
        requirement,
        False,
        "",
        f"Without noise your circuit gives {semantics.shown(distribution)}, not {want}: {hint}. {build}.",
    )


def bell_reference() -> QuantumCircuit:
    """H on qubit 0, then CX(0, 1): the state (|00⟩ + |11⟩)/√2."""
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    return circuit


BUILD_BELL = "Apply H to qubit 0, then CX from qubit 0 to qubit 1, and measure both qubits"
NOT_REPLAYED = (
    "The counts returned are not the ones the grader gets when it replays your job (same backend, options and "
    "seed). Return the register's counts as the result gives them: `result[0].data.meas.get_counts()`."
)


def bell_job(v: Any, ev: Any, call: Call, backend: Any, shots: int, isa: Callable[..., Any] | None = None) -> None:
    """The requirements of one sampler job that samples a Bell pair, recorded in ``v``.

    One circuit, ISA (``isa_circuit``), exact shots (``exact_shots``), the Bell state on the bits returned
    (``bell_state``) and counts that are the replay's (``provenance``). ``isa`` replaces the ISA check (one that
    also reads control-flow blocks, say).
    """
    points = entries(call)
    if len(points) != 1:
        v.fail("bell_state", f"The job sampled {len(points)} circuits; this task needs one: the Bell circuit.")
    entry = points[0]
    (isa or (lambda v, r, c, b: isa_check(v, r, [c], b)))(v, "isa_circuit", entry.circuit, backend)
    result = replayed(v, ev, call, backend, "provenance")[entry.pub]
    shots_check(v, "exact_shots", ran_shots(result), shots)
    reading = reading_of(ev.returned, result, entry.index, entry.circuit)
    clbits = measured_register(entry.circuit, reading) if reading else None
    if clbits is None:
        clbits = list(range(entry.circuit.num_clbits))
    measured_state_check(v, "bell_state", entry.circuit, clbits, bell_reference(), ["bit 0", "bit 1"], BUILD_BELL)
    bell_counts_provenance(v, ev.returned, reading)


def bell_counts_provenance(v: Any, returned: Any, reading: str | None, not_replayed: str = NOT_REPLAYED) -> None:
    """Gate: the two-bit counts returned are the replay's, read from register ``reading`` (None: they are not)."""
    problem = counts_shape_problem(returned, 2)
    v.require(
        "provenance",
        reading is not None,
        f"The counts are exactly those of the grader's replay of your job ({reading}).",
        f"The value returned is not a counts dict: {problem}." if problem else not_replayed,
    )


def ry_state(theta: float) -> semantics.Statevector:
    """RY(θ)|0⟩."""
    circuit = QuantumCircuit(1)
    circuit.ry(theta, 0)
    return semantics.Statevector(circuit)


def measured_one_qubit(circuit: QuantumCircuit) -> semantics.Statevector | str:
    """The state a circuit prepares on its one measured qubit (then any others it touches), or why it cannot say."""
    try:
        measured = semantics.split_measurements(circuit)
        if len(measured.qubit_of) != 1:
            return f"it measures {len(measured.qubit_of)} bits; measure the one qubit, once"
        qubit = next(iter(measured.qubit_of.values()))
        extra = [q for q in semantics.active_qubits(measured.gates) if q != qubit]
        return semantics.state_on(measured.gates, [qubit, *extra])
    except semantics.NotReadable as error:
        return str(error)


def prepares_ry(state: semantics.Statevector | str, theta: float) -> str | None:
    """Why a state from `measured_one_qubit` is not RY(θ)|0⟩ (other qubits in |0⟩), or None if it is."""
    if isinstance(state, str):
        return state
    expected = ry_state(theta)
    if state.num_qubits > 1:
        expected = semantics.Statevector.from_label("0" * (state.num_qubits - 1)).tensor(expected)
    if semantics.same_state(state, expected):
        return None
    p_one = float(state.probabilities([0])[1])
    same_odds = abs(p_one - np.sin(theta / 2) ** 2) < 1e-6
    return (
        "it gives the right odds but another state (is it RX instead of RY?)"
        if same_odds
        else f"P('1') is {p_one:.3f} without noise, where RY(θ) gives {np.sin(theta / 2) ** 2:.3f}"
    )


def ry_problem(circuit: QuantumCircuit, theta: float) -> str | None:
    """Why a measured circuit does not prepare RY(θ)|0⟩ and measure it, or None (for one circuit and angle)."""
    return prepares_ry(measured_one_qubit(circuit), theta)
