"""client-side-primitives: ⟨X⊗X⟩ with the client-side Estimator, with and without its default readout mitigation."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit_ibm_runtime.executor_estimator import Estimator as ClientEstimator
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeQuitoV2

from grader.trace import CallRecord, Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import isa_check, legacy_run_check, one_primitive_call
from grader.judge.estimator_checks import (
    consistency_check,
    ideal_expectation,
    returned_value_check,
    value_provenance_check,
)
from grader.results import CheckResult
from grader.simulators import grader_backend

CLIENT_SIDE = "qiskit_ibm_runtime.executor_estimator."
DEPRECATED = "qiskit_ibm_runtime.estimator."
MITIGATED_THETAS = (1.9, -0.9)
UNMITIGATED_THETAS = (2.6, -1.3)
"""sin θ (the answer) is at least 0.5 away from ⟨ZZ⟩ = 1, from ⟨ZI⟩ = cos θ and from 0 at every angle."""


def angle_cases(thetas: tuple[float, float]) -> list[Case]:
    """One 5-qubit backend the notebook never uses per angle."""
    return [
        Case(f"FakeBelemV2, θ = {thetas[0]}", (FakeBelemV2(), thetas[0])),
        Case(f"FakeQuitoV2, θ = {thetas[1]}", (FakeQuitoV2(), thetas[1])),
    ]


def mitigated_cases() -> list[Case]:
    """The cases of `mitigated_xx`."""
    return angle_cases(MITIGATED_THETAS)


def unmitigated_cases() -> list[Case]:
    """The cases of `unmitigated_xx`, at other angles."""
    return angle_cases(UNMITIGATED_THETAS)


def client_side_check(task: str, call: CallRecord) -> CheckResult:
    """Pass when the job ran on the client-side Estimator; say why the others do not do here."""
    check_id = f"{task}.client_side_estimator"
    name = call.primitive.rsplit(".", 1)[-1]
    if call.primitive.startswith(CLIENT_SIDE):
        return CheckResult(check_id, True, "The job ran on the client-side Estimator.")
    fix = "Use `from qiskit_ibm_runtime.executor_estimator import Estimator` and `Estimator(mode=backend)`."
    if call.primitive.startswith(DEPRECATED):
        return CheckResult(
            check_id,
            False,
            f"The job ran on the deprecated `{name}`. This task is about the client-side Estimator: in local "
            "testing mode `EstimatorV2` ignores `resilience_level` and never mitigates, so its value is not the one "
            f"asked for (and it is deprecated since qiskit-ibm-runtime 0.50). {fix}",
        )
    return CheckResult(check_id, False, f"The job ran on `{call.primitive}`, not on the client-side Estimator. {fix}")


def mitigation_check(task: str, options: dict[str, Any], level: int) -> CheckResult:
    """Pass when the recorded options ask for resilience ``level`` with its own mitigation, nothing switched."""
    check_id = f"{task}.resilience_level"
    seen = options.get("resilience_level")
    resilience = options.get("resilience") if isinstance(options.get("resilience"), dict) else {}
    how = (
        "keep the default: build `Estimator(mode=backend)` without resilience options"
        if level == 1
        else 'set it through the options: `Estimator(mode=backend, options={"resilience_level": 0})`'
    )
    if seen != level:
        return CheckResult(check_id, False, f"The Estimator ran at resilience level {seen}, not {level}: {how}.")
    wanted = {"measure_mitigation": level == 1, "zne_mitigation": False, "pec_mitigation": False}
    switched = [name for name, want in wanted.items() if resilience.get(name) not in (None, want)]
    if switched:
        return CheckResult(
            check_id,
            False,
            f"Level {level} is set, but `resilience.{switched[0]}` = {resilience[switched[0]]} changes what it does: "
            f"{how}.",
        )
    kind = "readout mitigation (TREX)" if level == 1 else "no mitigation"
    return CheckResult(check_id, True, f"Resilience level {level}: {kind}.")


def one_pub_check(task: str, call: CallRecord) -> CheckResult:
    """Pass when the job holds one PUB with one circuit, one observable and no parameter sets."""
    pub = call.pubs[0]
    if len(call.pubs) == 1 and pub.observables.size == 1 and pub.parameter_values.size <= 1:
        return CheckResult(f"{task}.one_pub", True, "One PUB with one circuit and one observable.")
    return CheckResult(
        f"{task}.one_pub",
        False,
        "Run one PUB holding one circuit and one observable: `estimator.run([(isa_circuit, isa_observable)])`.",
    )


def sine_check(task: str, pub: EstimatorPub, theta: float) -> CheckResult:
    """Pass when the PUB's noise-free value is sin θ."""
    ideal = ideal_expectation(pub)
    if abs(ideal - np.sin(theta)) < 1e-6:
        return CheckResult(f"{task}.right_pub", True, "The circuit and observable give sin θ exactly.")
    return CheckResult(
        f"{task}.right_pub",
        False,
        f"Without noise your circuit and observable give {ideal:.3f} at θ = {theta}, not sin θ = {np.sin(theta):.3f}. "
        "Prepare RY(θ) on qubit 0 then CX(0, 1), measure `SparsePauliOp('XX')`, and map it to the transpiled "
        "circuit with `observable.apply_layout(isa_circuit.layout)`.",
    )


