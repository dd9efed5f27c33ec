"""The client-side-primitives checks, run in-process as a check cell runs them, on right and wrong answers."""

from __future__ import annotations

import warnings

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import EstimatorV2
from qiskit_ibm_runtime.executor_estimator import Estimator

from grader.notebook import run_checks

SEED = 89


def xx_pub(backend, theta, observable="XX"):
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    circuit.cx(0, 1)
    isa_circuit = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=SEED).run(circuit)
    return isa_circuit, SparsePauliOp(observable).apply_layout(isa_circuit.layout)


def value(estimator, pub):
    return float(estimator.run([pub]).result()[0].data.evs)


def client(backend, **options):
    estimator = Estimator(mode=backend, options=options) if options else Estimator(mode=backend)
    estimator.options.simulator.seed_simulator = SEED
    return estimator


def deprecated(backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return EstimatorV2(mode=backend, options={"simulator": {"seed_simulator": SEED}})


def failed(function):
    return {r.id: r.message for r in run_checks("client-side-primitives", function) if not r.passed}


def test_mitigated_at_the_default_level_passes_and_so_does_level_1_set_explicitly():
    def mitigated_xx(backend, theta):
        return value(client(backend), xx_pub(backend, theta))

    assert failed(mitigated_xx) == {}

    def mitigated_xx(backend, theta):  # noqa: F811 - the same task, with the level spelled out
        return value(client(backend, resilience_level=1), xx_pub(backend, theta))

    assert failed(mitigated_xx) == {}


def test_mitigated_with_the_deprecated_estimator_fails_and_says_why():
    def mitigated_xx(backend, theta):
        return value(deprecated(backend), xx_pub(backend, theta))

    failures = failed(mitigated_xx)
    assert set(failures) == {"mitigated_xx.client_side_estimator"}
    assert "never mitigates" in failures["mitigated_xx.client_side_estimator"]


def test_mitigated_at_level_0_or_without_measure_mitigation_fails_the_level():
    def mitigated_xx(backend, theta):
        return value(client(backend, resilience_level=0), xx_pub(backend, theta))

    assert set(failed(mitigated_xx)) == {"mitigated_xx.resilience_level"}

    def mitigated_xx(backend, theta):  # noqa: F811 - level 1 with its readout mitigation switched off
        estimator = client(backend)
        estimator.options.resilience.measure_mitigation = False
        return value(estimator, xx_pub(backend, theta))

    failures = failed(mitigated_xx)
    assert set(failures) == {"mitigated_xx.resilience_level"}
    assert "measure_mitigation" in failures["mitigated_xx.resilience_level"]


def test_mitigated_from_backend_run_fails_the_gates():
    def mitigated_xx(backend, theta):
        circuit, _ = xx_pub(backend, theta)
        circuit.h(circuit.layout.final_index_layout()[:2])
        circuit.measure_all()
        counts = backend.run(circuit, shots=4000, seed_simulator=SEED).result().get_counts()
        return sum((-1) ** (key.count("1") % 2) * n for key, n in counts.items()) / 4000

    assert {"mitigated_xx.no_backend_run", "mitigated_xx.uses_v2_estimator"} <= set(failed(mitigated_xx))


def test_mitigated_with_the_wrong_observable_fails_the_exact_check():
    def mitigated_xx(backend, theta):
        return value(client(backend), xx_pub(backend, theta, observable="ZZ"))

    assert set(failed(mitigated_xx)) == {"mitigated_xx.right_pub"}


def test_mitigated_ideal_value_typed_in_fails_provenance():
    def mitigated_xx(backend, theta):
        value(client(backend), xx_pub(backend, theta))
        return float(np.sin(theta))

    assert set(failed(mitigated_xx)) == {"mitigated_xx.provenance"}


def test_unmitigated_at_level_0_passes_through_either_kind_of_option():
    def unmitigated_xx(backend, theta):
        return value(client(backend, resilience_level=0), xx_pub(backend, theta))

    assert failed(unmitigated_xx) == {}

    def unmitigated_xx(backend, theta):  # noqa: F811 - the level set on the options object
        estimator = client(backend)
        estimator.options.resilience_level = 0
        return value(estimator, xx_pub(backend, theta))

    assert failed(unmitigated_xx) == {}


def test_unmitigated_at_the_default_level_fails_the_level():
    def unmitigated_xx(backend, theta):
        return value(client(backend), xx_pub(backend, theta))

    failures = failed(unmitigated_xx)
    assert set(failures) == {"unmitigated_xx.resilience_level"}
    assert "level 1, not 0" in failures["unmitigated_xx.resilience_level"]


def test_unmitigated_with_the_deprecated_estimator_fails_although_it_does_not_mitigate():
    def unmitigated_xx(backend, theta):
        return value(deprecated(backend), xx_pub(backend, theta))

    assert set(failed(unmitigated_xx)) == {"unmitigated_xx.client_side_estimator"}


def test_unmitigated_with_two_jobs_fails_the_one_job_rule():
    def unmitigated_xx(backend, theta):
        estimator = client(backend, resilience_level=0)
        pub = xx_pub(backend, theta)
        return (value(estimator, pub) + value(estimator, pub)) / 2

    assert set(failed(unmitigated_xx)) == {"unmitigated_xx.uses_v2_estimator"}
