"""Grading throughput: `python -m grader grade` against `pytest --nbval-lax` on the same student notebooks.

    python benchmarks/grade_vs_nbval.py [--students 16] [--workers CORES] [--class correct|mixed]

Writes N realistic notebooks per exercise (sampler-basics and estimator-basics): by default every one correct, each
with a seed of its own so that no two students' jobs are alike; with ``--class mixed``, correct, untouched and
wrong ones in turn. Grades them both ways in this run and prints seconds per notebook, the ratio, the latency of
one check cell in a warm kernel, and the peak resident memory of one process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ("sampler-basics", "estimator-basics")
WRONG = {  # one line of each solution replaced: backend.run for the sampler, a typed-in value for the estimator
    "sampler-basics": (
        "job.result()[0].data.meas.get_counts()",
        "backend.run(pass_manager.run(circuit), shots=shots).result().get_counts()",
    ),
    "estimator-basics": ("return float(result[0].data.evs)", "return float(result[0].data.evs) + 0.01"),
}


def cpu_model() -> str:
    """The processor's model name, as Linux reports it."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def write_class(folder: Path, exercise: str, students: int, mixed: bool) -> list[Path]:
    """Write ``students`` notebooks for ``exercise``: all correct (own seeds), or correct, untouched and wrong."""
    folder.mkdir()
    paths = []
    for index in range(students):
        kind = ("correct", "untouched", "wrong")[index % 3] if mixed else "correct"
        source = ROOT / ("exercises" if kind == "untouched" else "solutions") / f"{exercise}.ipynb"
        notebook = nbformat.read(source, as_version=4)
        for cell in notebook.cells:
            if kind == "wrong":
                cell.source = cell.source.replace(*WRONG[exercise])
            cell.source = cell.source.replace("SEED = ", f"SEED = {index + 1} * 7919 + ", 1)
        path = folder / f"{exercise}-{index:03d}-{kind}.ipynb"
        nbformat.write(notebook, path)
        paths.append(path)
    return paths


def grade_command(path: Path, exercise: str, out: Path, workers: int) -> list[str]:
    """The batch grader's command line for ``path``."""
    command = [sys.executable, "-m", "grader", "grade", str(path), "--exercise", exercise, "--out", str(out)]
    return [*command, "--workers", str(workers)]


def timed(command: list[str], cwd: Path) -> float:
    """Wall-clock seconds of ``command``."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start


def check_cell_latency(exercise: str) -> tuple[float, float]:
    """Seconds of one check cell in a warm kernel, and the part of it that is the student's own task calls."""
    code = (
        "import json, time\n"
        "from grader.exercises import load_exercise\n"
        "from grader.notebook import run_checks\n"
        f"nb = json.load(open({str(ROOT / 'solutions' / (exercise + '.ipynb'))!r}))\n"
        "namespace = {}\n"
        "code = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']\n"
        "for source in code[1:3]:  # the setup cell and the first task's solution\n"
        "    exec(source, namespace)\n"
        "task = [c for c in nb['cells'] if 'check' in c.get('metadata', {}).get('grader', {})][0]"
        "['metadata']['grader']['check']\n"
        f"run_checks({exercise!r}, namespace[task])\n"
        "start = time.perf_counter()\n"
        f"run_checks({exercise!r}, namespace[task])\n"
        "whole = time.perf_counter() - start\n"
        f"cases = load_exercise({exercise!r}).task(task).cases()\n"
        "start = time.perf_counter()\n"
        "for case in cases:\n"
        "    namespace[task](*case.args)\n"
        "print(whole, time.perf_counter() - start)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    whole, own = map(float, done.stdout.strip().splitlines()[-1].split())
    return whole, own


def main() -> None:
    """Run both routes on the same class and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16, help="notebooks per exercise")
    parser.add_argument("--class", dest="kind", choices=("correct", "mixed"), default="correct", help="what they hold")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="the grader's --workers")
    args = parser.parse_args()
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"grader --workers {args.workers}, nbval in one process as `pytest --nbval-lax` runs"
    )
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for exercise in EXERCISES:
            paths = write_class(folder / exercise, exercise, args.students, args.kind == "mixed")
            grader = timed(grade_command(folder / exercise, exercise, folder / f"{exercise}-out", args.workers), ROOT)
            startup = timed(grade_command(paths[0], exercise, folder / f"{exercise}-one", args.workers), ROOT)
            nbval = timed(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "--nbval-lax",
                    "--nbval-current-env",
                    "-q",
                    "-o",
                    "addopts=",
                    "-p",
                    "no:cacheprovider",
                    str(folder / exercise),
                ],
                ROOT,
            )
            report = json.loads((folder / f"{exercise}-out" / "grades.json").read_text())
            scores = sorted({r["score"] for r in report["submissions"]})
            print(
                f"{exercise:17} {len(paths)} notebooks: grader {grader / len(paths):5.2f} s/notebook "
                f"(scores {scores}), nbval-lax {nbval / len(paths):5.2f} s/notebook, "
                f"grader/nbval throughput ×{nbval / grader:.2f}"
            )
            steady = (grader - startup) / (len(paths) - 1)
            print(
                f"{'':17} the grader on one notebook, start-up included: {startup:.2f} s; each further notebook "
                f"{steady:.2f} s, ×{nbval / len(paths) / steady:.1f} nbval's throughput once started"
            )
            whole, own = check_cell_latency(exercise)
            print(
                f"{'':17} check cell in a warm kernel: {whole:.2f} s, of which the student's own task calls "
                f"{own:.2f} s and the grader's checks {whole - own:.2f} s"
            )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak resident memory of one process (grader, warm parent, sandbox or kernel): {peak:.0f} MB")


if __name__ == "__main__":
    main()
