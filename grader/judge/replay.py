"""Replay: the grader re-executes a claimed primitive call in its own process, exactly as claimed.

The claim names a registered primitive class, the backend, the options as they were at `run` (seed included) and
the PUBs. The judge builds a fresh primitive of that class on its own instance of that backend and runs the same
PUBs. Every registered primitive is deterministic under its seed, so a genuine run is reproduced exactly, and a
task's result is evidence only if it equals the replay's. A replay runs under a budget derived from the task's own
arguments, so a claim of ten million shots costs the grader nothing but a refusal.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from qiskit.providers.basic_provider import BasicSimulator
from qiskit_aer import AerSimulator

from grader.claims import Call
from grader.primitives import REGISTRY, Unreplayable
from grader.simulators import fake_backend_class, grader_backend

KNOWN_NAMES = ", ".join(entry.name for entry in REGISTRY)
DEFAULT_SHOTS = 4096
"""The largest default shot count of a registered sampler (the client-side one), for the budget's estimate."""
DEFAULT_PRECISION = 1 / 64


@dataclass(frozen=True)
class Budget:
    """The most one replay may cost: shots per PUB entry and in all, PUBs, sweep entries, circuit size."""

    max_shots: int = 20_000
    max_total_shots: int = 200_000
    max_pubs: int = 16
    max_entries: int = 256
    min_precision: float = 0.005
    max_instructions: int = 5_000

    @classmethod
    def for_shots(cls, shots: int, entries: int = 1) -> Budget:
        """A budget for a task asked to sample ``entries`` circuits with ``shots`` shots each (defaults too)."""
        per_entry = max(10 * shots, 2 * DEFAULT_SHOTS)
        return cls(
            max_shots=per_entry, max_total_shots=per_entry * max(8, 2 * entries), max_entries=max(8, 4 * entries)
        )


def _number(tree: Any, *path: str) -> float | None:
    for key in path:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return float(tree) if isinstance(tree, (int, float)) and not isinstance(tree, bool) else None


def _within_budget(call: Call, budget: Budget) -> None:
    """Raise Unreplayable if the claimed call would cost more than ``budget``."""
    if len(call.pubs) > budget.max_pubs:
        raise Unreplayable(f"it holds {len(call.pubs)} PUBs, more than the {budget.max_pubs} this task allows")
    options = call.options or {}
    twirled = (_number(options, "twirling", "num_randomizations") or 1) * (
        _number(options, "twirling", "shots_per_randomization") or 0
    )
    total = 0.0
    for index, pub in enumerate(call.pubs):
        size = sum(1 for item in pub.circuit.data)
        if size > budget.max_instructions:
            raise Unreplayable(f"PUB {index}'s circuit has {size} instructions (at most {budget.max_instructions})")
        entries = math.prod(pub.shape) if pub.shape else 1
        if entries > budget.max_entries:
            raise Unreplayable(f"PUB {index} sweeps {entries} entries (at most {budget.max_entries} here)")
        if call.kind == "sampler":
            shots = pub.shots or call.shots or _number(options, "default_shots") or DEFAULT_SHOTS
        else:
            precision = pub.precision or call.precision or _number(options, "default_precision") or DEFAULT_PRECISION
            if precision < budget.min_precision:
                raise Unreplayable(f"it asks for precision {precision:g} (at least {budget.min_precision:g} here)")
            shots = max(1 / precision**2, _number(options, "default_shots") or 0)
        shots = max(shots, twirled)
        if shots > budget.max_shots:
            raise Unreplayable(f"PUB {index} asks for {shots:.0f} shots (at most {budget.max_shots} here)")
        total += shots * entries
    if total > budget.max_total_shots:
        raise Unreplayable(f"it asks for {total:.0f} shots in all (at most {budget.max_total_shots} here)")


_aer_from: threading.local = threading.local()


def backend_for(claimed: dict[str, Any] | None, case_backend: Any) -> Any:
    """The grader's own backend for a claimed backend, if the claim is the case's backend (or built from it)."""
    if not claimed:
        raise Unreplayable("the primitive's backend is unknown")
    kind = claimed.get("type")
    case_class = type(case_backend).__name__
    case_is_fake = fake_backend_class(case_class) is not None
    if kind == "fake" and case_is_fake and claimed.get("class") == case_class:
        return grader_backend(case_backend)
    if kind == "aer_from" and case_is_fake and claimed.get("name") == case_backend.name:
        cache = getattr(_aer_from, "by_class", None)
        if cache is None:
            cache = _aer_from.by_class = {}
        if case_class not in cache:
            cache[case_class] = AerSimulator.from_backend(grader_backend(case_backend))
        return cache[case_class]
    if kind == "aer" and isinstance(case_backend, AerSimulator) and claimed.get("name") == case_backend.name:
        return AerSimulator()
    if kind == "basic" and isinstance(case_backend, BasicSimulator):
        return BasicSimulator()
    raise Unreplayable(f"it ran on {describe(claimed)}, not on the backend given ({case_backend.name})")


def describe(claimed: dict[str, Any] | None) -> str:
    """A claimed backend in a learner's words."""
    if not claimed:
        return "an unknown backend"
    kind, name = claimed.get("type"), claimed.get("name")
    if kind == "aer_from":
        return f"an AerSimulator built from {name}"
    if kind == "aer":
        return "an AerSimulator of your own" if name == "aer_simulator" else f"an AerSimulator ({name})"
    if kind == "other":
        return f"a backend of class {claimed.get('class')}"
    return str(name or claimed.get("class") or kind)


def replay(call: Call, case_backend: Any, budget: Budget) -> list[Any]:
    """The grader's own result of ``call``, PUB by PUB; raises Unreplayable when it cannot or may not run it."""
    if call.unreplayable:
        raise Unreplayable(call.unreplayable)
    entry = call.entry
    if entry is None:
        raise Unreplayable(f"`{call.class_name}` is not one of the V2 primitives the grader replays ({KNOWN_NAMES})")
    if call.options is None or entry.seed_of(call.options) is None:
        raise Unreplayable("it ran without a seed")
    _within_budget(call, budget)
    backend = backend_for(call.backend, case_backend)
    primitive = entry.build(backend, call.options)
    keywords: dict[str, Any] = {}
    if call.kind == "sampler" and call.shots is not None:
        keywords["shots"] = call.shots
    if call.kind == "estimator" and call.precision is not None:
        keywords["precision"] = call.precision
    return list(primitive.run(call.pubs, **keywords).result())
