"""The Gradescope bundle end to end: built by the CLI, unzipped into a temporary root, run by its own script."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.export.gradescope import grade_command

ROOT = Path(__file__).resolve().parent.parent
TEST_FIELDS = {"name", "score", "max_score", "status", "output", "visibility"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def solution_with(tmp: Path, name: str, replace: dict[str, str]) -> Path:
    """A copy of the sampler-basics solution with some code replaced."""
    notebook = nbformat.read(ROOT / "solutions/sampler-basics.ipynb", as_version=4)
    for cell in notebook.cells:
        for old, new in replace.items():
            cell.source = cell.source.replace(old, new)
    nbformat.write(notebook, tmp / name)
    return tmp / name


def nobody_can_run_python() -> bool:
    """Whether the unprivileged user can start this Python (not when it lives under a private home folder)."""
    if os.geteuid() != 0 or not shutil.which("runuser"):
        return False
    probe = ["runuser", "-u", "nobody", "--", sys.executable, "-c", "import qiskit"]
    return subprocess.run(probe, capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "sampler-basics.zip"
    command = [sys.executable, "-m", "grader", "gradescope", "--exercise", "sampler-basics", "--out", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def run_bundle(bundle: Path, tmp: Path, submissions: dict[str, bytes]) -> dict:
    """Unzip the bundle as Gradescope would, add the submission files, run `run_autograder`; its results.json."""
    root = tmp / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile does not restore permissions
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    for name, data in submissions.items():
        (root / "submission" / name).write_bytes(data)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable}
    if not nobody_can_run_python():
        env["GRADER_RUN_AS"] = ""
    run = subprocess.run([str(root / "source/run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((root / "results/results.json").read_text())
    assert_gradescope_schema(results)
    return results


def assert_gradescope_schema(results: dict) -> None:
    assert isinstance(results["score"], float) and isinstance(results["execution_time"], int)
    assert isinstance(results["output"], str) and results["stdout_visibility"] in VISIBILITIES
    assert results["tests"], "one test per check"
    for test in results["tests"]:
        assert set(test) == TEST_FIELDS
        assert 0 <= test["score"] <= test["max_score"] + 1e-3  # a task's score is rounded to 0.01
        assert test["status"] in {"passed", "failed"} and test["visibility"] in VISIBILITIES
    assert sum(t["score"] for t in results["tests"]) == pytest.approx(results["score"], abs=1e-9)


def test_bundle_layout_and_setup_script(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        requirements = archive.read("requirements.txt").decode()
        setup = archive.read("setup.sh").decode()
        config = json.loads(archive.read("grader-bundle.json"))
        copies = {n: archive.read(n) for n in names if n.startswith("grader/")}
    assert {"setup.sh", "run_autograder", "requirements.txt", "pyproject.toml", "grader-bundle.json"} <= names
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    for script in ("setup.sh", "run_autograder"):
        with zipfile.ZipFile(bundle) as archive:
            text = archive.read(script).decode()
        assert text.startswith("#!/usr/bin/env bash\n")
        assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0, f"{script} has a syntax error"
    course = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if not line.startswith("-e")]
    assert requirements.splitlines() == course, "the bundle installs exactly the course's pins"
    assert "python3.11 -m venv" in setup and '-r "$SOURCE/requirements.txt"' in setup
    assert config["exercise"] == "sampler-basics" and config["points"] == {"bell_counts": 2.0, "theta_sweep": 2.0}
    package = ROOT / "grader"
    assert copies == {f"grader/{p.relative_to(package).as_posix()}": p.read_bytes() for p in package.rglob("*.py")}


def test_solution_scores_full_marks(bundle: Path, tmp_path: Path) -> None:
    results = run_bundle(bundle, tmp_path, {"answer.ipynb": (ROOT / "solutions/sampler-basics.ipynb").read_bytes()})
    assert results["score"] == 4.0
    assert all(t["status"] == "passed" and t["visibility"] == "visible" for t in results["tests"])
    names = [t["name"] for t in results["tests"]]
    assert "bell_counts · uses_v2_sampler [FakeLimaV2, 777 shots]" in names, names


def test_untouched_exercise_scores_zero(bundle: Path, tmp_path: Path) -> None:
    results = run_bundle(bundle, tmp_path, {"mine.ipynb": (ROOT / "exercises/sampler-basics.ipynb").read_bytes()})
    assert results["score"] == 0.0
    assert any("not written yet" in t["output"] for t in results["tests"])


def test_backend_run_scores_less_than_full(bundle: Path, tmp_path: Path) -> None:
    run = "backend.run(pass_manager.run(circuit), shots=shots, seed_simulator=SEED).result().get_counts()"
    path = solution_with(tmp_path, "legacy.ipynb", {"job.result()[0].data.meas.get_counts()": run})
    results = run_bundle(bundle, tmp_path, {"legacy.ipynb": path.read_bytes()})
    assert results["score"] < 4.0
    failed = {t["name"].split(" [")[0] for t in results["tests"] if t["status"] == "failed"}
    assert "bell_counts · no_backend_run" in failed, failed


def test_several_files_get_a_clear_message(bundle: Path, tmp_path: Path) -> None:
    notebook = (ROOT / "solutions/sampler-basics.ipynb").read_bytes()
    results = run_bundle(bundle, tmp_path, {"a.ipynb": notebook, "b.py": b"x = 1\n"})
    assert results["score"] == 0.0 and "exactly one" in results["output"]
    assert {t["max_score"] for t in results["tests"]} == {2.0}


def test_grade_command_drops_to_the_bundle_user_and_passes_hidden_checks(tmp_path: Path) -> None:
    config = {"exercise": "sampler-basics", "timeout": 30, "seed": 7, "memory": 2048, "checks": "hidden_checks"}
    command = grade_command("py", tmp_path / "a.ipynb", tmp_path / "out", tmp_path / "src", config, "nobody")
    assert command[command.index("--run-as") + 1] == "nobody"
    assert command[command.index("--checks") + 1] == str(tmp_path / "src/hidden_checks")
    assert "--run-as" not in grade_command("py", tmp_path / "a.ipynb", tmp_path, tmp_path, config, "")


HIDDEN_MODULE = """
from dataclasses import replace

