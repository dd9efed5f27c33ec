"""Every registered primitive replays exactly: a job run in another process (as a sandbox runs it) and the
grader's replay in this one give identical counts and values, whatever the options, modes and thread counts."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from qiskit_ibm_runtime.fake_provider import FakeLimaV2, FakeNairobiV2

from grader.claims import decode_case
from grader.judge.replay import Budget, replay
from grader.primitives import REGISTRY, Unreplayable

STUDENT = r"""
import json, sys, warnings
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import Batch, EstimatorV2, SamplerV2, Session, fake_provider
from qiskit_ibm_runtime.executor_estimator import Estimator
from qiskit_ibm_runtime.executor_sampler import Sampler
from qiskit.primitives import BackendEstimatorV2, BackendSamplerV2
from qiskit_aer.primitives import EstimatorV2 as AerEstimator, SamplerV2 as AerSampler
from grader.student_side.task_call import call_task

backend = getattr(fake_provider, sys.argv[1])()
pm = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=3)
theta = Parameter("θ")
circuit = QuantumCircuit(2)
circuit.ry(theta, 0)
circuit.cx(0, 1)
measured = circuit.copy()
measured.measure_all()
isa, isa_measured = pm.run(circuit), pm.run(measured)
xx = SparsePauliOp(["XX", "ZI"], [1.0, 0.5]).apply_layout(isa.layout)
values = [[0.3], [1.1], [2.0]]
sampler_pubs = [(isa_measured, values), (isa_measured, [[0.7]])]
estimator_pubs = [(isa, xx, values), (isa, [xx, xx], [[0.4]])]
warnings.simplefilter("ignore", DeprecationWarning)  # SamplerV2 and EstimatorV2 are deprecated: run anyway

import numpy as np

def counts(result):
    return [
        {k: [getattr(r.data, k).get_counts(i) for i in np.ndindex(r.data[k].shape)] for k in r.data.keys()}
        for r in result
    ]

def evs(result):
    return [np.asarray(r.data.evs).reshape(-1).tolist() for r in result]

def sample(sampler, **kw):
    return counts(sampler.run(sampler_pubs, shots=300, **kw).result())

def estimate(estimator, **kw):
    return evs(estimator.run(estimator_pubs, **kw).result())

def twirled_sampler():
    sampler = Sampler(mode=backend)
    sampler.options.twirling.enable_gates = True
    sampler.options.twirling.num_randomizations = 4
    return sampler

def with_session(make):
    with Session(backend=backend) as session:
        return make(session)

def with_batch(make):
    with Batch(backend=backend) as batch:
        return make(batch)

JOBS = {
    "client.Sampler": lambda: sample(Sampler(mode=backend)),
    "client.Sampler twirled": lambda: sample(twirled_sampler()),
    "client.Sampler session": lambda: with_session(lambda s: sample(Sampler(mode=s))),
    "client.Estimator": lambda: estimate(Estimator(mode=backend)),
    "client.Estimator level 0": lambda: estimate(Estimator(mode=backend, options={"resilience_level": 0})),
    "client.Estimator level 2, batch": lambda: with_batch(
        lambda b: estimate(Estimator(mode=b, options={"resilience_level": 2}))
    ),
    "client.Estimator precision": lambda: estimate(Estimator(mode=backend), precision=0.03),
    "runtime.SamplerV2": lambda: sample(SamplerV2(mode=backend)),
    "runtime.SamplerV2 seeded by the student": lambda: sample(
        SamplerV2(mode=backend, options={"simulator": {"seed_simulator": 99}})
    ),
    "runtime.SamplerV2 batch": lambda: with_batch(lambda b: sample(SamplerV2(mode=b))),
    "runtime.EstimatorV2": lambda: estimate(EstimatorV2(mode=backend)),
    "runtime.EstimatorV2 shots": lambda: estimate(EstimatorV2(mode=backend, options={"default_shots": 2000})),
    "qiskit.BackendSamplerV2": lambda: sample(BackendSamplerV2(backend=backend)),
    "qiskit.BackendEstimatorV2": lambda: estimate(
        BackendEstimatorV2(backend=backend, options={"default_precision": 0.02})
    ),
    "aer.SamplerV2": lambda: sample(AerSampler.from_backend(backend)),
    "aer.EstimatorV2": lambda: estimate(AerEstimator.from_backend(backend, options={"default_precision": 0.01})),
}
claims = {name: call_task(job, (), 1000 + number) for number, (name, job) in enumerate(JOBS.items())}
json.dump(claims, sys.stdout)
"""


def _results(call_results: list, kind: str) -> list:
    if kind == "sampler":
        return [
            {k: [getattr(r.data, k).get_counts(i) for i in np.ndindex(r.data[k].shape)] for k in r.data.keys()}
            for r in call_results
        ]
    return [np.asarray(r.data.evs).reshape(-1).tolist() for r in call_results]


@functools.cache
def claims_on(name: str) -> tuple[object, dict]:
    """The claims of every job on the fake backend ``name``, run in a fresh one-thread process, as a sandbox runs."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", STUDENT, name], capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return (FakeLimaV2() if name == "FakeLimaV2" else FakeNairobiV2()), json.loads(done.stdout)


@pytest.fixture(params=["FakeLimaV2", "FakeNairobiV2"])
def claims(request: pytest.FixtureRequest) -> tuple[object, dict]:
    """Every job's claims on a 5-qubit and a 7-qubit fake backend."""
    return claims_on(request.param)


@pytest.fixture()
def lima_claims() -> tuple[object, dict]:
    """Every job's claims on FakeLimaV2."""
    return claims_on("FakeLimaV2")


def test_every_registered_primitive_is_covered(claims: tuple[object, dict]) -> None:
    _, found = claims
    keys = {decode_case(data).calls[0].entry.key for data in found.values()}
    assert keys == {entry.key for entry in REGISTRY}


def test_a_replay_reproduces_every_job_exactly(claims: tuple[object, dict]) -> None:
    backend, found = claims
    for name, data in found.items():
        case = decode_case(data)
        assert case.error is None, (name, case.error)
        (call,) = case.calls
        assert call.seeded_by_grader == ("seeded by the student" not in name), name
        assert _results(replay(call, backend, Budget()), call.kind) == case.returned, name


def test_replays_in_parallel_threads_match_one_after_another(lima_claims: tuple[object, dict]) -> None:
    # Each thread replays on its own fresh fake backend: none may run without its noise model.
    backend, found = lima_claims
    calls = [(name, decode_case(data)) for name, data in found.items() if "Sampler" in name or "Estimator" in name]
    results: dict[str, list] = {}
    errors: list[BaseException] = []

    def one(name: str, case: object) -> None:
        try:
            (call,) = case.calls
            results[name] = _results(replay(call, backend, Budget()), call.kind)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=one, args=pair) for pair in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(results[name] == case.returned for name, case in calls)


def test_a_claim_beyond_the_budget_is_refused_without_running(lima_claims: tuple[object, dict]) -> None:
    backend, found = lima_claims
    (call,) = decode_case(found["runtime.SamplerV2"]).calls
    with pytest.raises(Unreplayable, match="shots"):
        replay(call, backend, Budget(max_shots=100))
    (call,) = decode_case(found["client.Estimator precision"]).calls
    with pytest.raises(Unreplayable, match="precision"):
        replay(call, backend, Budget(min_precision=0.05))
