"""Run the course on the newest qiskit, qiskit-ibm-runtime and qiskit-aer, and list what breaks.

    python tools/canary.py [--pre] [--venv DIR] [--report FILE] [--current-env] [--exercise ID ...] [--skip-book]
                           [--expected FILE]

In a fresh virtual environment (DIR, or one under the output folder) it installs requirements.txt without the three
Qiskit pins, upgrades those three (with --pre, to pre-releases too), builds the book with every page's kernel
turning DeprecationWarning into an error, and grades every solution notebook with the grader under the same
PYTHONWARNINGS; a solution must score full marks. The deprecations the course shows on purpose, listed in
tools/canary_expected.toml, are let through: the report says where each was seen and flags those that no longer
appear. It writes a Markdown report (FILE) and its JSON twin, and exits with 1 when a page or an exercise breaks.
--current-env skips the install and uses the Python running this script.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MOVING = ("qiskit", "qiskit-ibm-runtime", "qiskit-aer")
WARNINGS_AS_ERRORS = "error::DeprecationWarning"
EXPECTED = ROOT / "tools" / "canary_expected.toml"


@dataclass(frozen=True)
class ExpectedDeprecation:
    """A DeprecationWarning the course shows on purpose: the start of its message, where it shows, and why."""

    message: str
    where: tuple[str, ...]
    why: str

    def matches(self, text: str) -> bool:
        """Whether a warning's message starts with this one, ignoring case (as PYTHONWARNINGS compares them)."""
        return text.lower().startswith(self.message.lower())


@dataclass
class Report:
    """What the canary found: the versions it ran on, the pages and the exercises that broke."""

    versions: dict[str, str]
    pre: bool
    book_built: bool = True
    broken_pages: list[dict[str, str]] = field(default_factory=list)
    broken_exercises: list[dict[str, object]] = field(default_factory=list)
    expected: list[dict[str, object]] = field(default_factory=list)

    @property
    def broken(self) -> bool:
        """Whether anything broke."""
        return bool(self.broken_pages or self.broken_exercises)


def load_expected(path: Path, root: Path = ROOT) -> list[ExpectedDeprecation]:
    """The expected deprecations listed in `path`, checked for what PYTHONWARNINGS can carry and for stale places."""
    expected = []
    for entry in tomllib.loads(path.read_text()).get("deprecation", []):
        message = str(entry["message"])
        if not message or message != message.strip() or any(sign in message for sign in ",:"):
            raise ValueError(f"{path.name}: {message!r} must be non-empty, unpadded, without commas or colons")
        missing = [place for place in entry["where"] if not (root / place).is_file()]
        if missing:
            raise ValueError(f"{path.name}: {message!r} lists places that do not exist: {missing}")
        expected.append(ExpectedDeprecation(message, tuple(entry["where"]), " ".join(str(entry["why"]).split())))
    return expected


def warning_filters(expected: list[ExpectedDeprecation]) -> str:
    """PYTHONWARNINGS that makes DeprecationWarning an error, except the expected ones (later entries win)."""
    return ",".join([WARNINGS_AS_ERRORS, *(f"default:{item.message}:DeprecationWarning" for item in expected)])


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command, echoing it, and capture its output as text."""
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


def requirements_without_qiskit(requirements: Path) -> list[str]:
    """The lines of requirements.txt, minus comments and the pins of the three packages the canary moves."""
    kept = []
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        name = re.split(r"[=<>!~\[ ]", line, maxsplit=1)[0].lower().replace("_", "-")
        if line and name not in MOVING:
            kept.append(line)
    return kept


def make_environment(venv: Path, pre: bool) -> Path:
    """Create `venv` with the course's stack around the newest Qiskit packages, and return its Python."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pinned = venv / "requirements-canary.txt"
    pinned.write_text("\n".join(requirements_without_qiskit(ROOT / "requirements.txt")) + "\n")
    steps = [
        ["-m", "pip", "install", "--upgrade", "pip"],
        ["-m", "pip", "install", "-r", str(pinned)],  # `-e .` in it is relative to the repository's root
        ["-m", "pip", "install", "--upgrade", *(["--pre"] if pre else []), *MOVING],
    ]
    for step in steps:
        done = run([str(python), *step], cwd=ROOT)
        if done.returncode != 0:
            sys.exit(f"installing failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return python


def installed_versions(python: Path) -> dict[str, str]:
    """The versions of Python and of the moving packages in the environment of `python`."""
    code = (
        "import json, platform; from importlib.metadata import version; "
        f"print(json.dumps({{'python': platform.python_version(), **{{n: version(n) for n in {MOVING!r}}}}}))"
    )
    return json.loads(subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout)


def strict_kernel(python: Path, jupyter_path: Path, filters: str = WARNINGS_AS_ERRORS) -> Path:
    """Write a `python3` kernel spec whose kernels run with PYTHONWARNINGS=`filters`; return its JUPYTER_PATH.

    Only the pages' kernels get the setting: Sphinx and Jupyter Book themselves use deprecated APIs of their own
    dependencies, and the canary is about the course's code.
    """
    spec = jupyter_path / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    kernel = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (canary)",
        "language": "python",
        "env": {"PYTHONWARNINGS": filters},
    }
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1))
    return jupyter_path


