"""sessions-and-batches: independent jobs in a Batch, dependent ones in a Session, and a job status read locally.

Which execution mode a job ran in (job mode, a Session, a Batch) and which Session or Batch object it joined are
read from the claim: the recorder notes the primitive's `mode` when `run` is called. Local testing mode does not
emulate sessions, so nothing the grader replays can confirm them; the requirements that rest on them say so. The
counts themselves are replayed job by job, as everywhere else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2, FakeQuitoV2

from grader.claims import Call
from grader.exercises import Case, Exercise, Task
from grader.judge.common import MAKE, NO_BACKEND, isa_check, one_job, replayed, shots_check
from grader.judge.evidence import Evidence
from grader.judge.replay import backend_for
from grader.judge.rubric import Rubric, Verdicts, credit, gate
from grader.judge.sampling import (
    Entry,
    bell_reference,
    counts_shape_problem,
    entries,
    measured_clbits,
    measured_one_qubit,
    measured_state_problem,
    prepares_ry,
    ran_shots,
    reading_of,
)
from grader.primitives import Unreplayable

BATCH_THETAS = (2.9, 0.3, 1.5)
"""P('1') = sin²(θ/2) is 0.02, 0.47 and 0.99: a wrong angle, order or gate cannot hide."""
MODE_FIX = {
    "batch": "open `with Batch(backend=backend) as batch:` and build the sampler inside it with `mode=batch`",
    "session": "open `with Session(backend=backend) as session:` and build the sampler inside it with `mode=session`",
    "backend": "build the sampler with `mode=backend`, outside any `Session` or `Batch`",
}
MODE_NAME = {"batch": "a Batch", "session": "a Session", "backend": "job mode (no Session or Batch)"}
GROUP_NAME = {"batch": ("Batch", "Batches"), "session": ("Session", "Sessions")}
CLAIMED = "(as recorded at submission: local testing mode does not emulate sessions)"


def sampler_jobs(v: Verdicts, ev: Evidence, backend: Any, requirement: str) -> list[Call]:
    """Gate: at least one V2 sampler job, each of a class the grader replays and run on ``backend``; the jobs."""
    calls = ev.claim.calls_of("sampler")
    if not calls:
        v.fail(requirement, f"No V2 sampler job ran. To run one, {MAKE['sampler']}.")
    for number, call in enumerate(calls, start=1):
        if call.entry is None:
            short = call.class_name.rsplit(".", 1)[-1]
            why = (
                "simulates without noise and ignores the backend, so its results do not come from the device"
                if call.class_name in NO_BACKEND
                else "is not one of the V2 samplers whose results the grader can verify"
            )
            v.fail(requirement, f"Job {number} ran on `{short}`, which {why}. Instead, {MAKE['sampler']}.")
        try:
            backend_for(call.backend, backend)
        except Unreplayable as error:
            v.fail(
                requirement,
                f"Job {number}, on the {call.name}: {error}. Build every sampler on the backend given, through the "
                "Session or Batch opened on it, or with `mode=backend`.",
            )
    names = sorted({c.name for c in calls})
    v.met(requirement, f"{len(calls)} job(s) of the {' and the '.join(names)}, all on {backend.name}.")
    return calls


def mode_check(v: Verdicts, requirement: str, calls: list[Call], mode: str) -> bool:
    """Credit: every job ran in ``mode`` ("batch", "session" or "backend"), and in one and the same group."""
    seen = [c.mode for c in calls]
    wrong = next((i for i, m in enumerate(seen) if m != mode), None)
    if wrong is not None:
        joins = (
            " A sampler built before the `with` block, or given the backend, does not join it."
            if mode != "backend"
            else ""
        )
        return v.check(
            requirement,
            False,
            "",
            f"Job {wrong + 1} ran in {MODE_NAME[seen[wrong]]}, not in {MODE_NAME[mode]}: {MODE_FIX[mode]}.{joins}",
        )
    if mode == "backend":
        return v.check(requirement, True, "The job ran in job mode.", "")
    one, many = GROUP_NAME[mode]
    groups = {c.session for c in calls}
    return v.check(
        requirement,
        len(groups) == 1,
        f"Every job ran in the same {one}.",
        f"The jobs ran in {len(groups)} different {many}: open one `with {one}(backend=backend) as ...:` block "
        "and submit every job from inside it, with one sampler built on it.",
    )


def exact_shots_of_jobs(v: Verdicts, requirement: str, ran: list[int], shots: int) -> bool:
    """Credit: every job ran exactly ``shots`` shots (``ran`` in job order)."""
    wrong = next((i for i, n in enumerate(ran) if n != shots), None)
    if wrong is None:
        return v.check(requirement, True, f"Every job ran exactly {shots} shots.", "")
    return shots_check(v, requirement, ran[wrong], shots)


def job_entries(calls: list[Call]) -> list[tuple[int, Entry]]:
    """Every sweep point of every job, with the index of its job, in submission order."""
    return [(number, entry) for number, call in enumerate(calls) for entry in entries(call)]


# batch_sweep


def batch_cases() -> list[Case]:
    """A backend, angles and a shot count the notebook never uses."""
    return [Case("FakeQuitoV2, 3 angles, 555 shots", (FakeQuitoV2(), list(BATCH_THETAS), 555))]


def judge_batch_sweep(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `batch_sweep(backend, thetas, shots)` for one case."""
    backend, thetas, shots = case.args
    calls = sampler_jobs(v, ev, backend, "uses_v2_sampler")
    mode_check(v, "in_batch", calls, "batch")
    per_job = [entries(call) for call in calls]
    v.check(
        "one_job_per_angle",
        len(calls) == len(thetas)
        and all(len(c.pubs) == 1 and len(e) == 1 for c, e in zip(calls, per_job, strict=True)),
        f"{len(thetas)} jobs, one per angle, each holding one PUB with one circuit.",
        f"Expected {len(thetas)} jobs, one per angle, each holding one PUB with one circuit; saw {len(calls)} "
        f"job(s) holding {[len(c.pubs) for c in calls]} PUB(s) and {[len(e) for e in per_job]} circuit(s). Call "
        "`sampler.run([isa_circuit], shots=shots)` once per angle inside the Batch: the lesson is many independent "
        "jobs, not one sweep.",
    )
    isa_check(v, "isa_circuit", [pub.circuit for call in calls for pub in call.pubs], backend)
    points = job_entries(calls)
    chosen: list[tuple[int, Entry]] = []
    states = {id(e): measured_one_qubit(e.circuit) for _, e in points}  # each point's state, once
    for index, theta in enumerate(thetas):
        matching = [(job, e) for job, e in points if prepares_ry(states[id(e)], theta) is None]
        if not matching:
            detail = ""
            if len(points) == len(thetas):
                job, entry = points[index]
                why = prepares_ry(states[id(entry)], theta)
                detail = f" Job {job + 1}'s circuit, where θ = {theta:g} belongs: {why}."
            v.fail(
                "ry_circuits",
                f"No job's circuit prepares RY({theta:g})|0⟩ then measures it.{detail} For each angle run "
                "`qc.ry(theta, 0)` then `qc.measure_all()` on one qubit, transpiled for the backend.",
            )
        chosen.append(matching[0])
    v.met("ry_circuits", f"Every angle's job prepares RY(θ)|0⟩ and measures it ({len(thetas)} angles).")
    results = {job: replayed(v, ev, calls[job], backend, "provenance") for job in sorted({j for j, _ in chosen})}
    exact_shots_of_jobs(v, "exact_shots", [ran_shots(results[j][e.pub]) for j, e in chosen], shots)
    returned = ev.returned
    if not isinstance(returned, list) or len(returned) != len(thetas):
        v.fail(
            "provenance",
            f"Expected a list of {len(thetas)} counts dicts, one per angle in the order of `thetas`; "
            f"got {returned!r:.80}.",
        )
    readings = [
        reading_of(counts, results[job][entry.pub], entry.index, entry.circuit)
        for counts, (job, entry) in zip(returned, chosen, strict=True)
    ]
    wrong = [i for i, reading in enumerate(readings) if reading is None]
    if wrong:
        i = wrong[0]
        problem = counts_shape_problem(returned[i], 1)
        elsewhere = [
            k
            for k, (job, entry) in enumerate(chosen)
            if k != i and reading_of(returned[i], results[job][entry.pub], entry.index, entry.circuit)
        ]
        if problem:
            detail = f"item {i}: {problem}"
        elif elsewhere:
            detail = f"item {i} holds the counts of θ = {thetas[elsewhere[0]]:g}, not of θ = {thetas[i]:g}"
        else:
            detail = f"item {i} differs from the counts of the job that ran θ = {thetas[i]:g}"
        v.fail(
            "provenance",
            f"The counts returned are not the grader's replays of your jobs, angle by angle ({detail}). Keep the "
            "jobs in a list in the order of `thetas` and return `[job.result()[0].data.meas.get_counts() for job "
            "in jobs]`.",
        )
    v.met("provenance", "Every angle's counts are exactly those of the grader's replay of its job.")


