"""estimator-broadcasting: several observables in one PUB, a parameter sweep in one PUB, and a chosen precision."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.quantum_info import SparsePauliOp
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2, FakeQuitoV2

from grader.trace import Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import isa_check, legacy_run_check, one_primitive_call, sweep_values_problem
from grader.judge.estimator_checks import (
    TOLERANCE,
    estimator_task_start,
    exact_values_check,
    honest_values_checks,
    rerun_arrays,
    result_arrays,
    returned_floats_check,
    values_consistency_check,
)
from grader.results import CheckResult

PAULI_THETAS = (2.3, -0.8)
"""At both angles 1, sin θ and cos θ are at least 0.3 apart, so a swapped or wrong observable shows."""
PAULI_NAMES = ("⟨ZZ⟩", "⟨XX⟩", "⟨Z on qubit 0⟩")
SWEEP_THETAS = (-2.4, -0.6, 0.35, 1.9, 2.9)
"""sin θ runs from -0.68 to 0.95 and is never 1 or cos θ, so a wrong observable or order cannot hide."""
PRECISE_CASES = ((0.9, 0.045), (2.6, 0.03))
"""(θ, precision): neither precision is the default 0.015625, so a precision that was not set shows."""
XX_FIX = 'Prepare RY(θ) on qubit 0 then CX(0, 1) and measure `SparsePauliOp("XX").apply_layout(isa_circuit.layout)`.'
# Task 1: three observables of one state, one PUB.


def pauli_cases() -> list[Case]:
    """Backends and angles the notebook never uses."""
    return [
        Case(f"FakeBelemV2, θ = {PAULI_THETAS[0]}", (FakeBelemV2(), PAULI_THETAS[0])),
        Case(f"FakeQuitoV2, θ = {PAULI_THETAS[1]}", (FakeQuitoV2(), PAULI_THETAS[1])),
    ]


def _z_on_qubit_0_check(pub: EstimatorPub) -> CheckResult | None:
    """Pass when the third observable is Z on virtual qubit 0 (label "IZ") mapped to the circuit's layout."""
    layout = pub.circuit.layout
    if layout is None:
        return None
    expected = SparsePauliOp("IZ").apply_layout(layout)
    sent = SparsePauliOp.from_list(list(pub.observables.ravel().tolist()[2].items()))
    if sent.num_qubits == expected.num_qubits and sent.equiv(expected, atol=TOLERANCE):
        return CheckResult("pauli_expectations.z_on_qubit_0", True, "The third observable is Z on qubit 0.")
    return CheckResult(
        "pauli_expectations.z_on_qubit_0",
        False,
        "The third observable is not Z on qubit 0. Qiskit reads Pauli labels right to left: the last letter acts "
        'on qubit 0, so Z on qubit 0 of two qubits is `SparsePauliOp("IZ")` ("ZI" is Z on qubit 1).',
    )


