"""sessions-and-batches: independent jobs in a Batch, dependent ones in a Session, and a job status read locally."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2, FakeQuitoV2

from grader.trace import CallRecord, Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import FIX, isa_check, legacy_run_check
from grader.judge.ideal import ideal_distribution, total_variation
from grader.judge.sampler_checks import (
    BELL,
    consistency_check,
    counts_shape_check,
    provenance_check,
    returned_register,
    shots_check,
)
from grader.trusted_primitives import trusted_sampler
from grader.results import CheckResult

BATCH_THETAS = (0.3, 1.5, 2.9)
"""P('1') = sin²(θ/2) is 0.02, 0.47 and 0.99: a wrong angle, order or gate cannot hide."""
GHZ = {"000": 0.5, "111": 0.5}
MODE_FIX = {
    "batch": "open `with Batch(backend=backend) as batch:` and build the sampler inside it with `mode=batch`",
    "session": "open `with Session(backend=backend) as session:` and build the sampler inside it with `mode=session`",
    "backend": "build the sampler with `mode=backend`, outside any `Session` or `Batch`",
}
MODE_NAME = {"batch": "a Batch", "session": "a Session", "backend": "job mode (no Session or Batch)"}


# Generic helpers: candidates for `grader/api_checks.py` and `grader/sampler_checks.py`.


def sampler_jobs_check(task: str, trace: Trace, backend: Any) -> tuple[CheckResult, list[CallRecord]]:
    """Pass when at least one V2 sampler job ran and every one of them ran on ``backend``; return the jobs."""
    check_id = f"{task}.uses_v2_sampler"
    calls = trace.calls_of("sampler")
    if not calls:
        return CheckResult(check_id, False, f"No V2 sampler ran: {FIX['sampler']}."), []
    elsewhere = [c for c in calls if c.backend_name != backend.name]
    if elsewhere:
        name = elsewhere[0].primitive.rsplit(".", 1)[-1]
        return CheckResult(
            check_id,
            False,
            f"A {name} job did not run on the backend given to the function ({backend.name}). Build every sampler "
            "on that backend (through the Session or Batch opened on it, or `mode=backend`).",
        ), []
    return CheckResult(check_id, True, f"{len(calls)} V2 sampler job(s), all on {backend.name}."), calls


def mode_check(task: str, calls: list[CallRecord], mode: str) -> CheckResult:
    """Pass when every job ran in ``mode`` ("batch", "session" or "backend")."""
    check_id = f"{task}.in_{mode}"
    seen = [c.mode for c in calls]
    if all(m == mode for m in seen):
        return CheckResult(check_id, True, f"Every job ran in {MODE_NAME[mode]}.")
    wrong = next(i for i, m in enumerate(seen) if m != mode)
    return CheckResult(
        check_id,
        False,
        f"Job {wrong + 1} ran in {MODE_NAME[seen[wrong]]}, not in {MODE_NAME[mode]}: {MODE_FIX[mode]}. "
        "A sampler built before the `with` block, or given the backend, does not join it.",
    )


def first_failure(check_id: str, checks: list[CheckResult], passed: str) -> CheckResult:
    """One check standing for several (one per job): the first failure, renamed, or a pass."""
    failed = next((c for c in checks if not c.passed), None)
    if failed is None:
        return CheckResult(check_id, True, passed)
    return CheckResult(check_id, False, failed.message)


def single_binding(pub: SamplerPub) -> bool:
    """True when a PUB runs its circuit once: no parameters, or one value per parameter."""
    return int(np.prod(pub.shape)) == 1


def bound_circuit(pub: SamplerPub) -> QuantumCircuit:
    """The PUB's circuit with its single set of parameter values assigned."""
    if not pub.circuit.parameters:
        return pub.circuit
    return pub.circuit.assign_parameters(pub.parameter_values.as_array(pub.circuit.parameters).reshape(-1))


def measured_clbits(circuit: QuantumCircuit) -> list[int]:
    """Indices of the clbits some measurement writes to, in order."""
    written = {circuit.find_bit(i.clbits[0]).index for i in circuit.data if i.operation.name == "measure" and i.clbits}
    return sorted(written)


def noiseless(circuit: QuantumCircuit) -> dict[str, float] | None:
    """Exact probabilities of the bits a bound circuit measures; None if it measures before its last gate."""
    try:
        return ideal_distribution(circuit, measured_clbits(circuit))
    except ValueError:
        return None


def shown(distribution: dict[str, float]) -> dict[str, float]:
    """A distribution rounded for a message."""
    return {k: round(float(v), 3) for k, v in sorted(distribution.items())}


