"""v1-to-v2: rebuild what V1 `quasi_dists` and `values` returned from one V2 sampler PUB and one V2 estimator PUB.

V1's Sampler returned a probability dict per circuit keyed by the outcome as an int; V1's Estimator returned one
value per (circuit, observable) pair. The tasks rebuild both from V2 results: the probabilities must be the
replayed counts divided by the shots, keyed by int, and the values the replayed expectation values. One PUB is the
lesson (V1's repeated circuits become a sweep or a list of observables), so it earns points of its own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeQuitoV2

from grader.exercises import Case, Exercise, Task
from grader.judge.common import isa_check, replayed, shots_check
from grader.judge.estimation import (
    Wanted,
    close,
    estimator_entries,
    jobs_on,
    real_number,
    replayed_values,
    returned_values_check,
    wanted_check,
)
from grader.judge.evidence import Evidence
from grader.judge.rubric import Rubric, Verdicts, credit, gate
from grader.judge.sampling import entries, measured_state_problem, ran_shots, readings

QUASI_THETAS = (0.6, 1.5, 2.3, 2.95)
"""P(1) = sin²(θ/2) is 0.09, 0.47, 0.83 and 0.99: a wrong gate, angle or order cannot hide."""
QUASI_SHOTS = 733
VALUES_THETA = -1.2
"""⟨ZZ⟩ = 1 and ⟨XX⟩ = sin θ = -0.93 are far apart, so a swapped or wrong observable shows."""
MOST_JOBS = 8
"""For a handful of angles more jobs than this is no way of writing these tasks: the task fails before any replay."""
MOST_ENTRIES = 64
"""Likewise for sweep points and values."""


# Task 1: V1 `quasi_dists` from one V2 sampler PUB.


def quasi_cases() -> list[Case]:
    """A backend, angles and a shot count the notebook never uses."""
    return [
        Case(
            f"FakeBelemV2, {len(QUASI_THETAS)} angles, {QUASI_SHOTS} shots",
            (FakeBelemV2(), list(QUASI_THETAS), QUASI_SHOTS),
        )
    ]


def ry(theta: float) -> QuantumCircuit:
    """RY(θ) on one qubit."""
    circuit = QuantumCircuit(1)
    circuit.ry(theta, 0)
    return circuit


def outcome(key: Any) -> int | None:
    """A returned key as the outcome it names: an int as it is, a bitstring such as '1' read in base 2."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return int(key)
    if isinstance(key, str) and key and set(key) <= {"0", "1"}:
        return int(key, 2)
    return None


def as_distribution(value: Any) -> dict[int, float] | None:
    """A returned dict as {outcome: probability}, zeros left out; None if it is not such a dict."""
    if not isinstance(value, dict):
        return None
    found: dict[int, float] = {}
    for key, probability in value.items():
        number, p = outcome(key), real_number(probability)
        if number is None or p is None or number in found:
            return None
        if p != 0:
            found[number] = p
    return found


def same_distribution(returned: dict[int, float], expected: dict[int, float]) -> bool:
    """Equal probabilities for every outcome, up to rounding to 6 decimals."""
    return all(close(returned.get(k, 0.0), expected.get(k, 0.0)) for k in set(returned) | set(expected))


def replay_distributions(result: Any, entry: Any) -> list[dict[int, float]]:
    """The probability dicts honest code reads off one replayed sweep point: counts / shots, keyed by int."""
    shots = ran_shots(result)
    return [
        {int(key, 2): n / shots for key, n in counts.items() if n}
        for _, counts in readings(result, entry.index, entry.circuit)
    ]


def distribution_problem(returned: Any, expected: list[dict[int, float]], shots: int, asked: int) -> str:
    """Why one returned dict is not the replay's probabilities, in a learner's words."""
    dist = as_distribution(returned)
    if dist is None:
        return f"expected a dict such as {{0: 0.91, 1: 0.09}} (outcome: probability); got {returned!r:.80}"
    if all(float(p).is_integer() and p >= 1 for p in dist.values()):
        return "these are counts, not probabilities: divide each count by the shots"
    total = sum(dist.values())
    if abs(total - 1) > 1e-6:
        divided = f" (the job ran {shots} shots, not {asked})" if shots != asked else ""
        return f"the probabilities add up to {total:.4g}, not 1: divide each count by the shots the job ran{divided}"
    if any(all(abs(dist.get(k, 0) - e.get(k, 0)) <= 0.005 + 1e-12 for k in set(dist) | set(e)) for e in expected):
        return "they are the replay's probabilities rounded to fewer than 6 decimals: return them unrounded"
    return "they are not the replay's counts divided by the shots"