# session_pair


def session_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses."""
    return [Case("FakeBelemV2, 611 shots", (FakeBelemV2(), 611))]


def ghz_reference() -> QuantumCircuit:
    """H on qubit 0, then CX(0, 1) and CX(1, 2)."""
    circuit = QuantumCircuit(3)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    return circuit


STATES = {
    "bell": (bell_reference, "the Bell circuit (H on qubit 0, then CX(0, 1), both qubits measured)"),
    "ghz": (ghz_reference, "the GHZ circuit (H on qubit 0, then CX(0, 1) and CX(1, 2), all three qubits measured)"),
}


def state_problem(circuit: QuantumCircuit, key: str) -> str | None:
    """Why a measured circuit is not the Bell (``key`` "bell") or GHZ ("ghz") circuit, with a hint, or None."""
    reference = STATES[key][0]()
    problem = measured_state_problem(circuit, reference)
    if problem is None:
        return None
    needed = reference.num_qubits - 1
    two_qubit = sum(1 for i in circuit.data if len(i.qubits) == 2 and i.operation.name != "barrier")
    if problem.startswith("without noise") and two_qubit < needed:
        return f"{problem}: a CX is missing, so not every qubit is entangled"
    return problem


def judge_session_pair(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `session_pair(backend, shots)` for one case."""
    backend, shots = case.args
    calls = sampler_jobs(v, ev, backend, "uses_v2_sampler")
    mode_check(v, "in_session", calls, "session")
    points = job_entries(calls)
    found: dict[str, tuple[int, Entry]] = {}
    for key in STATES:
        matching = [(job, e) for job, e in points if state_problem(e.circuit, key) is None]
        if matching:
            found[key] = matching[0]
    per_job = [entries(call) for call in calls]
    shaped = len(calls) == 2 and all(len(c.pubs) == 1 and len(e) == 1 for c, e in zip(calls, per_job, strict=True))
    widths = [len(measured_clbits(e[0].circuit)) for e in per_job] if shaped else []
    if not shaped:
        v.check(
            "two_jobs",
            False,
            "",
            f"Expected 2 jobs of one PUB each, first the Bell circuit, then the GHZ circuit; saw {len(calls)} job(s) "
            f"holding {[len(c.pubs) for c in calls]} PUB(s). Call `sampler.run([isa_bell], shots=shots)`, then "
            "`sampler.run([isa_ghz], shots=shots)`, in the session.",
        )
    else:
        v.check(
            "two_jobs",
            widths == [2, 3],
            "Two jobs of one PUB each: first the Bell circuit, then the GHZ circuit.",
            f"The two jobs measure {widths[0]} then {widths[1]} bits: submit the Bell circuit (2 bits) first, then "
            "the GHZ circuit (3 bits). In a session, jobs that belong together run in the order you submit them.",
        )
    isa_check(v, "isa_circuit", [pub.circuit for call in calls for pub in call.pubs], backend)
    for key, (_, want) in STATES.items():
        if key not in found:
            width = STATES[key][0]().num_qubits
            closest = [e for _, e in points if len(measured_clbits(e.circuit)) == width] or [e for _, e in points]
            v.fail("exact_states", f"No job's circuit is {want}: {state_problem(closest[0].circuit, key)}.")
    v.met("exact_states", "One job prepares and measures the Bell state, another the GHZ state.")
    results = {
        job: replayed(v, ev, calls[job], backend, "provenance") for job in sorted({j for j, _ in found.values()})
    }
    exact_shots_of_jobs(v, "exact_shots", [ran_shots(results[j][e.pub]) for j, e in found.values()], shots)
    returned = ev.returned
    if not isinstance(returned, dict) or set(returned) != {"bell", "ghz"}:
        v.fail("provenance", f"Expected a dict with the keys 'bell' and 'ghz'; got {returned!r:.80}.")
    for key, width in (("bell", 2), ("ghz", 3)):
        job, entry = found[key]
        if reading_of(returned[key], results[job][entry.pub], entry.index, entry.circuit) is None:
            problem = counts_shape_problem(returned[key], width)
            detail = f": {problem}" if problem else ""
            v.fail(
                "provenance",
                f"returned[{key!r}] is not the counts of the grader's replay of your {key.upper()} job{detail}. "
                "Return each job's `job.result()[0].data.meas.get_counts()`, under its own key.",
            )
    v.met("provenance", "Both counts are exactly those of the grader's replays of their jobs.")


