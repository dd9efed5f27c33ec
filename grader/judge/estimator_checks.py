"""Checks shared by estimator tasks: the PUB sent, the value returned, provenance and trusted re-runs."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.quantum_info import SparsePauliOp, Statevector

from grader.trace import CallRecord, Trace
from grader.judge.api_checks import legacy_run_check, one_primitive_call
from grader.judge.statistics import same_mean_pvalue
from grader.trusted_primitives import trusted_estimator
from grader.results import CheckResult


def ideal_expectation(pub: EstimatorPub) -> float:
    """The exact, noiseless expectation value of a PUB with one circuit, one observable and bound parameters."""
    circuit = pub.circuit
    if circuit.parameters:
        circuit = circuit.assign_parameters(pub.parameter_values.as_array(circuit.parameters).reshape(-1))
    observable = SparsePauliOp.from_list(list(pub.observables.ravel()[0].items()))
    return float(Statevector(circuit.remove_final_measurements(inplace=False)).expectation_value(observable).real)


def returned_value_check(check_id: str, value: Any) -> CheckResult:
    """Pass when ``value`` is one real number."""
    if isinstance(value, (float, int)) and not isinstance(value, bool):
        return CheckResult(check_id, True, "Returns one real number.")
    return CheckResult(
        check_id, False, f"Expected one float such as 0.42, got {value!r:.80}. Return `float(result[0].data.evs)`."
    )


def result_values(call: CallRecord) -> list[tuple[float, float]]:
    """(value, standard error) of every scalar first-PUB result the job handed out."""
    return [
        (result[0]["evs"][0], result[0]["stds"][0]) for result in call.results if len(result[0].get("evs", [])) == 1
    ]


def value_provenance_check(
    task: str, returned: Any, call: CallRecord
) -> tuple[CheckResult, tuple[float, float] | None]:
    """Whether ``returned`` is a value the estimator handed out; with that value and its standard error if so."""
    matches = [v for v in result_values(call) if isinstance(returned, (int, float)) and v[0] == returned]
    if matches:
        return CheckResult(f"{task}.provenance", True, "The value is the estimator's own."), matches[0]
    fix = "The value returned is not the one the estimator produced. Return `float(result[0].data.evs)`."
    return CheckResult(f"{task}.provenance", False, fix), None


def rerun_value(call: CallRecord, pub: EstimatorPub, backend: Any, seed: int) -> tuple[float, float]:
    """Run ``pub`` again with a trusted estimator of the student's kind; return its value and standard error."""
    data = trusted_estimator(call.primitive, backend, seed).run([pub]).result()[0].data
    return float(np.asarray(data.evs).reshape(-1)[0]), float(np.asarray(data.stds).reshape(-1)[0])


SPREAD_FACTORS = {"qiskit_ibm_runtime.executor_estimator.": 1.5}
"""Estimators whose reported `stds` understate the spread of their values across seeds on noisy fake backends
(measured on the pinned stack: up to 1.3 times for the client-side Estimator, which mitigates readout errors; a few
percent for the others, hence DEFAULT_SPREAD_FACTOR). The z-tests widen both standard errors by this factor."""
DEFAULT_SPREAD_FACTOR = 1.1
TOLERANCE = 1e-6
"""How far an exact, noiseless value may be from the answer (rounding only)."""


def spread_factor(primitive: str) -> float:
    """How much to widen the reported standard errors of ``primitive`` ("module.Class") for a calibrated z-test."""
    for prefix, factor in SPREAD_FACTORS.items():
        if primitive.startswith(prefix):
            return factor
    return DEFAULT_SPREAD_FACTOR


def consistency_check(
    check_id: str, student: tuple[float, float], trusted: tuple[float, float], alpha: float, primitive: str
) -> CheckResult:
    """Pass unless a z-test rejects, at level ``alpha``, that both estimates of ``primitive`` share one mean."""
    widen = spread_factor(primitive)
    p_value = same_mean_pvalue(student[0], widen * student[1], trusted[0], widen * trusted[1])
    if p_value >= alpha:
        return CheckResult(check_id, True, f"Consistent with a trusted re-run (p = {p_value:.3g}).")
    return CheckResult(
        check_id,
        False,
        f"{student[0]:.4f} ± {student[1]:.4f} is very unlikely for this PUB on this backend (trusted re-run "
        f"{trusted[0]:.4f} ± {trusted[1]:.4f}, p = {p_value:.2g}). Return the value of the job you ran.",
    )


