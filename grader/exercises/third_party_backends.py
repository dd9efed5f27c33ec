"""third-party-backends: V2 samplers for backends that only have `run`, and a backend described the BackendV2 way."""

from __future__ import annotations

from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.providers.basic_provider import BasicSimulator
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime.fake_provider import FakeNairobiV2, FakeQuitoV2

from grader.claims import Call
from grader.exercises import Case, Exercise, Task
from grader.judge.common import NO_BACKEND, replayed
from grader.judge.evidence import Evidence
from grader.judge.replay import backend_for
from grader.judge.rubric import Rubric, Verdicts, credit, gate
from grader.judge.sampling import (
    bell_counts_provenance,
    bell_reference,
    entries,
    measured_state_problem,
    ran_shots,
    reading_of,
)
from grader.primitives import Unreplayable
from grader.simulators import fake_backend_class

WRAPPER = "qiskit.BackendSamplerV2"
WRAP_FIX = "wrap the backend you are given: `BackendSamplerV2(backend=backend)`, then call its `run`"
FACTS = ("num_qubits", "coupling_map", "operation_names", "t1", "readout_error")
NOT_REPLAYED = (
    "The counts returned are not the ones the grader gets when it replays your job (same backend, options and "
    "seed). Return the register's counts as the result gives them: `job.result()[0].data.meas.get_counts()`."
)


def bell_problem(circuit: QuantumCircuit) -> str | None:
    """Why a measured circuit is not the Bell circuit, with a hint that matches what is wrong, or None."""
    problem = measured_state_problem(circuit, bell_reference())
    if problem is None:
        return None
    if not any(len(i.qubits) == 2 and i.operation.name != "barrier" for i in circuit.data):
        return f"{problem}: the qubits are not entangled; add the CX from qubit 0 to qubit 1 after the H"
    return f"{problem}: apply H to qubit 0, then CX with control 0 and target 1, and measure both qubits"


OTHER_SAMPLER = {
    "aer.SamplerV2": "qiskit-aer's own `SamplerV2` simulates on a simulator of its own and ignores the backend "
    "you are given",
    "client.Sampler": "`qiskit_ibm_runtime`'s samplers run in local testing mode on fake backends and "
    "AerSimulators only, not on other providers' backends",
    "runtime.SamplerV2": "`qiskit_ibm_runtime`'s samplers run in local testing mode on fake backends and "
    "AerSimulators only, not on other providers' backends",
}


def wrapped_job(v: Verdicts, ev: Evidence, backend: Any) -> Call:
    """Gate: exactly one job of a V2 sampler the grader replays, on ``backend``; return it."""
    calls = ev.claim.calls_of("sampler")
    if not calls:
        v.fail("uses_v2_sampler", f"No V2 sampler job ran. To run one, {WRAP_FIX}.")
    if len(calls) > 1:
        v.fail("uses_v2_sampler", f"{len(calls)} sampler jobs ran; this task needs exactly one: call `run` once.")
    call = calls[0]
    if call.entry is None:
        short = call.class_name.rsplit(".", 1)[-1]
        why = (
            "simulates on its own and ignores the backend you are given"
            if call.class_name in NO_BACKEND
            else "is not one of the V2 samplers whose results the grader can verify"
        )
        v.fail("uses_v2_sampler", f"The job ran on `{short}`, which {why}. Instead, {WRAP_FIX}.")
    try:
        backend_for(call.backend, backend)
    except Unreplayable as error:
        v.fail("uses_v2_sampler", f"Your {call.name} job: {error}. Instead, {WRAP_FIX}.")
    v.met("uses_v2_sampler", f"One {call.name} job on {backend.name}.")
    return call