# job_done


def done_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses."""
    return [Case("FakeLimaV2, 321 shots", (FakeLimaV2(), 321))]


def judge_job_done(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `job_done(backend, shots)` for one case."""
    backend, shots = case.args
    call = one_job(v, ev, "sampler", backend, "uses_v2_sampler")
    points = entries(call)
    problems = [state_problem(e.circuit, "bell") for e in points]
    if None not in problems:
        v.fail("bell_state", f"The job's circuit is not {STATES['bell'][1]}: {problems[0]}.")
    v.met("bell_state", "The job runs the Bell circuit.")
    mode_check(v, "job_mode", [call], "backend")
    entry = points[problems.index(None)]
    ran = call.pubs[entry.pub].shots
    if ran is None:  # the sampler's default: read it off the grader's own replay
        ran = ran_shots(replayed(v, ev, call, backend, "exact_shots")[entry.pub])
    shots_check(v, "exact_shots", ran, shots)
    returned = ev.returned
    if returned is True or (isinstance(returned, np.bool_) and bool(returned)):
        v.met("finished", "The finished job reads as finished.")
    elif returned is False or isinstance(returned, np.bool_):
        v.fail(
            "finished",
            "The function returned False for a job that had finished. A local job's `status()` is qiskit's "
            '`JobStatus` enum, not a string, so `job.status() == "DONE"` is always False on a fake backend '
            "(cloud jobs return strings). Wait with `job.result()`, then return `job.done()`, or compare "
            "`job.status() is JobStatus.DONE`.",
        )
    else:
        v.fail(
            "finished",
            f"Expected True or False, got {returned!r:.80}. Return a `bool`: `job.done()` after `job.result()`.",
        )


