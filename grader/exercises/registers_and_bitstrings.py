"""registers-and-bitstrings: named registers, joined counts and a sweep read as probabilities, with a V2 sampler."""

from __future__ import annotations

from itertools import permutations
from typing import Any

from qiskit import QuantumCircuit
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2, FakeQuitoV2

from grader.exercises import Case, Exercise, Task
from grader.judge import semantics
from grader.judge.common import isa_check, one_job, replayed, shots_check
from grader.judge.estimation import close, real_number
from grader.judge.evidence import Evidence
from grader.judge.rubric import Rubric, Verdicts, credit, gate
from grader.judge.sampling import (
    Entry,
    counts_shape_problem,
    entries,
    measured_one_qubit,
    measured_state,
    outcome_hint,
    prepares_ry,
    ran_shots,
    reading_of,
    readings,
)

REGISTERS = (("alpha", 1), ("beta", 2))
"""The classical registers the GHZ circuit must have, in this order: `join_data()` keys put `beta` on the left."""
GHZ = {"000": 0.5, "111": 0.5}
BUILD_GHZ = (
    "Build `QuantumCircuit(QuantumRegister(3), ClassicalRegister(1, 'alpha'), ClassicalRegister(2, 'beta'))`, "
    "apply H to qubit 0, CX from 0 to 1 and CX from 0 to 2, then measure qubit 0 into `alpha` and qubits 1 and 2 "
    "into `beta`"
)
SWEEP_THETAS = (0.5, 2.9, 1.4, 2.3)
"""P('1') = sin²(θ/2) is 0.06, 0.99, 0.42 and 0.83: far from P('0') and from any reordering of the list."""
READ_JOINED = "Return `result[0].join_data().get_counts()` as it is: it keeps `beta` on the left."
READ_BY_NAME = (
    "Read each register by its name, `data.alpha.get_counts()` and `data['beta'].get_counts()`, and return the "
    "dicts as they are."
)
READ_PROBABILITIES = (
    "For angle i return `bits.get_counts(i).get('1', 0) / shots`, with `bits = result[0].data.meas`, in the order "
    "of `thetas`."
)


def ghz_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses, for `joined_counts`."""
    return [Case("FakeQuitoV2, 837 shots", (FakeQuitoV2(), 837))]


def register_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses, for `register_counts`."""
    return [Case("FakeBelemV2, 641 shots", (FakeBelemV2(), 641))]


def sweep_cases() -> list[Case]:
    """A backend, unsorted angles and a shot count the notebook never uses."""
    return [Case("FakeLimaV2, 4 angles, 587 shots", (FakeLimaV2(), list(SWEEP_THETAS), 587))]


def ghz_reference() -> QuantumCircuit:
    """H on qubit 0, then CX(0, 1) and CX(0, 2): the state (|000⟩ + |111⟩)/√2."""
    circuit = QuantumCircuit(3)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(0, 2)
    return circuit


def registers_check(v: Verdicts, requirement: str, circuit: QuantumCircuit, ordered: bool) -> bool:
    """Gate: the circuit's classical registers are exactly `alpha` (1 bit) and `beta` (2 bits), in order if asked."""
    found = tuple((register.name, register.size) for register in circuit.cregs)
    right = found == REGISTERS if ordered else sorted(found) == sorted(REGISTERS)
    shown = ", ".join(f"`{name}` ({size} bit{'s' if size > 1 else ''})" for name, size in found) or "none"
    order = ", in that order," if ordered else ""
    return v.check(
        requirement,
        right,
        "The circuit writes into `alpha` (1 bit) and `beta` (2 bits).",
        f"The circuit sent has the classical registers {shown}; it needs exactly `alpha` (1 bit) and `beta` "
        f"(2 bits){order} and no others (`measure_all()` would add a third, `meas`). {BUILD_GHZ}.",
    )


