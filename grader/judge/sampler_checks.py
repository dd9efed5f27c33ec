"""Checks shared by sampler tasks: the PUBs sent, counts, provenance and trusted re-runs."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit.primitives.containers.sampler_pub import SamplerPub

from grader.trace import CallRecord
from grader.judge.ideal import ideal_distribution, is_product, total_variation
from grader.judge.statistics import same_distribution_pvalue
from grader.trusted_primitives import trusted_sampler
from grader.results import CheckResult


def shots_check(task: str, pub: SamplerPub, shots: int) -> CheckResult:
    """Pass when the PUB ran exactly ``shots`` shots."""
    if pub.shots == shots:
        return CheckResult(f"{task}.exact_shots", True, f"Ran exactly {shots} shots.")
    return CheckResult(
        f"{task}.exact_shots",
        False,
        f"Asked for {shots} shots, the job ran {pub.shots}. Pass the function's `shots` to `run(..., shots=shots)`.",
    )


def counts_shape_check(check_id: str, value: Any, width: int, shots: int) -> CheckResult:
    """Pass when ``value`` is a counts dict of ``width``-bit strings adding up to ``shots``."""
    if not isinstance(value, dict) or not all(isinstance(v, (int, np.integer)) for v in value.values()):
        example = {"0" * width: 3}
        return CheckResult(check_id, False, f"Expected a dict of counts such as {example}, got {value!r:.80}.")
    bad = [k for k in value if not (isinstance(k, str) and len(k) == width and set(k) <= {"0", "1"})]
    if bad:
        return CheckResult(check_id, False, f"Counts keys should be {width}-bit strings; found {bad[0]!r}.")
    total = sum(value.values())
    if total != shots:
        return CheckResult(check_id, False, f"The counts add up to {total}, not to the {shots} shots asked for.")
    return CheckResult(check_id, True, f"{width}-bit counts adding up to {shots}.")


def returned_register(call: CallRecord, returned: Any, index: int = 0) -> str | None:
    """The register whose counts (at sweep ``index``) in the job's first PUB result equal ``returned``."""
    for result in call.results:
        for name, counts in result[0].get("registers", {}).items():
            if index < len(counts) and counts[index] == returned:
                return name
    return None


def provenance_check(check_id: str, register: str | None) -> CheckResult:
    """Pass when the returned counts are exactly what the sampler returned."""
    if register is None:
        return CheckResult(
            check_id,
            False,
            "The counts returned are not the ones the sampler produced. Return "
            "`job.result()[0].data.<register>.get_counts()` as it is, without typing or editing numbers.",
        )
    return CheckResult(check_id, True, f"The counts are the sampler's own (register `{register}`).")


def register_clbits(circuit: Any, name: str) -> list[int]:
    """Indices of the clbits of the register called ``name``."""
    register = next(r for r in circuit.cregs if r.name == name)
    return [circuit.find_bit(bit).index for bit in register]


def consistency_check(check_id: str, student: dict[str, int], trusted: dict[str, int], alpha: float) -> CheckResult:
    """Pass unless a two-sample test rejects, at level ``alpha``, that both counts come from one distribution."""
    p_value = same_distribution_pvalue(student, trusted)
    if p_value >= alpha:
        return CheckResult(check_id, True, f"Consistent with a trusted re-run (p = {p_value:.3g}).")
    return CheckResult(
        check_id,
        False,
        f"These counts are very unlikely for this circuit on this backend (p = {p_value:.2g} against a trusted "
        f"re-run; student {student}, re-run {trusted}). Return the counts of the job you ran.",
    )


def rerun_counts(call: CallRecord, pub: SamplerPub, backend: Any, register: str, seed: int) -> Any:
    """Run ``pub`` again with a trusted sampler of the student's kind; return the BitArray of ``register``."""
    sampler = trusted_sampler(call.primitive, backend, seed)
    return getattr(sampler.run([pub]).result()[0].data, register)


BELL = {"00": 0.5, "11": 0.5}


def bell_state_check(check_id: str, circuit: Any, register: str) -> CheckResult:
    """Pass when ``circuit``, without noise, gives (|00⟩ + |11⟩)/√2 on ``register``; else say what it gives."""
    try:
        ideal = ideal_distribution(circuit, register_clbits(circuit, register))
    except ValueError as error:
        return CheckResult(check_id, False, f"The circuit cannot be read as gates then final measurements: {error}.")
    if total_variation(ideal, BELL) < 1e-6:
        return CheckResult(check_id, True, "The circuit prepares (|00⟩ + |11⟩)/√2.")
    hint = (
        "the qubits are not entangled: is the CX from qubit 0 to qubit 1 missing?"
        if len(next(iter(ideal))) == 2 and is_product(ideal)
        else "apply H to qubit 0, then CX(0, 1) (control 0, target 1), then measure both"
    )
    shown = {str(k): round(float(v), 3) for k, v in sorted(ideal.items())}
    return CheckResult(check_id, False, f"Without noise your circuit gives {shown}, not {BELL}: {hint}.")
