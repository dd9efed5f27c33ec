"""Checks shared by sampler tasks: API use, the PUBs sent, provenance and trusted re-runs."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.primitives import BackendSamplerV2, BaseSamplerV2, StatevectorSampler
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit_ibm_runtime import SamplerV2 as RuntimeSamplerV2
from qiskit_ibm_runtime.executor_sampler import Sampler as ClientSampler

from grader.recording import PrimitiveCall, Recording
from grader.results import CheckResult
from grader.statistics import same_distribution_pvalue

TRUSTED_SEED = 20261120
SAMPLER_FIX = (
    "build `SamplerV2(mode=backend)` (or the client-side `executor_sampler.Sampler(mode=backend)`) and call its `run`"
)


def legacy_run_check(task: str, recording: Recording) -> CheckResult:
    """Fail when student code called `backend.run` itself, on any backend."""
    if not recording.backend_runs:
        return CheckResult(f"{task}.no_backend_run", True, "No direct `backend.run` call.")
    where = recording.backend_runs[0].where
    return CheckResult(
        f"{task}.no_backend_run",
        False,
        f"`backend.run` is the legacy path (called at {where}). Use a V2 sampler instead: {SAMPLER_FIX}.",
    )


def one_sampler_call(task: str, recording: Recording, backend: Any) -> tuple[CheckResult, PrimitiveCall | None]:
    """Pass when exactly one V2 sampler job ran, built on ``backend``; return that call."""
    check_id = f"{task}.uses_v2_sampler"
    calls = recording.calls("sampler")
    if not calls:
        return CheckResult(check_id, False, f"No V2 sampler ran. To sample counts, {SAMPLER_FIX}."), None
    if len(calls) > 1:
        return CheckResult(
            check_id, False, f"{len(calls)} sampler jobs ran; this task needs exactly one. Put every PUB in one `run`."
        ), None
    call = calls[0]
    if isinstance(call.primitive, StatevectorSampler) or call.backend() is not backend:
        return CheckResult(
            check_id,
            False,
            f"The {type(call.primitive).__name__} ignores the `backend` argument, so its counts have no device noise. "
            "Pass the function's `backend` as `mode=backend`.",
        ), None
    return CheckResult(check_id, True, f"One {type(call.primitive).__name__} job on {backend.name}."), call


def coerced_pubs(call: PrimitiveCall) -> list[SamplerPub]:
    """The job's PUBs in canonical form, with the shots each one ran with."""
    run_shots = call.kwargs.get("shots")
    default = _default_shots(call.primitive)
    return [SamplerPub.coerce(pub, run_shots if run_shots is not None else default) for pub in call.pubs]


def _default_shots(primitive: BaseSamplerV2) -> int | None:
    options = getattr(primitive, "options", None)
    return getattr(options, "default_shots", None)


def shots_check(task: str, pub: SamplerPub, shots: int) -> CheckResult:
    """Pass when the PUB ran exactly ``shots`` shots."""
    if pub.shots == shots:
        return CheckResult(f"{task}.exact_shots", True, f"Ran exactly {shots} shots.")
    return CheckResult(
        f"{task}.exact_shots",
        False,
        f"Asked for {shots} shots, the job ran {pub.shots}. Pass the function's `shots` to `run(..., shots=shots)`.",
    )


def isa_check(task: str, circuit: QuantumCircuit, backend: Any) -> CheckResult:
    """Pass when every instruction of ``circuit`` is supported by the backend's target."""
    target = backend.target
    for instruction in circuit.data:
        name = instruction.operation.name
        if name in {"barrier"}:
            continue
        qubits = tuple(circuit.find_bit(q).index for q in instruction.qubits)
        if not target.instruction_supported(name, qubits):
            return CheckResult(
                f"{task}.isa_circuit",
                False,
                f"The circuit sent has `{name}` on qubits {qubits}, which {backend.name} cannot run. Transpile first: "
                "`generate_preset_pass_manager(backend=backend, optimization_level=1).run(circuit)`.",
            )
    return CheckResult(f"{task}.isa_circuit", True, f"The circuit sent is ISA for {backend.name}.")


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
