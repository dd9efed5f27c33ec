"""sampler-basics: a Bell state's counts, and a parameter sweep in one PUB, with a V2 sampler."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2

from grader.trace import Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import isa_check, legacy_run_check, one_primitive_call
from grader.judge.ideal import ideal_distribution
from grader.judge.sampler_checks import (
    bell_state_check,
    consistency_check,
    counts_shape_check,
    provenance_check,
    register_clbits,
    rerun_counts,
    returned_register,
    shots_check,
)
from grader.results import CheckResult

SWEEP_THETAS = (0.35, 1.2, 2.05, 2.8)
"""Angles where P('1') = sin²(θ/2) runs from 0.03 to 0.94, so a wrong gate or order cannot hide."""
BATCH_THETAS = (2.5, 0.6, 1.9)


def bell_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses."""
    return [Case("FakeLimaV2, 777 shots", (FakeLimaV2(), 777))]


def bell_batch_cases() -> list[Case]:
    """The batch grader's cases: two backends with different layouts and noise, two odd shot counts."""
    return [*bell_cases(), Case("FakeBelemV2, 1234 shots", (FakeBelemV2(), 1234))]


def check_bell_counts(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `bell_counts(backend, shots)`."""
    backend, shots = case.args
    checks = [
        counts_shape_check("bell_counts.returns_counts", returned, 2, shots),
        legacy_run_check("bell_counts", trace, "sampler"),
    ]
    sampler_check, call = one_primitive_call("bell_counts", trace, backend, "sampler")
    checks.append(sampler_check)
    if call is None:
        return checks
    pubs = call.pubs
    pub = pubs[0]
    checks += [shots_check("bell_counts", pub, shots), isa_check("bell_counts", pub.circuit, backend)]
    register = returned_register(call, returned) if isinstance(returned, dict) else None
    checks.append(provenance_check("bell_counts.provenance", register))
    if register is None:
        return checks
    bound = (
        pub.circuit.assign_parameters(pub.parameter_values.as_array().reshape(-1))
        if pub.circuit.parameters
        else pub.circuit
    )
    checks.append(bell_state_check("bell_counts.bell_state", bound, register))
    trusted = rerun_counts(call, pub, backend, register, context.seed).get_counts()
    checks.append(consistency_check("bell_counts.honest_counts", returned, trusted, context.alpha))
    return checks


def sweep_cases() -> list[Case]:
    """A backend, angles and a shot count the notebook never uses."""
    return [Case("FakeLimaV2, 4 angles, 613 shots", (FakeLimaV2(), list(SWEEP_THETAS), 613))]


def sweep_batch_cases() -> list[Case]:
    """The batch grader's cases: a second backend with other angles, in an order that is not sorted."""
    return [*sweep_cases(), Case("FakeBelemV2, 3 angles, 1111 shots", (FakeBelemV2(), list(BATCH_THETAS), 1111))]


def check_theta_sweep(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `theta_sweep(backend, thetas, shots)`."""
    backend, thetas, shots = case.args
    checks: list[CheckResult] = []
    if not isinstance(returned, list) or len(returned) != len(thetas):
        checks.append(
            CheckResult(
                "theta_sweep.returns_list",
                False,
                f"Expected a list of {len(thetas)} counts dicts, one per angle; got {returned!r:.80}.",
            )
        )
        returned = None
    else:
        shapes = [counts_shape_check("theta_sweep.returns_list", c, 1, shots) for c in returned]
        bad = next((c for c in shapes if not c.passed), None)
        checks.append(bad or CheckResult("theta_sweep.returns_list", True, f"{len(thetas)} one-bit counts, in order."))
        if bad:
            returned = None
    checks.append(legacy_run_check("theta_sweep", trace, "sampler"))
    sampler_check, call = one_primitive_call("theta_sweep", trace, backend, "sampler")
    checks.append(sampler_check)
    if call is None:
        return checks
    pubs = call.pubs
    if len(pubs) != 1:
        checks.append(
            CheckResult(
                "theta_sweep.one_pub",
                False,
                f"The job holds {len(pubs)} PUBs. Sweep every angle "
                "in one PUB: `(circuit, thetas)` with a circuit that has one `Parameter`.",
            )
        )
        return checks
    pub = pubs[0]
    values = pub.parameter_values.as_array()
    if pub.circuit.num_parameters != 1 or values.shape != (len(thetas), 1) or not np.allclose(values[:, 0], thetas):
        checks.append(
            CheckResult(
                "theta_sweep.one_pub",
                False,
                "The PUB should be `(circuit, thetas)`: one circuit "
                f"with one `Parameter`, bound to the {len(thetas)} angles given, in order. "
                f"It has {pub.circuit.num_parameters} parameter(s) and values of shape {values.shape}.",
            )
        )
        return checks
    checks.append(CheckResult("theta_sweep.one_pub", True, f"One PUB sweeps all {len(thetas)} angles."))
    checks += [shots_check("theta_sweep", pub, shots), isa_check("theta_sweep", pub.circuit, backend)]
    registers = {returned_register(call, c, i) for i, c in enumerate(returned)} if returned else {None}
    register = registers.pop() if len(registers) == 1 else None
    checks.append(provenance_check("theta_sweep.provenance", register))
    if register is None:
        return checks
    wrong = []
    for theta, row in zip(thetas, values, strict=True):
        bound = pub.circuit.assign_parameters(row)
        p_one = ideal_distribution(bound, register_clbits(bound, register)).get("1", 0.0)
        if abs(p_one - np.sin(theta / 2) ** 2) > 1e-6:
            wrong.append(f"θ={theta}: P('1')={p_one:.3f}, expected {np.sin(theta / 2) ** 2:.3f}")
    checks.append(
        CheckResult(
            "theta_sweep.ry_circuit",
            not wrong,
            "The circuit is RY(θ) then a measurement."
            if not wrong
            else "Without noise your circuit gives " + "; ".join(wrong) + ". Use `qc.ry(theta, 0)` "
            "with `theta = Parameter('θ')`, then measure the qubit.",
        )
    )
    trusted = rerun_counts(call, pub, backend, register, context.seed)
    failed = [
        c for i, c in enumerate(returned) if not consistency_check("", c, trusted.get_counts(i), context.alpha).passed
    ]
    checks.append(
        CheckResult(
            "theta_sweep.honest_counts",
            not failed,
            f"All {len(thetas)} angles are consistent with a trusted re-run."
            if not failed
            else f"{len(failed)} of the counts are very unlikely for this circuit on this backend. "
            "Return the counts of the job you ran, in the order of `thetas`.",
        )
    )
    return checks


EXERCISE = Exercise(
    id="sampler-basics",
    tasks=(
        Task("bell_counts", 2.0, bell_cases, check_bell_counts, 1, bell_batch_cases, 2),
        Task(
            "theta_sweep",
            2.0,
            sweep_cases,
            check_theta_sweep,
            len(SWEEP_THETAS),
            sweep_batch_cases,
            len(SWEEP_THETAS) + len(BATCH_THETAS),
        ),
    ),
)