def judge_wrapped_bell(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on a task that samples a Bell pair on a run-only backend through `BackendSamplerV2`."""
    backend, shots = case.args
    call = wrapped_job(v, ev, backend)
    assert call.entry is not None
    why = OTHER_SAMPLER.get(call.entry.key, "it is not the wrapper for backends that only have `run`")
    v.require(
        "backend_sampler_v2",
        call.entry.key == WRAPPER,
        "The sampler is qiskit's `BackendSamplerV2`, wrapping the backend given.",
        f"The job ran on the {call.name}: {why}. This task practises the wrapper that gives any provider's "
        f"backend the V2 interface: {WRAP_FIX}.",
    )
    points = entries(call)
    v.check(
        "one_pub",
        len(call.pubs) == 1 and len(points) == 1 and not call.pubs[0].circuit.parameters,
        "One PUB holding the Bell circuit, without parameters.",
        f"The job held {len(call.pubs)} PUB(s) and {len(points)} circuit(s) to sample. Run one PUB holding the Bell "
        "circuit: `sampler.run([circuit], shots=shots)`.",
    )
    bell = [e for e in points if bell_problem(e.circuit) is None]
    if not bell:
        v.fail(
            "bell_state",
            f"The circuit sent is not the Bell circuit: {bell_problem(points[0].circuit)}.",
        )
    entry = bell[0]
    v.met("bell_state", "The circuit prepares (|00⟩ + |11⟩)/√2 and measures both qubits.")
    results = replayed(v, ev, call, backend, "provenance")
    result = results[entry.pub]
    ran = ran_shots(result)
    v.check(
        "exact_shots",
        ran == shots,
        f"The job ran exactly {shots} shots.",
        f"Your job ran {ran} shots, not the {shots} asked for: pass the function's `shots` to "
        "`sampler.run([circuit], shots=shots)`.",
    )
    reading = reading_of(ev.returned, result, entry.index, entry.circuit)
    bell_counts_provenance(v, ev.returned, reading, NOT_REPLAYED)


def bell_rubric() -> Rubric:
    """The rubric of both wrapper tasks."""
    return Rubric(
        (
            gate("uses_v2_sampler", "Exactly one job of a V2 sampler runs, on the backend given."),
            gate("backend_sampler_v2", "The sampler is qiskit's `BackendSamplerV2`, wrapping the backend.", "0.5"),
            gate("bell_state", "The circuit prepares (|00⟩ + |11⟩)/√2 and measures both qubits.", "0.5"),
            gate("provenance", "The counts returned are exactly those of the grader's replay of the job.", "0.5"),
            credit("one_pub", "The job holds one PUB: the Bell circuit, without parameters.", "0.25"),
            credit("exact_shots", "The job runs exactly `shots` shots.", "0.25"),
        )
    )


def basic_cases() -> list[Case]:
    """Qiskit's BasicSimulator, standing in for a provider's run-only backend, and an unusual shot count."""
    return [Case("BasicSimulator, 901 shots", (BasicSimulator(), 901))]


def aer_cases() -> list[Case]:
    """An AerSimulator and an unusual shot count."""
    return [Case("AerSimulator, 733 shots", (AerSimulator(), 733))]


def facts_cases() -> list[Case]:
    """Two fake backends the notebook never uses, of different sizes and shapes."""
    return [Case("FakeQuitoV2", (FakeQuitoV2(),)), Case("FakeNairobiV2", (FakeNairobiV2(),))]


def backend_facts_of(backend: Any) -> dict[str, Any]:
    """The grader's own reading of the facts, from a fresh instance of the backend's class."""
    cls = fake_backend_class(type(backend).__name__)
    mine = cls() if cls is not None else backend
    return {
        "num_qubits": mine.num_qubits,
        "coupling_map": sorted([a, b] for a, b in mine.coupling_map.get_edges()),
        "operation_names": sorted(mine.operation_names),
        "t1": mine.qubit_properties(0).t1,
        "readout_error": mine.target["measure"][(0,)].error,
    }


FACT_FIX = {
    "num_qubits": "`backend.num_qubits`",
    "coupling_map": "`sorted([a, b] for a, b in backend.coupling_map.get_edges())`",
    "operation_names": "`sorted(backend.operation_names)`: it lists `measure`, `delay`, `reset` and control flow "
    "too, unlike the old `configuration().basis_gates`",
    "t1": "`backend.qubit_properties(0).t1`, in seconds",
    "readout_error": '`backend.target["measure"][(0,)].error`',
}


def _integer(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def fact_problem(fact: str, value: Any, expected: Any) -> str | None:
    """Why a returned fact is not the grader's reading (its type, its order, its value), or None."""
    if fact == "num_qubits":
        if not _integer(value):
            return f"an `int` is expected, got {value!r:.60}"
        return None if value == expected else f"it is {expected}, you returned {value}"
    if fact == "coupling_map":
        if not isinstance(value, list):
            return f"a sorted list of `[a, b]` pairs is expected, got a {type(value).__name__}"
        pairs = []
        for pair in value:
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(_integer(q) for q in pair)):
                return f"each edge should be a pair of qubit indices such as `[0, 1]`; found {pair!r:.40}"
            pairs.append([int(q) for q in pair])
        if pairs == expected:
            return None
        if sorted(pairs) == expected:
            return "the edges are right but not sorted: wrap them in `sorted(...)`"
        missing = [e for e in expected if e not in pairs]
        extra = [e for e in pairs if e not in expected]
        if missing and not extra and all([b, a] in pairs for a, b in missing):
            return f"directed edges are missing ({missing[:3]}…): the coupling map lists both directions"
        return f"it has {len(expected)} directed edges, starting {expected[:4]}; you returned {pairs[:4]!r:.80}"
    if fact == "operation_names":
        if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
            return f"a sorted list of names is expected, got {value!r:.60}"
        if value == expected:
            return None
        if sorted(value) == expected:
            return "the names are right but not sorted: wrap them in `sorted(...)`"
        missing = sorted(set(expected) - set(value))
        return f"it is {expected}; yours misses {missing}" if missing else f"it is {expected}, you returned {value}"
    if not _real(value):
        return f"a number is expected, got {value!r:.60}"
    return None if value == expected else f"it is {expected!r}, you returned {value!r}"