def rerun_together(pairs: list[tuple[CallRecord, str]], backend: Any, seed: int) -> list[dict[str, int]]:
    """Trusted counts of each (job, register), re-running in one job every PUB of the same primitive and shots."""
    groups: dict[tuple[str, int | None], list[int]] = {}
    for index, (call, _) in enumerate(pairs):
        groups.setdefault((call.primitive, call.pubs[0].shots), []).append(index)
    counts: dict[int, dict[str, int]] = {}
    for (primitive, _), indices in groups.items():
        # One trusted job per group: a local job costs about a second whatever it holds.
        result = trusted_sampler(primitive, backend, seed).run([pairs[i][0].pubs[0] for i in indices]).result()
        for position, index in enumerate(indices):
            counts[index] = getattr(result[position].data, pairs[index][1]).get_counts()
    return [counts[i] for i in range(len(pairs))]


def rerun_check(
    check_id: str, triples: list[tuple[CallRecord, str, dict[str, int]]], backend: Any, context: Context
) -> CheckResult:
    """Compare each (job, register, returned counts) with a trusted re-run of the job's PUB."""
    trusted = rerun_together([(call, register) for call, register, _ in triples], backend, context.seed)
    failed = [
        index + 1
        for index, ((_, _, returned), expected) in enumerate(zip(triples, trusted, strict=True))
        if not consistency_check("", returned, expected, context.alpha).passed
    ]
    if not failed:
        return CheckResult(check_id, True, f"All {len(triples)} counts are consistent with trusted re-runs.")
    return CheckResult(
        check_id,
        False,
        f"The counts of job(s) {failed} are very unlikely for their circuits on this backend. Return the counts "
        "each job gave, unchanged.",
    )


# batch_sweep


def batch_cases() -> list[Case]:
    """A backend, angles and a shot count the notebook never uses."""
    return [Case("FakeQuitoV2, 3 angles, 555 shots", (FakeQuitoV2(), list(BATCH_THETAS), 555))]


def returned_list_check(task: str, returned: Any, length: int, shots: int) -> CheckResult:
    """Pass when ``returned`` is a list of ``length`` one-bit counts dicts, each adding up to ``shots``."""
    check_id = f"{task}.returns_list"
    if not isinstance(returned, list) or len(returned) != length:
        return CheckResult(
            check_id, False, f"Expected a list of {length} counts dicts, one per angle; got {returned!r:.80}."
        )
    shapes = [counts_shape_check(check_id, c, 1, shots) for c in returned]
    return first_failure(check_id, shapes, f"{length} one-bit counts, in order.")


