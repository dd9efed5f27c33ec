"""v1-to-v2: rebuild what V1 `quasi_dists` and `values` returned from one V2 sampler PUB and one V2 estimator PUB."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeQuitoV2

from grader.trace import CallRecord, Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import isa_check, legacy_run_check, one_primitive_call, sweep_values_problem
from grader.judge.estimator_checks import (
    TOLERANCE,
    estimator_task_start,
    exact_values_check,
    honest_values_checks,
)
from grader.judge.ideal import ideal_distribution
from grader.judge.sampler_checks import consistency_check, register_clbits, rerun_counts, shots_check
from grader.results import CheckResult

QUASI_THETAS = (0.6, 1.5, 2.3, 2.95)
"""P(1) = sin²(θ/2) is 0.09, 0.47, 0.83 and 0.99: a wrong gate, angle or order cannot hide."""
QUASI_SHOTS = 733
VALUES_THETA = -1.2
"""⟨ZZ⟩ = 1 and ⟨XX⟩ = sin θ = -0.93 are far apart, so a swapped or wrong observable shows."""
VALUES_NAMES = ("⟨ZZ⟩", "⟨XX⟩")


# Task 1: V1 `quasi_dists` from one V2 sampler PUB.


def quasi_cases() -> list[Case]:
    """A backend, angles and a shot count the notebook never uses."""
    return [
        Case(
            f"FakeBelemV2, {len(QUASI_THETAS)} angles, {QUASI_SHOTS} shots",
            (FakeBelemV2(), list(QUASI_THETAS), QUASI_SHOTS),
        )
    ]


def _dists_check(returned: Any, count: int) -> CheckResult:
    """Pass when ``returned`` is ``count`` probability dicts over the one-bit outcomes 0 and 1."""
    check_id = "quasi_dists.returns_dists"
    if not isinstance(returned, list) or len(returned) != count or not all(isinstance(d, dict) for d in returned):
        return CheckResult(check_id, False, f"Expected a list of {count} dicts, one per angle; got {returned!r:.80}.")
    for dist in returned:
        # The return value crosses to the grader as JSON, so the int keys 0 and 1 arrive as the strings "0" and
        # "1". Accept those; for one bit they are also what bitstring keys look like, which cannot be told apart.
        if not set(dist) <= {"0", "1"}:
            return CheckResult(check_id, False, f"Keys should be the outcomes 0 and 1 as ints; found {sorted(dist)}.")
        values = list(dist.values())
        if not all(isinstance(p, (int, float)) and not isinstance(p, bool) and 0 <= p <= 1 for p in values):
            return CheckResult(
                check_id, False, f"Values should be probabilities between 0 and 1 (counts / shots); found {dist}."
            )
        if abs(sum(values) - 1) > 1e-9:
            return CheckResult(check_id, False, f"The probabilities {dist} add up to {sum(values)}, not to 1.")
    return CheckResult(check_id, True, f"{count} dicts of probabilities keyed by outcome.")


def _dist_matches(dist: dict[str, float], counts: dict[str, int], shots: int) -> bool:
    """True when probability × shots is exactly the count of every outcome (bitstring keys read as ints)."""
    by_int = {str(int(bits, 2)): n for bits, n in counts.items()}
    return all(abs(dist.get(k, 0.0) * shots - by_int.get(k, 0)) < 1e-6 for k in set(dist) | set(by_int))


def _source_register(
    call: CallRecord, returned: list[dict[str, float]], shots: int
) -> tuple[str, list[dict[str, int]]] | None:
    """The register (and its counts per sweep index) whose counts / ``shots`` are every returned dict, in order."""
    for result in call.results:
        for name, counts in result[0].get("registers", {}).items():
            if len(counts) == len(returned) and all(
                _dist_matches(d, c, shots) for d, c in zip(returned, counts, strict=True)
            ):
                return name, counts
    return None


def _ry_check(pub: SamplerPub, register: str, thetas: list[float]) -> CheckResult:
    """Pass when, without noise, the register reads 1 with probability sin²(θ/2) at every angle."""
    wrong = []
    for theta, row in zip(thetas, pub.parameter_values.as_array(pub.circuit.parameters), strict=True):
        bound = pub.circuit.assign_parameters(row)
        try:
            p_one = ideal_distribution(bound, register_clbits(bound, register)).get("1", 0.0)
        except ValueError as error:
            wrong.append(f"register `{register}` cannot be read: {error}")
            break
        if abs(p_one - np.sin(theta / 2) ** 2) > TOLERANCE:
            wrong.append(f"θ={theta}: P(1)={p_one:.3f}, expected {np.sin(theta / 2) ** 2:.3f}")
    if not wrong:
        return CheckResult("quasi_dists.ry_circuit", True, "The circuit is RY(θ) then a measurement.")
    return CheckResult(
        "quasi_dists.ry_circuit",
        False,
        "Without noise your circuit gives " + "; ".join(wrong) + ". Use `qc.ry(theta, 0)` with "
        "`theta = Parameter('θ')`, then `qc.measure_all()`.",
    )


def check_quasi_dists(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `quasi_dists(backend, thetas, shots)`."""
    backend, thetas, shots = case.args
    task = "quasi_dists"
    shape_check = _dists_check(returned, len(thetas))
    checks = [shape_check, legacy_run_check(task, trace, "sampler")]
    sampler_check, call = one_primitive_call(task, trace, backend, "sampler")
    checks.append(sampler_check)
    if call is None:
        return checks
    problem = (
        f"the job holds {len(call.pubs)} PUBs" if len(call.pubs) != 1 else sweep_values_problem(call.pubs[0], thetas)
    )
    if problem:
        checks.append(
            CheckResult(
                f"{task}.one_pub",
                False,
                f"V1's `run([qc] * n, [[t] for t in thetas])` becomes one PUB, `(isa_circuit, thetas)`, but {problem}.",
            )
        )
        return checks
    pub = call.pubs[0]
    checks += [
        CheckResult(f"{task}.one_pub", True, f"One PUB sweeps all {len(thetas)} angles in order."),
        shots_check(task, pub, shots),
        isa_check(task, pub.circuit, backend),
    ]
    source = _source_register(call, returned, pub.shots) if shape_check.passed else None
    if source is None:
        checks.append(
            CheckResult(
                f"{task}.provenance",
                False,
                "Each probability times the shots should be exactly a count of the sampler's result at the same "
                "sweep index. Build `{int(bits, 2): n / shots for bits, n in bit_array[i].get_counts().items()}` "
                "for each `i`, without rounding or typing numbers.",
            )
        )
        return checks
    register, student = source
    checks += [
        CheckResult(f"{task}.provenance", True, f"The probabilities are the sampler's counts (register `{register}`)."),
        _ry_check(pub, register, thetas),
    ]
    trusted = rerun_counts(call, pub, backend, register, context.seed)
    failed = [
        theta
        for index, (theta, counts) in enumerate(zip(thetas, student, strict=True))
        if not consistency_check("", counts, trusted.get_counts(index), context.alpha).passed
    ]
    checks.append(
        CheckResult(
            f"{task}.honest_counts",
            not failed,
            f"All {len(thetas)} angles are consistent with a trusted re-run."
            if not failed
            else f"The distributions at θ = {failed} are very unlikely for this circuit on this backend. Return the "
            "probabilities of the job you ran, in the order of `thetas`.",
        )
    )
    return checks


