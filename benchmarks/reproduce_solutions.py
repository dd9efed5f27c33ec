"""Do the solutions' stored outputs reproduce? Re-execute each one many times and compare, as nbval does.

    python benchmarks/reproduce_solutions.py [NOTEBOOK...] [--runs 5] [--quiet-only] [--blas-coretype NAME]...

Every run executes one notebook in a fresh kernel, in its own process, the way `tools/refresh_solutions.py` stores
it; its code cells' outputs are then compared with the stored ones byte for byte, after the sanitisation of
`tests/nbval-sanitize.cfg` and with the fields nbval compares (`pytest --nbval` would fail on any mismatch shown
here). Each notebook (default: every file in `solutions/`) runs ``--runs`` times alone ("quiet"), then ``--runs``
times "under load": two notebooks at once, which on a 2-core machine keeps both cores busy. Each
``--blas-coretype NAME`` adds one quiet run per notebook with OpenBLAS forced to that kernel (`OPENBLAS_CORETYPE`),
which stands in for another processor: a SkylakeX kernel is what an Intel AVX-512 machine gets.

It prints a table per notebook (condition, runs, mismatching runs, which cells, in nbval's `Cell N` numbering),
then the first differing line of each mismatching cell, and exits with 1 on any mismatch or failed run.
The kernels import `grader` from this checkout (its root goes first on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import copy
import ctypes
import glob
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbval.plugin import coalesce_streams, find_comment_markers, find_metadata_tags, get_sanitize_patterns

ROOT = Path(__file__).resolve().parent.parent
SANITIZE_FILE = ROOT / "tests" / "nbval-sanitize.cfg"
CELL_TIMEOUT = 600
RUN_TIMEOUT = 1800
SKIP_COMPARE = (  # the keys nbval 0.11 leaves out of its comparison (without --nbdime)
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
)


@dataclass
class Run:
    """One execution of one notebook: under which condition, how long, and what differed."""

    notebook: Path
    condition: str
    seconds: float = 0.0
    error: str = ""  # the run itself failed (kernel died, timeout): no comparison
    mismatches: dict[int, tuple[str, str]] = field(default_factory=dict)  # nbval cell number -> (stored, seen)


def cpu_model() -> str:
    """The processor's model name, as Linux reports it."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def openblas_core() -> str:
    """The kernel numpy's OpenBLAS chose for this processor (honours OPENBLAS_CORETYPE), or '?'."""
    import numpy

    libs = Path(numpy.__file__).resolve().parent.parent / "numpy.libs"
    for library in sorted(glob.glob(str(libs / "*openblas*"))):
        shared = ctypes.CDLL(library)
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            if hasattr(shared, symbol):
                function = getattr(shared, symbol)
                function.restype = ctypes.c_char_p
                return function().decode()
    return "?"


def sanitizer() -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of tests/nbval-sanitize.cfg, read as nbval reads them."""
    return get_sanitize_patterns(SANITIZE_FILE.read_text())


def compared_fields(outputs: list[Any], patterns: list[tuple[str, str]]) -> dict[str, list[Any]]:
    """A cell's outputs as nbval compares them: streams merged, keyed by stream name or MIME type, sanitised."""
    fields: dict[str, list[Any]] = defaultdict(list)
    for output in coalesce_streams(copy.deepcopy(list(outputs))):
        items = dict(output)
        if items.get("output_type") == "stream":
            items = {"output_type": "stream", items["name"]: items.get("text", "")}
        for key, value in items.items():
            if key in SKIP_COMPARE:
                continue
            pairs = value.items() if key == "data" else [(key, value)]
            for name, text in pairs:
                if name in SKIP_COMPARE:
                    continue
                if isinstance(text, str):
                    for regex, replacement in patterns:
                        text = re.sub(regex, replacement, text)
                fields[name].append(text)
    return dict(fields)


def compared_cells(notebook: Any) -> list[tuple[int, Any]]:
    """(nbval cell number, cell) of every code cell whose outputs nbval checks under --nbval."""
    checked = []
    for number, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        options = dict(find_metadata_tags(cell.metadata))
        options.update(dict(find_comment_markers(cell.source)))
        if options.get("skip") or not options.get("check", True) or cell.get("execution_count") is None:
            continue
        checked.append((number, cell))
    return checked


def first_difference(stored: dict[str, list[Any]], seen: dict[str, list[Any]]) -> tuple[str, str]:
    """The first line where two cells' compared outputs part, as (stored, seen)."""

    def lines(fields: dict[str, list[Any]]) -> list[str]:
        return [f"{key}: {line}" for key in sorted(fields) for value in fields[key] for line in str(value).splitlines()]

    left, right = lines(stored), lines(seen)
    for a, b in zip(left, right, strict=False):
        if a != b:
            return a, b
    return f"({len(left)} lines)", f"({len(right)} lines)"