from grader.exercises.sampler_basics import EXERCISE as PUBLIC
from grader.results import CheckResult

BELL = PUBLIC.task("bell_counts")


def check_with_balance(case, returned, trace, context):
    even = isinstance(returned, dict) and abs(returned.get("00", 0) - returned.get("11", 0)) < 0.2 * case.args[1]
    return [*BELL.check(case, returned, trace, context), CheckResult("bell_counts.hidden_balance", even, "00 ~ 11.")]


EXERCISE = replace(PUBLIC, tasks=(replace(BELL, check=check_with_balance), PUBLIC.task("theta_sweep")))
"""


def test_hidden_checks_are_bundled_and_shown_after_the_due_date(tmp_path: Path) -> None:
    checks = tmp_path / "instructor-checks"
    checks.mkdir()
    (checks / "sampler_basics.py").write_text(HIDDEN_MODULE)
    out = tmp_path / "hidden.zip"
    command = [sys.executable, "-m", "grader", "gradescope", "--exercise", "sampler-basics", "--out", str(out)]
    built = subprocess.run([*command, "--checks", str(checks)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr[-2000:]
    with zipfile.ZipFile(out) as archive:
        assert archive.read("hidden_checks/sampler_basics.py").decode() == HIDDEN_MODULE
        assert json.loads(archive.read("grader-bundle.json"))["checks"] == "hidden_checks"
    results = run_bundle(out, tmp_path, {"answer.ipynb": (ROOT / "solutions/sampler-basics.ipynb").read_bytes()})
    visibility = {t["name"].split(" [")[0]: t["visibility"] for t in results["tests"]}
    assert visibility["bell_counts · hidden_balance"] == "after_due_date"
    assert visibility["bell_counts · uses_v2_sampler"] == "visible"
    assert results["score"] == 4.0
