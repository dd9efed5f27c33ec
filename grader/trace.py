"""What a task ran, as plain data: the form in which it leaves the student's process and reaches the checks.

A live `Recording` (primitive objects, job results) becomes a `Trace` through JSON: circuits travel as QPY,
parameter values and results as numbers and strings. Nothing is pickled, and the checks only ever see a `Trace`,
whichever route ran the student's code.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import QuantumCircuit, qpy
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.containers.sampler_pub import SamplerPub

from grader.recording import PrimitiveCall, Recording


@dataclass
class CallRecord:
    """One primitive job the student's code submitted, and what its result said."""

    kind: str  # "sampler" | "estimator"
    primitive: str  # "module.ClassName" of the primitive that ran
    backend_name: str | None  # None for primitives that ignore backends
    pubs: list[Any]  # SamplerPub | EstimatorPub
    results: list[list[dict[str, Any]]] = field(default_factory=list)
    """Every result the job handed out: per PUB, {"registers": {name: [counts per sweep index]}} for a sampler,
    {"evs": [...], "stds": [...]} (flattened) for an estimator."""
    where: str = ""
    mode: str = "backend"  # "session" | "batch" | "backend": what the primitive was given as its mode
    options: dict[str, Any] = field(default_factory=dict)  # the primitive's options tree, unset ones as None


@dataclass
class Trace:
    """Everything a task ran: its primitive jobs and its direct `backend.run` calls (where they were made)."""

    calls: list[CallRecord] = field(default_factory=list)
    backend_runs: list[str] = field(default_factory=list)

    def calls_of(self, kind: str) -> list[CallRecord]:
        """The calls of one kind of primitive."""
        return [c for c in self.calls if c.kind == kind]


def _class_path(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _numeric_option(primitive: Any, name: str) -> float | None:
    value = getattr(getattr(primitive, "options", None), name, None)
    return value if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) else None


def _backend_name(primitive: Any) -> str | None:
    found = getattr(primitive, "backend", None)
    backend = found() if callable(found) else found
    return getattr(backend, "name", None)


def _json_safe(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v, depth + 1) for k, v in value.items()}
    if type(value).__name__ == "UnsetType":
        return None
    if hasattr(value, "__dict__") and not callable(value):
        return {k: _json_safe(v, depth + 1) for k, v in vars(value).items() if not k.startswith("_")}
    return repr(value)[:200]


def _options_of(primitive: Any) -> dict[str, Any]:
    options = getattr(primitive, "options", None)
    if hasattr(options, "model_dump"):
        return _json_safe(options.model_dump(mode="json"))
    found = _json_safe(options)
    return found if isinstance(found, dict) else {}


def _mode_of(primitive: Any) -> str:
    from qiskit_ibm_runtime import Batch, Session

    mode = getattr(primitive, "_mode", None)
    if isinstance(mode, Batch):  # Batch is a Session subclass: test it first
        return "batch"
    return "session" if isinstance(mode, Session) else "backend"


def _coerce(call: PrimitiveCall) -> list[Any]:
    if call.kind == "sampler":
        shots = call.kwargs.get("shots")
        shots = shots if shots is not None else _numeric_option(call.primitive, "default_shots")
        return [SamplerPub.coerce(pub, None if shots is None else int(shots)) for pub in call.pubs]
    precision = call.kwargs.get("precision")
    precision = precision if precision is not None else _numeric_option(call.primitive, "default_precision")
    return [EstimatorPub.coerce(pub, precision) for pub in call.pubs]


def _summarise(kind: str, pub_result: Any) -> dict[str, Any]:
    data = pub_result.data
    if kind == "estimator":
        return {
            "evs": np.asarray(data.evs, dtype=float).reshape(-1).tolist(),
            "stds": np.asarray(data.stds, dtype=float).reshape(-1).tolist(),
        }
    registers = {}
    for name in data.keys():
        bits = getattr(data, name)
        if hasattr(bits, "get_counts"):
            indices = list(np.ndindex(bits.shape)) if bits.shape else [None]
            registers[name] = [bits.get_counts(i) for i in indices]
    return {"registers": registers}


