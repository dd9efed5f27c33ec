"""What a task's run claims, as plain data: the form in which it leaves the student's process and reaches the judge.

A case's claim is what the task returned (typed, see `grader.wire`), the exception it raised, every primitive job it
submitted (the primitive's class, its backend, its options and seed at `run`, the PUBs as QPY and numbers, and what
its result said) and every `backend.run` it reached. Nothing is pickled. The student's side encodes
(`encode_case`); the judge decodes (`decode_case`) and believes none of it until it has replayed the calls.
"""

from __future__ import annotations

import base64
import io
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import QuantumCircuit, qpy
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub

from grader import wire
from grader.primitives import BY_KEY, KnownPrimitive

MAX_RESULT_ENTRIES = 64
"""How many sweep entries of a PUB's result the claim carries (for messages only; the judge replays)."""


class ClaimError(ValueError):
    """A claim that cannot be read back (malformed data from the student's process)."""


def describe_backend(backend: Any) -> dict[str, Any]:
    """What a backend is, in terms the judge can rebuild: a fake backend, an AerSimulator, or something else."""
    cls = type(backend)
    name = getattr(backend, "name", None)
    name = name if isinstance(name, str) else None
    if cls.__module__.startswith("qiskit_ibm_runtime.fake_provider.backends"):
        return {"type": "fake", "class": cls.__name__, "name": name}
    if cls.__module__.startswith("qiskit_aer") and cls.__name__ == "AerSimulator":
        if name and name.startswith("aer_simulator_from(") and name.endswith(")"):
            return {"type": "aer_from", "name": name[len("aer_simulator_from(") : -1]}
        return {"type": "aer", "name": name}
    if cls.__module__.startswith("qiskit.providers.basic_provider") and cls.__name__ == "BasicSimulator":
        return {"type": "basic", "name": name}
    return {"type": "other", "class": f"{cls.__module__}.{cls.__qualname__}", "name": name}


def _mode_of(primitive: Any) -> Any:
    mode = getattr(primitive, "_mode", None)
    from qiskit_ibm_runtime import Batch, Session

    if isinstance(mode, Batch):  # Batch is a Session subclass: test it first
        return "batch", mode
    if isinstance(mode, Session):
        return "session", mode
    return "backend", None


def circuit_to_text(circuit: QuantumCircuit) -> str:
    """A circuit as base64 QPY."""
    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def circuit_from_text(text: str) -> QuantumCircuit:
    """The circuit a base64 QPY text holds."""
    circuits = qpy.load(io.BytesIO(base64.b64decode(text.encode("ascii"), validate=True)))
    if len(circuits) != 1 or not isinstance(circuits[0], QuantumCircuit):
        raise ClaimError("a PUB's circuit is not one QuantumCircuit")
    return circuits[0]


def pub_to_json(pub: SamplerPub | EstimatorPub) -> dict[str, Any]:
    """A coerced PUB as plain data."""
    values = pub.parameter_values
    data: dict[str, Any] = {
        "circuit": circuit_to_text(pub.circuit),
        "parameter_values": wire.encode(values.as_array(pub.circuit.parameters)) if values.num_parameters else None,
        "parameter_shape": list(values.shape),
    }
    if isinstance(pub, SamplerPub):
        data["shots"] = pub.shots
    else:
        data["observables"] = [dict(o) for o in pub.observables.ravel().tolist()]
        data["observables_shape"] = list(pub.observables.shape)
        data["precision"] = pub.precision
    return data


