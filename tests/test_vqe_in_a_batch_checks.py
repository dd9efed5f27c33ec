"""vqe-in-a-batch's rubric on real answers: honest styles get full marks; a wrong Hamiltonian, bound circuits,
invented energies, no Batch, extra jobs and short runs lose what the rubric says, and no message accuses.

A minimisation runs 20 jobs per case, so the wrong ones here stop COBYLA after 6 evaluations (its least for four
parameters; both starts are already below the threshold then) and lose `cobyla_run` besides what they show.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from answers import graded, unmet
from qiskit.circuit.library import real_amplitudes
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer.primitives import EstimatorV2 as AerEstimator
from qiskit_ibm_runtime import Batch, EstimatorV2, Session
from qiskit_ibm_runtime.executor_estimator import Estimator
from scipy.optimize import minimize

from grader.exercises.vqe_in_a_batch import MINIMISE_THRESHOLD, exact_energy, minimise_cases

EXERCISE = "vqe-in-a-batch"
SEED = 71
PRECISION = 0.03
HAMILTONIAN = SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 0.5), ("IX", 0.5)])
ACCUSING = ("typing", "typed", "editing", "edited", "cheat", "forg", "tamper")


def messages(result):
    return " ".join(c.message for c in result.checks)


def assert_fair(result, score, missing):
    """The score and the unmet requirements are exactly these, and no message suggests cheating."""
    assert (result.score, unmet(result)) == (score, missing), messages(result)
    assert not any(word in messages(result).lower() for word in ACCUSING), messages(result)


def isa_ansatz(backend, parameters=None, seed=SEED):
    ansatz = real_amplitudes(2, reps=1)
    if parameters is not None:
        ansatz = ansatz.assign_parameters(parameters)
    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=seed).run(ansatz)


def client_estimator(mode, level=None):
    options = {"resilience_level": level} if level is not None else {}
    estimator = Estimator(mode=mode, options=options)
    estimator.options.simulator.seed_simulator = SEED
    estimator.options.default_precision = PRECISION
    return estimator


def runtime_estimator(mode, seeded=True):
    options = {"default_precision": PRECISION}
    if seeded:
        options["simulator"] = {"seed_simulator": SEED}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # EstimatorV2 is deprecated since 0.50: still accepted
        return EstimatorV2(mode=mode, options=options)


def energy_with(estimator, circuit, observable, parameters):
    return float(estimator.run([(circuit, observable, parameters)]).result()[0].data.evs)


# energy(backend, parameters): ⟨H⟩ of the ansatz, one job.


def energy_graded(function):
    return graded(EXERCISE, "energy", function)


def energy_client_seeded(backend, parameters):  # the solution's style: precision given to `run`
    circuit = isa_ansatz(backend)
    job = client_estimator(backend).run([(circuit, HAMILTONIAN.apply_layout(circuit.layout), parameters)])
    return float(job.result()[0].data.evs)


def energy_runtime_unseeded(backend, parameters):  # the grader seeds it; the value as a numpy float
    circuit = isa_ansatz(backend)
    result = runtime_estimator(backend, seeded=False).run(
        [(circuit, HAMILTONIAN.apply_layout(circuit.layout), parameters)]
    )
    return result.result()[0].data.evs[()]


def energy_aer_rounded(backend, parameters):  # Aer's estimator, another layout, rounded to 6 decimals
    circuit = isa_ansatz(backend, seed=5)
    value = energy_with(
        AerEstimator.from_backend(backend), circuit, HAMILTONIAN.apply_layout(circuit.layout), parameters
    )
    return round(value, 6)


@pytest.mark.parametrize(
    "answer",
    [energy_client_seeded, energy_runtime_unseeded, energy_aer_rounded],
    ids=["client-seeded", "runtime-unseeded-numpy", "aer-other-layout-rounded"],
)
def test_honest_energies_get_full_marks(answer):
    result = energy_graded(answer)
    assert (result.score, unmet(result)) == (2.0, set()), messages(result)


def test_a_hamiltonian_without_its_halves_fails_with_the_coefficients_named():
    def energy(backend, parameters):
        circuit = isa_ansatz(backend)
        wrong = SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 1.0), ("IX", 1.0)]).apply_layout(circuit.layout)
        return energy_with(AerEstimator.from_backend(backend), circuit, wrong, parameters)

    result = energy_graded(energy)
    assert_fair(result, 0.0, {"right_observable", "provenance"})
    assert "coefficient 0.5" in messages(result)


def test_parameters_in_another_order_fail_the_state_with_a_hint():
    def energy(backend, parameters):
        circuit = isa_ansatz(backend)
        observable = HAMILTONIAN.apply_layout(circuit.layout)
        return energy_with(AerEstimator.from_backend(backend), circuit, observable, parameters[::-1])

    result = energy_graded(energy)
    assert_fair(result, 0.0, {"right_state", "right_observable", "provenance", "parameters_in_pub"})
    assert "another order" in messages(result)


def test_parameters_bound_before_transpiling_lose_only_that_credit():
    def energy(backend, parameters):
        circuit = isa_ansatz(backend, parameters)
        observable = HAMILTONIAN.apply_layout(circuit.layout)
        return float(AerEstimator.from_backend(backend).run([(circuit, observable)]).result()[0].data.evs)

    result = energy_graded(energy)
    assert_fair(result, 1.75, {"parameters_in_pub"})
    assert "third entry" in messages(result)


def test_the_noise_free_energy_returned_fails_provenance_without_an_accusation():
    def energy(backend, parameters):
        energy_aer_rounded(backend, parameters)
        return exact_energy(parameters)

    result = energy_graded(energy)
    assert_fair(result, 0.0, {"provenance"})


def test_a_statevector_estimator_ignores_the_backend():
    def energy(backend, parameters):
        return energy_with(StatevectorEstimator(seed=SEED), real_amplitudes(2, reps=1), HAMILTONIAN, parameters)

    result = energy_graded(energy)
    assert_fair(
        result,
        0.0,
        {"uses_v2_estimator", "right_state", "right_observable", "provenance", "parameters_in_pub", "isa_circuit"},
    )
    assert "ignores the backend" in messages(result)


def test_an_energy_from_backend_run_counts_fails_the_legacy_gates():
    def energy(backend, parameters):
        circuit = real_amplitudes(2, reps=1).assign_parameters(parameters)
        circuit.measure_all()
        pass_manager = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=SEED)
        counts = backend.run(pass_manager.run(circuit), shots=2000).result().get_counts()
        return sum((-1) ** (key.count("1") % 2) * n for key, n in counts.items()) / 2000  # ⟨ZZ⟩ only

    result = energy_graded(energy)
    assert result.score == 0.0
    assert {"reads_as_v2", "no_backend_run", "uses_v2_estimator"} <= unmet(result)


# minimize_energy(backend, initial, iterations): COBYLA inside one Batch, one job per evaluation.


def minimize_graded(function):
    return graded(EXERCISE, "minimize_energy", function)


def vqe(backend, initial, iterations, estimator, extra_job=False):
    """A COBYLA run whose every evaluation is one job of ``estimator``."""
    circuit = isa_ansatz(backend)
    observable = HAMILTONIAN.apply_layout(circuit.layout)

    def cost(parameters):
        return energy_with(estimator, circuit, observable, parameters)

    result = minimize(cost, initial, method="COBYLA", options={"maxiter": iterations})
    energy = cost(result.x) if extra_job else result.fun
    return {"energy": energy, "parameters": list(result.x), "evaluations": result.nfev}


def minimize_client_in_a_batch(backend, initial, iterations):  # the solution's style
    with Batch(backend=backend) as batch:
        return vqe(backend, initial, iterations, client_estimator(batch, level=0))


def minimize_runtime_unseeded_arrays(backend, initial, iterations):  # numpy values, result.x as it comes, 6 d.p.
    with Batch(backend=backend) as batch:
        estimator = runtime_estimator(batch, seeded=False)
        circuit = isa_ansatz(backend)
        observable = HAMILTONIAN.apply_layout(circuit.layout)

        def cost(parameters):
            return estimator.run([(circuit, observable, parameters)]).result()[0].data.evs

        result = minimize(cost, np.asarray(initial), method="COBYLA", options={"maxiter": iterations})
    return {"energy": round(float(result.fun), 6), "parameters": result.x, "evaluations": result.nfev}


@pytest.mark.parametrize(
    "answer",
    [minimize_client_in_a_batch, minimize_runtime_unseeded_arrays],
    ids=["client-seeded", "runtime-unseeded-arrays"],
)
def test_honest_minimisations_in_a_batch_get_full_marks(answer):
    result = minimize_graded(answer)
    assert (result.score, unmet(result)) == (3.0, set()), messages(result)


def minimize_aer_no_batch(backend, initial, iterations):
    return vqe(backend, initial, 6, AerEstimator.from_backend(backend, options={"default_precision": PRECISION}))


def minimize_in_a_session(backend, initial, iterations):
    with Session(backend=backend) as session:
        return vqe(backend, initial, 6, runtime_estimator(session))


@pytest.mark.parametrize("answer", [minimize_aer_no_batch, minimize_in_a_session], ids=["no-batch", "session"])
def test_jobs_outside_a_batch_lose_the_batch_credit(answer):
    result = minimize_graded(answer)
    assert_fair(result, 2.0, {"in_a_batch", "cobyla_run"})
    assert "with Batch(backend=backend)" in messages(result)


def test_an_extra_job_after_the_minimisation_loses_one_job_per_evaluation():
    def minimize_energy(backend, initial, iterations):
        with Batch(backend=backend) as batch:
            return vqe(backend, initial, 6, runtime_estimator(batch), extra_job=True)

    result = minimize_graded(minimize_energy)
    assert_fair(result, 2.25, {"one_job_per_evaluation", "cobyla_run"})
    assert "maxiter" in messages(result)


def test_the_noise_free_energy_returned_fails_provenance():
    def minimize_energy(backend, initial, iterations):
        with Batch(backend=backend) as batch:
            found = vqe(backend, initial, 6, runtime_estimator(batch))
        return {**found, "energy": exact_energy(found["parameters"])}

    result = minimize_graded(minimize_energy)
    assert_fair(result, 0.0, {"provenance", "minimised", "cobyla_run"})
    assert "replay of that job" in messages(result)


def test_returning_the_start_without_minimising_fails_the_threshold():
    def minimize_energy(backend, initial, iterations):
        with Batch(backend=backend) as batch:
            circuit = isa_ansatz(backend)
            energy = energy_with(runtime_estimator(batch), circuit, HAMILTONIAN.apply_layout(circuit.layout), initial)
        return {"energy": energy, "parameters": list(initial), "evaluations": 1}

    result = minimize_graded(minimize_energy)
    assert_fair(result, 0.0, {"minimised", "cobyla_run"})
    assert "ground energy" in messages(result)


def test_the_starting_points_fail_the_threshold_and_the_ground_state_passes_it():
    assert all(exact_energy(case.args[1]) > MINIMISE_THRESHOLD + 1 for case in minimise_cases())
    ground = np.linalg.eigvalsh(HAMILTONIAN.to_matrix())[0]
    assert ground < MINIMISE_THRESHOLD - 0.4
