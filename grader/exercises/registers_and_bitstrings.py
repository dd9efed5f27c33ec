"""registers-and-bitstrings: named registers, joined counts and a sweep read as probabilities, with a V2 sampler."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2, FakeQuitoV2

from grader.trace import CallRecord, Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import isa_check, legacy_run_check, one_primitive_call
from grader.judge.ideal import ideal_distribution, total_variation
from grader.judge.sampler_checks import (
    consistency_check,
    counts_shape_check,
    register_clbits,
    rerun_counts,
    shots_check,
)
from grader.trusted_primitives import trusted_sampler
from grader.results import CheckResult

REGISTERS = (("alpha", 1), ("beta", 2))
"""The classical registers the GHZ circuit must have, in this order: `join_data()` keys put `beta` on the left."""
GHZ = {"000": 0.5, "111": 0.5}
IDEAL_MARGINALS = {"alpha": {"0": 0.5, "1": 0.5}, "beta": {"00": 0.5, "11": 0.5}}
BUILD_GHZ = (
    "Build `QuantumCircuit(QuantumRegister(3), ClassicalRegister(1, 'alpha'), ClassicalRegister(2, 'beta'))`, "
    "apply H to qubit 0, CX from 0 to 1 and CX from 0 to 2, then measure qubit 0 into `alpha` and qubits 1 and 2 "
    "into `beta`"
)
SWEEP_THETAS = (0.5, 2.9, 1.4, 2.3)
"""P('1') = sin²(θ/2) is 0.06, 0.99, 0.42 and 0.83: far from P('0') and from any reordering of the list."""


def ghz_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses, for `joined_counts`."""
    return [Case("FakeQuitoV2, 837 shots", (FakeQuitoV2(), 837))]


def register_cases() -> list[Case]:
    """A backend and a shot count the notebook never uses, for `register_counts`."""
    return [Case("FakeBelemV2, 641 shots", (FakeBelemV2(), 641))]


def sweep_cases() -> list[Case]:
    """A backend, unsorted angles and a shot count the notebook never uses."""
    return [Case("FakeLimaV2, 4 angles, 587 shots", (FakeLimaV2(), list(SWEEP_THETAS), 587))]


def registers_check(task: str, circuit: QuantumCircuit) -> CheckResult:
    """Pass when the circuit's classical registers are exactly `alpha` (1 bit) then `beta` (2 bits)."""
    found = tuple((register.name, register.size) for register in circuit.cregs)
    if found == REGISTERS:
        return CheckResult(
            f"{task}.two_registers", True, "The circuit writes into `alpha` (1 bit) and `beta` (2 bits)."
        )
    shown = ", ".join(f"`{name}` ({size} bit{'s' if size > 1 else ''})" for name, size in found) or "none"
    return CheckResult(
        f"{task}.two_registers",
        False,
        f"The circuit sent has the classical registers {shown}; it needs exactly `alpha` (1 bit) then `beta` "
        "(2 bits), in that order, and no others (`measure_all()` would add a third, `meas`). " + BUILD_GHZ + ".",
    )


def correlated_across_registers(distribution: dict[str, float]) -> bool:
    """True when the `beta` bits (left) and the `alpha` bit (right) of 3-bit outcomes are not independent."""
    alpha = marginal(distribution, 2, 3)
    beta = marginal(distribution, 0, 2)
    return any(abs(distribution.get(b + a, 0.0) - beta[b] * alpha[a]) > 1e-9 for b in beta for a in alpha)


def ghz_check(task: str, circuit: QuantumCircuit) -> CheckResult:
    """Pass when the circuit, without noise, gives '000' and '111' with probability 1/2 each over all clbits."""
    try:
        ideal = ideal_distribution(circuit)
    except ValueError as error:
        return CheckResult(
            f"{task}.ghz_state",
            False,
            f"The circuit cannot be read as a state followed by measurements ({error}). {BUILD_GHZ}.",
        )
    if total_variation(ideal, GHZ) < 1e-6:
        return CheckResult(f"{task}.ghz_state", True, "The circuit prepares (|000⟩ + |111⟩)/√2.")
    hint = (
        "the two registers are independent: is a CX missing?"
        if not correlated_across_registers(ideal)
        else "the outcomes are correlated, but not as a GHZ state"
    )
    shown = {key: round(p, 3) for key, p in sorted(ideal.items())}
    return CheckResult(
        f"{task}.ghz_state",
        False,
        f"Without noise your circuit gives {shown} (`beta` left, `alpha` right), not {GHZ}: {hint}. {BUILD_GHZ}.",
    )