def check_batch_sweep(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `batch_sweep(backend, thetas, shots)`."""
    backend, thetas, shots = case.args
    list_check = returned_list_check("batch_sweep", returned, len(thetas), shots)
    checks = [list_check, legacy_run_check("batch_sweep", trace, "sampler")]
    jobs_check, calls = sampler_jobs_check("batch_sweep", trace, backend)
    checks.append(jobs_check)
    if not calls:
        return checks
    checks.append(mode_check("batch_sweep", calls, "batch"))
    pub_counts = [len(c.pubs) for c in calls]
    if len(calls) != len(thetas) or any(len(c.pubs) != 1 or not single_binding(c.pubs[0]) for c in calls):
        checks.append(
            CheckResult(
                "batch_sweep.one_job_per_angle",
                False,
                f"Expected {len(thetas)} jobs, one per angle, each holding one PUB with one angle; saw "
                f"{len(calls)} job(s) holding {pub_counts} PUB(s). Call `sampler.run([isa_circuit], shots=shots)` "
                "once per angle inside the Batch: the lesson is many independent jobs, not one sweep.",
            )
        )
        return checks
    checks.append(CheckResult("batch_sweep.one_job_per_angle", True, f"{len(thetas)} jobs, one angle each."))
    pubs = [c.pubs[0] for c in calls]
    checks.append(
        first_failure(
            "batch_sweep.exact_shots",
            [shots_check("batch_sweep", p, shots) for p in pubs],
            f"Every job ran exactly {shots} shots.",
        )
    )
    checks.append(
        first_failure(
            "batch_sweep.isa_circuit",
            [isa_check("batch_sweep", p.circuit, backend) for p in pubs],
            f"Every circuit sent is ISA for {backend.name}.",
        )
    )
    checks.append(ry_check(thetas, pubs))
    if not list_check.passed:
        checks.append(provenance_check("batch_sweep.provenance", None))
        return checks
    registers = [returned_register(call, counts) for call, counts in zip(calls, returned, strict=True)]
    if None in registers:
        bad = registers.index(None) + 1
        checks.append(
            CheckResult(
                "batch_sweep.provenance",
                False,
                f"Item {bad} of the list is not the counts of job {bad} (jobs count in the order they were "
                "submitted). Submit one job per angle in the order of `thetas`, then return "
                "`job.result()[0].data.<register>.get_counts()` of each job, in that order.",
            )
        )
        return checks
    checks.append(CheckResult("batch_sweep.provenance", True, "Item i of the list is the counts of job i."))
    checks.append(
        rerun_check("batch_sweep.honest_counts", list(zip(calls, registers, returned, strict=True)), backend, context)
    )
    return checks


def ry_check(thetas: list[float], pubs: list[SamplerPub]) -> CheckResult:
    """Pass when job i, without noise, measures '1' with probability sin²(θᵢ/2)."""
    wrong = []
    for index, (theta, pub) in enumerate(zip(thetas, pubs, strict=True)):
        circuit = bound_circuit(pub)
        clbits = measured_clbits(circuit)
        expected = float(np.sin(theta / 2) ** 2)
        if len(clbits) != 1:
            wrong.append(f"job {index + 1} measures {len(clbits)} bits, not 1")
            continue
        ideal = noiseless(circuit)
        if ideal is None:
            wrong.append(f"job {index + 1} measures before its last gate")
            continue
        p_one = ideal.get("1", 0.0)
        if abs(p_one - expected) > 1e-6:
            wrong.append(f"job {index + 1} (θ={theta}): P('1')={p_one:.3f}, expected {expected:.3f}")
    if not wrong:
        return CheckResult("batch_sweep.ry_circuits", True, "Job i measures RY(θᵢ)|0⟩, in the order of `thetas`.")
    return CheckResult(
        "batch_sweep.ry_circuits",
        False,
        "Without noise: " + "; ".join(wrong) + ". Job i should run `qc.ry(thetas[i], 0)` then measure the qubit, "
        "submitted in the order of `thetas`.",
    )


# session_pair


def session_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses."""
    return [Case("FakeBelemV2, 611 shots", (FakeBelemV2(), 611))]


def returned_pair_check(returned: Any, shots: int) -> CheckResult:
    """Pass when ``returned`` is {"bell": 2-bit counts, "ghz": 3-bit counts}, each adding up to ``shots``."""
    check_id = "session_pair.returns_counts"
    if not isinstance(returned, dict) or set(returned) != {"bell", "ghz"}:
        return CheckResult(check_id, False, f"Expected a dict with the keys 'bell' and 'ghz'; got {returned!r:.80}.")
    for key, width in (("bell", 2), ("ghz", 3)):
        shape = counts_shape_check(check_id, returned[key], width, shots)
        if not shape.passed:
            return CheckResult(check_id, False, f"returned[{key!r}]: {shape.message}")
    return CheckResult(check_id, True, "Two-bit Bell counts and three-bit GHZ counts.")


def identify_jobs(calls: list[CallRecord]) -> dict[str, CallRecord] | None:
    """The job measuring 2 bits as "bell" and the one measuring 3 bits as "ghz", or None if that fails."""
    by_width = {len(measured_clbits(bound_circuit(c.pubs[0]))): c for c in calls}
    if set(by_width) != {2, 3}:
        return None
    return {"bell": by_width[2], "ghz": by_width[3]}


def state_check(check_id: str, call: CallRecord, expected: dict[str, float], fix: str) -> CheckResult:
    """Pass when the job's circuit, without noise, gives exactly ``expected`` on the bits it measures."""
    circuit = bound_circuit(call.pubs[0])
    ideal = noiseless(circuit)
    if ideal is None:
        return CheckResult(check_id, False, f"The circuit measures a qubit before its last gate: {fix}.")
    if total_variation(ideal, expected) < 1e-6:
        return CheckResult(check_id, True, f"The circuit gives {shown(expected)} without noise.")
    return CheckResult(
        check_id, False, f"Without noise this circuit gives {shown(ideal)}, not {shown(expected)}: {fix}."
    )


def check_session_pair(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `session_pair(backend, shots)`."""
    backend, shots = case.args
    pair_check = returned_pair_check(returned, shots)
    checks = [pair_check, legacy_run_check("session_pair", trace, "sampler")]
    jobs_check, calls = sampler_jobs_check("session_pair", trace, backend)
    checks.append(jobs_check)
    if not calls:
        return checks
    checks.append(mode_check("session_pair", calls, "session"))
    if len(calls) != 2 or any(len(c.pubs) != 1 or not single_binding(c.pubs[0]) for c in calls):
        checks.append(
            CheckResult(
                "session_pair.two_jobs",
                False,
                f"Expected 2 jobs of one PUB each (first the Bell circuit, then the GHZ circuit); saw {len(calls)} "
                f"job(s) holding {[len(c.pubs) for c in calls]} PUB(s). Call `sampler.run` twice in the session.",
            )
        )
        return checks
    checks.append(CheckResult("session_pair.two_jobs", True, "Two jobs of one PUB each."))
    checks.append(
        first_failure(
            "session_pair.exact_shots",
            [shots_check("session_pair", c.pubs[0], shots) for c in calls],
            f"Both jobs ran {shots} shots.",
        )
    )
    checks.append(
        first_failure(
            "session_pair.isa_circuit",
            [isa_check("session_pair", c.pubs[0].circuit, backend) for c in calls],
            f"Both circuits sent are ISA for {backend.name}.",
        )
    )
    jobs = identify_jobs(calls)
    if jobs is None:
        widths = [len(measured_clbits(bound_circuit(c.pubs[0]))) for c in calls]
        checks.append(
            CheckResult(
                "session_pair.exact_states",
                False,
                f"Expected one job measuring 2 bits (the Bell pair) and one measuring 3 (the GHZ state); your jobs "
                f"measure {widths} bits. Measure every qubit of each circuit with `measure_all()`.",
            )
        )
        return checks
    states = [
        state_check("session_pair.exact_states", jobs["bell"], BELL, "the Bell circuit is H on qubit 0, then CX(0, 1)"),
        state_check(
            "session_pair.exact_states",
            jobs["ghz"],
            GHZ,
            "the GHZ circuit is H on qubit 0, then CX(0, 1) and CX(1, 2), on three qubits",
        ),
    ]
    checks.append(first_failure("session_pair.exact_states", states, "Exact Bell and GHZ states."))
    if not pair_check.passed:
        checks.append(provenance_check("session_pair.provenance", None))
        return checks
    registers = {name: returned_register(job, returned[name]) for name, job in jobs.items()}
    missing = [name for name, register in registers.items() if register is None]
    if missing:
        checks.append(
            CheckResult(
                "session_pair.provenance",
                False,
                f"returned[{missing[0]!r}] is not the counts of the {missing[0].upper()} job. Return each job's "
                "`job.result()[0].data.<register>.get_counts()` unchanged, under its own key.",
            )
        )
        return checks
    checks.append(CheckResult("session_pair.provenance", True, "Both counts are the sampler's own."))
    pairs = [(jobs[name], registers[name], returned[name]) for name in ("bell", "ghz")]
    checks.append(rerun_check("session_pair.honest_counts", pairs, backend, context))
    return checks


# job_done


def done_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses."""
    return [Case("FakeLimaV2, 321 shots", (FakeLimaV2(), 321))]


def check_job_done(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `job_done(backend, shots)`."""
    backend, shots = case.args
    checks = [legacy_run_check("job_done", trace, "sampler")]
    jobs_check, calls = sampler_jobs_check("job_done", trace, backend)
    checks.append(jobs_check)
    if calls:
        checks.append(mode_check("job_done", calls, "backend"))
        shot_checks = [shots_check("job_done", pub, shots) for call in calls for pub in call.pubs]
        checks.append(first_failure("job_done.exact_shots", shot_checks, f"Ran exactly {shots} shots."))
    if returned is True:
        checks.append(CheckResult("job_done.finished", True, "The finished job reads as finished."))
    elif returned is False:
        checks.append(
            CheckResult(
                "job_done.finished",
                False,
                "The function returned False for a job that had finished. A local job's `status()` is qiskit's "
                '`JobStatus` enum, not a string, so `job.status() == "DONE"` is always False on a fake backend '
                "(cloud jobs return strings). Wait with `job.result()`, then return `job.done()`, or compare "
                "`job.status() is JobStatus.DONE`.",
            )
        )
    else:
        checks.append(CheckResult("job_done.finished", False, f"Expected True or False, got {returned!r:.80}."))
    return checks


EXERCISE = Exercise(
    id="sessions-and-batches",
    tasks=(
        Task("batch_sweep", 2.0, batch_cases, check_batch_sweep, statistical_tests=len(BATCH_THETAS)),
        Task("session_pair", 2.0, session_cases, check_session_pair, statistical_tests=2),
        Task("job_done", 1.0, done_cases, check_job_done, statistical_tests=0),
    ),
)
