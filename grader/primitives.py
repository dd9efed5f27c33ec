"""The fixed registry of V2 primitives the grader can replay, keyed by the class objects it imports itself.

Each entry says, for one class, how the student's side snapshots a live primitive (its options as plain data at the
moment `run` is called, and the seed in effect, giving it the grader's default seed where the student set none) and
how the judge builds a fresh primitive of that class from such a snapshot. Every registered primitive is
deterministic under its seed on the course's backends (tests/test_replay.py establishes it), so a replay reproduces
a genuine run exactly. A class that is not here (a student's own subclass, `StatevectorSampler`) cannot be replayed,
so what it returns is not evidence.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2
from qiskit_aer.primitives import EstimatorV2 as AerEstimatorV2
from qiskit_aer.primitives import SamplerV2 as AerSamplerV2
from qiskit_ibm_runtime import EstimatorV2 as RuntimeEstimatorV2
from qiskit_ibm_runtime import SamplerV2 as RuntimeSamplerV2
from qiskit_ibm_runtime.executor_estimator import Estimator as ClientEstimator
from qiskit_ibm_runtime.executor_sampler import Sampler as ClientSampler
from qiskit_ibm_runtime.options.utils import remove_dict_unset_values

DEFAULT_SEED = 20261120


class Unreplayable(Exception):
    """A primitive call the grader cannot reproduce, with the reason in a learner's words."""


def plain(data: Any, what: str) -> Any:
    """``data`` if it survives JSON unchanged (numbers, strings, lists, string-keyed dicts), else Unreplayable."""
    try:
        text = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise Unreplayable(f"{what} hold a value that is not plain data ({error})") from None
    if json.loads(text) != data:
        raise Unreplayable(f"{what} hold values that do not survive as plain data (tuples or non-string keys)")
    return data


@dataclass(frozen=True)
class KnownPrimitive:
    """One replayable V2 primitive class: how to snapshot it, seed it, and build it again."""

    key: str
    """The stable name of the class in claims, e.g. ``runtime.SamplerV2``."""
    kind: str  # "sampler" | "estimator"
    cls: type
    name: str
    """What a learner calls it, for messages."""
    snapshot: Callable[[Any], dict[str, Any]]
    """Student side: the primitive's options as plain data."""
    seed_of: Callable[[dict[str, Any]], int | None]
    """The seed a snapshot runs with, None when unseeded (seed 0 counts as unseeded: the runtime ignores it)."""
    set_seed: Callable[[Any, int], None]
    """Student side: give a live primitive the seed ``seed``."""
    build: Callable[[Any, dict[str, Any]], Any]
    """Judge side: a fresh primitive of this class on ``backend`` with the snapshot's options."""
    backend_of: Callable[[Any], Any]
    """The backend a live primitive runs on."""