def broadcast_index(index: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The index into an array of ``shape`` that NumPy broadcasting pairs with ``index`` of the broadcast shape."""
    offset = len(index) - len(shape)
    return tuple(0 if size == 1 else index[offset + axis] for axis, size in enumerate(shape))


def ideal_values(pub: EstimatorPub) -> np.ndarray:
    """Exact, noiseless values of every entry of ``pub``, in its broadcast shape; ValueError if it measures."""
    circuit = pub.circuit
    if any(instruction.operation.name in {"measure", "reset"} for instruction in circuit.data):
        raise ValueError("the circuit sent contains measurements or resets")
    bindings = pub.parameter_values
    values = bindings.as_array(circuit.parameters) if circuit.parameters else None
    observables = pub.observables.ravel().tolist()
    states: dict[tuple[int, ...], Statevector] = {}
    ideal = np.empty(pub.shape)
    for index in np.ndindex(pub.shape):
        binding = broadcast_index(index, bindings.shape)
        if binding not in states:
            bound = circuit if values is None else circuit.assign_parameters(values[binding])
            states[binding] = Statevector(bound)
        where = broadcast_index(index, pub.observables.shape)
        flat = int(np.ravel_multi_index(where, pub.observables.shape)) if where else 0
        observable = SparsePauliOp.from_list(list(observables[flat].items()))
        ideal[index] = states[binding].expectation_value(observable).real
    return ideal


def result_arrays(call: CallRecord) -> list[tuple[list[float], list[float]]]:
    """(values, standard errors) of the first PUB, flattened, in every result the job handed out."""
    return [(result[0]["evs"], result[0]["stds"]) for result in call.results if result and "evs" in result[0]]


def rerun_arrays(call: CallRecord, pub: EstimatorPub, backend: Any, seed: int) -> tuple[list[float], list[float]]:
    """Run ``pub`` again with a trusted estimator of the student's kind; its values and standard errors, flattened."""
    data = trusted_estimator(call.primitive, backend, seed).run([pub]).result()[0].data
    return np.ravel(data.evs).tolist(), np.ravel(data.stds).tolist()


def returned_floats_check(check_id: str, returned: Any, count: int, example: str) -> CheckResult:
    """Pass when ``returned`` is a flat list of ``count`` real numbers."""
    if (
        isinstance(returned, list)
        and len(returned) == count
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in returned)
    ):
        return CheckResult(check_id, True, f"Returns a list of {count} real numbers.")
    return CheckResult(
        check_id,
        False,
        f"Expected a flat list of {count} floats, got {returned!r:.80}. Return `{example}`.",
    )


def values_provenance_check(
    task: str, returned: Any, call: CallRecord, fix: str
) -> tuple[CheckResult, tuple[list[float], list[float]] | None]:
    """Pass when ``returned`` equals, number for number, the values of one result of the job; return that result."""
    for values, stds in result_arrays(call):
        if returned == values:
            return CheckResult(f"{task}.provenance", True, "The values are the estimator's own."), (values, stds)
    return CheckResult(
        f"{task}.provenance",
        False,
        f"The values returned are not the ones the estimator produced. {fix}",
    ), None


def values_consistency_check(
    check_id: str,
    student: tuple[list[float], list[float]],
    trusted: tuple[list[float], list[float]],
    names: list[str],
    alpha: float,
    primitive: str,
) -> CheckResult:
    """Pass unless a z-test per entry rejects, at level ``alpha``, that student and re-run share one mean."""
    widen = spread_factor(primitive)
    unlikely = []
    for name, value, std, trusted_value, trusted_std in zip(names, *student, *trusted, strict=True):
        p_value = same_mean_pvalue(value, widen * std, trusted_value, widen * trusted_std)
        if p_value < alpha:
            unlikely.append(
                f"{name}: {value:.4f} ± {std:.4f} against {trusted_value:.4f} ± {trusted_std:.4f} (p = {p_value:.2g})"
            )
    if not unlikely:
        what = {1: "The value is", 2: "Both values are"}.get(len(names), f"All {len(names)} values are")
        return CheckResult(check_id, True, f"{what} consistent with a trusted re-run.")
    return CheckResult(
        check_id,
        False,
        "Very unlikely for this PUB on this backend, against a trusted re-run: "
        + "; ".join(unlikely)
        + ". Return the values of the job you ran.",
    )


def exact_values_check(
    check_id: str, pub: EstimatorPub, expected: list[float], names: list[str], passed: str, fix: str
) -> CheckResult:
    """Pass when, without noise, every entry of ``pub`` (flattened) has its ``expected`` value."""
    try:
        ideal = np.ravel(ideal_values(pub))
    except ValueError as error:
        return CheckResult(
            check_id,
            False,
            f"{str(error).capitalize()}. Build Estimator circuits without measurements: the estimator measures for "
            "you, and the deprecated `EstimatorV2` would rotate into the X basis after yours, so ⟨XX⟩ would see a "
            "collapsed state.",
        )
    wrong = [
        f"{name} is {value:.3f}, expected {want:.3f}"
        for name, value, want in zip(names, ideal, expected, strict=True)
        if abs(value - want) > TOLERANCE
    ]
    if not wrong:
        return CheckResult(check_id, True, passed)
    return CheckResult(check_id, False, "Without noise, " + "; ".join(wrong) + f". {fix}")


def estimator_task_start(
    task: str, backend: Any, returned: Any, trace: Trace, count: int, example: str
) -> tuple[list[CheckResult], CallRecord | None]:
    """The first checks of a task returning ``count`` values from one estimator job; that job, if there is one."""
    checks = [
        returned_floats_check(f"{task}.returns_list", returned, count, example),
        legacy_run_check(task, trace, "estimator"),
    ]
    estimator_check, call = one_primitive_call(task, trace, backend, "estimator")
    return [*checks, estimator_check], call


def honest_values_checks(
    task: str,
    returned: Any,
    call: CallRecord,
    pub: EstimatorPub,
    backend: Any,
    context: Any,
    names: list[str],
    fix: str = "Return `result[0].data.evs.tolist()`.",
) -> list[CheckResult]:
    """Provenance of the returned values, then a z-test of each against a trusted re-run of ``pub``."""
    provenance, student = values_provenance_check(task, returned, call, fix)
    if student is None:
        return [provenance]
    trusted = rerun_arrays(call, pub, backend, context.seed)
    return [
        provenance,
        values_consistency_check(f"{task}.honest_values", student, trusted, names, context.alpha, call.primitive),
    ]
