"""The grader's cached backends and noise models change nothing but the time a re-run takes."""

from __future__ import annotations

from copy import deepcopy
from types import MethodType

from qiskit import QuantumCircuit
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer.noise import NoiseModel
from qiskit_ibm_runtime.executor_sampler import Sampler
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2, FakeQuitoV2

from grader import simulators
from grader.primitives import BY_KEY
from grader.simulators import _build_fake_noise_model, _build_noise_model, grader_backend, install

SEED = 4242


def isa_bell(backend: object) -> QuantumCircuit:
    """A measured Bell circuit transpiled, with a fixed seed, for ``backend``."""
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return generate_preset_pass_manager(optimization_level=1, backend=backend, seed_transpiler=SEED).run(circuit)


def test_one_backend_per_class_and_never_the_callers() -> None:
    mine = FakeLimaV2()
    assert grader_backend(mine) is grader_backend(FakeLimaV2()) is not mine
    assert grader_backend(FakeBelemV2()) is not grader_backend(mine)
    assert isinstance(grader_backend(mine), FakeLimaV2)


def test_the_grader_backends_share_one_noise_model_equal_to_a_fresh_one() -> None:
    backend = grader_backend(FakeBelemV2())
    first = NoiseModel.from_backend(backend)
    assert NoiseModel.from_backend(backend) is first
    assert first == _build_noise_model(NoiseModel, FakeBelemV2())


def test_other_backends_get_a_copy_they_may_change() -> None:
    grader_backend(FakeLimaV2())
    student = FakeLimaV2()
    mine = NoiseModel.from_backend(student)
    assert mine is not NoiseModel.from_backend(student) and mine == NoiseModel.from_backend(student)
    mine.add_all_qubit_readout_error([[0.5, 0.5], [0.5, 0.5]])
    assert NoiseModel.from_backend(student) != mine


def test_a_backend_whose_errors_changed_gets_a_model_of_its_own() -> None:
    grader_backend(FakeLimaV2())
    changed = FakeLimaV2()
    before = NoiseModel.from_backend(changed)
    properties = changed.target["cx"][(0, 1)]
    properties.error = 0.25
    changed.target.update_instruction_properties("cx", (0, 1), properties)
    after = NoiseModel.from_backend(changed)
    assert after != before and after == _build_noise_model(NoiseModel, changed)


def test_a_cached_replay_gives_exactly_the_counts_of_an_uncached_run() -> None:
    backend = FakeLimaV2()
    isa = isa_bell(backend)
    entry, options = BY_KEY["client.Sampler"], {"simulator": {"seed_simulator": SEED}}
    replays = [entry.build(grader_backend(backend), options) for _ in "ab"]
    cached = [sampler.run([isa], shots=999).result()[0].data.meas for sampler in replays]
    fresh = Sampler(mode=backend)
    fresh.options.simulator.seed_simulator = SEED
    uncached = fresh.run([isa], shots=999).result()[0].data.meas
    assert cached[0].get_counts() == cached[1].get_counts() == uncached.get_counts()


def test_a_client_side_job_shares_the_cached_model_and_a_student_still_gets_a_copy(monkeypatch) -> None:
    install()
    copies = []
    monkeypatch.setattr(simulators, "deepcopy", lambda model: copies.append(model) or deepcopy(model))
    student = FakeLimaV2()
    mine = NoiseModel.from_backend(student)  # asked for by the student: a copy, which they may change
    mine.add_all_qubit_readout_error([[0.5, 0.5], [0.5, 0.5]])
    assert len(copies) == 1
    isa = isa_bell(student)
    sampler = Sampler(mode=student)
    sampler.options.simulator.seed_simulator = SEED
    counts = sampler.run([isa], shots=999).result()[0].data.meas.get_counts()
    assert len(copies) == 1  # the job's own simulator shared the cached model: no copy
    replay = BY_KEY["client.Sampler"].build(grader_backend(student), {"simulator": {"seed_simulator": SEED}})
    assert replay.run([isa], shots=999).result()[0].data.meas.get_counts() == counts  # the change reached nothing


def test_a_fake_backends_own_noise_model_is_cached_by_content_and_copied() -> None:
    install()
    first, second = FakeQuitoV2(), FakeQuitoV2()
    model = first._get_noise_model_from_backend_v2()
    assert model == second._get_noise_model_from_backend_v2() == _build_fake_noise_model(FakeQuitoV2())
    assert model is not second._get_noise_model_from_backend_v2()
    second._props_dict["qubits"][0][0]["value"] *= 2  # T1 of qubit 0
    assert second._get_noise_model_from_backend_v2() == _build_fake_noise_model(second) != model


def test_backend_run_counts_are_the_same_with_the_cache() -> None:
    install()
    cached, uncached = FakeQuitoV2(), FakeQuitoV2()
    isa = isa_bell(cached)
    uncached._get_noise_model_from_backend_v2 = MethodType(_build_fake_noise_model, uncached)  # the library's own
    counts = [b.run(isa, shots=999, seed_simulator=SEED).result().get_counts() for b in (cached, uncached)]
    assert counts[0] == counts[1]
