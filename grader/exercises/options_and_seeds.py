"""options-and-seeds: a seed set through the options tree, a dynamic circuit with `if_test`, a nested options dict.

The dynamic circuit measures mid-circuit, so it is not "gates then final measurements": its meaning is checked by
`exact_outcomes`, which follows every measurement branch exactly (the right circuit reads `mid` = 1 and `final` = 0
with probability 1). Its counts, like every sampler task's, must equal the grader's replay of the job.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from qiskit import QuantumCircuit
from qiskit.circuit import ClassicalRegister, Clbit
from qiskit.circuit.classical import expr
from qiskit_ibm_runtime.fake_provider import FakeLimaV2, FakeNairobiV2, FakeQuitoV2
from qiskit_ibm_runtime.options import SamplerOptions
from qiskit_ibm_runtime.options.utils import merge_options_v2

from grader.claims import Call
from grader.exercises import Case, Exercise, Task
from grader.judge import semantics
from grader.judge.common import ISA_FIX, isa_problem, one_job, replayed, shots_check
from grader.judge.evidence import Evidence
from grader.judge.rubric import Rubric, Verdicts, credit, gate
from grader.judge.sampling import (
    bell_job,
    counts_shape_problem,
    entries,
    exact_outcomes,
    ran_shots,
    reading_of,
)

WANTED_OPTIONS = (
    ("default_shots", "default_shots", 3000),
    ("seed", "simulator.seed_simulator", 11),
    ("dd_enabled", "dynamical_decoupling.enable", True),
    ("dd_sequence", "dynamical_decoupling.sequence_type", "XY4"),
)
"""What `options_dict` must set: requirement, option path, value (other valid options may be set too)."""
FLAT_NAMES = {
    "shots": "default_shots",
    "seed_simulator": "simulator.seed_simulator",
    "enable": "dynamical_decoupling.enable",
    "sequence_type": "dynamical_decoupling.sequence_type",
}
"""Names a flat or V1-style dict uses, and where each option lives in the tree."""
SEED_FIX = (
    "Set it through the options: `Sampler(mode=backend, options={'simulator': {'seed_simulator': seed}})`, or "
    "`sampler.options.simulator.seed_simulator = seed` before `run`."
)
BUILD_DYNAMIC = (
    "Apply X to qubit 0, measure it into `mid`, then inside `with circuit.if_test((mid, 1)):` apply `circuit.x(0)`, "
    "and measure qubit 0 into `final`"
)


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


def seed_check(v: Verdicts, requirement: str, call: Call, seed: int) -> bool:
    """Credit: the sampler ran with the function's ``seed``, set by the student's code (not the grader's default)."""
    found = call.entry.seed_of(call.options or {}) if call.entry else None
    if call.options is None:
        return v.check(
            requirement,
            False,
            "",
            f"The sampler's options could not be read ({call.unreplayable}), so neither can its seed. Set only the "
            f"seed: {SEED_FIX[len('Set it through the options: ') :]}",
        )
    if call.seeded_by_grader or found is None:
        seen = (
            "The sampler ran without a simulator seed of yours (the grader gave it one of its own, only so that it "
            "could replay the job)."
        )
    elif found != seed:
        seen = f"The sampler's seed is {found}, but the function was given `seed={seed}`: use the argument."
    else:
        return v.check(requirement, True, f"The sampler's simulator seed is {seed}, the function's `seed`.", "")
    return v.check(requirement, False, "", f"{seen} {SEED_FIX}")


def judge_seeded_counts(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `seeded_counts(backend, shots, seed)` for one case."""
    backend, shots, seed = case.args
    call = one_job(v, ev, "sampler", backend, "uses_v2_sampler")
    seed_check(v, "seed_option", call, seed)
    bell_job(v, ev, call, backend, shots, isa=isa_check_blocks)


def isa_check_blocks(v: Verdicts, requirement: str, circuit: QuantumCircuit, backend: Any) -> bool:
    """Credit: the circuit is ISA for ``backend``, the gates inside its `if_test` blocks included."""
    problem = isa_problem(circuit, backend)
    if problem is None:
        problem = block_isa_problem(circuit, list(range(circuit.num_qubits)), backend)
    if problem:
        return v.check(requirement, False, "", f"The circuit sent is not ISA: {problem}. {ISA_FIX}")
    return v.check(requirement, True, f"The circuit sent is ISA for {backend.name}, its blocks included.", "")


def block_isa_problem(circuit: QuantumCircuit, outer: list[int], backend: Any) -> str | None:
    """Why a gate inside a control-flow block of ``circuit`` cannot run on ``backend``, or None."""
    target = backend.target
    for instruction in circuit.data:
        qubits = [outer[circuit.find_bit(q).index] for q in instruction.qubits]
        for block in getattr(instruction.operation, "blocks", ()):
            for inner in block.data:
                name = inner.operation.name
                physical = tuple(qubits[block.find_bit(q).index] for q in inner.qubits)
                if name in ("barrier", "delay") or getattr(inner.operation, "blocks", None):
                    continue
                if name not in target.operation_names or not target.instruction_supported(name, physical):
                    return (
                        f"inside the `if_test` block it has `{name}` on qubits {physical}, which {backend.name} "
                        "cannot run; transpile the whole circuit, blocks included"
                    )
            found = block_isa_problem(block, qubits, backend)
            if found:
                return found
    return None


def register_bits(circuit: QuantumCircuit, name: str) -> list[int] | None:
    """The clbit indices of the register called ``name``, or None if there is none."""
    register = next((r for r in circuit.cregs if r.name == name), None)
    return None if register is None else [circuit.find_bit(bit).index for bit in register]


def dynamic_registers_check(v: Verdicts, requirement: str, circuit: QuantumCircuit) -> bool:
    """Gate: the circuit has the one-bit registers `mid` and `final`."""
    sizes = {register.name: register.size for register in circuit.cregs}
    return v.check(
        requirement,
        sizes.get("mid") == 1 and sizes.get("final") == 1,
        "The circuit writes into `mid` and `final`, 1 bit each.",
        f"The circuit's classical registers are {sizes or 'none'}; it needs two of one bit each, "
        "`mid = ClassicalRegister(1, 'mid')` and `final = ClassicalRegister(1, 'final')`.",
    )


def condition_bits(circuit: QuantumCircuit, condition: Any) -> set[int]:
    """The clbit indices an `if_test` condition reads."""
    if isinstance(condition, tuple):
        targets = [condition[0]]
    else:
        targets = [var.var for var in expr.iter_vars(condition)]
    bits: set[int] = set()
    for target in targets:
        if isinstance(target, Clbit):
            bits.add(circuit.find_bit(target).index)
        elif isinstance(target, ClassicalRegister):
            bits.update(circuit.find_bit(bit).index for bit in target)
    return bits


def if_test_check(v: Verdicts, requirement: str, circuit: QuantumCircuit) -> bool:
    """Gate: the circuit has an `if_else` block whose condition reads `mid`."""
    mid = set(register_bits(circuit, "mid") or [])
    conditions = [i.operation.condition for i in circuit.data if i.operation.name == "if_else"]
    if any(mid & condition_bits(circuit, c) for c in conditions):
        return v.check(requirement, True, "The circuit applies its X inside an `if_test` block on `mid`.", "")
    seen = (
        "The circuit's `if_test` does not read `mid`"
        if conditions
        else "The circuit sent has no `if_else` operation, so nothing in it depends on the mid-circuit outcome"
    )
    return v.check(
        requirement,
        False,
        "",
        f"{seen}. Write the condition as a block: `with circuit.if_test((mid, 1)):` and `circuit.x(0)` inside it "
        "(`c_if` was removed in Qiskit 2.0).",
    )


def marginal_one(distribution: dict[str, float], bit: int) -> float:
    """The probability that clbit ``bit`` (0 is the rightmost character) reads 1."""
    return sum(p for key, p in distribution.items() if key[len(key) - 1 - bit] == "1")


def noiseless_check(v: Verdicts, requirement: str, circuit: QuantumCircuit) -> bool:
    """Gate: without noise, `mid` reads 1 and `final` reads 0 with probability 1 (exact, every branch followed)."""
    mid, final = register_bits(circuit, "mid"), register_bits(circuit, "final")
    if not mid or not final:
        return v.check(requirement, False, "", f"Without `mid` and `final` there is nothing to check. {BUILD_DYNAMIC}.")
    try:
        distribution = exact_outcomes(circuit)
    except semantics.NotReadable as error:
        return v.check(requirement, False, "", f"The circuit cannot be simulated exactly: {error}. {BUILD_DYNAMIC}.")
    p_mid, p_final = marginal_one(distribution, mid[0]), marginal_one(distribution, final[0])
    problems = []
    if abs(p_mid - 1) > 1e-9:
        problems.append(
            f"`mid` reads 1 with probability {p_mid:.3g}: apply X to qubit 0 before measuring it into `mid`"
        )
    if abs(p_final) > 1e-9:
        problems.append(
            f"`final` reads 1 with probability {p_final:.3g}: inside `with circuit.if_test((mid, 1)):` apply "
            "`circuit.x(0)`, then measure qubit 0 into `final`"
        )
    return v.check(
        requirement,
        not problems,
        "Without noise, every shot reads `mid` = 1 and `final` = 0 (checked exactly, branch by branch).",
        "Without noise, " + "; ".join(problems) + ".",
    )


def judge_dynamic_reset(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `dynamic_reset(backend, shots)` for one case."""
    backend, shots = case.args
    call = one_job(v, ev, "sampler", backend, "uses_v2_sampler")
    points = entries(call)
    if len(points) != 1:
        v.fail("noiseless_reset", f"The job sampled {len(points)} circuits; this task needs one: the dynamic circuit.")
    entry = points[0]
    circuit = entry.circuit
    isa_check_blocks(v, "isa_circuit", circuit, backend)
    result = replayed(v, ev, call, backend, "provenance")[entry.pub]
    shots_check(v, "exact_shots", ran_shots(result), shots)
    dynamic_registers_check(v, "registers", circuit)
    if_test_check(v, "uses_if_test", circuit)
    noiseless_check(v, "noiseless_reset", circuit)
    reading = reading_of(ev.returned, result, entry.index, circuit)
    if reading == "register `final`":
        v.met("provenance", "The counts are exactly those of `final` in the grader's replay of your job.")
        return
    problem = counts_shape_problem(ev.returned, 1)
    if reading is not None:
        seen = f"These are the counts of {reading.replace('register ', '')}, not of `final`."
    elif problem:
        seen = f"The value returned is not the counts of one bit: {problem}."
    else:
        seen = (
            "The counts returned are not the ones the grader gets when it replays your job (same backend, options "
            "and seed)."
        )
    v.fail("provenance", f"{seen} Return `result[0].data.final.get_counts()` as it is.")


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


def value_check(v: Verdicts, requirement: str, options: SamplerOptions, path: str, wanted: Any) -> bool:
    """Credit: the option at ``path`` (dotted) of the validated tree equals ``wanted``, type included."""
    value: Any = options
    for part in path.split("."):
        value = getattr(value, part)
    shown = "not set" if type(value).__name__ == "UnsetType" else f"{value!r}"
    return v.check(
        requirement,
        type(value) is type(wanted) and value == wanted,
        f"`{path}` is {wanted!r}.",
        f"`{path}` is {shown}; the task asks for {wanted!r}.",
    )


def judge_options_dict(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `options_dict()`: no primitive runs; `SamplerV2`'s own options model reads the dict."""
    returned = ev.returned
    v.require(
        "returns_dict",
        type(returned) is dict,
        "Returns a dict.",
        f"Expected a plain dict of options (nested dicts inside), got {returned!r:.100}. Return the dict itself, "
        "not a primitive or an options object.",
    )
    try:
        options = validated_options(returned)
    except Exception as error:  # noqa: BLE001 - whatever the model raises is what SamplerV2 would raise
        v.fail("valid_tree", invalid_tree_message(error))
    v.met("valid_tree", "`SamplerV2`'s options model accepts the dict.")
    for requirement, path, wanted in WANTED_OPTIONS:
        value_check(v, requirement, options, path, wanted)


EXERCISE = Exercise(
    id="options-and-seeds",
    tasks=(
        Task(
            "seeded_counts",
            "seeded_counts(backend, shots, seed)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend given."),
                    gate("bell_state", "The circuit prepares (|00⟩ + |11⟩)/√2 and measures both qubits.", "0.5"),
                    gate(
                        "provenance", "The counts returned are exactly those of the grader's replay of the job.", "0.5"
                    ),
                    credit(
                        "seed_option",
                        "The sampler's simulator seed is the function's `seed`, set in its options before `run` "
                        "(read from the job's claimed options).",
                        "0.5",
                    ),
                    credit("exact_shots", "The job runs exactly `shots` shots.", "0.25"),
                    credit("isa_circuit", "The circuit sent is ISA: transpiled for the backend.", "0.25"),
                )
            ),
            judge_seeded_counts,
            seeded_cases,
        ),
        Task(
            "dynamic_reset",
            "dynamic_reset(backend, shots)",
            Rubric(
                (
                    gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend given."),
                    gate("registers", "The circuit has the one-bit classical registers `mid` and `final`.", "0.25"),
                    gate("uses_if_test", "The second X sits in an `if_test` block conditioned on `mid`.", "0.25"),
                    gate(
                        "noiseless_reset",
                        "Without noise, every shot reads `mid` = 1 and `final` = 0 (checked exactly).",
                        "0.5",
                    ),
                    gate(
                        "provenance",
                        "The counts returned are exactly those of `final` in the grader's replay of the job.",
                        "0.5",
                    ),
                    credit("exact_shots", "The job runs exactly `shots` shots.", "0.25"),
                    credit("isa_circuit", "The circuit sent is ISA, the gates inside its blocks included.", "0.25"),
                )
            ),
            judge_dynamic_reset,
            dynamic_cases,
        ),
        Task(
            "options_dict",
            "options_dict()",
            Rubric(
                (
                    gate("returns_dict", "The function returns a plain dict."),
                    gate("valid_tree", "`SamplerV2`'s own options model accepts the dict, as its constructor would."),
                    credit("default_shots", "`default_shots` is 3000.", "0.25"),
                    credit("seed", "`simulator.seed_simulator` is 11.", "0.25"),
                    credit("dd_enabled", "`dynamical_decoupling.enable` is True.", "0.25"),
                    credit("dd_sequence", '`dynamical_decoupling.sequence_type` is "XY4".', "0.25"),
                )
            ),
            judge_options_dict,
            options_cases,
        ),
    ),
)