def trace_of(recording: Recording) -> Trace:
    """Summarise a live recording as plain data (still holding qiskit PUB objects)."""
    calls = []
    for call in recording.primitive_calls:
        try:
            pubs = _coerce(call)
        except Exception:  # noqa: BLE001 - PUBs the primitive itself rejected: nothing ran
            continue
        results = [[_summarise(call.kind, r) for r in result] for result in call.results]
        calls.append(
            CallRecord(
                call.kind,
                _class_path(call.primitive),
                _backend_name(call.primitive),
                pubs,
                results,
                call.where,
                _mode_of(call.primitive),
                _options_of(call.primitive),
            )
        )
    return Trace(calls, [run.where for run in recording.backend_runs])


def _circuit_to_text(circuit: QuantumCircuit) -> str:
    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _circuit_from_text(text: str) -> QuantumCircuit:
    return qpy.load(io.BytesIO(base64.b64decode(text.encode("ascii"))))[0]


def _pub_to_json(pub: Any) -> dict[str, Any]:
    values = pub.parameter_values
    data: dict[str, Any] = {
        "circuit": _circuit_to_text(pub.circuit),
        "parameter_values": values.as_array(pub.circuit.parameters).tolist() if values.num_parameters else None,
        "parameter_shape": list(values.shape),
    }
    if isinstance(pub, SamplerPub):
        data["shots"] = pub.shots
    else:
        data["observables"] = [dict(o) for o in pub.observables.ravel().tolist()]
        data["observables_shape"] = list(pub.observables.shape)
        data["precision"] = pub.precision
    return data


def _pub_from_json(kind: str, data: dict[str, Any]) -> Any:
    circuit = _circuit_from_text(data["circuit"])
    values = None if data["parameter_values"] is None else np.asarray(data["parameter_values"], dtype=float)
    if kind == "sampler":
        return SamplerPub.coerce((circuit, values, data["shots"]))
    observables = np.empty(len(data["observables"]), dtype=object)
    observables[:] = data["observables"]
    observables = observables.reshape(data["observables_shape"])
    return EstimatorPub.coerce((circuit, observables.tolist(), values, data["precision"]))


def trace_to_json(trace: Trace) -> dict[str, Any]:
    """The trace as JSON-ready data (circuits as base64 QPY)."""
    return {
        "calls": [
            {
                "kind": c.kind,
                "primitive": c.primitive,
                "backend_name": c.backend_name,
                "pubs": [_pub_to_json(p) for p in c.pubs],
                "results": c.results,
                "where": c.where,
                "mode": c.mode,
                "options": c.options,
            }
            for c in trace.calls
        ],
        "backend_runs": trace.backend_runs,
    }


def trace_from_json(data: dict[str, Any]) -> Trace:
    """Rebuild a trace from JSON data; raises ValueError (or KeyError/TypeError) on malformed input."""
    calls = [
        CallRecord(
            kind=str(c["kind"]),
            primitive=str(c["primitive"]),
            backend_name=None if c["backend_name"] is None else str(c["backend_name"]),
            pubs=[_pub_from_json(str(c["kind"]), p) for p in c["pubs"]],
            results=c["results"],
            where=str(c["where"]),
            mode=str(c.get("mode", "backend")),
            options=c.get("options") if isinstance(c.get("options"), dict) else {},
        )
        for c in data["calls"]
    ]
    return Trace(calls, [str(w) for w in data["backend_runs"]])


def plain_value(value: Any) -> Any:
    """A task's return value as JSON-ready data: numbers, strings, lists and string-keyed dicts only."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return plain_value(value.tolist()) if value.ndim else plain_value(value.item())
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, (str, int, np.integer)) for k in value):
        return {str(k): plain_value(v) for k, v in value.items()}  # int keys become strings, as in JSON
    return {"unrepresentable": f"{type(value).__name__}: {value!r:.200}"}
