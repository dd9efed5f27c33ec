"""The Gradescope bundle end to end: built by the CLI, unzipped into a temporary root, run by its own script."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from decimal import Decimal
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
        assert 0 <= test["score"] <= test["max_score"] or test["max_score"] == 0  # an override's line has no maximum
        assert test["status"] in {"passed", "failed"} and test["visibility"] in VISIBILITIES
    assert sum(Decimal(str(t["score"])) for t in results["tests"]) == Decimal(str(results["score"])), "exactly"


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
    runtime = (ROOT / "classroom/requirements-grader.txt").read_text()
    assert requirements == runtime, "the bundle installs the grader's run-time pins"
    assert "python3.11 -m venv" in setup and '-r "$SOURCE/requirements.txt"' in setup
    assert 'MIN_PYTHON="${MIN_PYTHON:-3.11.0}"' in setup and "--run-as" not in setup
    assert "run_as" not in config
    assert config["exercise"] == "sampler-basics" and config["points"] == {"bell_counts": 2.0, "theta_sweep": 2.0}
    package = ROOT / "grader"
    assert copies == {f"grader/{p.relative_to(package).as_posix()}": p.read_bytes() for p in package.rglob("*.py")}


def test_solution_scores_full_marks(bundle: Path, tmp_path: Path) -> None:
    results = run_bundle(bundle, tmp_path, {"answer.ipynb": (ROOT / "solutions/sampler-basics.ipynb").read_bytes()})
    assert results["score"] == 4.0
    assert all(t["status"] == "passed" and t["visibility"] == "visible" for t in results["tests"])
    names = [t["name"] for t in results["tests"]]
    assert any(name.startswith("bell_counts · uses_v2_sampler") for name in names), names


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


def test_several_files_grade_the_notebook_and_name_the_others(bundle: Path, tmp_path: Path) -> None:
    notebook = (ROOT / "solutions/sampler-basics.ipynb").read_bytes()
    results = run_bundle(bundle, tmp_path, {"a.ipynb": notebook, "b.py": b"x = 1\n"})
    assert results["score"] == 4.0 and "not graded: b.py" in results["output"]


def test_an_empty_upload_gets_a_clear_message(bundle: Path, tmp_path: Path) -> None:
    results = run_bundle(bundle, tmp_path, {"notes.txt": b"no notebook here\n"})
    assert results["score"] == 0.0 and "found none" in results["output"]
    assert {t["max_score"] for t in results["tests"]} == {2.0}


def test_grade_command_passes_hidden_checks_and_no_run_as(tmp_path: Path) -> None:
    config = {"exercise": "sampler-basics", "timeout": 30, "seed": 7, "memory": 2048, "checks": "hidden_checks"}
    command = grade_command("py", tmp_path / "submission", tmp_path / "out", tmp_path / "src", config, "a@b.edu")
    assert command[command.index("--checks") + 1] == str(tmp_path / "src/hidden_checks")
    assert command[command.index("--student") + 1] == "a@b.edu" and "--run-as" not in command


def setup_functions(bundle: Path, tmp_path: Path) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        (tmp_path / "setup.sh").write_bytes(archive.read("setup.sh"))
    return tmp_path / "setup.sh"


def python_ok(setup: Path, python: str, minimum: str | None = None) -> bool:
    env = {**os.environ, "GRADER_SETUP_FUNCTIONS_ONLY": "1", **({"MIN_PYTHON": minimum} if minimum else {})}
    script = f'source "{setup}"; python_ok "{python}"'
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, timeout=60).returncode == 0


def test_setup_accepts_only_a_final_python_3_11_at_the_pins_minimum(bundle: Path, tmp_path: Path) -> None:
    setup = setup_functions(bundle, tmp_path)
    here = ".".join(map(str, sys.version_info[:3]))
    assert sys.version_info[:2] == (3, 11)
    assert python_ok(setup, sys.executable), f"this Python ({here}) satisfies the pins"
    assert python_ok(setup, sys.executable, here)
    assert not python_ok(setup, sys.executable, f"3.11.{sys.version_info[2] + 1}"), "a patch too old is refused"
    other = next((p for p in ("/usr/bin/python3", "/usr/bin/python3.13", "/usr/bin/python3.12") if Path(p).exists()
                  and subprocess.run([p, "-c", "import sys; sys.exit(sys.version_info[:2] == (3, 11))"]).returncode
                  == 0), None)  # fmt: skip
    if other:
        assert not python_ok(setup, other), f"{other} is not a 3.11"
    assert not python_ok(setup, str(tmp_path / "no-such-python"))


def test_runtime_requirements_are_current_and_a_subset_of_the_course_pins() -> None:
    check = [sys.executable, "-m", "grader.export.requirements", "--check", "classroom/requirements-grader.txt"]
    assert subprocess.run(check, cwd=ROOT, capture_output=True, text=True).returncode == 0, "regenerate it (--write)"
    runtime = [line for line in (ROOT / "classroom/requirements-grader.txt").read_text().splitlines()
               if line and not line.startswith("#")]  # fmt: skip
    course = set((ROOT / "requirements.txt").read_text().lower().replace("_", "-").splitlines())
    assert runtime and all(line.lower().replace("_", "-") in course for line in runtime), "every pin as in the course"
    names = {line.split("==")[0] for line in runtime}
    assert {"qiskit", "qiskit-ibm-runtime", "qiskit-aer", "ipython", "numpy", "scipy"} <= names
    assert not names & {"jupyter-book", "sphinx", "nbval", "selenium", "jupyterlab", "soupsieve"}, "no book packages"


@pytest.mark.skipif(os.environ.get("COURSE_OFFLINE") == "1", reason="needs the package index (COURSE_OFFLINE=1)")
def test_runtime_requirements_install_in_a_fresh_environment(tmp_path: Path) -> None:
    """pip's resolver, in a scratch venv, on exactly these pins: they install together with nothing else."""
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True, timeout=300)
    pip = [str(tmp_path / "venv/bin/python"), "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-"]
    run = subprocess.run([*pip, "-r", str(ROOT / "classroom/requirements-grader.txt")], capture_output=True,
                         text=True, timeout=900)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    planned = {item["metadata"]["name"].lower().replace("_", "-") for item in json.loads(run.stdout)["install"]}
    runtime = {line.split("==")[0] for line in (ROOT / "classroom/requirements-grader.txt").read_text().splitlines()
               if line and not line.startswith("#")}  # fmt: skip
    assert planned == runtime, "nothing missing, nothing added"