def _quiet(factory: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        # SamplerV2 and EstimatorV2 are deprecated since qiskit-ibm-runtime 0.50; the student chose them.
        warnings.simplefilter("ignore", DeprecationWarning)
        return factory()


def _runtime_snapshot(primitive: Any) -> dict[str, Any]:
    options = dataclasses.asdict(primitive.options)
    remove_dict_unset_values(options)
    return plain(options, "the primitive's options")


def _simulator_seed(snapshot: dict[str, Any]) -> int | None:
    seed = (snapshot.get("simulator") or {}).get("seed_simulator")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and seed != 0 else None


def _set_simulator_seed(primitive: Any, seed: int) -> None:
    primitive.options.simulator.seed_simulator = seed


def _runtime(key: str, kind: str, cls: type, name: str) -> KnownPrimitive:
    return KnownPrimitive(
        key,
        kind,
        cls,
        name,
        snapshot=_runtime_snapshot,
        seed_of=_simulator_seed,
        set_seed=_set_simulator_seed,
        build=lambda backend, options: _quiet(lambda: cls(mode=backend, options=options)),
        backend_of=lambda primitive: primitive._backend,
    )


def _client(key: str, kind: str, cls: type, name: str) -> KnownPrimitive:
    return KnownPrimitive(
        key,
        kind,
        cls,
        name,
        snapshot=lambda primitive: plain(primitive.options.model_dump(mode="json"), "the primitive's options"),
        seed_of=_simulator_seed,
        set_seed=_set_simulator_seed,
        build=lambda backend, options: cls(mode=backend, options=options),
        backend_of=lambda primitive: primitive._backend,
    )


def _top_seed(snapshot: dict[str, Any]) -> int | None:
    seed = snapshot.get("seed_simulator")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _set_top_seed(primitive: Any, seed: int) -> None:
    primitive.options.seed_simulator = seed


def _wrapper(key: str, kind: str, cls: type, name: str) -> KnownPrimitive:
    return KnownPrimitive(
        key,
        kind,
        cls,
        name,
        snapshot=lambda primitive: plain(dataclasses.asdict(primitive.options), "the primitive's options"),
        seed_of=_top_seed,
        set_seed=_set_top_seed,
        build=lambda backend, options: cls(backend=backend, options=options),
        backend_of=lambda primitive: primitive.backend,
    )


def _aer_options(primitive: Any) -> dict[str, Any]:
    options = primitive.options
    return {"backend_options": dict(options.backend_options), "run_options": dict(options.run_options)}


def _run_options_seed(snapshot: dict[str, Any]) -> int | None:
    seed = (snapshot.get("options", snapshot).get("run_options") or {}).get("seed_simulator")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _aer_sampler_snapshot(primitive: Any) -> dict[str, Any]:
    data = {"default_shots": primitive.default_shots, "seed": primitive.seed, "options": _aer_options(primitive)}
    return plain(data, "the primitive's options")


def _aer_sampler_seed(snapshot: dict[str, Any]) -> int | None:
    seed = snapshot.get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else _run_options_seed(snapshot)


def _set_aer_sampler_seed(primitive: Any, seed: int) -> None:
    primitive._seed = seed  # the constructor's `seed`, which takes precedence over run_options


def _build_aer_sampler(backend: Any, snapshot: dict[str, Any]) -> Any:
    sampler = AerSamplerV2(default_shots=snapshot["default_shots"], seed=snapshot["seed"], options=snapshot["options"])
    sampler._backend = backend  # as `SamplerV2.from_backend` does
    return sampler


def _aer_estimator_snapshot(primitive: Any) -> dict[str, Any]:
    data = {"default_precision": primitive.options.default_precision, **_aer_options(primitive)}
    return plain(data, "the primitive's options")


def _set_aer_estimator_seed(primitive: Any, seed: int) -> None:
    primitive.options.run_options["seed_simulator"] = seed


def _build_aer_estimator(backend: Any, snapshot: dict[str, Any]) -> Any:
    estimator = AerEstimatorV2(options=snapshot)
    estimator._backend = backend  # as `EstimatorV2.from_backend` does
    return estimator


REGISTRY: tuple[KnownPrimitive, ...] = (
    _client("client.Sampler", "sampler", ClientSampler, "client-side Sampler (executor_sampler)"),
    _client("client.Estimator", "estimator", ClientEstimator, "client-side Estimator (executor_estimator)"),
    _runtime("runtime.SamplerV2", "sampler", RuntimeSamplerV2, "SamplerV2 (qiskit_ibm_runtime)"),
    _runtime("runtime.EstimatorV2", "estimator", RuntimeEstimatorV2, "EstimatorV2 (qiskit_ibm_runtime)"),
    _wrapper("qiskit.BackendSamplerV2", "sampler", BackendSamplerV2, "BackendSamplerV2 (qiskit.primitives)"),
    _wrapper("qiskit.BackendEstimatorV2", "estimator", BackendEstimatorV2, "BackendEstimatorV2 (qiskit.primitives)"),
    KnownPrimitive(
        "aer.SamplerV2",
        "sampler",
        AerSamplerV2,
        "SamplerV2 (qiskit_aer.primitives)",
        snapshot=_aer_sampler_snapshot,
        seed_of=_aer_sampler_seed,
        set_seed=_set_aer_sampler_seed,
        build=_build_aer_sampler,
        backend_of=lambda primitive: primitive._backend,
    ),
    KnownPrimitive(
        "aer.EstimatorV2",
        "estimator",
        AerEstimatorV2,
        "EstimatorV2 (qiskit_aer.primitives)",
        snapshot=_aer_estimator_snapshot,
        seed_of=_run_options_seed,
        set_seed=_set_aer_estimator_seed,
        build=_build_aer_estimator,
        backend_of=lambda primitive: primitive._backend,
    ),
)

BY_KEY = {entry.key: entry for entry in REGISTRY}
BY_CLASS = {entry.cls: entry for entry in REGISTRY}


def known(primitive: Any) -> KnownPrimitive | None:
    """The registry entry of ``primitive``'s exact class (never a subclass's), or None."""
    return BY_CLASS.get(type(primitive))


def case_seed(seed: int, task: str, index: int) -> int:
    """The default seed of one task case: fixed by the grader's seed, different for every case, never zero."""
    value = seed
    for char in f"{task}#{index}":
        value = (value * 1_000_003 + ord(char)) % 2_147_483_629
    return value or 1