def ghz_clbits(circuit: QuantumCircuit) -> list[int] | None:
    """The clbits read as the GHZ's three bits: `alpha` then `beta` when they exist, else all three clbits."""
    named = {register.name: register for register in circuit.cregs}
    if named.get("alpha") is not None and named.get("beta") is not None:
        bits = [*named["alpha"], *named["beta"]]
        if len(bits) == 3:
            return [circuit.find_bit(bit).index for bit in bits]
    return list(range(3)) if circuit.num_clbits == 3 else None


def ghz_check(v: Verdicts, requirement: str, circuit: QuantumCircuit) -> bool:
    """Gate: without noise the circuit prepares (|000⟩ + |111⟩)/√2 on the qubits measured into `alpha` and `beta`."""
    clbits = ghz_clbits(circuit)
    if clbits is None:
        return v.check(
            requirement,
            False,
            "",
            f"The circuit has {circuit.num_clbits} classical bits; the GHZ state needs three, one per qubit. "
            f"{BUILD_GHZ}.",
        )
    try:
        right, distribution = measured_state(circuit, clbits, ghz_reference())
    except semantics.NotReadable as error:
        return v.check(
            requirement, False, "", f"The circuit cannot be read as gates then measurements: {error}. {BUILD_GHZ}."
        )
    if right:
        return v.check(requirement, True, "The circuit prepares (|000⟩ + |111⟩)/√2 and measures every qubit.", "")
    same_odds = set(distribution) == set(GHZ) and all(abs(p - 0.5) < 1e-9 for p in distribution.values())
    hint = (
        "the outcomes are right, but the state has another phase: use H and the two CX gates, nothing else"
        if same_odds
        else outcome_hint(distribution, ["`alpha`", "`beta[0]`", "`beta[1]`"])
        or "the outcomes are correlated, but not as a GHZ state"
    )
    return v.check(
        requirement,
        False,
        "",
        f"Without noise your circuit gives {semantics.shown(distribution)} (`beta` left, `alpha` right), not {GHZ}: "
        f"{hint}. {BUILD_GHZ}.",
    )


def one_circuit(v: Verdicts, call: Any, requirement: str) -> Entry:
    """Gate: the job sampled one circuit; return it."""
    points = entries(call)
    if len(points) != 1:
        v.fail(requirement, f"The job sampled {len(points)} circuits; this task needs one: the GHZ circuit.")
    return points[0]


def reordered(counts: dict[str, int], order: tuple[int, ...]) -> dict[str, int]:
    """Counts with each key's characters taken in ``order``."""
    moved: dict[str, int] = {}
    for key, count in counts.items():
        new = "".join(key[i] for i in order)
        moved[new] = moved.get(new, 0) + count
    return moved


def joined_problem(returned: Any, joined: dict[str, int]) -> str:
    """Why counts that are not the replay's joined counts differ from them, in a learner's words."""
    problem = counts_shape_problem(returned, 3)
    if problem:
        return f"The value returned is not the joined counts: {problem}. {READ_JOINED}"
    if any(reordered(joined, order) == returned for order in permutations(range(3)) if order != (0, 1, 2)):
        return (
            "These are the shots of your job with the bits in another order: `join_data()` puts the later register, "
            f"`beta`, on the left and `alpha` on the right. {READ_JOINED}"
        )
    return (
        "The counts returned are not the joined counts the grader gets when it replays your job (same backend, "
        f"options and seed). {READ_JOINED}"
    )


