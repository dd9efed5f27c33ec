"""options-and-seeds: a seed set through the options tree, a dynamic circuit with `if_test`, a nested options dict."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from qiskit import QuantumCircuit
from qiskit.primitives import BackendSamplerV2
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime.fake_provider import FakeLimaV2, FakeNairobiV2, FakeQuitoV2
from qiskit_ibm_runtime.options import SamplerOptions
from qiskit_ibm_runtime.options.utils import merge_options_v2

from grader.trace import CallRecord, Trace
from grader.exercises import Case, Context, Exercise, Task
from grader.judge.api_checks import isa_check, legacy_run_check, one_primitive_call
from grader.judge.sampler_checks import (
    bell_state_check,
    consistency_check,
    counts_shape_check,
    provenance_check,
    rerun_counts,
    returned_register,
    shots_check,
)
from grader.results import CheckResult

NOISELESS_SHOTS = 200
"""Shots of the grader's noiseless run of a dynamic circuit: every one of them must end in the ideal outcome."""
WANTED_OPTIONS = (
    ("default_shots", "default_shots", 3000),
    ("seed", "simulator.seed_simulator", 11),
    ("dd_enabled", "dynamical_decoupling.enable", True),
    ("dd_sequence", "dynamical_decoupling.sequence_type", "XY4"),
)
"""What `options_dict` must set: check name, option path, value (other valid options may be set too)."""
FLAT_NAMES = {
    "shots": "default_shots",
    "seed_simulator": "simulator.seed_simulator",
    "enable": "dynamical_decoupling.enable",
    "sequence_type": "dynamical_decoupling.sequence_type",
}
"""Names a flat or V1-style dict uses, and where each option lives in the tree."""


def seeded_cases() -> list[Case]:
    """Backends, shot counts and non-zero seeds the notebook never uses."""
    return [
        Case("FakeLimaV2, 700 shots, seed 29", (FakeLimaV2(), 700, 29)),
        Case("FakeQuitoV2, 451 shots, seed 90210", (FakeQuitoV2(), 451, 90210)),
    ]


def dynamic_cases() -> list[Case]:
    """A backend that lists `if_else` (seven qubits, unlike the notebook's) and a shot count of its own."""
    return [Case("FakeNairobiV2, 613 shots", (FakeNairobiV2(), 613))]


def options_cases() -> list[Case]:
    """`options_dict` takes no arguments."""
    return [Case("no arguments", ())]


def seed_in_options(options: dict[str, Any]) -> Any:
    """The simulator seed recorded in a primitive's options tree (`BackendSamplerV2` keeps it at the top)."""
    simulator = options.get("simulator")
    if isinstance(simulator, dict) and simulator.get("seed_simulator") is not None:
        return simulator["seed_simulator"]
    return options.get("seed_simulator")


def seed_option_check(call: CallRecord, seed: int) -> CheckResult:
    """Pass when the sampler's options hold `simulator.seed_simulator == seed`."""
    found = seed_in_options(call.options)
    if isinstance(found, int) and not isinstance(found, bool) and found == seed:
        return CheckResult("seeded_counts.seed_option", True, f"The sampler's `simulator.seed_simulator` is {seed}.")
    if found is None:
        seen = "The sampler ran without a simulator seed."
    else:
        seen = f"The sampler's seed is {found!r}, but the function was given `seed={seed}`: use the argument."
    return CheckResult(
        "seeded_counts.seed_option",
        False,
        f"{seen} Set it through the options: `Sampler(mode=backend, options={{'simulator': {{'seed_simulator': "
        "seed}})`, or `sampler.options.simulator.seed_simulator = seed` before `run`.",
    )


