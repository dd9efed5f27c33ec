"""Requirements of estimator tasks: circuits without measurements, states and observables up to the layout, values.

A returned value is the replay's own when it equals the replayed value up to rounding to 6 decimals, so a student may
round, but nobody can type in or compute a value that a seeded run on a noisy fake backend produces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from grader.claims import Call
from grader.judge import semantics
from grader.judge.common import MAKE, NO_BACKEND, replayed
from grader.judge.evidence import Evidence
from grader.judge.replay import backend_for
from grader.judge.rubric import Verdicts
from grader.primitives import Unreplayable

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


# Values that may come from several PUBs or jobs: tasks where one PUB is credit, not a gate (estimator-broadcasting,
# v1-to-v2, vqe-in-a-batch). Each value of each job is an *entry*: its bound circuit and its observable.


@dataclass(frozen=True)
class EstimatorEntry:
    """One value an estimator job estimates: where it is (job, PUB, broadcast index), its circuit and observable."""

    job: int
    pub: int
    index: tuple[int, ...]
    circuit: QuantumCircuit
    """The PUB's circuit with this entry's parameter values bound."""
    observable: SparsePauliOp
    """This entry's observable, on the circuit's qubits."""
    values: tuple[float, ...]
    """This entry's parameter values, in the order of the circuit's parameters (empty without parameters)."""


def estimator_entries(calls: list[Call], most: int) -> list[EstimatorEntry] | None:
    """Every value ``calls`` estimate, job by job, PUB by PUB, in broadcast order; None if more than ``most``."""
    found: list[EstimatorEntry] = []
    for job, call in enumerate(calls):
        for number, pub in enumerate(call.pubs):
            size = math.prod(pub.shape) if pub.shape else 1
            if len(found) + size > most:
                return None
            observables = pub.observables.ravel().tolist()
            positions = np.arange(pub.observables.size).reshape(pub.observables.shape)
            which_observable = np.broadcast_to(positions, pub.shape)
            rows = None
            if pub.circuit.num_parameters:
                rows = pub.parameter_values.as_array(pub.circuit.parameters).reshape(-1, pub.circuit.num_parameters)
                which_row = np.broadcast_to(
                    np.arange(pub.parameter_values.size).reshape(pub.parameter_values.shape), pub.shape
                )
            bound_rows: dict[int, QuantumCircuit] = {}
            for index in np.ndindex(pub.shape) if pub.shape else [()]:
                values: tuple[float, ...] = ()
                circuit = pub.circuit
                if rows is not None:
                    row = int(which_row[index])
                    values = tuple(float(x) for x in rows[row])
                    if row not in bound_rows:
                        bound_rows[row] = pub.circuit.assign_parameters(list(values))
                    circuit = bound_rows[row]
                observable = semantics.observable_on(observables[int(which_observable[index])], pub.circuit.num_qubits)
                found.append(EstimatorEntry(job, number, tuple(index), circuit, observable, values))
    return found


def jobs_on(v: Verdicts, ev: Evidence, kind: str, backend: Any, requirement: str, most: int) -> list[Call]:
    """Gate: one to ``most`` jobs of a V2 ``kind``, each of a class the grader replays, on ``backend``; return them."""
    calls = ev.claim.calls_of(kind)
    if not calls:
        v.fail(requirement, f"No V2 {kind} job ran. To run one, {MAKE[kind]}.")
    if len(calls) > most:
        v.fail(
            requirement,
            f"{len(calls)} {kind} jobs ran; this task needs at most {most}: put the PUBs in one `run`.",
        )
    for call in calls:
        if call.entry is None:
            if call.class_name in NO_BACKEND:
                why = "simulates without noise and ignores the backend, so its results do not come from the device"
            else:
                why = "is not one of the V2 primitives whose results the grader can verify"
            v.fail(
                requirement,
                f"A job ran on `{call.class_name.rsplit('.', 1)[-1]}`, which {why}. Instead, {MAKE[kind]}.",
            )
        try:
            backend_for(call.backend, backend)
        except Unreplayable as error:
            v.fail(requirement, f"The {call.name} {error}. Pass the function's `backend` as `mode=backend`.")
        if not call.pubs:
            v.fail(requirement, f"The {kind} job holds no PUB: pass the PUBs to `run` as a list, `run([pub])`.")
    names = sorted({call.name for call in calls})
    jobs = "One job" if len(calls) == 1 else f"{len(calls)} jobs"
    v.met(requirement, f"{jobs} of {' and '.join(names)} on {backend.name}.")
    return calls


def state_problem(
    circuit: QuantumCircuit, reference: QuantumCircuit, want: str, hints: tuple[tuple[str, QuantumCircuit], ...] = ()
) -> str | None:
    """Why a bound estimator circuit does not prepare ``reference``'s state (up to the layout), or None if it does.

    ``hints`` pairs a likely mistake's explanation with the state that mistake prepares; the first one the circuit
    prepares is named in the reason.
    """
    if measures(circuit):
        return MEASURES
    gates = gates_only(circuit)
    try:
        if semantics.prepares(gates, reference):
            return None
        for hint, wrong in hints:
            if semantics.prepares(gates, wrong):
                return f"The circuit does not prepare {want}: {hint}."
    except semantics.NotReadable as error:
        return f"The circuit cannot be read as gates on |0…0⟩: {error}."
    return f"The circuit does not prepare {want}."


def observable_problem(
    observable: SparsePauliOp,
    circuit: QuantumCircuit,
    reference: SparsePauliOp,
    want: str,
    hints: tuple[tuple[str, SparsePauliOp], ...] = (),
) -> str | None:
    """Why an entry's observable is not ``reference`` mapped to the circuit's layout, or None if it is.

    ``hints`` pairs a likely mistake's explanation with the observable (on virtual qubits) that mistake sends.
    """
    try:
        expected = semantics.mapped(reference, circuit)
        if semantics.same_operator(observable, expected):
            return None
        for hint, wrong in hints:
            if semantics.same_operator(observable, semantics.mapped(wrong, circuit)):
                return f"The observable sent is {shown_operator(observable)}, not {want}: {hint}."
        unmapped = semantics.same_operator(observable, reference.apply_layout(None, num_qubits=circuit.num_qubits))
    except (semantics.NotReadable, ValueError) as error:
        return f"The observable cannot be read: {error}."
    fix = (
        "It is not mapped to the layout: use `observable.apply_layout(isa_circuit.layout)`."
        if unmapped
        else f"Build {want} and map it with `observable.apply_layout(isa_circuit.layout)`."
    )
    return (
        f"The observable sent is {shown_operator(observable)}; the layout puts {want} at "
        f"{shown_operator(expected)}. {fix}"
    )


def real_numbers(value: Any, count: int) -> list[float] | None:
    """``value`` as ``count`` floats if it is a list, tuple or array of that many real numbers (nesting flattened)."""
    if isinstance(value, np.ndarray):
        items = list(value.reshape(-1)) if value.dtype.kind in "iuf" else None
    elif isinstance(value, (list, tuple)):
        items = []
        for item in value:
            inner = real_numbers(item, -1) if isinstance(item, (list, tuple, np.ndarray)) else [item]
            if inner is None:
                return None
            items += inner
    else:
        return None
    if items is None:
        return None
    numbers = [real_number(item) for item in items]
    if any(n is None for n in numbers) or (count >= 0 and len(numbers) != count):
        return None
    return [float(n) for n in numbers if n is not None]


def entry_values(results: dict[int, list[Any]], entries: list[EstimatorEntry]) -> list[tuple[float, float]]:
    """Each entry's (value, standard error) in the replayed results (job index → its PubResults)."""
    found = []
    for entry in entries:
        data = results[entry.job][entry.pub].data
        evs, stds = np.asarray(data.evs, dtype=float), np.asarray(data.stds, dtype=float)
        found.append((float(evs[entry.index]), float(stds[entry.index])))
    return found