def canary_config(book: Path, out: Path) -> Path:
    """A copy of the book's `_config.yml` that lets every page fail on its own instead of stopping the build."""
    config = yaml.safe_load((book / "_config.yml").read_text())
    config["execute"]["raise_on_error"] = False
    config["execute"]["execute_notebooks"] = "force"
    # Jupyter Book resolves local extensions from the config file's folder, which is no longer the book's.
    extensions = config.get("sphinx", {}).get("local_extensions") or {}
    config.setdefault("sphinx", {})["local_extensions"] = {name: str(book / path) for name, path in extensions.items()}
    path = out / "_config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def build_book(python: Path, book: Path, out: Path, filters: str = WARNINGS_AS_ERRORS) -> tuple[int, str]:
    """Build `book` into `out` with strict kernels and a fresh execution cache; return the status and the log."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "JUPYTER_PATH": str(strict_kernel(python, out / "jupyter", filters))}
    command = [str(python.parent / "jupyter-book"), "build", str(book), "--config", str(canary_config(book, out))]
    built = run([*command, "--path-output", str(out), "--keep-going"], cwd=book, env=env, timeout=7200)
    log = built.stdout + built.stderr
    (out / "build.log").write_text(log)
    return built.returncode, log


def broken_pages(html: Path, returncode: int, log: str) -> list[dict[str, str]]:
    """The pages whose execution failed (myst-nb's `reports/*.err.log`), or the build itself if it failed."""
    broken = []
    reports = html / "reports"
    for report in sorted(reports.glob("**/*.err.log")) if reports.is_dir() else []:
        text = re.sub(r"\x1b\[[0-9;]*m", "", report.read_text())  # the tracebacks are coloured
        errors = re.findall(r"^\w*(?:Error|Exception|Warning|Interrupt)\b.*$", text, flags=re.M)
        page = report.relative_to(reports).as_posix().removesuffix(".err.log")
        last = errors[-1] if errors else (text.strip().splitlines() or [""])[-1]
        broken.append({"page": page, "error": last[:300]})
    if returncode != 0 and not broken:
        broken.append({"page": "(the whole build)", "error": log.strip().splitlines()[-1] if log.strip() else ""})
    return broken


def shown_deprecations(executed: Path, skipped: list[str]) -> dict[str, list[str]]:
    """The DeprecationWarning messages each executed page printed, by page (its path without suffix).

    `executed` is the build's `jupyter_execute` folder; pages matching `skipped` (the config's execute
    exclude_patterns) keep stored outputs, so they say nothing about this run.
    """
    shown: dict[str, list[str]] = {}
    for notebook in sorted(executed.glob("**/*.ipynb")):
        relative = notebook.relative_to(executed)
        if any(fnmatch.fnmatch(relative.as_posix(), pattern) for pattern in skipped):
            continue
        streams = [
            "".join(output["text"]) if isinstance(output["text"], list) else output["text"]
            for cell in json.loads(notebook.read_text())["cells"]
            for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" and output.get("name") == "stderr"
        ]
        messages = re.findall(r"\bDeprecationWarning: (.+)$", "\n".join(streams), flags=re.M)
        shown[relative.with_suffix("").as_posix()] = messages
    return shown


def expected_seen(expected: list[ExpectedDeprecation], shown: dict[str, list[str]]) -> list[dict[str, object]]:
    """For each expected deprecation: the pages that showed it, and how that differs from the pages it lists."""
    lines = []
    for item in expected:
        seen = sorted(page for page, messages in shown.items() if any(item.matches(text) for text in messages))
        listed = {Path(place).with_suffix("").as_posix() for place in item.where}
        checked = sorted(listed & shown.keys())
        status = "seen" if seen else "no longer seen: remove it" if checked else "not checked"
        lines.append(
            {
                "message": item.message,
                "status": status,
                "seen_on": seen,
                "listed_but_not_seen_on": [page for page in checked if page not in seen],
                "seen_but_not_listed_on": [page for page in seen if page not in listed],
            }
        )
    return lines


def grade(
    python: Path, notebook: Path, exercise: str, out: Path, filters: str = WARNINGS_AS_ERRORS
) -> dict[str, object]:
    """Grade one notebook with the course's grader under PYTHONWARNINGS=`filters`; return its grades.json record."""
    env = {**os.environ, "PYTHONWARNINGS": filters}
    command = [str(python), "-m", "grader", "grade", str(notebook), "--exercise", exercise, "--out", str(out)]
    graded = run(command, cwd=ROOT, env=env, timeout=3600)
    grades = out / "grades.json"
    if graded.returncode != 0 or not grades.is_file():
        return {"status": "grader failed", "score": 0.0, "max_score": None, "message": graded.stderr[-2000:]}
    return json.loads(grades.read_text())["submissions"][0]


def short_of_full_marks(exercise: str, record: dict[str, object]) -> dict[str, object] | None:
    """A line for the report when a solution's grade is not full marks, with the checks that failed."""
    if record.get("status") == "graded" and record["score"] == record["max_score"]:
        return None
    failed = [
        f"{check['id']}: {check['message']}"
        for task in record.get("tasks", [])  # type: ignore[union-attr]
        for check in task.get("checks", [])
        if not check["passed"]
    ]
    return {
        "exercise": exercise,
        "status": record.get("status"),
        "score": record.get("score"),
        "max_score": record.get("max_score"),
        "problems": failed or [str(record.get("message", ""))],
    }


def markdown(report: Report) -> str:
    """The report for people: versions, then what broke."""
    lines = ["# Canary report", "", "| package | version |", "| --- | --- |"]
    lines += [f"| {name} | {version} |" for name, version in report.versions.items()]
    lines += ["", f"Pre-releases allowed: {'yes' if report.pre else 'no'}.", ""]
    lines += [f"## Broken pages ({len(report.broken_pages)})", ""]
    lines += [f"- `{page['page']}`: {page['error']}" for page in report.broken_pages] or [
        "None." if report.book_built else "Not checked: the book was not built (--skip-book)."
    ]
    lines += ["", f"## Exercises whose solution lost marks ({len(report.broken_exercises)})", ""]
    for item in report.broken_exercises:
        lines.append(f"- `{item['exercise']}`: {item['status']}, {item['score']} of {item['max_score']}")
        lines += [f"  - {problem}" for problem in item["problems"]]  # type: ignore[attr-defined]
    if not report.broken_exercises:
        lines.append("None.")
    lines += ["", f"## Expected deprecations ({len(report.expected)})", ""]
    lines += ["Shown on purpose and let through (`tools/canary_expected.toml`); the grading lets them through too.", ""]
    if not report.book_built:
        lines += ["The book was not built (--skip-book), so no page was looked at.", ""]
    for item in report.expected:
        pages: list[str] = item["seen_on"]  # type: ignore[assignment]
        lines.append(f"- `{item['message']}`: " + (f"seen on {len(pages)} page(s)" if pages else f"{item['status']}"))
        for key in ("listed_but_not_seen_on", "seen_but_not_listed_on"):
            if item[key]:
                places = ", ".join(f"`{page}`" for page in item[key])  # type: ignore[attr-defined]
                lines.append(f"  - {key.replace('_', ' ')}: {places}")
    return "\n".join(lines) + "\n"


def write_report(report: Report, path: Path) -> None:
    """Write the Markdown report to `path` and its JSON twin beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(report))
    path.with_suffix(".json").write_text(json.dumps({**asdict(report), "broken": report.broken}, indent=2))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pre", action="store_true", help="allow pre-releases of the three Qiskit packages")
    parser.add_argument("--venv", type=Path, help="where to create the environment (default: under --out)")
    parser.add_argument("--report", type=Path, default=ROOT / "_build/canary/report.md", help="Markdown report")
    parser.add_argument("--out", type=Path, help="working folder (default: a new temporary folder)")
    parser.add_argument("--current-env", action="store_true", help="use this Python's packages, install nothing")
    parser.add_argument("--exercise", action="append", help="grade only these exercises (repeatable)")
    parser.add_argument("--skip-book", action="store_true", help="do not build the book")
    parser.add_argument("--expected", type=Path, default=EXPECTED, help="deprecations shown on purpose (TOML)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the canary and return the exit status: 1 when something broke."""
    args = parse_args(argv)
    out = (args.out or Path(tempfile.mkdtemp(prefix="canary-"))).resolve()
    expected = load_expected(args.expected.resolve())
    filters = warning_filters(expected)
    python = Path(sys.executable) if args.current_env else make_environment(args.venv or out / "venv", args.pre)
    report = Report(versions=installed_versions(python), pre=args.pre, book_built=not args.skip_book)
    print("canary running on", ", ".join(f"{k} {v}" for k, v in report.versions.items()), flush=True)
    shown: dict[str, list[str]] = {}
    if not args.skip_book:
        status, log = build_book(python, ROOT, out / "book", filters)
        report.broken_pages = broken_pages(out / "book" / "_build" / "html", status, log)
        skipped = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"].get("exclude_patterns", [])
        shown = shown_deprecations(out / "book" / "_build" / "jupyter_execute", skipped)
    report.expected = expected_seen(expected, shown)
    exercises = args.exercise or sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
    for exercise in exercises:
        record = grade(python, ROOT / "solutions" / f"{exercise}.ipynb", exercise, out / "grades" / exercise, filters)
        if (line := short_of_full_marks(exercise, record)) is not None:
            report.broken_exercises.append(line)
    write_report(report, args.report.resolve())
    print(markdown(report))
    return 1 if report.broken else 0


if __name__ == "__main__":
    sys.exit(main())