def judge_quasi_dists(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `quasi_dists(backend, thetas, shots)` for one case."""
    backend, thetas, shots = case.args
    calls = jobs_on(v, ev, "sampler", backend, "uses_v2_sampler", max(MOST_JOBS, len(thetas)))
    size = sum(math.prod(pub.shape) if pub.shape else 1 for call in calls for pub in call.pubs)
    if size > MOST_ENTRIES:
        v.fail("ry_circuit", f"Your job(s) sample {size} circuits; this task asks for {len(thetas)}, one per angle.")
    points = [(job, entry) for job, call in enumerate(calls) for entry in entries(call)]
    pubs = [pub for call in calls for pub in call.pubs]
    v.check(
        "one_pub",
        len(calls) == 1 and len(pubs) == 1 and pubs[0].circuit.num_parameters == 1 and len(points) == len(thetas),
        f"One PUB sweeps one `Parameter` over all {len(thetas)} angles.",
        f"Your {len(calls)} job(s) hold {len(pubs)} PUB(s). V1's `run([qc] * n, [[t] for t in thetas])` becomes "
        "one PUB in V2: `sampler.run([(isa_circuit, thetas)], shots=shots)`, with `theta = Parameter('θ')`.",
    )
    isa_check(v, "isa_circuit", [pub.circuit for pub in pubs], backend)
    returned = ev.returned
    if isinstance(returned, list) and all(isinstance(d, dict) for d in returned) and returned:
        keys = [key for dist in returned for key in dist]
        text = next((key for key in keys if not isinstance(key, (int, np.integer)) or isinstance(key, bool)), None)
        v.check(
            "int_keys",
            text is None,
            "Every dict is keyed by the outcome as an int, as V1's `quasi_dists` were.",
            f"The dicts are keyed by {text!r:.20} ({type(text).__name__}); V1's `quasi_dists` were keyed by the "
            "outcome as an int (0, 1): use `bits.get_int_counts()`, or `int(key, 2)` on `get_counts()`'s keys.",
        )
    if len(points) != len(thetas):
        v.fail(
            "ry_circuit",
            f"Your job(s) sample {len(points)} circuit(s); this task asks for {len(thetas)}, one per angle of "
            "`thetas`, in order.",
        )
    for theta, (_, entry) in zip(thetas, points, strict=True):
        problem = measured_state_problem(entry.circuit, ry(theta))
        if problem is None:
            continue
        other = next((t for t in thetas if measured_state_problem(entry.circuit, ry(t)) is None), None)
        fix = "Use `qc.ry(theta, 0)` with `theta = Parameter('θ')`, then `qc.measure_all()`."
        if other is not None:
            problem = f"it prepares RY({other:g}), the state of another angle"
            fix = "Sweep the angles in the order of `thetas`, as given (not sorted or reversed)."
        v.fail(
            "ry_circuit", f"At θ = {theta:g} the circuit does not prepare RY(θ)|0⟩ then measure it: {problem}. {fix}"
        )
    v.met("ry_circuit", f"Every angle's circuit is RY(θ) then a measurement ({len(thetas)} angles).")
    results = {job: replayed(v, ev, calls[job], backend, "provenance") for job in sorted({j for j, _ in points})}
    ran = [ran_shots(results[job][entry.pub]) for job, entry in points]
    shots_check(v, "exact_shots", min(ran), shots)
    if not isinstance(returned, list) or len(returned) != len(thetas):
        v.fail(
            "provenance",
            f"Expected a list of {len(thetas)} dicts, one per angle in the order of `thetas`; got {returned!r:.80}.",
        )
    for k, ((job, entry), dist) in enumerate(zip(points, returned, strict=True)):
        expected = replay_distributions(results[job][entry.pub], entry)
        found = as_distribution(dist)
        if found is not None and any(same_distribution(found, e) for e in expected):
            continue
        others = [replay_distributions(results[j][e.pub], e) for i, (j, e) in enumerate(points) if i != k]
        if found is not None and any(same_distribution(found, e) for group in others for e in group):
            problem = "it is the probability dict of another angle: return them in the order of `thetas`"
        else:
            problem = distribution_problem(dist, expected, ran[k], shots)
        v.fail(
            "provenance",
            f"Item {k} (θ = {thetas[k]:g}): {problem}. Build "
            "`{outcome: n / shots for outcome, n in bits[i].get_int_counts().items()}` for each `i`, from the "
            "sampler's own result.",
        )
    v.met("provenance", "Every dict is the replay's counts divided by the shots, angle by angle.")


# Task 2: V1 `values` from one V2 estimator PUB.


def values_cases() -> list[Case]:
    """A backend and an angle the notebook never uses."""
    return [Case(f"FakeQuitoV2, θ = {VALUES_THETA}", (FakeQuitoV2(), VALUES_THETA))]


def entangled(theta: float, cx: bool = True) -> QuantumCircuit:
    """RY(θ) on qubit 0, then CX(0, 1) (or, the classic mistake, without it)."""
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    if cx:
        circuit.cx(0, 1)
    return circuit


def judge_v1_values(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `v1_values(backend, theta)` for one case."""
    backend, theta = case.args
    calls = jobs_on(v, ev, "estimator", backend, "uses_v2_estimator", MOST_JOBS)
    pubs = [pub for call in calls for pub in call.pubs]
    v.check(
        "one_pub",
        len(calls) == 1 and len(pubs) == 1 and pubs[0].observables.size == 2 and pubs[0].parameter_values.size <= 1,
        "One PUB holds the circuit once and the two observables.",
        f"Your {len(calls)} job(s) hold {len(pubs)} PUB(s). V1's `run([qc, qc], [zz, xx])` repeated the circuit; "
        "in V2 it appears once, with a list of observables: `estimator.run([(isa_circuit, [isa_zz, isa_xx])])`.",
    )
    isa_check(v, "isa_circuit", [pub.circuit for pub in pubs], backend)
    hints = (("the qubits are not entangled: add `qc.cx(0, 1)` after the RY", entangled(theta, cx=False)),)
    wanted = [
        Wanted(name, entangled(theta), "RY(θ) on qubit 0 then CX(0, 1)", SparsePauliOp(label), shown, hints)
        for label, name, shown in (("ZZ", "⟨ZZ⟩", "Z⊗Z"), ("XX", "⟨XX⟩", "X⊗X"))
    ]
    found = wanted_check(
        v,
        estimator_entries(calls, MOST_ENTRIES),
        wanted,
        ("right_state", "right_observables", "right_observables"),
        "List two observables in V1's order, ZZ then XX, each mapped with `.apply_layout(isa_circuit.layout)`.",
    )
    values = replayed_values(v, ev, calls, backend, "provenance", found)
    returned_values_check(
        v,
        "provenance",
        ev.returned,
        [value for value, _ in values],
        "[0.95, -0.88]",
        "V1's values: ⟨ZZ⟩, then ⟨XX⟩",
        "Return `result[0].data.evs.tolist()`.",
    )


EXERCISE = Exercise(
    id="v1-to-v2",
    tasks=(
        Task(
            "quasi_dists",
            "quasi_dists(backend, thetas, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Its counts come from V2 sampler jobs on the backend given."),
                    gate(
                        "ry_circuit",
                        "For every θ of `thetas`, in order, a circuit prepares RY(θ)|0⟩ and measures it.",
                        "0.5",
                    ),
                    gate(
                        "provenance",
                        "Each dict returned is the grader's replay's counts divided by the shots, angle by angle.",
                        "0.5",
                    ),
                    credit("int_keys", "The dicts are keyed by the outcome as an int (0, 1), as in V1.", "0.5"),
                    credit("one_pub", "One PUB sweeps a single `Parameter` over all the angles.", "0.5"),
                    credit("exact_shots", "The job runs exactly `shots` shots.", "0.5"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.5"),
                )
            ),
            judge_quasi_dists,
            quasi_cases,
        ),
        Task(
            "v1_values",
            "v1_values(backend, theta)",
            Rubric(
                (
                    gate("uses_v2_estimator", "Its values come from V2 estimator jobs on the backend given."),
                    gate(
                        "right_state",
                        "The circuit prepares RY(θ) on qubit 0 then CX(0, 1), without measurements, up to the layout.",
                        "0.5",
                    ),
                    gate("right_observables", "The observables are ZZ then XX, each mapped to the layout.", "0.5"),
                    gate(
                        "provenance",
                        "The two values returned are the grader's replay of the job (to 6 decimals).",
                        "0.5",
                    ),
                    credit("one_pub", "One PUB holds the circuit once and both observables.", "0.25"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.25"),
                )
            ),
            judge_v1_values,
            values_cases,
        ),
    ),
)
