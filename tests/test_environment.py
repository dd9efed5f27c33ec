"""What a learner's environment needs: pins, Python, and a grader that imports from the notebooks' folders."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from grader.exercises import load_exercise

FIXED = {"qiskit": "2.6.2", "qiskit-ibm-runtime": "0.51.0", "qiskit-aer": "0.18.2", "jupyter-book": "1.0.4.post1"}


def requirement_pins(root: Path) -> dict[str, str]:
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-e"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        assert match, f"not an exact pin: {line!r}"
        pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_every_requirement_is_pinned_exactly_and_installed(root: Path) -> None:
    pins = requirement_pins(root)
    for name, wanted in FIXED.items():
        assert pins[name] == wanted
    wrong = {name: (wanted, version(name)) for name, wanted in pins.items() if version(name) != wanted}
    assert wrong == {}, "installed versions differ from requirements.txt"


def test_runtime_txt_pins_python_and_nothing_shadows_the_root(root: Path) -> None:
    assert (root / "runtime.txt").read_text().strip() == "python-3.11"
    assert not (root / "binder").exists() and not (root / ".binder").exists()


@pytest.mark.parametrize("folder", ["exercises", "solutions"])
def test_grader_imports_from_the_notebook_folders(root: Path, folder: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = "import grader.notebook, pathlib, sys; print(pathlib.Path(grader.__file__).parent.parent)"
    found = subprocess.run([sys.executable, "-c", code], cwd=root / folder, env=env, capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == root


@pytest.mark.parametrize("exercise", sorted(p.stem for p in Path(__file__).parent.parent.glob("exercises/*.ipynb")))
def test_untouched_exercise_fails_every_check_cell_with_its_message(root: Path, exercise: str) -> None:
    # As a student runs it: no project addopts, so no stored-output comparison and no cache folder.
    command = ["pytest", "--nbval-lax", "--nbval-current-env", "-q", "-o", "addopts=", "-p", "no:cacheprovider"]
    run = subprocess.run(
        [sys.executable, "-m", *command, f"exercises/{exercise}.ipynb"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    tasks = len(load_exercise(exercise).tasks)
    assert run.returncode == 1, run.stdout[-3000:]
    assert f"{tasks} failed" in run.stdout, run.stdout[-3000:]
    assert run.stdout.count("is not written yet") >= tasks
    assert "NameError" not in run.stdout and "ModuleNotFoundError" not in run.stdout