def reproducible_check(
    call: CallRecord, pub: Any, backend: Any, register: str, seed: int, returned: dict
) -> CheckResult:
    """Pass when a fresh sampler of the same kind, seeded with ``seed``, gives exactly the returned counts.

    Seeded local runs repeat shot for shot with both runtime samplers, `SamplerV2` and the client-side one, and
    with `BackendSamplerV2` (checked on the pinned stack for several seeds, backends, and shots given through
    `run`, the PUB or `default_shots`), so this check is exact, not statistical.
    """
    name = call.primitive.rsplit(".", 1)[-1]
    trusted = rerun_counts(call, pub, backend, register, seed).get_counts()
    if trusted == returned:
        return CheckResult(
            "seeded_counts.reproducible", True, f"A fresh {name} seeded with {seed} gives exactly these counts."
        )
    return CheckResult(
        "seeded_counts.reproducible",
        False,
        f"A fresh {name} seeded with {seed} gives {trusted} for the same PUB, but your job gave {returned}. Seeded "
        "local runs repeat exactly, so your job was not seeded with `seed`, or another option (a noise model, "
        "twirling) changed it: set only the seed and leave the other options alone.",
    )


def check_seeded_counts(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `seeded_counts(backend, shots, seed)`."""
    backend, shots, seed = case.args
    checks = [
        counts_shape_check("seeded_counts.returns_counts", returned, 2, shots),
        legacy_run_check("seeded_counts", trace, "sampler"),
    ]
    sampler_check, call = one_primitive_call("seeded_counts", trace, backend, "sampler")
    checks.append(sampler_check)
    if call is None:
        return checks
    pub = call.pubs[0]
    checks += [
        seed_option_check(call, seed),
        shots_check("seeded_counts", pub, shots),
        isa_check("seeded_counts", pub.circuit, backend),
    ]
    register = returned_register(call, returned) if isinstance(returned, dict) else None
    checks.append(provenance_check("seeded_counts.provenance", register))
    if register is None:
        return checks
    checks.append(bell_state_check("seeded_counts.bell_state", pub.circuit, register))
    checks.append(reproducible_check(call, pub, backend, register, seed, returned))
    return checks


def operation_names(circuit: QuantumCircuit) -> set[str]:
    """Names of every operation in the circuit, inside control-flow blocks too."""
    names = set()
    for instruction in circuit.data:
        names.add(instruction.operation.name)
        for block in getattr(instruction.operation, "blocks", ()):
            names |= operation_names(block)
    return names


def block_isa_check(task: str, circuit: QuantumCircuit, backend: Any) -> CheckResult:
    """`isa_check`, extended to the gates inside `if_test` blocks (mapped to the circuit's physical qubits)."""
    top = isa_check(task, circuit, backend)
    if not top.passed:
        return top
    target = backend.target
    for instruction in circuit.data:
        outer = [circuit.find_bit(q).index for q in instruction.qubits]
        for block in getattr(instruction.operation, "blocks", ()):
            for inner in block.data:
                qubits = tuple(outer[block.find_bit(q).index] for q in inner.qubits)
                name = inner.operation.name
                if name != "barrier" and not target.instruction_supported(name, qubits):
                    return CheckResult(
                        f"{task}.isa_circuit",
                        False,
                        f"Inside the `if_test` block the circuit has `{name}` on qubits {qubits}, which "
                        f"{backend.name} cannot run. Transpile the whole circuit, blocks included, with "
                        "`generate_preset_pass_manager(backend=backend, optimization_level=1).run(circuit)`.",
                    )
    return top


def dynamic_registers_check(circuit: QuantumCircuit) -> CheckResult:
    """Pass when the circuit has one-bit registers `mid` and `final`."""
    sizes = {register.name: register.size for register in circuit.cregs}
    if sizes.get("mid") == 1 and sizes.get("final") == 1:
        return CheckResult("dynamic_reset.registers", True, "The circuit writes into `mid` and `final`, 1 bit each.")
    return CheckResult(
        "dynamic_reset.registers",
        False,
        f"The circuit's classical registers are {sizes}; it needs two of one bit each, "
        "`mid = ClassicalRegister(1, 'mid')` and `final = ClassicalRegister(1, 'final')`.",
    )


def if_else_check(circuit: QuantumCircuit) -> CheckResult:
    """Pass when the circuit sent contains an `if_else` operation."""
    if "if_else" in operation_names(circuit):
        return CheckResult("dynamic_reset.uses_if_test", True, "The circuit applies its X inside an `if_test` block.")
    return CheckResult(
        "dynamic_reset.uses_if_test",
        False,
        "The circuit sent has no `if_else` operation, so nothing in it depends on the mid-circuit outcome. Write "
        "the condition as a block: `with circuit.if_test((mid, 1)):` and `circuit.x(0)` inside it (`c_if` was "
        "removed in Qiskit 2.0).",
    )


def noiseless_check(circuit: QuantumCircuit, seed: int) -> CheckResult:
    """Pass when a noiseless simulation of the circuit sent reads `mid` = 1 and `final` = 0 on every shot.

    The ideal circuit is deterministic, so this is exact: any shot that differs shows a wrong circuit.
    """
    check_id = "dynamic_reset.noiseless_reset"
    try:
        sampler = BackendSamplerV2(backend=AerSimulator(), options={"seed_simulator": seed})
        data = sampler.run([(circuit, None, NOISELESS_SHOTS)]).result()[0].data
        mid, final = data.mid.get_counts(), data.final.get_counts()
    except Exception as error:  # noqa: BLE001 - a circuit the noiseless simulator rejects is feedback
        return CheckResult(check_id, False, f"A noiseless simulation of the circuit sent failed: {error!s:.200}.")
    problems = []
    if mid != {"1": NOISELESS_SHOTS}:
        problems.append(f"`mid` read {mid}: apply X to qubit 0 before measuring it into `mid`")
    if final != {"0": NOISELESS_SHOTS}:
        problems.append(
            f"`final` read {final}: inside `with circuit.if_test((mid, 1)):` apply `circuit.x(0)`, then measure "
            "qubit 0 into `final`"
        )
    if not problems:
        return CheckResult(
            check_id, True, f"Without noise, all {NOISELESS_SHOTS} shots read `mid` = 1 and `final` = 0."
        )
    return CheckResult(check_id, False, f"In {NOISELESS_SHOTS} noiseless shots " + "; ".join(problems) + ".")


def final_provenance_check(call: CallRecord, returned: Any) -> CheckResult:
    """Pass when the returned counts are exactly the sampler's counts of `final`."""
    register = returned_register(call, returned) if isinstance(returned, dict) else None
    if register == "final":
        return CheckResult("dynamic_reset.provenance", True, "The counts are the sampler's own counts of `final`.")
    seen = (
        f"These are the counts of `{register}`, not of `final`."
        if register
        else "The counts returned are not the ones the sampler produced."
    )
    return CheckResult(
        "dynamic_reset.provenance",
        False,
        f"{seen} Return `result[0].data.final.get_counts()` as it is.",
    )


def check_dynamic_reset(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `dynamic_reset(backend, shots)`."""
    backend, shots = case.args
    checks = [
        counts_shape_check("dynamic_reset.returns_counts", returned, 1, shots),
        legacy_run_check("dynamic_reset", trace, "sampler"),
    ]
    sampler_check, call = one_primitive_call("dynamic_reset", trace, backend, "sampler")
    checks.append(sampler_check)
    if call is None:
        return checks
    pub = call.pubs[0]
    registers = dynamic_registers_check(pub.circuit)
    checks += [
        shots_check("dynamic_reset", pub, shots),
        block_isa_check("dynamic_reset", pub.circuit, backend),
        registers,
        if_else_check(pub.circuit),
    ]
    if not registers.passed:
        return checks
    checks.append(noiseless_check(pub.circuit, context.seed))
    provenance = final_provenance_check(call, returned)
    checks.append(provenance)
    if not provenance.passed:
        return checks
    trusted = rerun_counts(call, pub, backend, "final", context.seed).get_counts()
    checks.append(consistency_check("dynamic_reset.honest_counts", returned, trusted, context.alpha))
    return checks


def validated_options(returned: dict[str, Any]) -> SamplerOptions:
    """The options `SamplerV2(mode=backend, options=returned)` would hold: its own model, built as it builds it."""
    return SamplerOptions(**merge_options_v2(SamplerOptions(), returned))


def option_path(location: tuple[Any, ...]) -> str:
    """The dotted option name of a validation error's location, without the model's own labels."""
    labels = {"int", "float", "str", "bool", "dict", "list"}  # the alternative of a union that failed
    return ".".join(str(p) for p in location if not (str(p)[:1].isupper() or "[" in str(p) or str(p) in labels))


def invalid_tree_message(error: Exception) -> str:
    """What the options model rejected, and where the misplaced options belong in the tree."""
    if not isinstance(error, ValidationError):
        return f"`SamplerV2` cannot read it ({type(error).__name__}: {error!s:.120}): each branch must be a dict."
    details = error.errors()
    # A union field reports one error per alternative ("an instance of UnsetType", "of Dict"): keep the real ones.
    real = [d for d in details if d["type"] != "is_instance_of"] or details
    problems = []
    for detail in real:
        path = option_path(detail["loc"])
        if detail["type"] in {"unexpected_keyword_argument", "extra_forbidden"}:
            where = f" (it belongs at `{FLAT_NAMES[path]}`)" if path in FLAT_NAMES else ""
            problems.append(f"`{path}` is not an option at this level{where}")
        else:
            problems.append(f"`{path}`: {detail['msg']}")
    return (
        "`SamplerV2`'s options model rejects it: " + "; ".join(dict.fromkeys(problems)) + ". Options sit in a nested "
        "tree, one dict per branch: `{'default_shots': ..., 'simulator': {'seed_simulator': ...}, "
        "'dynamical_decoupling': {'enable': ..., 'sequence_type': ...}}`."
    )


def value_check(check_id: str, options: SamplerOptions | None, path: str, wanted: Any) -> CheckResult:
    """Pass when the option at ``path`` (dotted) of the validated tree equals ``wanted``, type included."""
    if options is None:
        return CheckResult(check_id, False, f"`{path}` cannot be read: `SamplerV2` would reject the whole dict.")
    value: Any = options
    for part in path.split("."):
        value = getattr(value, part)
    if type(value) is type(wanted) and value == wanted:
        return CheckResult(check_id, True, f"`{path}` is {wanted!r}.")
    shown = "not set" if type(value).__name__ == "UnsetType" else f"{value!r}"
    return CheckResult(check_id, False, f"`{path}` is {shown}; the task asks for {wanted!r}.")


def check_options_dict(case: Case, returned: Any, trace: Trace, context: Context) -> list[CheckResult]:
    """Checks of `options_dict()`: no primitive runs, the dict is validated by `SamplerV2`'s options model."""
    options = None
    if not isinstance(returned, dict) or "unrepresentable" in returned:
        shape = CheckResult(
            "options_dict.returns_dict",
            False,
            f"Expected a plain dict of options (nested dicts inside), got {returned!r:.100}. Return the dict itself, "
            "not a primitive or an options object.",
        )
        tree = CheckResult("options_dict.valid_tree", False, "There is no dict to validate.")
    else:
        shape = CheckResult("options_dict.returns_dict", True, "Returns a dict.")
        try:
            options = validated_options(returned)
        except Exception as error:  # noqa: BLE001 - whatever the model raises is what SamplerV2 would raise
            tree = CheckResult("options_dict.valid_tree", False, invalid_tree_message(error))
        else:
            tree = CheckResult("options_dict.valid_tree", True, "`SamplerV2`'s options model accepts the dict.")
    return [shape, tree] + [value_check(f"options_dict.{n}", options, path, v) for n, path, v in WANTED_OPTIONS]


EXERCISE = Exercise(
    id="options-and-seeds",
    tasks=(
        Task("seeded_counts", 2.0, seeded_cases, check_seeded_counts, statistical_tests=0),
        Task("dynamic_reset", 2.0, dynamic_cases, check_dynamic_reset, statistical_tests=1),
        Task("options_dict", 1.0, options_cases, check_options_dict, statistical_tests=0),
    ),
)