def check_pauli_expectations(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `pauli_expectations(backend, theta)` for one case."""
    backend, theta = case.args
    task = "pauli_expectations"
    checks, call = estimator_task_start(task, backend, returned, trace, 3, "result[0].data.evs.tolist()")
    if call is None:
        return checks
    if len(call.pubs) != 1 or call.pubs[0].observables.shape != (3,) or call.pubs[0].parameter_values.size > 1:
        shapes = ", ".join(str(p.observables.shape) for p in call.pubs) or "none"
        checks.append(
            CheckResult(
                f"{task}.one_pub",
                False,
                f"The job held {len(call.pubs)} PUB(s) with observables of shape {shapes}. Send one PUB whose "
                "observables are a list of three: `estimator.run([(isa_circuit, [isa_zz, isa_xx, isa_z0])])`.",
            )
        )
        return checks
    pub = call.pubs[0]
    checks += [
        CheckResult(f"{task}.one_pub", True, "One PUB with three observables."),
        isa_check(task, pub.circuit, backend),
        exact_values_check(
            f"{task}.right_observables",
            pub,
            [1.0, float(np.sin(theta)), float(np.cos(theta))],
            list(PAULI_NAMES),
            "Without noise the PUB gives 1, sin θ and cos θ, in that order.",
            'Prepare RY(θ) on qubit 0 then CX(0, 1), list `SparsePauliOp("ZZ")`, `SparsePauliOp("XX")` and '
            '`SparsePauliOp("IZ")` in that order, and map each with `.apply_layout(isa_circuit.layout)`.',
        ),
    ]
    label_check = _z_on_qubit_0_check(pub)
    if label_check is not None:
        checks.append(label_check)
    fix = "Return `result[0].data.evs.tolist()`, in the order of the observables."
    return checks + honest_values_checks(task, returned, call, pub, backend, context, list(PAULI_NAMES), fix)


# Task 2: one observable against a sweep of angles, one PUB.


def sweep_cases() -> list[Case]:
    """A backend and angles the notebook never uses."""
    return [Case(f"FakeLimaV2, {len(SWEEP_THETAS)} angles", (FakeLimaV2(), list(SWEEP_THETAS)))]


def _sweep_pub_problem(pub: EstimatorPub, thetas: list[float]) -> str | None:
    """Why ``pub`` is not `(circuit with one Parameter, one observable, thetas)`, or None when it is."""
    if pub.observables.size != 1:
        return f"it has {pub.observables.size} observables, not one"
    return sweep_values_problem(pub, thetas)


def check_xx_sweep(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `xx_sweep(backend, thetas)`."""
    backend, thetas = case.args
    task = "xx_sweep"
    checks, call = estimator_task_start(task, backend, returned, trace, len(thetas), "result[0].data.evs.tolist()")
    if call is None:
        return checks
    problem = (
        f"the job holds {len(call.pubs)} PUBs" if len(call.pubs) != 1 else _sweep_pub_problem(call.pubs[0], thetas)
    )
    if problem:
        checks.append(
            CheckResult(
                f"{task}.one_pub",
                False,
                f"The PUB should be `(isa_circuit, isa_observable, thetas)`, but {problem}. Build the circuit with "
                "`theta = Parameter('θ')` and let the estimator sweep the angles.",
            )
        )
        return checks
    pub = call.pubs[0]
    checks += [
        CheckResult(f"{task}.one_pub", True, f"One PUB sweeps all {len(thetas)} angles in order."),
        isa_check(task, pub.circuit, backend),
    ]
    names = [f"⟨XX⟩ at θ = {theta}" for theta in thetas]
    checks.append(
        exact_values_check(
            f"{task}.right_pub",
            pub,
            [float(np.sin(theta)) for theta in thetas],
            names,
            "Without noise the PUB gives sin θ at every angle.",
            XX_FIX,
        )
    )
    return checks + honest_values_checks(task, returned, call, pub, backend, context, names)


# Task 3: one value at a chosen precision, with its standard error.


def precise_cases() -> list[Case]:
    """A backend, angles and precisions the notebook never uses."""
    return [
        Case(f"FakeQuitoV2, θ = {theta}, precision {precision}", (FakeQuitoV2(), theta, precision))
        for theta, precision in PRECISE_CASES
    ]


def check_precise_value(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `precise_value(backend, theta, precision)` for one case."""
    backend, theta, precision = case.args
    task = "precise_value"
    checks = [
        returned_floats_check(f"{task}.returns_pair", returned, 2, "[float(data.evs), float(data.stds)]"),
        legacy_run_check(task, trace, "estimator"),
    ]
    estimator_check, call = one_primitive_call(task, trace, backend, "estimator")
    checks.append(estimator_check)
    if call is None:
        return checks
    if len(call.pubs) != 1 or call.pubs[0].observables.size != 1 or call.pubs[0].parameter_values.size > 1:
        checks.append(
            CheckResult(
                f"{task}.one_pub",
                False,
                "Run one PUB holding one circuit and one observable: "
                "`estimator.run([(isa_circuit, isa_observable)], precision=precision)`.",
            )
        )
        return checks
    pub = call.pubs[0]
    checks.append(isa_check(task, pub.circuit, backend))
    sent = pub.precision
    used = "the estimator's default precision" if sent is None else f"precision {sent}"
    checks.append(
        CheckResult(f"{task}.precision", True, f"The PUB ran at precision {precision}.")
        if sent is not None and abs(sent - precision) < 1e-12
        else CheckResult(
            f"{task}.precision",
            False,
            f"The PUB ran at {used}, not at the {precision} asked for. Pass the function's argument: "
            "`estimator.run([pub], precision=precision)`.",
        )
    )
    checks.append(
        exact_values_check(
            f"{task}.right_pub", pub, [float(np.sin(theta))], ["⟨XX⟩"], "Without noise the PUB gives sin θ.", XX_FIX
        )
    )
    pairs = [([v[0]], [s[0]]) for v, s in result_arrays(call) if len(v) == 1]
    student = next(((v, s) for v, s in pairs if returned == [v[0], s[0]]), None)
    if student is None:
        checks.append(
            CheckResult(
                f"{task}.provenance",
                False,
                "The value and standard error returned are not the estimator's own. Return "
                "`[float(data.evs), float(data.stds)]` from `result[0].data` (the standard error is `stds`, "
                "not the precision you asked for).",
            )
        )
        return checks
    checks.append(CheckResult(f"{task}.provenance", True, "The value and standard error are the estimator's own."))
    trusted = rerun_arrays(call, pub, backend, context.seed)
    checks.append(
        values_consistency_check(f"{task}.honest_value", student, trusted, ["⟨XX⟩"], context.alpha, call.primitive)
    )
    return checks


EXERCISE = Exercise(
    id="estimator-broadcasting",
    tasks=(
        Task(
            "pauli_expectations",
            3.0,
            pauli_cases,
            check_pauli_expectations,
            statistical_tests=len(PAULI_NAMES) * len(PAULI_THETAS),
        ),
        Task("xx_sweep", 3.0, sweep_cases, check_xx_sweep, statistical_tests=len(SWEEP_THETAS)),
        Task("precise_value", 2.0, precise_cases, check_precise_value, statistical_tests=len(PRECISE_CASES)),
    ),
)
