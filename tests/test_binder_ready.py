"""Binder's route, rehearsed: the Python of runtime.txt, requirements.txt alone, a notebook run from its own folder.

`tests/test_environment.py` checks the files themselves (runtime.txt's pin, no `binder/` folder shadowing the root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = "solutions/sampler-basics.ipynb"
PROBE = "import sys, grader\nprint(sys.prefix)\nprint(grader.__file__)"

# Run by the fresh environment's Python from the notebook's folder, as Jupyter in Binder runs a notebook.
EXECUTE = f"""
import sys
import nbformat
from nbclient import NotebookClient

notebook = nbformat.read(sys.argv[1], as_version=4)
notebook.cells.append(nbformat.v4.new_code_cell({PROBE!r}))
NotebookClient(notebook, timeout=600, resources={{"metadata": {{"path": "."}}}}).execute()
nbformat.write(notebook, sys.argv[2])
"""


def runtime_python(root: Path) -> str:
    """An interpreter of the version runtime.txt names (`python-3.11` → `python3.11`), as repo2docker picks one."""
    wanted = (root / "runtime.txt").read_text().strip().removeprefix("python-")
    if f"{sys.version_info.major}.{sys.version_info.minor}" == wanted:
        return sys.executable
    found = shutil.which(f"python{wanted}")
    if found is None:
        pytest.skip(f"runtime.txt asks for Python {wanted}, which is not installed here")
    return found


def test_fresh_environment_from_requirements_runs_a_notebook_from_its_folder(root: Path, tmp_path: Path) -> None:
    venv = tmp_path / "binder-env"
    subprocess.run([runtime_python(root), "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    # requirements.txt is a full freeze (direct and transitive pins, then `-e .`), so --no-deps installs exactly the
    # set a resolver would, only faster; `pip check` then proves that no dependency is missing from the file.
    install = subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check", "-q", "-r", "requirements.txt"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    consistent = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True, timeout=300)
    assert consistent.returncode == 0, consistent.stdout

    executed = tmp_path / "executed.ipynb"
    folder = root / Path(NOTEBOOK).parent
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH"}}
    env |= {"HOME": str(tmp_path), "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    run = subprocess.run(
        [python, "-c", EXECUTE, Path(NOTEBOOK).name, str(executed)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-4000:]

    notebook = nbformat.read(executed, as_version=4)
    checks = [cell for cell in notebook.cells if cell.metadata.get("grader", {}).get("check")]
    assert checks, "the notebook has no check cells"
    for cell in checks:
        # The result card is a display (HTML with a text/plain twin); a plain-text fallback would be a stream.
        texts = [output.get("text", "") + output.get("data", {}).get("text/plain", "") for output in cell.outputs]
        printed = "".join(texts)
        assert "✔" in printed and "✘" not in printed, printed
    prefix, grader_file = notebook.cells[-1].outputs[0]["text"].split()
    assert Path(prefix) == venv, "the kernel did not run in the fresh environment"
    assert Path(grader_file).is_relative_to(root), "grader was not the repository's"