def guide_recipe() -> str:
    """The shell block that follows "try a bundle" in the instructor guide, as written there."""
    guide = (ROOT / "book/reference/instructor-guide.md").read_text()
    after = guide[guide.index("To try a bundle before uploading it") :]
    return after.split("```bash\n", 1)[1].split("```", 1)[0]


def test_the_guides_try_the_bundle_recipe_works_as_written(bundle: Path, tmp_path: Path) -> None:
    shutil.copy(bundle, tmp_path / "sampler-basics-autograder.zip")
    shutil.copy(ROOT / "solutions/sampler-basics.ipynb", tmp_path / "alice.ipynb")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", guide_recipe()], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    results = json.loads((tmp_path / "try/results/results.json").read_text())
    assert_gradescope_schema(results)
    assert results["score"] == 4.0 and '"score": 4.0' in run.stdout


HIDDEN_MODULE = """
from dataclasses import replace

from grader.exercises.sampler_basics import EXERCISE as PUBLIC
from grader.judge.rubric import Rubric, gate

BELL = PUBLIC.task("bell_counts")
BALANCE = gate("hidden_balance", "00 and 11 come out about equally often.")


def judge_with_balance(case, evidence, verdicts):
    BELL.judge(case, evidence, verdicts)
    counts = evidence.returned
    even = abs(counts.get("00", 0) - counts.get("11", 0)) < 0.2 * case.args[1]
    verdicts.check("hidden_balance", even, "00 ~ 11.", "00 and 11 differ by more than a fifth of the shots.")


HIDDEN = replace(BELL, judge=judge_with_balance, own=Rubric((*BELL.own.requirements, BALANCE)))
EXERCISE = replace(PUBLIC, tasks=(HIDDEN, PUBLIC.task("theta_sweep")))
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