def judge_backend_facts(case: Case, ev: Evidence, v: Verdicts) -> None:
    """Verdicts on `backend_facts(backend)`: each fact equals the grader's reading of the same backend class."""
    (backend,) = case.args
    returned = ev.returned
    v.require(
        "returns_dict",
        isinstance(returned, dict) and set(returned) == set(FACTS),
        f"A dict with the keys {list(FACTS)}.",
        f"Expected a dict with exactly the keys {list(FACTS)}; got {returned!r:.100}.",
    )
    expected = backend_facts_of(backend)
    for fact in FACTS:
        problem = fact_problem(fact, returned[fact], expected[fact])
        v.check(
            fact,
            problem is None,
            f"`{fact}` is right.",
            f"`{fact}` of {backend.name}: {problem}. Read it as {FACT_FIX[fact]}.",
        )


EXERCISE = Exercise(
    id="third-party-backends",
    tasks=(
        Task("basic_counts", "basic_counts(backend, shots)", bell_rubric(), judge_wrapped_bell, basic_cases),
        Task("aer_counts", "aer_counts(backend, shots)", bell_rubric(), judge_wrapped_bell, aer_cases),
        Task(
            "backend_facts",
            "backend_facts(backend)",
            Rubric(
                (
                    gate("returns_dict", f"It returns a dict with exactly the keys {', '.join(FACTS)}."),
                    credit("num_qubits", "`num_qubits` is the backend's number of qubits, an `int`.", "0.2"),
                    credit("coupling_map", "`coupling_map` lists the directed edges as sorted `[a, b]` pairs.", "0.2"),
                    credit("operation_names", "`operation_names` lists the target's operations, sorted.", "0.2"),
                    credit("t1", "`t1` is qubit 0's T1 in seconds, as the backend gives it.", "0.2"),
                    credit("readout_error", "`readout_error` is qubit 0's measurement error, from the target.", "0.2"),
                )
            ),
            judge_backend_facts,
            facts_cases,
        ),
    ),
)
