"""Book build time: a cold build, a rebuild with nothing changed, and a rebuild after one chapter changed.

    python benchmarks/book_build.py [--chapter book/sampler-results.md] [--top 6]

Copies the repository (without `_build`, `.git` or virtual environments) into a temporary folder and builds the
book there three times with `jupyter-book build`, exactly as the README does: from scratch, again with nothing
changed, and again after a comment was added to one code cell of `--chapter`. It prints the seconds of each build,
which notebooks each one executed, the pages that dominate the cold build (execution seconds recorded by
jupyter-cache) and the machine. `/work/main/_build` and its cache are never touched.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
NOT_COPIED = ("_build", "_build_student", ".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".ruff_cache")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
EDIT = "# edited by benchmarks/book_build.py"


@dataclass
class Build:
    """What one `jupyter-book build` cost and did."""

    seconds: float
    cpu_seconds: float
    reread: int
    executed: list[str]


def machine() -> str:
    """CPU count, CPU model and Python version."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.M)
        model = names[0] if names else model
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


def load() -> str:
    """The load averages over 1, 5 and 15 minutes: other work on the machine slows the builds."""
    return "load average " + " / ".join(f"{x:.2f}" for x in os.getloadavg())


def children_cpu_seconds() -> float:
    """User and system CPU seconds of every finished child process (kernels included): less noisy than wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(folder: Path) -> Build:
    """Run `jupyter-book build` on ``folder`` and parse what it re-read and executed."""
    cpu_before = children_cpu_seconds()
    start = time.perf_counter()
    done = subprocess.run([str(JUPYTER_BOOK), "build", str(folder)], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    cpu_seconds = children_cpu_seconds() - cpu_before
    log = ANSI.sub("", done.stdout + done.stderr)
    if done.returncode != 0:
        sys.exit(f"jupyter-book build failed in {folder}:\n{log[-4000:]}")
    updated = re.search(r"updating environment: .*?(\d+) added, (\d+) changed", log)
    reread = int(updated[1]) + int(updated[2]) if updated else 0
    executed = re.findall(rf"^{re.escape(str(folder))}/(\S+): Executing notebook", log, flags=re.M)
    return Build(seconds, cpu_seconds, reread, executed)


def edit_first_code_cell(chapter: Path) -> None:
    """Add a comment line at the end of the first code cell of ``chapter`` (a MyST notebook)."""
    lines = chapter.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("```{code-cell}"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].rstrip() == "```")
    lines.insert(end, EDIT + "\n")
    chapter.write_text("".join(lines))


def page_times(folder: Path) -> list[tuple[float, str]]:
    """Execution seconds of each page's latest cached run, slowest first."""
    latest = {}
    for record in get_cache(folder / "_build" / ".jupyter_cache").list_cache_records():
        if record.uri not in latest or record.created > latest[record.uri].created:
            latest[record.uri] = record
    times = [(r.data.get("execution_seconds", 0.0), str(Path(uri).relative_to(folder))) for uri, r in latest.items()]
    return sorted(times, reverse=True)


def describe(name: str, result: Build) -> str:
    """One line: the seconds of a build, what it re-read and what it executed."""
    executed = ", ".join(result.executed) if 0 < len(result.executed) <= 3 else f"{len(result.executed)} notebooks"
    figures = f"{result.seconds:6.1f} s wall, {result.cpu_seconds:6.1f} s CPU"
    return f"{name:20} {figures}   ({result.reread} documents re-read; executed: {executed})"


def main() -> None:
    """Build a copy of the repository three times and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="book/sampler-results.md", help="the chapter whose code cell changes")
    parser.add_argument("--top", type=int, default=6, help="how many of the slowest pages to list")
    args = parser.parse_args()
    print(f"machine: {machine()}; {load()}")
    with tempfile.TemporaryDirectory(prefix="book-build-") as scratch:
        folder = Path(scratch) / "repo"
        shutil.copytree(ROOT, folder, ignore=shutil.ignore_patterns(*NOT_COPIED))
        cold = build(folder)
        print(describe("cold build", cold))
        pages = page_times(folder)
        assert pages, "jupyter-cache recorded no executed page"
        no_change = build(folder)
        print(describe("nothing changed", no_change))
        edit_first_code_cell(folder / args.chapter)
        one_chapter = build(folder)
        print(describe("one chapter changed", one_chapter))
    total = sum(seconds for seconds, _ in pages)
    print(f"notebook execution in the cold build: {total:.1f} s over {len(pages)} pages; the slowest:")
    for seconds, page in pages[: args.top]:
        print(f"  {seconds:6.1f} s  {page}")
    print(f"at the end: {load()}")


if __name__ == "__main__":
    main()
