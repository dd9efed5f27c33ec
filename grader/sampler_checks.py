"""Checks shared by sampler tasks: the PUBs sent, counts, provenance and trusted re-runs."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from qiskit.primitives import BackendSamplerV2, BaseSamplerV2
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit_ibm_runtime import SamplerV2 as RuntimeSamplerV2
from qiskit_ibm_runtime.executor_sampler import Sampler as ClientSampler

from grader.api_checks import numeric_option
from grader.recording import PrimitiveCall
from grader.results import CheckResult
from grader.statistics import same_distribution_pvalue

TRUSTED_SEED = 20261120
SAMPLER_FIX = (
    "build `SamplerV2(mode=backend)` (or the client-side `executor_sampler.Sampler(mode=backend)`) and call its `run`"
)


def coerced_pubs(call: PrimitiveCall) -> list[SamplerPub]:
    """The job's PUBs in canonical form, with the shots each one ran with."""
    shots = call.kwargs.get("shots")
    if shots is None:
        shots = numeric_option(call.primitive, "default_shots")
    return [SamplerPub.coerce(pub, shots) for pub in call.pubs]


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
        return CheckResult(
            check_id, False, f"Expected a dict of counts such as {{'{'0' * width}': 3}}, got {value!r:.80}."
        )
    bad = [k for k in value if not (isinstance(k, str) and len(k) == width and set(k) <= {"0", "1"})]
    if bad:
        return CheckResult(check_id, False, f"Counts keys should be {width}-bit strings; found {bad[0]!r}.")
    total = sum(value.values())
    if total != shots:
        return CheckResult(check_id, False, f"The counts add up to {total}, not to the {shots} shots asked for.")
    return CheckResult(check_id, True, f"{width}-bit counts adding up to {shots}.")


def returned_register(call: PrimitiveCall, returned: dict[str, int], loc: int | None = None) -> str | None:
    """The register whose counts in the job's result equal ``returned``, or None if none does."""
    for result in call.results:
        data = result[0].data
        for name in data.keys():
            bit_array = getattr(data, name)
            if hasattr(bit_array, "get_counts") and bit_array.get_counts(loc) == returned:
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


def trusted_sampler(primitive_type: type, backend: Any, seed: int) -> BaseSamplerV2:
    """A sampler of the same kind as the student's, on the same backend, seeded by the grader."""
    if issubclass(primitive_type, ClientSampler):
        sampler = ClientSampler(mode=backend)
        sampler.options.simulator.seed_simulator = seed
        return sampler
    if issubclass(primitive_type, RuntimeSamplerV2):
        with warnings.catch_warnings():
            # Deprecated since qiskit-ibm-runtime 0.50; the student chose it, so the grader re-runs with it.
            warnings.simplefilter("ignore", DeprecationWarning)
            return RuntimeSamplerV2(mode=backend, options={"simulator": {"seed_simulator": seed}})
    return BackendSamplerV2(backend=backend, options={"seed_simulator": seed})


def rerun_counts(call: PrimitiveCall, pub: SamplerPub, backend: Any, register: str, seed: int = TRUSTED_SEED) -> Any:
    """Run ``pub`` again with a trusted sampler and return the BitArray of ``register``."""
    sampler = trusted_sampler(call.primitive_type, backend, seed)
    return getattr(sampler.run([pub]).result()[0].data, register)