def rerun_client_value(pub: EstimatorPub, backend: Any, level: int, seed: int) -> tuple[float, float]:
    """Value and standard error of ``pub`` from a seeded client-side Estimator at resilience ``level``."""
    estimator = ClientEstimator(mode=grader_backend(backend), options={"resilience_level": level})
    estimator.options.simulator.seed_simulator = seed
    data = estimator.run([pub]).result()[0].data
    return float(np.asarray(data.evs).reshape(-1)[0]), float(np.asarray(data.stds).reshape(-1)[0])


def check_xx(task: str, level: int, case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of a task that returns ⟨X⊗X⟩ from the client-side Estimator at resilience ``level``."""
    backend, theta = case.args
    checks = [returned_value_check(f"{task}.returns_float", returned), legacy_run_check(task, trace, "estimator")]
    estimator_check, call = one_primitive_call(task, trace, backend, "estimator")
    checks.append(estimator_check)
    if call is None:
        return checks
    client_side = client_side_check(task, call)
    checks.append(client_side)
    if client_side.passed:
        checks.append(mitigation_check(task, call.options, level))
    pub_check = one_pub_check(task, call)
    checks.append(pub_check)
    if not pub_check.passed:
        return checks
    pub = call.pubs[0]
    checks += [isa_check(task, pub.circuit, backend), sine_check(task, pub, theta)]
    provenance, student = value_provenance_check(task, returned, call)
    checks.append(provenance)
    if student is None:
        return checks
    if all(c.passed for c in checks):  # a re-run at this level only says something about this very setup
        trusted = rerun_client_value(pub, backend, level, context.seed)
        checks.append(consistency_check(f"{task}.honest_value", student, trusted, context.alpha, call.primitive))
    return checks


def check_mitigated_xx(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `mitigated_xx(backend, theta)`: client-side Estimator at its default level 1."""
    return check_xx("mitigated_xx", 1, case, returned, trace, context)


def check_unmitigated_xx(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `unmitigated_xx(backend, theta)`: client-side Estimator at level 0."""
    return check_xx("unmitigated_xx", 0, case, returned, trace, context)


EXERCISE = Exercise(
    id="client-side-primitives",
    tasks=(
        Task("mitigated_xx", 2.0, mitigated_cases, check_mitigated_xx, statistical_tests=len(MITIGATED_THETAS)),
        Task("unmitigated_xx", 2.0, unmitigated_cases, check_unmitigated_xx, statistical_tests=len(UNMITIGATED_THETAS)),
    ),
)