def pub_from_json(kind: str, data: dict[str, Any]) -> SamplerPub | EstimatorPub:
    """The PUB that ``pub_to_json`` described."""
    circuit = circuit_from_text(data["circuit"])
    values = None
    if data["parameter_values"] is not None:
        values = np.asarray(wire.decode(data["parameter_values"]), dtype=float)
    elif data["parameter_shape"]:
        values = np.empty((*data["parameter_shape"], 0))
    if kind == "sampler":
        shots = data["shots"]
        if shots is not None and not isinstance(shots, int):
            raise ClaimError("a PUB's shots are not an integer")
        return SamplerPub.coerce((circuit, values, shots))
    observables = np.empty(len(data["observables"]), dtype=object)
    observables[:] = [{str(k): float(v) for k, v in o.items()} for o in data["observables"]]
    observables = observables.reshape(data["observables_shape"])
    precision = data["precision"]
    if precision is not None:
        precision = float(precision)
    return EstimatorPub.coerce((circuit, observables.tolist(), values, precision))


def _coerce(call: Any) -> list[SamplerPub | EstimatorPub]:
    if call.kind == "sampler":
        return [SamplerPub.coerce(pub, call.shots) for pub in call.pubs]
    return [EstimatorPub.coerce(pub, call.precision) for pub in call.pubs]


def _summary(kind: str, result: Any) -> list[dict[str, Any]]:
    """What a job's result said, per PUB (sweeps cut to MAX_RESULT_ENTRIES entries)."""
    summary = []
    for pub_result in result:
        data = pub_result.data
        if kind == "estimator":
            evs = np.asarray(data.evs, dtype=float).reshape(-1)[:MAX_RESULT_ENTRIES]
            summary.append({"evs": evs.tolist()})
            continue
        registers = {}
        for name in data.keys():
            bits = getattr(data, name)
            if hasattr(bits, "get_counts"):
                indices = list(np.ndindex(bits.shape))[:MAX_RESULT_ENTRIES] if bits.shape else [None]
                registers[name] = [bits.get_counts(i) for i in indices]
        summary.append({"registers": registers})
    return summary


def encode_call(call: Any, sessions: dict[int, int]) -> dict[str, Any]:
    """One recorded primitive job (`grader.student_side.recorder.LiveCall`) as plain data."""
    problem = call.unreplayable
    try:
        pubs = [pub_to_json(pub) for pub in _coerce(call)]
    except Exception as error:  # noqa: BLE001 - PUBs that cannot be described cannot be replayed
        pubs, problem = [], problem or f"its PUBs could not be read ({type(error).__name__}: {error})"
    try:
        backend = describe_backend(call.entry.backend_of(call.primitive)) if call.entry else None
    except Exception as error:  # noqa: BLE001
        backend, problem = None, problem or f"its backend could not be read ({type(error).__name__})"
    mode, session = _mode_of(call.primitive)
    result = None
    try:
        if call.job is not None and call.job.done():
            result = _summary(call.kind, call.job.result())
    except Exception:  # noqa: BLE001 - a job that failed claims no result
        result = None
    return {
        "kind": call.kind,
        "primitive": call.entry.key if call.entry else None,
        "class": f"{type(call.primitive).__module__}.{type(call.primitive).__qualname__}",
        "backend": backend,
        "mode": mode,
        "session": None if session is None else sessions.setdefault(id(session), len(sessions) + 1),
        "options": call.options,
        "unreplayable": problem,
        "seeded_by_grader": call.seeded_by_grader,
        "shots": call.shots if isinstance(call.shots, int) else None,
        "precision": float(call.precision) if isinstance(call.precision, (int, float)) else None,
        "pubs": pubs,
        "result": result,
        "where": call.where,
    }


def describe_error(error: BaseException) -> dict[str, Any]:
    """An exception as plain data: its type, message and the last line of student code it passed through."""
    frames = traceback.extract_tb(error.__traceback__)
    student = [f for f in frames if f.filename.startswith("<cell")]
    where = f"{student[-1].filename[1:-1]}, line {student[-1].lineno}" if student else None
    return {"type": type(error).__name__, "message": str(error)[:1500], "where": where}