def marginal(counts: dict[str, Any], start: int, stop: int) -> dict[str, Any]:
    """Counts (or probabilities) of the characters ``start:stop`` of every key, added up."""
    out: dict[str, Any] = {}
    for key, value in counts.items():
        out[key[start:stop]] = out.get(key[start:stop], 0) + value
    return out


def recorded_registers(call: CallRecord) -> list[dict[str, list[dict[str, int]]]]:
    """The register counts of the first PUB, once per `result()` the student's code asked for."""
    return [result[0].get("registers", {}) for result in call.results if result]


def first_counts(registers: dict[str, list[dict[str, int]]], name: str) -> dict[str, int] | None:
    """The counts of register ``name`` at the first sweep index, or None if it was not recorded."""
    found = registers.get(name) or [None]
    return found[0]


def joined_provenance_check(call: CallRecord, returned: dict[str, int]) -> CheckResult:
    """Pass when each register's marginal of the returned joined counts is exactly what the sampler recorded.

    The trace keeps counts per register, not per shot, so the joined counts cannot be rebuilt from it. Both
    marginals must match exactly; a joint distribution with the right marginals but other correlations is left
    to the two-sample test against a trusted re-run.
    """
    alpha, beta = marginal(returned, 2, 3), marginal(returned, 0, 2)
    for registers in recorded_registers(call):
        if first_counts(registers, "alpha") == alpha and first_counts(registers, "beta") == beta:
            return CheckResult("joined_counts.provenance", True, "Both registers' counts are the sampler's own.")
    return CheckResult(
        "joined_counts.provenance",
        False,
        "The joined counts returned do not add up to the sampler's own counts of `alpha` (rightmost bit) and "
        "`beta` (two leftmost bits). Return `result[0].join_data().get_counts()` as it is: it keeps `beta` on the "
        "left, and nothing needs typing or editing.",
    )