def judge_joined_counts(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `joined_counts(backend, shots)` for one case."""
    backend, shots = case.args
    call = one_job(v, ev, "sampler", backend, "uses_v2_sampler")
    entry = one_circuit(v, call, "ghz_state")
    isa_check(v, "isa_circuit", [entry.circuit], backend)
    result = replayed(v, ev, call, backend, "provenance")[entry.pub]
    shots_check(v, "exact_shots", ran_shots(result), shots)
    registers_check(v, "two_registers", entry.circuit, ordered=True)
    ghz_check(v, "ghz_state", entry.circuit)
    reading = reading_of(ev.returned, result, entry.index, entry.circuit)
    whole = reading == "`join_data()`" or (reading is not None and len(entry.circuit.cregs) == 1)
    if reading is not None and not whole:
        v.fail(
            "provenance",
            f"These are the counts of {reading.replace('register ', '')} alone, not of both registers. {READ_JOINED}",
        )
    joined = result.join_data().get_counts(entry.index or None)
    v.require(
        "provenance",
        whole,
        f"The counts are exactly the joined counts of the grader's replay of your job ({reading}).",
        joined_problem(ev.returned, joined),
    )


def virtual_order(result: Any, entry: Entry, name: str) -> list[dict[str, int]]:
    """Register ``name``'s replayed counts with its bits in the order of the circuit's own qubits they measure.

    A student who measured qubits 2 and 1 into `beta` and reversed the keys reads the bits in the order of the
    qubits of the circuit they wrote (virtual qubits), which the layout may have put on physical qubits in any
    order. Empty when the register is not measured that way.
    """
    circuit = entry.circuit
    register = next((r for r in circuit.cregs if r.name == name), None)
    if register is None or circuit.layout is None:
        return []
    try:
        measured = semantics.split_measurements(circuit)
        virtual = {p: v for v, p in enumerate(circuit.layout.final_index_layout(filter_ancillas=True))}
        qubits = [virtual[measured.qubit_of[circuit.find_bit(bit).index]] for bit in register]
    except (semantics.NotReadable, KeyError):
        return []
    order = sorted(range(len(qubits)), key=lambda i: qubits[i])
    if order == list(range(len(qubits))):
        return []
    counts = getattr(result.data, name).get_counts(entry.index or None)
    moved: dict[str, int] = {}
    for key, count in counts.items():
        bits = key[::-1]
        new = "".join(bits[order[i]] for i in range(len(order)))[::-1]
        moved[new] = moved.get(new, 0) + count
    return [moved]


def register_counts_problem(returned: Any, result: Any, entry: Entry) -> str | None:
    """Why ``returned`` is not `{"alpha": ..., "beta": ...}` read off the replayed result, or None if it is."""
    if not isinstance(returned, dict) or set(returned) != {"alpha", "beta"}:
        keys = sorted(map(str, returned)) if isinstance(returned, dict) else type(returned).__name__
        return (
            f"Expected a dict with exactly the keys 'alpha' and 'beta', each holding that register's counts; got "
            f"{keys!r:.80}."
        )
    honest = readings(result, entry.index, entry.circuit)
    for name, width in REGISTERS:
        value = returned[name]
        own = [counts for how, counts in honest if how.split("`")[1:2] == [name]]
        if any(counts == value for counts in [*own, *virtual_order(result, entry, name)]):
            continue
        other = [how.split("`")[1] for how, counts in honest if counts == value and how.startswith("register")]
        if other:
            return f"Under '{name}' you returned the counts of `{other[0]}`. {READ_BY_NAME}"
        shape = counts_shape_problem(value, width)
        if shape:
            return f"Under '{name}': {shape}. {READ_BY_NAME}"
        return (
            f"The counts under '{name}' are not that register's counts in the grader's replay of your job (same "
            f"backend, options and seed). {READ_BY_NAME}"
        )
    return None


def judge_register_counts(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `register_counts(backend, shots)` for one case."""
    backend, shots = case.args
    call = one_job(v, ev, "sampler", backend, "uses_v2_sampler")
    entry = one_circuit(v, call, "ghz_state")
    isa_check(v, "isa_circuit", [entry.circuit], backend)
    result = replayed(v, ev, call, backend, "provenance")[entry.pub]
    shots_check(v, "exact_shots", ran_shots(result), shots)
    registers_check(v, "two_registers", entry.circuit, ordered=False)
    ghz_check(v, "ghz_state", entry.circuit)
    problem = register_counts_problem(ev.returned, result, entry)
    v.require(
        "provenance",
        problem is None,
        "Both registers' counts are exactly those of the grader's replay of your job.",
        problem or "",
    )


def ry_state(theta: float) -> semantics.Statevector:
    """RY(θ)|0⟩."""
    circuit = QuantumCircuit(1)
    circuit.ry(theta, 0)
    return semantics.Statevector(circuit)


def probabilities_of(result: Any, index: tuple[int, ...]) -> list[float]:
    """P('1') of every one-bit register of a replayed entry, counted over the shots it ran."""
    found = []
    for name in result.data.keys():
        bits = getattr(result.data, name)
        if getattr(bits, "num_bits", None) == 1:
            counts = bits.get_counts(index if index else None)
            found.append(counts.get("1", 0) / bits.num_shots)
    return found


def probabilities_problem(
    returned: list[float], wanted: list[list[float]], results: list[Any], chosen: list[Entry], shots: int
) -> str:
    """Why probabilities that are not the replay's differ from them, in a learner's words."""
    right = [w[0] if w else float("nan") for w in wanted]
    if all(any(close(r, 1 - p) for p in w) for r, w in zip(returned, wanted, strict=True)):
        return f"These are P('0'), the share of shots that read '0'. Count the '1's instead. {READ_PROBABILITIES}"
    ran = ran_shots(results[chosen[0].pub])
    if ran != shots and all(any(close(r, p * ran / shots) for p in w) for r, w in zip(returned, wanted, strict=True)):
        return (
            f"These are the counts of '1' divided by {shots}, but your job ran {ran} shots per angle, so they are "
            f"not probabilities: run it with `shots=shots`. {READ_PROBABILITIES}"
        )
    if all(any(close(r, p) for w in wanted for p in w) for r in returned):
        return f"Each value is P('1') of one of the angles, but not in the order of `thetas`. {READ_PROBABILITIES}"
    sizes = [ran_shots(results[e.pub]) for e in chosen]
    pooled = sum(n * p for n, p in zip(sizes, right, strict=True)) / max(sum(sizes), 1)
    if all(close(r, pooled) for r in returned):
        return (
            "Every value is P('1') of all the angles added together: `bits.get_counts()` without an index adds "
            f"every angle of the sweep. {READ_PROBABILITIES}"
        )
    gap = max(abs(r - p) for r, p in zip(returned, right, strict=True))
    if gap < 0.0051:
        return (
            f"The values are up to {gap:.2g} away from P('1') of the grader's replay of your job: were they rounded? "
            f"Keep at least 6 decimals. {READ_PROBABILITIES}"
        )
    return (
        "The values returned are not P('1') of the grader's replay of your job (same backend, options and seed), "
        f"angle by angle. {READ_PROBABILITIES}"
    )


def judge_sweep_probabilities(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `sweep_probabilities(backend, thetas, shots)` for one case."""
    backend, thetas, shots = case.args
    call = one_job(v, ev, "sampler", backend, "uses_v2_sampler")
    points = entries(call)
    v.check(
        "one_pub",
        len(call.pubs) == 1 and len(points) == len(thetas) and call.pubs[0].circuit.num_parameters == 1,
        f"One PUB sweeps one `Parameter` over all {len(thetas)} angles.",
        f"The job holds {len(call.pubs)} PUB(s) and {len(points)} sweep point(s). Put one circuit with one "
        "`Parameter` and all the angles in one PUB: `sampler.run([(isa_circuit, thetas)], shots=shots)`.",
    )
    isa_check(v, "isa_circuit", [pub.circuit for pub in call.pubs], backend)
    # Each angle is matched with the sweep point that prepares RY(θ); order within the PUB does not matter.
    chosen = []
    states = {id(e): measured_one_qubit(e.circuit) for e in points}  # each point's state, once
    for theta in thetas:
        matching = [e for e in points if prepares_ry(states[id(e)], theta) is None]
        if not matching:
            same_angle = [e for e in points if len(e.values) == 1 and abs(e.values[0] - theta) < 1e-9]
            shown = same_angle[0] if same_angle else points[0] if len(points) == 1 else None
            why = prepares_ry(states[id(shown)], theta) if shown else None
            v.fail(
                "ry_circuit",
                f"No circuit of the job prepares RY({theta:g})|0⟩ then measures it{': ' + why if why else ''}. Use "
                "`circuit.ry(theta, 0)` with `theta = Parameter('θ')`, then `measure_all()`, and sweep the angles "
                "given.",
            )
        chosen.append(matching[0])
    v.met("ry_circuit", f"Every angle's circuit is RY(θ) then a measurement ({len(thetas)} angles).")
    results = replayed(v, ev, call, backend, "provenance")
    shots_check(v, "exact_shots", min(ran_shots(results[e.pub]) for e in chosen), shots)
    returned = ev.returned
    numbers = [real_number(p) for p in returned] if isinstance(returned, (list, tuple)) else []
    if len(numbers) != len(thetas) or any(n is None for n in numbers):
        v.fail(
            "provenance",
            f"Expected a list of {len(thetas)} floats, P('1') for each angle in the order of `thetas`; got "
            f"{returned!r:.80}.",
        )
    wanted = [probabilities_of(results[e.pub], e.index) for e in chosen]
    right = all(any(close(n, p) for p in w) for n, w in zip(numbers, wanted, strict=True))
    v.require(
        "provenance",
        right,
        "Every value is exactly P('1') of the grader's replay of your job, angle by angle.",
        "" if right else probabilities_problem(numbers, wanted, results, chosen, shots),
    )


EXERCISE = Exercise(
    id="registers-and-bitstrings",
    tasks=(
        Task(
            "joined_counts",
            "joined_counts(backend, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend given."),
                    gate(
                        "two_registers",
                        "The circuit has exactly the classical registers `alpha` (1 bit) and `beta` (2 bits), in "
                        "that order.",
                        "0.5",
                    ),
                    gate("ghz_state", "The circuit prepares (|000⟩ + |111⟩)/√2 and measures every qubit.", "0.5"),
                    gate(
                        "provenance",
                        "The counts returned are exactly the joined counts (`join_data()`) of the grader's replay.",
                        "0.5",
                    ),
                    credit("exact_shots", "The job runs exactly `shots` shots.", "0.25"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.25"),
                )
            ),
            judge_joined_counts,
            ghz_cases,
        ),
        Task(
            "register_counts",
            "register_counts(backend, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend given."),
                    gate(
                        "two_registers",
                        "The circuit has exactly the classical registers `alpha` (1 bit) and `beta` (2 bits).",
                        "0.5",
                    ),
                    gate("ghz_state", "The circuit prepares (|000⟩ + |111⟩)/√2 and measures every qubit.", "0.5"),
                    gate(
                        "provenance",
                        "Under 'alpha' and 'beta', each register's counts exactly as the grader's replay gives them.",
                        "0.5",
                    ),
                    credit("exact_shots", "The job runs exactly `shots` shots.", "0.25"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.25"),
                )
            ),
            judge_register_counts,
            register_cases,
        ),
        Task(
            "sweep_probabilities",
            "sweep_probabilities(backend, thetas, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend given."),
                    gate("ry_circuit", "For every angle θ, a circuit prepares RY(θ)|0⟩ and measures it.", "0.5"),
                    gate(
                        "provenance",
                        "The values returned, angle by angle in the order of `thetas`, are P('1') of the replay "
                        "(to 6 decimals).",
                        "0.5",
                    ),
                    credit("one_pub", "One PUB sweeps a single `Parameter` over all the angles.", "0.5"),
                    credit("exact_shots", "The job runs exactly `shots` shots per angle.", "0.25"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.25"),
                )
            ),
            judge_sweep_probabilities,
            sweep_cases,
        ),
    ),
)