def compare(stored_path: Path, executed_path: Path, patterns: list[tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """Every checked cell of ``stored_path`` whose outputs differ in ``executed_path``, with its first difference."""
    stored = nbformat.read(stored_path, as_version=4)
    executed = [c for c in nbformat.read(executed_path, as_version=4).cells if c.cell_type == "code"]
    mismatches = {}
    for number, cell in compared_cells(stored):
        want = compared_fields(cell.outputs, patterns)
        got = compared_fields(executed[number].outputs, patterns)
        if want != got:
            mismatches[number] = first_difference(want, got)
    return mismatches


def execute(path: Path, destination: Path) -> None:
    """The worker: execute ``path`` in a fresh kernel in its folder, as refresh_solutions does; write the result."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(notebook, destination)


def run_once(path: Path, condition: str, scratch: Path, patterns: list[tuple[str, str]], index: int) -> Run:
    """Execute ``path`` once in a worker process under ``condition`` and compare it with its stored outputs."""
    run = Run(path, condition)
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [environment.get("PYTHONPATH")])])
    if condition.startswith("blas="):
        environment["OPENBLAS_CORETYPE"] = condition.removeprefix("blas=")
    executed = scratch / f"{index:04d}-{path.name}"
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path), str(executed)]
    start = time.perf_counter()
    try:
        worker = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        run.error = f"no result after {RUN_TIMEOUT} s"
        return run
    run.seconds = time.perf_counter() - start
    if worker.returncode != 0 or not executed.exists():
        run.error = f"worker exited with {worker.returncode}: {worker.stderr.strip()[-300:]}"
        return run
    run.mismatches = compare(path, executed, patterns)
    executed.unlink()
    return run


def progress(run: Run, done: int, total: int) -> None:
    """One line per finished run, on stderr."""
    verdict = run.error or (f"cells {sorted(run.mismatches)} differ" if run.mismatches else "identical")
    print(f"[{done}/{total}] {run.notebook.name} ({run.condition}, {run.seconds:.0f} s): {verdict}", file=sys.stderr)


def report(notebooks: list[Path], runs: list[Run]) -> int:
    """Print the tables and the differing lines; return the number of runs that failed or mismatched."""
    bad = 0
    for path in notebooks:
        mine = [r for r in runs if r.notebook == path]
        print(f"\n{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
        print(f"  {'condition':<16} {'runs':>4} {'mismatching':>11} {'failed':>6} {'median s':>8}  cells that differed")
        for condition in dict.fromkeys(r.condition for r in mine):
            group = [r for r in mine if r.condition == condition]
            cells = Counter(n for r in group for n in r.mismatches)
            timed = [r.seconds for r in group if not r.error]
            print(
                f"  {condition:<16} {len(group):>4} {sum(bool(r.mismatches) for r in group):>11} "
                f"{sum(bool(r.error) for r in group):>6} {statistics.median(timed) if timed else 0:>8.0f}  "
                + (", ".join(f"Cell {n} ({k}x)" for n, k in sorted(cells.items())) or "-")
            )
        variants = Counter((n, d) for r in mine for n, d in r.mismatches.items())
        for (number, (stored, seen)), count in sorted(variants.items()):
            print(f"    Cell {number}, {count} run(s):\n      stored: {stored[:150]}\n      seen:   {seen[:150]}")
        for failed in (r for r in mine if r.error):
            print(f"    failed run ({failed.condition}): {failed.error}")
        bad += sum(bool(r.mismatches or r.error) for r in mine)
    return bad


def main(argv: list[str] | None = None) -> int:
    """Run the schedule, print the report, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in solutions/")
    parser.add_argument("--runs", type=int, default=5, help="runs per notebook alone, and again under load")
    parser.add_argument("--quiet-only", action="store_true", help="skip the runs under load")
    parser.add_argument("--load-workers", type=int, default=2, help="notebooks at once under load (default 2)")
    parser.add_argument("--blas-coretype", action="append", default=[], metavar="NAME", help="e.g. SkylakeX")
    parser.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        execute(*args.worker)
        return 0
    if args.runs < 1 or args.load_workers < 1:
        parser.error("--runs and --load-workers must be at least 1")
    notebooks = [p.resolve() for p in args.notebooks] or sorted((ROOT / "solutions").glob("*.ipynb"))
    phases = [("quiet", 1)] + ([] if args.quiet_only else [("load", args.load_workers)])
    schedule = [(condition, workers, [p for _ in range(args.runs) for p in notebooks]) for condition, workers in phases]
    schedule += [(f"blas={name}", 1, notebooks) for name in args.blas_coretype]
    total = sum(len(paths) for _, _, paths in schedule)

    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; python {platform.python_version()}", flush=True)
    print(f"OpenBLAS kernel here: {openblas_core()}; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print(f"{len(notebooks)} notebooks, {total} runs; sanitised with {SANITIZE_FILE.relative_to(ROOT)}", flush=True)
    patterns = sanitizer()
    runs: list[Run] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reproduce-solutions-") as scratch:
        for condition, workers, paths in schedule:
            # Under load, consecutive entries are different notebooks: two different ones share the cores.
            with ThreadPoolExecutor(max_workers=workers) as pool:
                futures = [
                    pool.submit(run_once, p, condition, Path(scratch), patterns, len(runs) + i)
                    for i, p in enumerate(paths)
                ]
                for future in futures:
                    runs.append(future.result())
                    progress(runs[-1], len(runs), total)
    bad = report(notebooks, runs)
    print(f"\n{len(runs)} runs in {time.perf_counter() - started:.0f} s: {bad} mismatching or failed")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