def check_joined_counts(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `joined_counts(backend, shots)`."""
    backend, shots = case.args
    shape = counts_shape_check("joined_counts.returns_counts", returned, 3, shots)
    checks = [shape, legacy_run_check("joined_counts", trace, "sampler")]
    sampler_check, call = one_primitive_call("joined_counts", trace, backend, "sampler")
    checks.append(sampler_check)
    if call is None:
        return checks
    pub = call.pubs[0]
    checks += [shots_check("joined_counts", pub, shots), isa_check("joined_counts", pub.circuit, backend)]
    registers = registers_check("joined_counts", pub.circuit)
    checks.append(registers)
    if not registers.passed:
        return checks
    checks.append(ghz_check("joined_counts", pub.circuit))
    if not shape.passed:
        return checks
    provenance = joined_provenance_check(call, returned)
    checks.append(provenance)
    if not provenance.passed:
        return checks
    sampler = trusted_sampler(call.primitive, backend, context.seed)
    trusted = sampler.run([pub]).result()[0].join_data().get_counts()
    checks.append(consistency_check("joined_counts.honest_counts", returned, trusted, context.alpha))
    return checks


def register_shape_check(returned: Any, shots: int) -> CheckResult:
    """Pass when ``returned`` is `{"alpha": 1-bit counts, "beta": 2-bit counts}`, each adding up to ``shots``."""
    check_id = "register_counts.returns_registers"
    if not isinstance(returned, dict) or set(returned) != {"alpha", "beta"}:
        keys = sorted(returned) if isinstance(returned, dict) else type(returned).__name__
        return CheckResult(
            check_id,
            False,
            f"Expected a dict with exactly the keys 'alpha' and 'beta', each holding that register's counts; "
            f"got {keys!r:.80}.",
        )
    for name, width in REGISTERS:
        shape = counts_shape_check(check_id, returned[name], width, shots)
        if not shape.passed:
            return CheckResult(check_id, False, f"Under '{name}': {shape.message}")
    return CheckResult(check_id, True, f"Counts of `alpha` (1 bit) and `beta` (2 bits), each adding up to {shots}.")


def register_provenance_check(call: CallRecord, returned: dict[str, Any]) -> CheckResult:
    """Pass when both registers' counts are exactly those of one result the sampler handed out."""
    for registers in recorded_registers(call):
        if all(first_counts(registers, name) == returned[name] for name, _ in REGISTERS):
            return CheckResult("register_counts.provenance", True, "Both registers' counts are the sampler's own.")
    last = recorded_registers(call)[-1] if recorded_registers(call) else {}
    wrong = [name for name, _ in REGISTERS if first_counts(last, name) != returned[name]]
    return CheckResult(
        "register_counts.provenance",
        False,
        f"The counts under {', '.join(repr(n) for n in wrong)} are not the ones the sampler produced for that "
        "register. Read each register by its name, `data.alpha.get_counts()` and `data['beta'].get_counts()`, and "
        "return the dicts as they are.",
    )


def marginals_check(circuit: QuantumCircuit) -> CheckResult:
    """Pass when each register's noiseless marginal is the GHZ state's: a fair coin, and '00'/'11' half each."""
    wrong = []
    for name, expected in IDEAL_MARGINALS.items():
        try:
            ideal = ideal_distribution(circuit, register_clbits(circuit, name))
        except ValueError as error:
            wrong.append(f"`{name}` cannot be computed ({error})")
            continue
        if total_variation(ideal, expected) > 1e-6:
            shown = {key: round(p, 3) for key, p in sorted(ideal.items())}
            wrong.append(f"`{name}` gives {shown}, not {expected}")
    if not wrong:
        return CheckResult(
            "register_counts.ideal_marginals", True, "Without noise, `alpha` is a fair coin and `beta` is '00' or '11'."
        )
    return CheckResult(
        "register_counts.ideal_marginals", False, "Without noise, " + "; ".join(wrong) + f". {BUILD_GHZ}."
    )


def check_register_counts(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `register_counts(backend, shots)`."""
    backend, shots = case.args
    shape = register_shape_check(returned, shots)
    checks = [shape, legacy_run_check("register_counts", trace, "sampler")]
    sampler_check, call = one_primitive_call("register_counts", trace, backend, "sampler")
    checks.append(sampler_check)
    if call is None:
        return checks
    pub = call.pubs[0]
    checks += [shots_check("register_counts", pub, shots), isa_check("register_counts", pub.circuit, backend)]
    registers = registers_check("register_counts", pub.circuit)
    checks.append(registers)
    if not registers.passed:
        return checks
    checks += [ghz_check("register_counts", pub.circuit), marginals_check(pub.circuit)]
    if not shape.passed:
        return checks
    provenance = register_provenance_check(call, returned)
    checks.append(provenance)
    if not provenance.passed:
        return checks
    trusted = trusted_sampler(call.primitive, backend, context.seed).run([pub]).result()[0].data
    for name, _ in REGISTERS:
        trusted_counts = trusted[name].get_counts()
        checks.append(
            consistency_check(f"register_counts.honest_{name}", returned[name], trusted_counts, context.alpha)
        )
    return checks


def probabilities_check(returned: Any, count: int) -> CheckResult:
    """Pass when ``returned`` is a list of ``count`` numbers between 0 and 1."""
    check_id = "sweep_probabilities.returns_floats"
    numbers = isinstance(returned, list) and all(
        isinstance(p, (int, float)) and not isinstance(p, bool) and 0.0 <= p <= 1.0 for p in returned
    )
    if numbers and len(returned) == count:
        return CheckResult(check_id, True, f"{count} probabilities, one per angle.")
    return CheckResult(
        check_id,
        False,
        f"Expected a list of {count} floats between 0 and 1, P('1') for each angle in order; got {returned!r:.80}.",
    )


def sweep_pub_check(pub: Any, thetas: list[float]) -> CheckResult:
    """Pass when the PUB binds one parameter to exactly ``thetas``, in order."""
    values = pub.parameter_values.as_array()
    if pub.circuit.num_parameters == 1 and values.shape == (len(thetas), 1) and np.allclose(values[:, 0], thetas):
        return CheckResult("sweep_probabilities.one_pub", True, f"One PUB sweeps all {len(thetas)} angles.")
    return CheckResult(
        "sweep_probabilities.one_pub",
        False,
        f"The PUB should be `(isa_circuit, thetas)`: one circuit with one `Parameter`, bound to the {len(thetas)} "
        f"angles given, in order. It has {pub.circuit.num_parameters} parameter(s) and values of shape "
        f"{values.shape}.",
    )


def ry_check(pub: Any, thetas: list[float], register: str) -> CheckResult:
    """Pass when, without noise, the bound circuit gives P('1') = sin²(θ/2) at every angle."""
    wrong = []
    for theta, row in zip(thetas, pub.parameter_values.as_array(), strict=True):
        bound = pub.circuit.assign_parameters(row)
        try:
            p_one = ideal_distribution(bound, register_clbits(bound, register)).get("1", 0.0)
        except ValueError as error:
            wrong.append(f"θ={theta}: it cannot be read as a state then a measurement ({error})")
            continue
        if abs(p_one - np.sin(theta / 2) ** 2) > 1e-6:
            wrong.append(f"θ={theta}: P('1')={p_one:.3f}, expected {np.sin(theta / 2) ** 2:.3f}")
    if not wrong:
        return CheckResult("sweep_probabilities.ry_circuit", True, "The circuit is RY(θ) then a measurement.")
    return CheckResult(
        "sweep_probabilities.ry_circuit",
        False,
        "Without noise your circuit gives " + "; ".join(wrong) + ". Use `circuit.ry(theta, 0)` with "
        "`theta = Parameter('θ')`, then measure the qubit.",
    )


def probability_register(call: CallRecord, returned: list[float]) -> tuple[str, list[dict[str, int]]] | None:
    """The one-bit register, and its counts per angle, whose P('1') at every angle is exactly ``returned``.

    "Exactly" up to float rounding (1e-12): a typed or edited value is off by at least 1/shots.
    """
    for registers in recorded_registers(call):
        for name, per_angle in registers.items():
            if len(per_angle) != len(returned) or not all(set(c) <= {"0", "1"} and c for c in per_angle):
                continue
            from_counts = [c.get("1", 0) / sum(c.values()) for c in per_angle]
            if all(abs(a - b) <= 1e-12 for a, b in zip(from_counts, returned, strict=True)):
                return name, per_angle
    return None


def check_sweep_probabilities(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `sweep_probabilities(backend, thetas, shots)`."""
    backend, thetas, shots = case.args
    shape = probabilities_check(returned, len(thetas))
    checks = [shape, legacy_run_check("sweep_probabilities", trace, "sampler")]
    sampler_check, call = one_primitive_call("sweep_probabilities", trace, backend, "sampler")
    checks.append(sampler_check)
    if call is None:
        return checks
    if len(call.pubs) != 1:
        checks.append(
            CheckResult(
                "sweep_probabilities.one_pub",
                False,
                f"The job holds {len(call.pubs)} PUBs. Sweep every angle in one PUB: `(isa_circuit, thetas)`.",
            )
        )
        return checks
    pub = call.pubs[0]
    pub_check = sweep_pub_check(pub, thetas)
    checks.append(pub_check)
    if not pub_check.passed:
        return checks
    checks += [shots_check("sweep_probabilities", pub, shots), isa_check("sweep_probabilities", pub.circuit, backend)]
    found = probability_register(call, returned) if shape.passed else None
    if found is None:
        checks.append(
            CheckResult(
                "sweep_probabilities.provenance",
                False,
                "The probabilities returned are not the sampler's counts of '1' divided by the shots. For angle i "
                "return `bits.get_counts(i).get('1', 0) / shots`, with `bits = result[0].data.meas`, in the order "
                "of `thetas`: P('1'), not P('0'), and no rounding.",
            )
        )
        return checks
    register, _ = found
    checks.append(
        CheckResult("sweep_probabilities.provenance", True, f"Each value is P('1') of the sampler's `{register}`.")
    )
    checks.append(ry_check(pub, thetas, register))
    trusted = rerun_counts(call, pub, backend, register, context.seed)
    failed = []
    for i, p_one in enumerate(returned):
        ones = round(p_one * pub.shots)
        rebuilt = {"0": pub.shots - ones, "1": ones}
        if not consistency_check("", rebuilt, trusted.get_counts(i), context.alpha).passed:
            failed.append(thetas[i])
    checks.append(
        CheckResult(
            "sweep_probabilities.honest_counts",
            not failed,
            f"All {len(thetas)} probabilities are consistent with a trusted re-run."
            if not failed
            else f"The probabilities at θ = {failed} are very unlikely for this circuit on this backend. Return "
            "P('1') of the job you ran, in the order of `thetas`.",
        )
    )
    return checks


EXERCISE = Exercise(
    id="registers-and-bitstrings",
    tasks=(
        Task("joined_counts", 2.0, ghz_cases, check_joined_counts, statistical_tests=1),
        Task("register_counts", 2.0, register_cases, check_register_counts, statistical_tests=len(REGISTERS)),
        Task(
            "sweep_probabilities",
            2.0,
            sweep_cases,
            check_sweep_probabilities,
            statistical_tests=len(SWEEP_THETAS),
        ),
    ),
)