EXERCISE = Exercise(
    id="sessions-and-batches",
    tasks=(
        Task(
            "batch_sweep",
            "batch_sweep(backend, thetas, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Every job is a V2 sampler's, run on the backend given."),
                    gate(
                        "ry_circuits", "For every angle θ, a job's circuit prepares RY(θ)|0⟩ and measures it.", "0.25"
                    ),
                    gate(
                        "provenance",
                        "The counts returned, angle by angle in the order of `thetas`, are the replays of the jobs.",
                        "0.5",
                    ),
                    credit("in_batch", f"Every job runs in one and the same `Batch` {CLAIMED}.", "0.5"),
                    credit("one_job_per_angle", "One job per angle, each holding one PUB with one circuit.", "0.25"),
                    credit("exact_shots", "Every job runs exactly `shots` shots.", "0.25"),
                    credit("isa_circuit", "Every circuit sent is ISA: transpiled for the backend.", "0.25"),
                )
            ),
            judge_batch_sweep,
            batch_cases,
        ),
        Task(
            "session_pair",
            "session_pair(backend, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Every job is a V2 sampler's, run on the backend given."),
                    gate(
                        "exact_states",
                        "One job prepares and measures the Bell state, another the three-qubit GHZ state.",
                        "0.25",
                    ),
                    gate(
                        "provenance",
                        "`returned['bell']` and `returned['ghz']` are the replays of their jobs' counts.",
                        "0.5",
                    ),
                    credit("in_session", f"Both jobs run in one and the same `Session` {CLAIMED}.", "0.5"),
                    credit("two_jobs", "Two jobs of one PUB each: first the Bell circuit, then the GHZ one.", "0.25"),
                    credit("exact_shots", "Both jobs run exactly `shots` shots.", "0.25"),
                    credit("isa_circuit", "Both circuits sent are ISA: transpiled for the backend.", "0.25"),
                )
            ),
            judge_session_pair,
            session_cases,
        ),
        Task(
            "job_done",
            "job_done(backend, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend given."),
                    gate("bell_state", "The job runs the Bell circuit: H on qubit 0, CX(0, 1), both measured.", "0.25"),
                    gate("finished", "It returns True for the finished job, as a `bool`.", "0.25"),
                    credit(
                        "job_mode", f"The job runs in job mode: `mode=backend`, no Session or Batch {CLAIMED}.", "0.25"
                    ),
                    credit("exact_shots", "The job runs exactly `shots` shots.", "0.25"),
                )
            ),
            judge_job_done,
            done_cases,
        ),
    ),
)
