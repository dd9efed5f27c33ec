"""False failures: how often the grader fails an honest answer, for every primitive it replays, on every route.

    python benchmarks/false_failure_rate.py [--runs 1000] [--notebooks 20]

For each registered V2 primitive, ``--runs`` honest answers (a Bell pair's counts for a sampler, ⟨X⊗X⟩ for an
estimator) are run and judged as the check cells judge them: the student's call recorded in this process with a
default seed of its own, its claim sent through JSON, then replayed and checked against the task's rubric. Each run
uses another seed, and the runs cycle through the course's fake backends and several angles. Then ``--notebooks``
correct notebooks per contract exercise go through the batch grader (sandboxes, replay, rubric) and the pytest
plugin's route shares that pipeline. Prints the false failures of each, which replay makes 0: a genuine run is
reproduced exactly, so there is no statistical test to fail by chance.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime import fake_provider

from grader.claims import CaseOutcome
from grader.exercises import Case, load_exercise
from grader.judge.grade import judge_case
from grader.primitives import BY_KEY, REGISTRY, case_seed
from grader.scan import ScanResult
from grader.simulators import COURSE_BACKENDS
from grader.student_side.task_call import call_task

ROOT = Path(__file__).resolve().parent.parent
ANGLES = (0.4, 1.1, 2.5, 2.9)


def make(entry, backend):  # noqa: ANN001 - a registry entry and a fake backend
    """A fresh, unseeded primitive of ``entry``'s class on ``backend``, built as students build it."""
    cls = entry.cls
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the deprecated runtime primitives, on purpose
        if entry.key.startswith(("client.", "runtime.")):
            return cls(mode=backend)
        if entry.key.startswith("qiskit."):
            return cls(backend=backend)
        return cls.from_backend(backend)


def honest(entry):  # noqa: ANN001
    """The honest answer of the contract task for this primitive's kind."""
    if entry.kind == "sampler":

        def bell_counts(backend, shots):
            circuit = QuantumCircuit(2)
            circuit.h(0)
            circuit.cx(0, 1)
            circuit.measure_all()
            isa = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=5).run(circuit)
            return make(entry, backend).run([isa], shots=shots).result()[0].data.meas.get_counts()

        return "sampler-basics", bell_counts

    def xx_expectation(backend, theta):
        circuit = QuantumCircuit(2)
        circuit.ry(theta, 0)
        circuit.cx(0, 1)
        isa = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=5).run(circuit)
        observable = SparsePauliOp("XX").apply_layout(isa.layout)
        return float(make(entry, backend).run([(isa, observable)]).result()[0].data.evs)

    return "estimator-basics", xx_expectation


def _failures(key: str, runs: range) -> int:
    """False failures among the honest runs ``runs`` of the primitive ``key``, judged as the check cells judge."""
    entry = BY_KEY[key]
    exercise_id, answer = honest(entry)
    task = load_exercise(exercise_id).tasks[0]
    failures = 0
    for run in runs:
        backend = getattr(fake_provider, COURSE_BACKENDS[run % len(COURSE_BACKENDS)])()
        argument = 500 + run % 700 if entry.kind == "sampler" else ANGLES[run % len(ANGLES)]
        case = Case(f"run {run}", (backend, argument))
        claim = json.loads(json.dumps(call_task(answer, case.args, case_seed(run + 1, task.name, run))))
        verdicts = judge_case(task, case, CaseOutcome("returned", claim), ScanResult((), {}), {})
        failures += not all(v.met for v in verdicts.values())
    return failures


def kernel_route(key: str, runs: int, jobs: int) -> tuple[int, float]:
    """False failures among ``runs`` honest answers of one primitive, over ``jobs`` processes; seconds per run."""
    started = time.perf_counter()
    shares = [range(start, runs, jobs) for start in range(jobs)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        failures = sum(pool.map(_failures, [key] * jobs, shares))
    return failures, (time.perf_counter() - started) * jobs / max(1, runs)


def batch_route(notebooks: int) -> dict[str, tuple[int, int]]:
    """False failures among correct notebooks (each with its own seed) graded by the batch command."""
    found = {}
    with tempfile.TemporaryDirectory() as scratch:
        for exercise in ("sampler-basics", "estimator-basics"):
            folder = Path(scratch) / exercise
            folder.mkdir()
            text = (ROOT / "solutions" / f"{exercise}.ipynb").read_text()
            for index in range(notebooks):
                (folder / f"student-{index:03d}.ipynb").write_text(text.replace("SEED = ", f"SEED = {index + 3} + ", 1))
            out = Path(scratch) / f"{exercise}-out"
            command = [sys.executable, "-m", "grader", "grade", str(folder), "--exercise", exercise, "--out", str(out)]
            subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
            records = json.loads((out / "grades.json").read_text())["submissions"]
            found[exercise] = (sum(r["score"] != r["max_score"] for r in records), len(records))
    return found


def main() -> None:
    """Print the false failures of every primitive on the check-cell route, then of the batch route."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="honest runs per primitive")
    parser.add_argument("--notebooks", type=int, default=20, help="correct notebooks per exercise, batch route")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for the check-cell route")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}; {args.runs} honest runs per primitive, judged by replay")
    print(f"{'primitive':42} {'runs':>6} {'false failures':>15} {'rate':>8} {'s/run':>7}")
    for entry in REGISTRY:
        failures, seconds = kernel_route(entry.key, args.runs, args.jobs)
        print(f"{entry.name:42} {args.runs:6d} {failures:15d} {failures / max(1, args.runs):8.4f} {seconds:7.3f}")
    for exercise, (failures, total) in batch_route(args.notebooks).items():
        print(f"batch route, {exercise:29} {total:6d} {failures:15d} {failures / max(1, total):8.4f}")


if __name__ == "__main__":
    main()
