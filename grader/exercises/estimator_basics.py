"""estimator-basics: ⟨X⊗X⟩ of an entangled state with a V2 estimator, observable mapped to the ISA layout."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2

from grader.trace import Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import isa_check, legacy_run_check, one_primitive_call
from grader.judge.estimator_checks import (
    consistency_check,
    ideal_expectation,
    rerun_value,
    returned_value_check,
    value_provenance_check,
)
from grader.results import CheckResult

XX_THETAS = (0.4, 2.5)
"""sin θ (the answer) is far from ⟨ZZ⟩ = 1, ⟨ZI⟩ = cos θ and 0 at both angles, so a wrong observable shows."""


def xx_cases() -> list[Case]:
    """A backend and angles the notebook never uses."""
    return [Case(f"FakeLimaV2, θ = {theta}", (FakeLimaV2(), theta)) for theta in XX_THETAS]


def xx_batch_cases() -> list[Case]:
    """The batch grader's cases: one more backend and angle."""
    return [*xx_cases(), Case("FakeBelemV2, θ = 1.1", (FakeBelemV2(), 1.1))]


def check_xx_expectation(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `xx_expectation(backend, theta)` for one case."""
    backend, theta = case.args
    checks = [
        returned_value_check("xx_expectation.returns_float", returned),
        legacy_run_check("xx_expectation", trace, "estimator"),
    ]
    estimator_check, call = one_primitive_call("xx_expectation", trace, backend, "estimator")
    checks.append(estimator_check)
    if call is None:
        return checks
    pubs = call.pubs
    pub = pubs[0]
    if len(pubs) != 1 or pub.observables.size != 1 or pub.parameter_values.size > 1:
        checks.append(
            CheckResult(
                "xx_expectation.one_pub",
                False,
                "Run one PUB holding one circuit and one observable: `estimator.run([(isa_circuit, isa_observable)])`.",
            )
        )
        return checks
    checks.append(isa_check("xx_expectation", pub.circuit, backend))
    ideal = ideal_expectation(pub)
    if abs(ideal - np.sin(theta)) < 1e-6:
        checks.append(CheckResult("xx_expectation.right_pub", True, "The circuit and observable give sin θ exactly."))
    else:
        checks.append(
            CheckResult(
                "xx_expectation.right_pub",
                False,
                f"Without noise your circuit and observable give {ideal:.3f} at θ = {theta}, not sin θ = "
                f"{np.sin(theta):.3f}. Prepare RY(θ) on qubit 0 then CX(0, 1), measure `SparsePauliOp('XX')`, and "
                "map it to the transpiled circuit with `observable.apply_layout(isa_circuit.layout)`.",
            )
        )
    provenance, student = value_provenance_check("xx_expectation", returned, call)
    checks.append(provenance)
    if student is None:
        return checks
    trusted = rerun_value(call, pub, backend, context.seed)
    checks.append(consistency_check("xx_expectation.honest_value", student, trusted, context.alpha, call.primitive))
    return checks


EXERCISE = Exercise(
    id="estimator-basics",
    tasks=(
        Task("xx_expectation", 4.0, xx_cases, check_xx_expectation, len(XX_THETAS), xx_batch_cases, len(XX_THETAS) + 1),
    ),
)
