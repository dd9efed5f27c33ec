"""sampler-basics: a Bell state's counts, and a parameter sweep in one PUB, with a V2 sampler."""

from __future__ import annotations

from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2

from grader.exercises import Case, Exercise, Task
from grader.judge.common import isa_check, one_job, replayed, shots_check
from grader.judge.evidence import Evidence
from grader.judge.rubric import Rubric, Verdicts, credit, gate
from grader.judge.sampling import (
    bell_job,
    counts_shape_problem,
    entries,
    measured_one_qubit,
    prepares_ry,
    ran_shots,
    reading_of,
)

SWEEP_THETAS = (1.2, 0.35, 2.8, 2.05)
"""Angles where P('1') = sin²(θ/2) runs from 0.03 to 0.94, not sorted, so a wrong gate or order cannot hide."""
BATCH_THETAS = (2.5, 0.6, 1.9)


def bell_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses."""
    return [Case("FakeLimaV2, 777 shots", (FakeLimaV2(), 777))]


def bell_batch_cases() -> list[Case]:
    """The batch grader's cases: two backends with different layouts and noise, two odd shot counts."""
    return [*bell_cases(), Case("FakeBelemV2, 1234 shots", (FakeBelemV2(), 1234))]


def judge_bell_counts(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `bell_counts(backend, shots)` for one case."""
    backend, shots = case.args
    bell_job(v, ev, one_job(v, ev, "sampler", backend, "uses_v2_sampler"), backend, shots)


def sweep_cases() -> list[Case]:
    """A backend, angles and a shot count the notebook never uses."""
    return [Case("FakeLimaV2, 4 angles, 613 shots", (FakeLimaV2(), list(SWEEP_THETAS), 613))]


def sweep_batch_cases() -> list[Case]:
    """The batch grader's cases: a second backend with other angles, in an order that is not sorted."""
    return [*sweep_cases(), Case("FakeBelemV2, 3 angles, 1111 shots", (FakeBelemV2(), list(BATCH_THETAS), 1111))]


def judge_theta_sweep(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `theta_sweep(backend, thetas, shots)` for one case."""
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
    states = [measured_one_qubit(e.circuit) for e in points]
    chosen = []
    for theta in thetas:
        matching = [e for e, state in zip(points, states, strict=True) if prepares_ry(state, theta) is None]
        if not matching:
            same_angle = [i for i, e in enumerate(points) if len(e.values) == 1 and abs(e.values[0] - theta) < 1e-9]
            nearest = same_angle[0] if same_angle else 0
            why = prepares_ry(states[nearest], theta) if same_angle or len(points) == 1 else None
            shown = f": {why}" if why else ""
            v.fail(
                "ry_circuit",
                f"No circuit of the job prepares RY({theta:g})|0⟩ then measures it{shown}. Use `qc.ry(theta, 0)` with "
                "`theta = Parameter('θ')`, measure the qubit, and bind the angles given, in order.",
            )
        chosen.append(matching[0])
    v.met("ry_circuit", f"Every angle's circuit is RY(θ) then a measurement ({len(thetas)} angles).")
    results = replayed(v, ev, call, backend, "provenance")
    shots_check(v, "exact_shots", min(ran_shots(results[e.pub]) for e in chosen), shots)
    returned = ev.returned
    if not isinstance(returned, list) or len(returned) != len(thetas):
        v.fail(
            "provenance",
            f"Expected a list of {len(thetas)} counts dicts, one per angle in the order of `thetas`; "
            f"got {returned!r:.80}.",
        )
    wrong = [
        i
        for i, (entry, counts) in enumerate(zip(chosen, returned, strict=True))
        if reading_of(counts, results[entry.pub], entry.index, entry.circuit) is None
    ]
    if wrong:
        entry = chosen[wrong[0]]
        problem = counts_shape_problem(returned[wrong[0]], 1, ran_shots(results[entry.pub]))
        detail = f"item {wrong[0]}: {problem}" if problem else f"items {wrong} differ from the replay's counts"
        v.fail(
            "provenance",
            f"The counts returned are not the grader's replay of your job, angle by angle ({detail}). Return "
            "`[result[0].data.meas.get_counts(i) for i in range(len(thetas))]`, in the order of `thetas`.",
        )
    v.met("provenance", "Every angle's counts are exactly those of the grader's replay of your job.")


EXERCISE = Exercise(
    id="sampler-basics",
    tasks=(
        Task(
            "bell_counts",
            "bell_counts(backend, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend given."),
                    gate("bell_state", "The circuit prepares (|00⟩ + |11⟩)/√2 and measures both qubits.", "0.5"),
                    gate(
                        "provenance", "The counts returned are exactly those of the grader's replay of the job.", "0.5"
                    ),
                    credit("exact_shots", "The job runs exactly `shots` shots.", "0.5"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.5"),
                )
            ),
            judge_bell_counts,
            bell_cases,
            bell_batch_cases,
        ),
        Task(
            "theta_sweep",
            "theta_sweep(backend, thetas, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend given."),
                    gate("ry_circuit", "For every angle θ, a circuit prepares RY(θ)|0⟩ and measures it.", "0.5"),
                    gate(
                        "provenance",
                        "The counts returned, angle by angle in the order of `thetas`, are the replay's.",
                        "0.5",
                    ),
                    credit("one_pub", "One PUB sweeps a single `Parameter` over all the angles.", "0.5"),
                    credit("exact_shots", "The job runs exactly `shots` shots.", "0.25"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.25"),
                )
            ),
            judge_theta_sweep,
            sweep_cases,
            sweep_batch_cases,
        ),
    ),
)
