"""vqe-in-a-batch: the energy of a `real_amplitudes` ansatz in one Estimator job, then COBYLA inside one Batch."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit.circuit.library import real_amplitudes
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeQuitoV2

from grader.trace import CallRecord, Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import FIX, isa_check, legacy_run_check, one_primitive_call
from grader.judge.estimator_checks import (
    consistency_check,
    ideal_expectation,
    rerun_value,
    result_values,
    returned_value_check,
    value_provenance_check,
)
from grader.results import CheckResult

HAMILTONIAN = SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 0.5), ("IX", 0.5)])
GROUND_ENERGY = -float(np.sqrt(2))
ENERGY_PARAMETERS = ((0.92, 2.54, -2.18, 2.57), (2.73, -2.61, 0.65, -0.08))
"""Points where H's energy is at least 0.6 away from ⟨ZZ⟩, from H without its 0.5, from ⟨XI + IX⟩ / 2 and from
the energy at the same values given in another order, so that a wrong observable or order cannot hide."""

MINIMISE_THRESHOLD = -1.0
"""Noise-free energy the returned parameters must beat. Measured on qiskit 2.6.2 / runtime 0.51 / scipy 1.17, with
20 evaluations at precision 0.03 from the two starts below, on FakeLimaV2, FakeBelemV2 and FakeQuitoV2 and several
seeds: every run ended between -1.37 and -1.41 (client-side Estimator at resilience levels 0 and 1, and the
deprecated EstimatorV2). With 50% more noise and twice the shrinkage towards 0 than the noisiest of those runs,
200 simulated runs from each start all still ended below -1.01. The starts give +0.64 and +0.29: returning them
fails."""
MINIMISE_CASES = (
    ("FakeQuitoV2, 20 evaluations", FakeQuitoV2, (-2.4, -0.9, 0.0, -2.4), 20),
    ("FakeBelemV2, 20 evaluations", FakeBelemV2, (0.7, 2.3, 3.0, 1.5), 20),
)


def exact_energy(parameters: Any) -> float:
    """⟨H⟩ of `real_amplitudes(2, reps=1)` bound to ``parameters``, without noise."""
    state = Statevector(real_amplitudes(2, reps=1).assign_parameters(list(parameters)))
    return float(state.expectation_value(HAMILTONIAN).real)


def pub_parameters(pub: EstimatorPub) -> list[float] | None:
    """The one set of parameter values a PUB binds, in the circuit's parameter order; None if it is not one set."""
    if pub.parameter_values.shape != () or pub.circuit.num_parameters == 0:
        return None
    return [float(v) for v in pub.parameter_values.as_array(pub.circuit.parameters).reshape(-1)]


def is_single_pub(call: CallRecord) -> bool:
    """True when a job holds one PUB with one observable and at most one set of parameter values."""
    return len(call.pubs) == 1 and call.pubs[0].observables.size == 1 and call.pubs[0].parameter_values.size <= 1


def energy_cases() -> list[Case]:
    """Backends and parameter values the notebook never uses."""
    return [
        Case("FakeQuitoV2, first parameters", (FakeQuitoV2(), list(ENERGY_PARAMETERS[0]))),
        Case("FakeBelemV2, second parameters", (FakeBelemV2(), list(ENERGY_PARAMETERS[1]))),
    ]


def parameters_check(task: str, pub: EstimatorPub, parameters: list[float]) -> CheckResult:
    """Pass when the PUB's circuit keeps the ansatz's parameters and binds exactly ``parameters``."""
    values = pub_parameters(pub)
    if values is not None and len(values) == len(parameters) and np.allclose(values, parameters, rtol=0, atol=1e-12):
        return CheckResult(f"{task}.parameters_in_pub", True, "The PUB binds the parameter values given, in order.")
    shown = "none" if values is None else [round(v, 3) for v in values]
    return CheckResult(
        f"{task}.parameters_in_pub",
        False,
        f"The PUB should carry the parameter values {parameters} as its third entry; it binds {shown}. Transpile "
        "the parametric ansatz once and send `(isa_ansatz, isa_hamiltonian, parameters)`.",
    )


def right_energy_check(task: str, pub: EstimatorPub, parameters: list[float]) -> CheckResult:
    """Pass when the PUB's noise-free value is H's energy for the ansatz at ``parameters``."""
    seen, expected = ideal_expectation(pub), exact_energy(parameters)
    if abs(seen - expected) < 1e-6:
        return CheckResult(f"{task}.right_pub", True, "The ansatz and observable give H's exact energy.")
    return CheckResult(
        f"{task}.right_pub",
        False,
        f"Without noise your PUB gives {seen:.3f}, but `real_amplitudes(2, reps=1)` at these parameters has "
        f"⟨H⟩ = {expected:.3f}. Use H = `SparsePauliOp.from_list([('ZZ', 1.0), ('XI', 0.5), ('IX', 0.5)])`, "
        "map it with `hamiltonian.apply_layout(isa_ansatz.layout)`, and bind the parameters in the ansatz's order.",
    )