def values_problem(returned: list[float], replayed: list[float], order: str) -> str | None:
    """Why values returned are not the replayed ones in order, in a learner's words; None when they are.

    ``order`` says what the order should follow ("the observables", "`thetas`").
    """
    if all(close(r, e) for r, e in zip(returned, replayed, strict=True)):
        return None
    remaining = list(replayed)
    for r in returned:
        match = next((i for i, e in enumerate(remaining) if close(r, e)), None)
        if match is None:
            break
        remaining.pop(match)
    else:
        return f"They are the replay's values, but in another order: return them in the order of {order}."
    if all(abs(r - e) <= 0.005 + 1e-12 for r, e in zip(returned, replayed, strict=True)):
        return "They are the replay's values rounded to fewer than 6 decimals: return them unrounded."
    wrong = next(i for i, (r, e) in enumerate(zip(returned, replayed, strict=True)) if not close(r, e))
    return (
        f"Value {wrong} is {returned[wrong]:.6g}, where the grader's replay of your job (same backend, options and "
        f"seed) gives {replayed[wrong]:.6g}."
    )


@dataclass(frozen=True)
class Wanted:
    """One value a task asks for: the state to prepare and the observable to estimate, as a learner names them."""

    name: str
    """The value, e.g. "⟨XX⟩ at θ = 0.35"."""
    state: QuantumCircuit
    state_name: str
    observable: SparsePauliOp
    observable_name: str
    state_hints: tuple[tuple[str, QuantumCircuit], ...] = ()
    """Likely wrong states, each with what to change (see `state_problem`)."""
    observable_hints: tuple[tuple[str, SparsePauliOp], ...] = ()
    """Likely wrong observables, each with what to change (see `observable_problem`)."""