# Task 2: V1 `values` from one V2 estimator PUB.


def values_cases() -> list[Case]:
    """A backend and an angle the notebook never uses."""
    return [Case(f"FakeQuitoV2, θ = {VALUES_THETA}", (FakeQuitoV2(), VALUES_THETA))]


def check_v1_values(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `v1_values(backend, theta)`."""
    backend, theta = case.args
    task = "v1_values"
    checks, call = estimator_task_start(task, backend, returned, trace, 2, "result[0].data.evs.tolist()")
    if call is None:
        return checks
    if len(call.pubs) != 1 or call.pubs[0].observables.shape != (2,) or call.pubs[0].parameter_values.size > 1:
        checks.append(
            CheckResult(
                f"{task}.one_pub",
                False,
                f"The job held {len(call.pubs)} PUB(s). V1's `run([qc, qc], [zz, xx])` repeated the circuit; in V2 "
                "the circuit appears once, with a list of observables: `estimator.run([(isa_circuit, [isa_zz, "
                "isa_xx])])`.",
            )
        )
        return checks
    pub = call.pubs[0]
    checks += [
        CheckResult(f"{task}.one_pub", True, "One PUB with the circuit once and two observables."),
        isa_check(task, pub.circuit, backend),
        exact_values_check(
            f"{task}.right_observables",
            pub,
            [1.0, float(np.sin(theta))],
            list(VALUES_NAMES),
            "Without noise the PUB gives ⟨ZZ⟩ = 1 and ⟨XX⟩ = sin θ, in that order.",
            "Prepare RY(θ) on qubit 0 then CX(0, 1), and list the observables in V1's order, ZZ then XX, each "
            "mapped with `.apply_layout(isa_circuit.layout)`.",
        ),
    ]
    return checks + honest_values_checks(task, returned, call, pub, backend, context, list(VALUES_NAMES))


EXERCISE = Exercise(
    id="v1-to-v2",
    tasks=(
        Task("quasi_dists", 3.0, quasi_cases, check_quasi_dists, statistical_tests=len(QUASI_THETAS)),
        Task("v1_values", 2.0, values_cases, check_v1_values, statistical_tests=len(VALUES_NAMES)),
    ),
)