def encode_case(returned: Any, error: BaseException | None, recording: Any) -> dict[str, Any]:
    """A whole case's claim: the return value, the exception, the jobs and the `backend.run` calls."""
    sessions: dict[int, int] = {}
    return {
        "returned": wire.encode(returned),
        "error": None if error is None else describe_error(error),
        "calls": [encode_call(call, sessions) for call in recording.calls],
        "backend_runs": list(recording.backend_runs),
    }


@dataclass
class CaseOutcome:
    """How one call of a task function ended, as the sandbox reported it (its claim is still only a claim)."""

    status: str  # returned | raised | missing | timeout | crashed
    claim: Any = None
    """The raw claim (`encode_case`'s data) for "returned" and "raised"."""
    error: str | None = None
    """What the grader saw for "timeout" and "crashed": how long it ran, how the process ended."""


@dataclass
class Call:
    """One primitive job a case claims it submitted, decoded in the judge's process (still only a claim)."""

    kind: str
    entry: KnownPrimitive | None
    class_name: str
    backend: dict[str, Any] | None
    mode: str
    session: int | None
    options: dict[str, Any] | None
    unreplayable: str | None
    seeded_by_grader: bool
    shots: int | None
    precision: float | None
    pubs: list[Any]
    claimed_result: list[dict[str, Any]] | None
    where: str

    @property
    def name(self) -> str:
        """What a learner calls this primitive."""
        return self.entry.name if self.entry else self.class_name.rsplit(".", 1)[-1]


@dataclass
class CaseClaim:
    """Everything one call of a task function claims: its return value, its error, its jobs, its legacy calls."""

    returned: Any = None
    error: dict[str, Any] | None = None
    calls: list[Call] = field(default_factory=list)
    backend_runs: list[str] = field(default_factory=list)

    def calls_of(self, kind: str) -> list[Call]:
        """The jobs of one kind of primitive."""
        return [c for c in self.calls if c.kind == kind]


def _decode_call(data: dict[str, Any]) -> Call:
    kind = data["kind"]
    if kind not in ("sampler", "estimator"):
        raise ClaimError(f"unknown primitive kind {kind!r:.40}")
    key = data["primitive"]
    entry = BY_KEY.get(key) if isinstance(key, str) else None
    if entry is not None and entry.kind != kind:
        raise ClaimError("a call's kind does not match its primitive")
    backend = data["backend"]
    options = data["options"]
    return Call(
        kind=kind,
        entry=entry,
        class_name=str(data["class"])[:200],
        backend=backend if isinstance(backend, dict) else None,
        mode=str(data["mode"]) if data["mode"] in ("backend", "session", "batch") else "backend",
        session=data["session"] if isinstance(data["session"], int) else None,
        options=options if isinstance(options, dict) else None,
        unreplayable=None if data["unreplayable"] is None else str(data["unreplayable"])[:500],
        seeded_by_grader=bool(data["seeded_by_grader"]),
        shots=data["shots"] if isinstance(data["shots"], int) and not isinstance(data["shots"], bool) else None,
        precision=float(data["precision"]) if isinstance(data["precision"], (int, float)) else None,
        pubs=[pub_from_json(kind, p) for p in data["pubs"]],
        claimed_result=data["result"] if isinstance(data["result"], list) else None,
        where=str(data["where"])[:200],
    )


def decode_case(data: Any) -> CaseClaim:
    """Read a case's claim; raises ClaimError on anything malformed."""
    try:
        error = data["error"]
        if error is not None:
            error = {k: (None if error.get(k) is None else str(error[k])[:1500]) for k in ("type", "message", "where")}
        return CaseClaim(
            returned=wire.decode(data["returned"]),
            error=error,
            calls=[_decode_call(c) for c in data["calls"]],
            backend_runs=[str(w)[:200] for w in data["backend_runs"]][:100],
        )
    except ClaimError:
        raise
    except Exception as error:  # noqa: BLE001 - KeyError, TypeError, QPY errors: all malformed claims
        raise ClaimError(f"{type(error).__name__}: {str(error)[:200]}") from None
