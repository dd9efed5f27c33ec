"""The vqe-in-a-batch checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import warnings

import numpy as np
from answers import failing_checks
from qiskit.circuit.library import real_amplitudes
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import Batch, EstimatorV2, Session
from qiskit_ibm_runtime.executor_estimator import Estimator
from scipy.optimize import minimize

from grader.exercises.vqe_in_a_batch import MINIMISE_THRESHOLD, exact_energy, minimise_cases

SEED = 71
PRECISION = 0.03
HAMILTONIAN = SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 0.5), ("IX", 0.5)])


def isa_ansatz(backend, parameters=None):
    ansatz = real_amplitudes(2, reps=1)
    if parameters is not None:
        ansatz = ansatz.assign_parameters(parameters)
    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=SEED).run(ansatz)


def client_estimator(mode, level=None):
    estimator = Estimator(mode=mode) if level is None else Estimator(mode=mode, options={"resilience_level": level})
    estimator.options.simulator.seed_simulator = SEED
    estimator.options.default_precision = PRECISION
    return estimator


def deprecated_estimator(mode):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return EstimatorV2(mode=mode, options={"simulator": {"seed_simulator": SEED}, "default_precision": PRECISION})


failed_ids = failing_checks("vqe-in-a-batch")


def energy_with(estimator, circuit, observable, parameters):
    return float(estimator.run([(circuit, observable, parameters)]).result()[0].data.evs)


def test_energy_with_the_client_side_estimator_passes():
    def energy(backend, parameters):
        circuit = isa_ansatz(backend)
        return energy_with(client_estimator(backend), circuit, HAMILTONIAN.apply_layout(circuit.layout), parameters)

    assert failed_ids(energy) == set()


def test_energy_with_the_deprecated_estimator_passes():
    def energy(backend, parameters):
        circuit = isa_ansatz(backend)
        observable = HAMILTONIAN.apply_layout(circuit.layout)
        return energy_with(deprecated_estimator(backend), circuit, observable, parameters)

    assert failed_ids(energy) == set()


def test_energy_from_backend_run_counts_fails_the_gates():
    def energy(backend, parameters):
        circuit = real_amplitudes(2, reps=1).assign_parameters(parameters)
        circuit.measure_all()
        isa = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=SEED).run(circuit)
        counts = backend.run(isa, shots=2000, seed_simulator=SEED).result().get_counts()
        return sum((-1) ** (key.count("1") % 2) * n for key, n in counts.items()) / 2000  # <ZZ> only

    assert {"energy.no_backend_run", "energy.uses_v2_estimator"} <= failed_ids(energy)


def test_energy_of_a_hamiltonian_without_its_half_fails_the_exact_check():
    def energy(backend, parameters):
        circuit = isa_ansatz(backend)
        wrong = SparsePauliOp.from_list([("ZZ", 1.0), ("XI", 1.0), ("IX", 1.0)]).apply_layout(circuit.layout)
        return energy_with(client_estimator(backend, level=0), circuit, wrong, parameters)

    assert failed_ids(energy) == {"energy.right_pub"}


def test_energy_with_parameters_bound_before_transpiling_fails_the_pub_requirement():
    def energy(backend, parameters):
        circuit = isa_ansatz(backend, parameters)
        observable = HAMILTONIAN.apply_layout(circuit.layout)
        return float(client_estimator(backend, level=0).run([(circuit, observable)]).result()[0].data.evs)

    assert failed_ids(energy) == {"energy.parameters_in_pub"}


def test_energy_typed_in_from_a_statevector_fails_provenance():
    def energy(backend, parameters):
        circuit = isa_ansatz(backend)
        energy_with(client_estimator(backend, level=0), circuit, HAMILTONIAN.apply_layout(circuit.layout), parameters)
        return exact_energy(parameters)

    assert failed_ids(energy) == {"energy.provenance"}


def test_energy_from_a_statevector_estimator_ignores_the_backend():
    def energy(backend, parameters):
        return energy_with(StatevectorEstimator(seed=SEED), real_amplitudes(2, reps=1), HAMILTONIAN, parameters)

    assert failed_ids(energy) == {"energy.uses_v2_estimator"}


def vqe(backend, initial, iterations, make_estimator, extra_job=False):
    """A COBYLA run whose every evaluation is one estimator job; the estimator is built by ``make_estimator``."""
    circuit = isa_ansatz(backend)
    observable = HAMILTONIAN.apply_layout(circuit.layout)
    estimator = make_estimator()

    def cost(parameters):
        return energy_with(estimator, circuit, observable, parameters)

    result = minimize(cost, initial, method="COBYLA", options={"maxiter": iterations})
    energy = cost(result.x) if extra_job else result.fun
    return {"energy": energy, "parameters": list(result.x), "evaluations": result.nfev}


def test_minimisation_in_a_batch_passes_with_either_estimator():
    def minimize_energy(backend, initial, iterations):
        with Batch(backend=backend) as batch:
            return vqe(backend, initial, iterations, lambda: client_estimator(batch, level=0))

    assert failed_ids(minimize_energy) == set()

    def minimize_energy(backend, initial, iterations):  # noqa: F811 - the same task, written with EstimatorV2
        with Batch(backend=backend) as batch:
            return vqe(backend, initial, iterations, lambda: deprecated_estimator(batch))

    assert failed_ids(minimize_energy) == set()


def test_minimisation_outside_a_batch_or_in_a_session_fails_the_mode():
    def minimize_energy(backend, initial, iterations):
        return vqe(backend, initial, iterations, lambda: deprecated_estimator(backend))

    assert failed_ids(minimize_energy) == {"minimize_energy.in_a_batch"}

    def minimize_energy(backend, initial, iterations):  # noqa: F811 - a Session instead of a Batch
        with Session(backend=backend) as session:
            return vqe(backend, initial, iterations, lambda: deprecated_estimator(session))

    assert failed_ids(minimize_energy) == {"minimize_energy.in_a_batch"}


def test_an_extra_job_after_the_minimisation_breaks_one_job_per_evaluation():
    def minimize_energy(backend, initial, iterations):
        with Batch(backend=backend) as batch:
            return vqe(backend, initial, iterations, lambda: deprecated_estimator(batch), extra_job=True)

    assert failed_ids(minimize_energy) == {"minimize_energy.one_job_per_evaluation"}


def test_stopping_after_a_few_evaluations_fails_the_budget():
    def minimize_energy(backend, initial, iterations):
        with Batch(backend=backend) as batch:
            return vqe(backend, initial, 6, lambda: deprecated_estimator(batch))  # 6: COBYLA's least

    assert "minimize_energy.cobyla_run" in failed_ids(minimize_energy)


def test_returning_the_noise_free_energy_fails_provenance():
    def minimize_energy(backend, initial, iterations):
        with Batch(backend=backend) as batch:
            found = vqe(backend, initial, iterations, lambda: deprecated_estimator(batch))
        return {**found, "energy": exact_energy(found["parameters"])}

    assert failed_ids(minimize_energy) == {"minimize_energy.provenance"}


def test_the_starting_points_fail_the_threshold_and_the_ground_state_passes_it():
    assert all(exact_energy(case.args[1]) > MINIMISE_THRESHOLD + 1 for case in minimise_cases())
    ground = np.linalg.eigvalsh(HAMILTONIAN.to_matrix())[0]
    assert ground < MINIMISE_THRESHOLD - 0.4
