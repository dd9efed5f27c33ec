"""The batch grader end to end: real notebooks and .py files, real subprocesses, real fake backends."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def solution_with(tmp: Path, name: str, replace: dict[str, str] | None = None, extra_cells: list[str] = ()) -> Path:
    """A copy of the sampler-basics solution with some code replaced and some cells added."""
    notebook = nbformat.read(ROOT / "solutions/sampler-basics.ipynb", as_version=4)
    for cell in notebook.cells:
        for old, new in (replace or {}).items():
            cell.source = cell.source.replace(old, new)
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in extra_cells]
    path = tmp / name
    nbformat.write(notebook, path)
    return path


def grade(paths: list[Path], out: Path, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "grader", "grade", *map(str, paths), "--out", str(out), *options]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def sampler_class(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Grade a class of sampler-basics submissions, right, wrong and hostile, in one run."""
    tmp = tmp_path_factory.mktemp("class")
    folder = tmp / "submissions"
    folder.mkdir()
    solution_with(folder, "correct.ipynb", extra_cells=["%matplotlib inline\n!echo magics are tolerated"])
    (folder / "untouched.ipynb").write_bytes((ROOT / "exercises/sampler-basics.ipynb").read_bytes())
    run = "backend.run(pass_manager.run(circuit), shots=shots, seed_simulator=SEED).result().get_counts()"
    solution_with(folder, "backend-run.ipynb", {"job.result()[0].data.meas.get_counts()": run})
    typed_in = "job.result()\n    return {'00': shots // 2, '11': shots - shots // 2}"
    solution_with(folder, "hard-coded.ipynb", {"return job.result()[0].data.meas.get_counts()": typed_in})
    solution_with(
        folder, "hangs.ipynb", {"    theta = Parameter": "    while True:\n        pass\n    theta = Parameter"}
    )
    solution_with(
        folder,
        "exits.ipynb",
        {"    circuit = QuantumCircuit(2)\n": "    import os\n    os._exit(3)\n"},
        extra_cells=["import sys\nsys.exit(1)"],
    )
    solution_with(
        folder,
        "cheats.ipynb",
        extra_cells=[
            "print('All checks passed')\nopen('grades.json', 'w').write('{}')",
            "import grader.judge.grade\ngrader.judge.grade.grade_task = lambda *a, **k: None",
        ],
    )
    memory_bomb = {"    circuit = QuantumCircuit(2)\n": "    hoard = bytearray(64 * 1024**3)\n"}
    solution_with(folder, "memory-bomb.ipynb", memory_bomb)
    (folder / "syntax-error.ipynb").write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [{"cell_type": "code", "source": "def bell_counts(:", "metadata": {}, "outputs": []}],
            }
        )
    )
    (folder / "binary.ipynb").write_bytes(b"\x89PNG\x00\x00")
    (folder / "not-json.ipynb").write_text("{ this is not json")
    (folder / "script.py").write_text(
        "from qiskit import QuantumCircuit\nfrom qiskit_ibm_runtime.executor_sampler import Sampler\n"
        "from qiskit.transpiler import generate_preset_pass_manager\n"
        "def bell_counts(backend, shots):\n    qc = QuantumCircuit(2)\n    qc.h(0)\n    qc.cx(0, 1)\n"
        "    qc.measure_all()\n    isa = generate_preset_pass_manager(backend=backend, optimization_level=1).run(qc)\n"
        "    return Sampler(mode=backend).run([isa], shots=shots).result()[0].data.meas.get_counts()\n"
    )
    out = tmp / "out"
    result = grade([folder], out, "--exercise", "sampler-basics", "--timeout", "20", "--workers", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((out / "grades.json").read_text())
    assert report["exercise"] == "sampler-basics"
    assert set(report["environment"]) == {"python", "qiskit", "qiskit-ibm-runtime", "qiskit-aer", "isolation"}
    records = {Path(r["submission"]).name: r for r in report["submissions"]}
    assert len(records) == len(list(folder.iterdir())), "one record per submission"
    return {"records": records, "out": out}


def tasks(record: dict) -> dict[str, dict]:
    return {t["task"]: t for t in record["tasks"]}


def failed(task: dict) -> set[str]:
    return {c["id"] for c in task["checks"] if not c["passed"]}


def test_correct_notebook_gets_full_marks(sampler_class):
    record = sampler_class["records"]["correct.ipynb"]
    assert (record["status"], record["score"], record["max_score"]) == ("graded", 4.0, 4.0)


def test_untouched_exercise_gets_zero_with_a_clear_message(sampler_class):
    record = sampler_class["records"]["untouched.ipynb"]
    assert record["status"] == "graded" and record["score"] == 0
    for task in record["tasks"]:
        runs = next(c for c in task["checks"] if c["id"].endswith(".runs"))
        assert "not written yet" in runs["message"]
        assert all(c["message"].startswith("not checked") for c in task["checks"] if not c["passed"] and c is not runs)


def test_backend_run_is_caught_by_reading_and_by_watching(sampler_class):
    bell = tasks(sampler_class["records"]["backend-run.ipynb"])["bell_counts"]
    assert bell["score"] == 0 and bell["status"] == "failed"
    assert {"bell_counts.reads_as_v2", "bell_counts.no_backend_run"} <= failed(bell)
    assert tasks(sampler_class["records"]["backend-run.ipynb"])["theta_sweep"]["status"] == "passed"


def test_hard_coded_counts_fail(sampler_class):
    bell = tasks(sampler_class["records"]["hard-coded.ipynb"])["bell_counts"]
    assert "bell_counts.provenance" in failed(bell) and bell["score"] == 0


def test_a_hung_task_costs_only_that_task(sampler_class):
    record = tasks(sampler_class["records"]["hangs.ipynb"])
    assert record["theta_sweep"]["status"] == "timeout"
    assert record["bell_counts"]["status"] == "passed"


def test_exits_become_records_and_the_rest_is_graded(sampler_class):
    record = sampler_class["records"]["exits.ipynb"]
    assert tasks(record)["bell_counts"]["status"] == "error"
    assert tasks(record)["theta_sweep"]["status"] == "passed"
    assert "SystemExit" in record["message"]


def test_a_memory_bomb_costs_only_its_task(sampler_class):
    record = tasks(sampler_class["records"]["memory-bomb.ipynb"])
    assert record["bell_counts"]["status"] == "error"
    assert "MemoryError" in " ".join(c["message"] for c in record["bell_counts"]["checks"])
    assert record["theta_sweep"]["status"] == "passed"


def test_printing_writing_files_or_patching_the_grader_changes_nothing(sampler_class):
    record = sampler_class["records"]["cheats.ipynb"]
    assert not (ROOT / "grades.json").exists()
    for task in record["tasks"]:
        assert task["score"] == 0 and "verifiable" in " ".join(failed(task))


@pytest.mark.parametrize(
    ("name", "reason"),
    [("syntax-error.ipynb", "no function named"), ("binary.ipynb", "binary"), ("not-json.ipynb", "not valid JSON")],
)
def test_unreadable_submissions_are_ungradable_not_fatal(sampler_class, name, reason):
    record = sampler_class["records"][name]
    assert record["status"] == "ungradable" and reason in record["message"] and record["score"] == 0


def test_py_submissions_are_graded(sampler_class):
    record = tasks(sampler_class["records"]["script.py"])
    assert record["bell_counts"]["status"] == "passed"
    assert record["theta_sweep"]["status"] == "error"


def test_csv_and_junit_reports(sampler_class):
    out = sampler_class["out"]
    rows = list(csv.reader((out / "grades.csv").open()))
    assert rows[0][:5] == ["submission", "status", "bell_counts", "theta_sweep", "total"]
    assert len(rows) == 1 + len(sampler_class["records"])  # a header, then one row per student: no points row
    suites = ET.parse(out / "junit.xml").getroot()
    assert len(suites) == len(sampler_class["records"])


def test_estimator_exercise_is_found_from_metadata_and_bad_usage_exits_2(tmp_path):
    out = tmp_path / "out"
    result = grade([ROOT / "solutions/estimator-basics.ipynb"], out)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((out / "grades.json").read_text())
    assert report["exercise"] == "estimator-basics"
    assert report["submissions"][0]["score"] == report["submissions"][0]["max_score"] == 4.0
    assert grade([tmp_path / "missing.ipynb"], out).returncode == 2
    assert grade([ROOT / "solutions"], out, "--exercise", "no-such-exercise").returncode == 2
