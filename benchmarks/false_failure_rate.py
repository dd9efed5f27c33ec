"""How often does the grader fail a correct answer? Measured by simulation, printed as figures.

A correct student's counts and the grader's trusted re-run are two independent runs of the same PUB on the same
fake backend. This script draws many such pairs (many copies of the PUB in one job, seeded differently for the
"student" and the "grader"), applies the grader's own tests, and prints how often they reject at several levels:
the share must stay at or below the level (the tests are calibrated, or conservative). Each exercise splits
NOTEBOOK_ALPHA over its m tests (Bonferroni), so a correct notebook fails with probability at most NOTEBOOK_ALPHA.

    python benchmarks/false_failure_rate.py [--pairs 2000]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime.fake_provider import FakeBelemV2, FakeLimaV2

from grader.exercises import load_exercise
from grader.judge.estimator_checks import spread_factor
from grader.judge.statistics import NOTEBOOK_ALPHA, same_distribution_pvalue, same_mean_pvalue
from grader.trusted_primitives import trusted_estimator, trusted_sampler

LEVELS = (0.05, 0.01, 0.001)
SAMPLERS = ("qiskit_ibm_runtime.executor_sampler.sampler.Sampler", "qiskit_ibm_runtime.sampler.SamplerV2")
ESTIMATORS = ("qiskit_ibm_runtime.executor_estimator.estimator.Estimator", "qiskit_ibm_runtime.estimator.EstimatorV2")


def bell(backend: object) -> QuantumCircuit:
    """The sampler-basics Bell circuit, transpiled for ``backend``."""
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=5).run(circuit)


def count_pvalues(primitive: str, backend: object, pairs: int, shots: int) -> np.ndarray:
    """p-values of the grader's counts test on ``pairs`` correct (student, re-run) pairs."""
    pubs = [(bell(backend), None, shots)] * pairs
    student = trusted_sampler(primitive, backend, seed=101).run(pubs).result()
    grader = trusted_sampler(primitive, backend, seed=202).run(pubs).result()
    return np.array(
        [
            same_distribution_pvalue(s.data.meas.get_counts(), g.data.meas.get_counts())
            for s, g in zip(student, grader, strict=True)
        ]
    )


def value_pvalues(primitive: str, backend: object, pairs: int) -> np.ndarray:
    """p-values of the grader's z-test on ``pairs`` correct ⟨XX⟩ estimates at θ = 1.1; prints the spread of z."""
    circuit = QuantumCircuit(2)
    circuit.ry(1.1, 0)
    circuit.cx(0, 1)
    isa = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=5).run(circuit)
    pubs = [(isa, SparsePauliOp("XX").apply_layout(isa.layout))] * pairs
    student = trusted_estimator(primitive, backend, seed=303).run(pubs).result()
    grader = trusted_estimator(primitive, backend, seed=404).run(pubs).result()
    z = [
        (float(s.data.evs) - float(g.data.evs)) / np.hypot(s.data.stds, g.data.stds)
        for s, g in zip(student, grader, strict=True)
    ]
    widen = spread_factor(primitive)
    print(f"    spread of z: {np.std(z):.3f} (1 = reported errors are exact); the grader widens errors by {widen}")
    return np.array(
        [
            same_mean_pvalue(
                float(s.data.evs), widen * float(s.data.stds), float(g.data.evs), widen * float(g.data.stds)
            )
            for s, g in zip(student, grader, strict=True)
        ]
    )


def report(name: str, pvalues: np.ndarray, seconds: float) -> None:
    """Print the share of rejections at each level, with a 95% upper bound when none were seen."""
    shares = []
    for level in LEVELS:
        rejected = int((pvalues < level).sum())
        bound = f"<{3 / len(pvalues):.4f}" if rejected == 0 else f"{rejected / len(pvalues):.4f}"
        shares.append(f"{level:>6}: {bound:>8}")
    print(f"{name:58} n={len(pvalues):5}  " + "  ".join(shares) + f"   ({seconds:.1f} s)")


def main() -> None:
    """Run the simulation and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000, help="correct (student, re-run) pairs per row")
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)  # the deprecated primitives, measured on purpose
    print("Share of correct answers rejected by each test, at three levels (must be <= the level):")
    for backend in (FakeLimaV2(), FakeBelemV2()):
        for primitive in SAMPLERS:
            start = time.perf_counter()
            pvalues = count_pvalues(primitive, backend, args.pairs, shots=1000)
            report(f"counts, {primitive.rsplit('.', 1)[-1]}, {backend.name}", pvalues, time.perf_counter() - start)
        for primitive in ESTIMATORS:
            start = time.perf_counter()
            pvalues = value_pvalues(primitive, backend, args.pairs // 4)
            report(f"<XX>, {primitive.rsplit('.', 1)[-1]}, {backend.name}", pvalues, time.perf_counter() - start)
    print(f"\nPer-notebook bound (Bonferroni): each test runs at NOTEBOOK_ALPHA / m, NOTEBOOK_ALPHA = {NOTEBOOK_ALPHA}")
    for exercise_id in ("sampler-basics", "estimator-basics"):
        exercise = load_exercise(exercise_id)
        for batch in (False, True):
            m = exercise.statistical_tests_for(batch)
            route = "batch grader" if batch else "check cells"
            print(
                f"  {exercise_id:18} {route:13} m = {m:2}: each test at {NOTEBOOK_ALPHA / m:.2e}, "
                f"false failures <= {NOTEBOOK_ALPHA:g} per correct notebook"
            )


if __name__ == "__main__":
    main()