def wanted_check(
    v: Verdicts,
    entries: list[EstimatorEntry] | None,
    wanted: list[Wanted],
    requirements: tuple[str, str, str],
    count_fix: str,
) -> list[EstimatorEntry]:
    """Gates: entry k prepares ``wanted[k]``'s state and estimates its observable, one entry per value asked for.

    ``requirements`` names the state gate, the observable gate and the one a wrong number of values fails.
    A state or an observable that belongs to another value is reported as a wrong order. Returns the entries.
    """
    state_id, observable_id, count_id = requirements
    label = (lambda k: f"Value {k} ({wanted[k].name}): ") if len(wanted) > 1 else (lambda k: "")
    one_state = len({w.state_name for w in wanted}) == 1
    for k, entry in enumerate((entries or [])[: len(wanted)]):
        problem = state_problem(entry.circuit, wanted[k].state, wanted[k].state_name, wanted[k].state_hints)
        if problem is None:
            continue
        if problem != MEASURES:
            other = next(
                (j for j, w in enumerate(wanted) if state_problem(entry.circuit, w.state, w.state_name) is None), None
            )
            if other is not None:
                problem = (
                    f"The circuit prepares {wanted[other].state_name}, the state of {wanted[other].name}: the "
                    "values come in another order than the one asked for. Keep the order given (do not sort or "
                    "reverse it)."
                )
        v.fail(state_id, problem if one_state else label(k) + problem)
    if entries is None:
        v.fail(count_id, f"Your job(s) estimate more than {len(wanted)} values by far. {count_fix}")
    states = sorted({w.state_name for w in wanted})
    v.met(state_id, f"The circuit prepares {states[0]}." if len(states) == 1 else "Every value's circuit is right.")
    if len(entries) != len(wanted):
        v.fail(count_id, f"Your job(s) estimate {len(entries)} value(s); this task asks for {len(wanted)}. {count_fix}")
    for k, entry in enumerate(entries):
        problem = observable_problem(
            entry.observable, entry.circuit, wanted[k].observable, wanted[k].observable_name, wanted[k].observable_hints
        )
        if problem is None:
            continue
        other = next(
            (
                j
                for j, w in enumerate(wanted)
                if j != k
                and observable_problem(entry.observable, entry.circuit, w.observable, w.observable_name) is None
            ),
            None,
        )
        if other is not None and not semantics.same_operator(wanted[other].observable, wanted[k].observable):
            problem = (
                f"The observable sent is {wanted[other].observable_name}, the one of {wanted[other].name}: list "
                "the observables in the order asked for."
            )
        v.fail(observable_id, label(k) + problem)
    names = sorted({w.observable_name for w in wanted}, key=[w.observable_name for w in wanted].index)
    v.met(
        observable_id, f"The observable{'s are' if len(names) > 1 else ' is'} {', '.join(names)}, mapped to the layout."
    )
    return entries


def returned_values_check(
    v: Verdicts, requirement: str, returned: Any, replayed: list[float], example: str, order: str, fix: str
) -> None:
    """Gate (stops): ``returned`` is a list of ``len(replayed)`` real numbers equal to the replay's, in order."""
    numbers = real_numbers(returned, len(replayed))
    if numbers is None:
        v.fail(requirement, f"Expected a list of {len(replayed)} floats such as {example}; got {returned!r:.80}. {fix}")
    problem = values_problem(numbers, replayed, order)
    v.require(
        requirement,
        problem is None,
        "The values are the ones the grader's replay of your job gives."
        if len(replayed) > 1
        else "The value is the one the grader's replay of your job gives.",
        f"{problem} {fix}",
    )


def replayed_values(
    v: Verdicts, ev: Evidence, calls: list[Call], backend: Any, requirement: str, entries: list[EstimatorEntry]
) -> list[tuple[float, float]]:
    """Each entry's (value, standard error) from the grader's replay of its job; replays only the jobs needed."""
    results = {job: replayed(v, ev, calls[job], backend, requirement) for job in sorted({e.job for e in entries})}
    return entry_values(results, entries)


def one_pub_check(v: Verdicts, requirement: str, call: Any, example: str) -> bool:
    """Credit: the job holds one PUB with one circuit, one observable and at most one parameter set."""
    pub = call.pubs[0]
    return v.check(
        requirement,
        len(call.pubs) == 1 and pub.observables.size == 1 and pub.parameter_values.size <= 1,
        "One PUB with one circuit and one observable.",
        f"The job holds {len(call.pubs)} PUB(s), the first with {pub.observables.size} observable(s) and "
        f"{pub.parameter_values.size} parameter set(s). Run one: `estimator.run([{example}])`.",
    )