def check_energy(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `energy(backend, parameters)` for one case."""
    backend, parameters = case.args
    checks = [returned_value_check("energy.returns_float", returned), legacy_run_check("energy", trace, "estimator")]
    estimator_check, call = one_primitive_call("energy", trace, backend, "estimator")
    checks.append(estimator_check)
    if call is None:
        return checks
    if not is_single_pub(call):
        checks.append(
            CheckResult(
                "energy.one_pub",
                False,
                "Send one PUB with one circuit, one observable and one set of parameter values: "
                "`estimator.run([(isa_ansatz, isa_hamiltonian, parameters)])`.",
            )
        )
        return checks
    pub = call.pubs[0]
    checks += [
        CheckResult("energy.one_pub", True, "One PUB, one observable, one set of parameter values."),
        parameters_check("energy", pub, parameters),
        isa_check("energy", pub.circuit, backend),
        right_energy_check("energy", pub, parameters),
    ]
    provenance, student = value_provenance_check("energy", returned, call)
    checks.append(provenance)
    if student is None:
        return checks
    trusted = rerun_value(call, pub, backend, context.seed)
    checks.append(consistency_check("energy.honest_value", student, trusted, context.alpha, call.primitive))
    return checks


def minimise_cases() -> list[Case]:
    """Backends and starting points the notebook never uses, each a start COBYLA leaves reliably."""
    return [Case(label, (fake(), list(initial), iterations)) for label, fake, initial, iterations in MINIMISE_CASES]


def result_shape_check(returned: Any) -> CheckResult:
    """Pass when ``returned`` is {"energy": float, "parameters": 4 floats, "evaluations": int}."""
    example = {"energy": -1.3, "parameters": [0.1, 0.2, 0.3, 0.4], "evaluations": 20}
    good = (
        isinstance(returned, dict)
        and set(returned) == {"energy", "parameters", "evaluations"}
        and isinstance(returned["energy"], (int, float))
        and not isinstance(returned["energy"], bool)
        and isinstance(returned["parameters"], list)
        and len(returned["parameters"]) == 4
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in returned["parameters"])
        and isinstance(returned["evaluations"], int)
        and not isinstance(returned["evaluations"], bool)
    )
    if good:
        return CheckResult("minimize_energy.returns_result", True, "A dict with energy, parameters and evaluations.")
    return CheckResult(
        "minimize_energy.returns_result",
        False,
        f"Expected a dict such as {example} (`result.fun`, `list(result.x)`, `result.nfev`); got {returned!r:.120}.",
    )


def estimator_calls_check(trace: Trace, backend: Any) -> CheckResult:
    """Pass when at least one V2 estimator job ran and every one of them ran on ``backend``."""
    check_id = "minimize_energy.uses_v2_estimator"
    calls = trace.calls_of("estimator")
    if not calls:
        return CheckResult(check_id, False, f"No V2 estimator ran: {FIX['estimator']}, inside the Batch.")
    elsewhere = sorted({str(c.backend_name) for c in calls if c.backend_name != backend.name})
    if elsewhere:
        return CheckResult(
            check_id,
            False,
            f"Estimator jobs ran on {', '.join(elsewhere)}, not on the backend given to the function "
            f"({backend.name}). Open the Batch with `Batch(backend=backend)` and build the estimator on `mode=batch`.",
        )
    return CheckResult(check_id, True, f"{len(calls)} V2 estimator jobs on {backend.name}.")


def batch_check(calls: list[CallRecord]) -> CheckResult:
    """Pass when every estimator job ran in a Batch."""
    outside = [c.mode for c in calls if c.mode != "batch"]
    if not outside:
        return CheckResult("minimize_energy.in_a_batch", True, "Every evaluation ran in a Batch.")
    return CheckResult(
        "minimize_energy.in_a_batch",
        False,
        f"{len(outside)} of the {len(calls)} estimator jobs ran in mode {outside[0]!r}, not in a Batch. Call "
        "`minimize` inside `with Batch(backend=backend) as batch:` and build the estimator with `mode=batch`.",
    )


def jobs_per_evaluation_check(calls: list[CallRecord], evaluations: int) -> CheckResult:
    """Pass when there is one job per evaluation, each holding one PUB with one set of parameter values."""
    check_id = "minimize_energy.one_job_per_evaluation"
    if len(calls) != evaluations:
        return CheckResult(
            check_id,
            False,
            f"`minimize` reports {evaluations} evaluations but {len(calls)} estimator jobs ran. The cost function "
            "should run exactly one job per call, and nothing else should run one; return `result.nfev`.",
        )
    if not all(is_single_pub(c) and pub_parameters(c.pubs[0]) is not None for c in calls):
        return CheckResult(
            check_id,
            False,
            "Each job should hold one PUB `(isa_ansatz, isa_hamiltonian, parameters)`: one observable, and the "
            "parameter values COBYLA asked for as the PUB's third entry.",
        )
    return CheckResult(check_id, True, f"{evaluations} jobs, one PUB each, one per evaluation.")


def budget_check(calls: list[CallRecord], initial: list[float], iterations: int) -> CheckResult:
    """Pass when the first job evaluates ``initial`` and COBYLA used all ``iterations`` evaluations.

    With shot noise COBYLA never converges within the cases' 20 evaluations (every measured run used them all), so
    fewer jobs mean a smaller `maxiter`: after 6 evaluations, its minimum, the energy can already be below the
    threshold of `minimised_check`, so that check alone would not notice.
    """
    check_id = "minimize_energy.cobyla_run"
    first = pub_parameters(calls[0].pubs[0])
    if first is None or not np.allclose(first, initial, rtol=0, atol=1e-12):
        return CheckResult(
            check_id, False, f"The first evaluation should be at `initial` = {initial}. Start `minimize` from it."
        )
    if len(calls) != iterations:
        return CheckResult(
            check_id,
            False,
            f"COBYLA ran {len(calls)} evaluations, not the {iterations} asked for: pass "
            "`options={'maxiter': iterations}` to `minimize`.",
        )
    return CheckResult(check_id, True, f"COBYLA started at `initial` and ran all {iterations} evaluations.")


def pubs_check(calls: list[CallRecord], backend: Any) -> list[CheckResult]:
    """ISA circuits and the right ansatz and observable, in every job: the first failure of each, or a pass."""
    isa = next(
        (c for c in (isa_check("minimize_energy", call.pubs[0].circuit, backend) for call in calls) if not c.passed),
        CheckResult("minimize_energy.isa_circuit", True, f"Every circuit sent is ISA for {backend.name}."),
    )
    for index, call in enumerate(calls, start=1):
        pub = call.pubs[0]
        right = right_energy_check("minimize_energy", pub, pub_parameters(pub) or [])
        if not right.passed:
            return [isa, CheckResult(right.id, False, f"Job {index}: {right.message}")]
    return [isa, CheckResult("minimize_energy.right_pub", True, "Every job estimates H on the ansatz.")]


def provenance_check(calls: list[CallRecord], returned: dict[str, Any]) -> CheckResult:
    """Pass when the energy returned is a job's own value, from the job that evaluated the returned parameters."""
    check_id = "minimize_energy.provenance"
    for call in calls:
        values = [v for v, _ in result_values(call)]
        if returned["energy"] in values:
            at = pub_parameters(call.pubs[0])
            if at is not None and np.allclose(at, returned["parameters"], rtol=0, atol=1e-12):
                return CheckResult(check_id, True, "The energy is the estimate of the job at the returned parameters.")
    return CheckResult(
        check_id,
        False,
        "The energy returned is not the estimator's value at the returned parameters. Return `result.fun` "
        "and `list(result.x)` from the result of `minimize`.",
    )


def minimised_check(parameters: list[float], initial: list[float]) -> CheckResult:
    """Pass when the returned parameters' noise-free energy is below the threshold."""
    reached = exact_energy(parameters)
    if reached < MINIMISE_THRESHOLD:
        return CheckResult(
            "minimize_energy.minimised", True, f"Without noise the parameters returned give {reached:.3f}."
        )
    return CheckResult(
        "minimize_energy.minimised",
        False,
        f"Without noise the parameters returned give {reached:.3f}; a finished minimisation reaches below "
        f"{MINIMISE_THRESHOLD} (the start gives {exact_energy(initial):.3f}, the ground energy is "
        f"{GROUND_ENERGY:.3f}). Minimise the cost with COBYLA from `initial` and return `result.x`.",
    )


def check_minimize_energy(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `minimize_energy(backend, initial, iterations)` for one case.

    No two-sample test: the energy must be one of the jobs' own values (provenance), and the exact, noise-free
    energy at the returned parameters must be low. Those two certain checks leave no room for invented numbers.
    """
    backend, initial, iterations = case.args
    shape = result_shape_check(returned)
    calls_check = estimator_calls_check(trace, backend)
    checks = [shape, legacy_run_check("minimize_energy", trace, "estimator"), calls_check]
    if not calls_check.passed:
        return checks
    calls = trace.calls_of("estimator")
    checks.append(batch_check(calls))
    if not shape.passed:
        return checks
    per_evaluation = jobs_per_evaluation_check(calls, returned["evaluations"])
    checks.append(per_evaluation)
    if not per_evaluation.passed:
        return checks
    checks += [budget_check(calls, initial, iterations), *pubs_check(calls, backend)]
    checks += [provenance_check(calls, returned), minimised_check(returned["parameters"], initial)]
    return checks


EXERCISE = Exercise(
    id="vqe-in-a-batch",
    tasks=(
        Task("energy", 2.0, energy_cases, check_energy, statistical_tests=len(ENERGY_PARAMETERS)),
        # No two-sample test for the minimisation: provenance and the exact energy at the returned parameters are
        # certain checks, and together they leave no room for invented numbers (see check_minimize_energy).
        Task("minimize_energy", 3.0, minimise_cases, check_minimize_energy, statistical_tests=0),
    ),
)
