"""Class exports end to end: a small class of .py answers graded by the CLI; item analysis, gradebook, similarity."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEADER = "from qiskit import QuantumCircuit\nfrom qiskit.transpiler import generate_preset_pass_manager\n"
SAMPLER = "from qiskit_ibm_runtime.executor_sampler import Sampler\n"

# Four ordinary, correct answers in different styles: the Bell circuit they submit is the same for many of them.
ORDINARY = {
    "ada.py": HEADER
    + SAMPLER
    + """
def bell_counts(backend, shots):
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    isa = generate_preset_pass_manager(backend=backend, optimization_level=1).run(qc)
    return Sampler(mode=backend).run([isa], shots=shots).result()[0].data.meas.get_counts()
""",
    "ben.py": "from qiskit import QuantumCircuit, transpile\n"
    + SAMPLER
    + """
def bell_counts(backend, shots):
    circuit = QuantumCircuit(2, 2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    compiled = transpile(circuit, backend=backend, optimization_level=2)
    sampler = Sampler(mode=backend)
    job = sampler.run([compiled], shots=shots)
    result = job.result()
    return result[0].data.c.get_counts()
""",
    "cleo.py": HEADER
    + SAMPLER
    + """
def make_bell():
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    return bell


def bell_counts(backend, shots):
    manager = generate_preset_pass_manager(optimization_level=3, backend=backend)
    sampler = Sampler(mode=backend)
    pub_result = sampler.run([manager.run(make_bell())], shots=shots).result()[0]
    counts = pub_result.data.meas.get_counts()
    return counts
""",
    "dev.py": HEADER
    + "from qiskit.primitives import BackendSamplerV2\n"
    + """
def bell_counts(backend, shots):
    pair = QuantumCircuit(2)
    pair.h(0)
    pair.cx(0, 1)
    pair.measure_all()
    pm = generate_preset_pass_manager(backend=backend, optimization_level=1)
    job = BackendSamplerV2(backend=backend).run([pm.run(pair)], shots=shots)
    data = job.result()[0].data
    return data.meas.get_counts()
""",
}

# Two students who share an unusual (still correct) circuit, seed and code, with every name changed.
EVE = (
    HEADER
    + SAMPLER
    + """
LUCKY = 9173


def entangle(n):
    qc = QuantumCircuit(n, name="entangler")
    qc.h(0)
    qc.barrier()
    qc.x(1)
    qc.cx(0, 1)
    qc.x(1)
    qc.measure_all()
    return qc


def bell_counts(backend, shots):
    passes = generate_preset_pass_manager(backend=backend, optimization_level=0, seed_transpiler=LUCKY)
    smp = Sampler(mode=backend)
    smp.options.simulator.seed_simulator = LUCKY
    out = smp.run([passes.run(entangle(2))], shots=shots).result()
    return out[0].data.meas.get_counts()
"""
)
RENAMES = {"LUCKY": "MY_SEED", "entangle(": "make_pair(", "qc": "circ", "passes": "pm", "smp": "s", "out": "res"}


def renamed(source: str) -> str:
    for old, new in RENAMES.items():
        source = source.replace(old, new)
    return source


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("class") / "submissions"
    folder.mkdir()
    for name, source in {**ORDINARY, "eve.py": EVE, "fay.py": renamed(EVE)}.items():
        (folder / name).write_text(source)
    (folder / "broken.ipynb").write_text("{ not a notebook")
    out = folder.parent / "out"
    command = [sys.executable, "-m", "grader", "grade", str(folder), "--exercise", "sampler-basics", "--out", str(out)]
    run = subprocess.run(command + ["--timeout", "30", "--workers", "2"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return out


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open()))


def test_every_answer_but_the_broken_one_is_right(graded_class: Path) -> None:
    report = json.loads((graded_class / "grades.json").read_text())
    scores = {Path(r["submission"]).name: r["tasks"][0]["score"] if r["tasks"] else None for r in report["submissions"]}
    assert scores == {**{name: 2.0 for name in [*ORDINARY, "eve.py", "fay.py"]}, "broken.ipynb": None}
    assert all("fingerprint" not in r for r in report["submissions"]), "grades.json keeps its fixed schema"


def test_copied_pair_is_flagged_and_ordinary_pairs_are_not(graded_class: Path) -> None:
    pairs = {
        frozenset(Path(p).name for p in (r["first"], r["second"])): r for r in rows(graded_class / "similarity.csv")
    }
    assert len(pairs) == 15, "every pair of the six graded submissions"
    copied = pairs.pop(frozenset({"eve.py", "fay.py"}))
    assert copied["flagged"] == "1" and float(copied["score"]) > 0.8
    assert "circuit:bell_counts#0:instructions:" in copied["shared_rare_features"], "their unusual circuit"
    assert all(p["flagged"] == "0" and float(p["score"]) < 0.35 for p in pairs.values()), pairs
    report = (graded_class / "similarity.md").read_text()
    assert "1 of 15 pairs" in report and "eve.py" in report and "ada.py" not in report
    assert "```python" in report and ("barrier" in report or "9173" in report), "evidence a person can read"


def test_item_analysis_counts_the_students_failing_each_check(graded_class: Path) -> None:
    items = {r["check"]: r for r in rows(graded_class / "item_analysis.csv")}
    assert items["bell_counts.bell_state"] == {
        "check": "bell_counts.bell_state", "task": "bell_counts", "attempted": "6", "failed": "0",
        "share_failing": "0.000",
    }  # fmt: skip
    missing = [r for r in items.values() if r["task"] == "theta_sweep" and r["share_failing"] == "1.000"]
    assert missing and all(r["failed"] == "6" for r in missing), "nobody wrote theta_sweep"


def test_plain_gradebook_has_a_header_and_a_line_per_student(graded_class: Path) -> None:
    table = list(csv.reader((graded_class / "grades.csv").open()))
    assert table[0][:8] == ["submission", "status", "bell_counts", "theta_sweep", "total", "message", "timed_out",
                            "errored"]  # fmt: skip
    assert len(table) == 1 + 7 and all(row[0] != "points" for row in table), "no extra rows"
    flags = {Path(row[0]).name: (row[6], row[7]) for row in table[1:]}
    assert flags["broken.ipynb"] == ("0", "1") and flags["ada.py"] == ("0", "1"), "theta_sweep is missing: an error"


def test_one_gradescope_results_file_per_student(graded_class: Path) -> None:
    report = json.loads((graded_class / "grades.json").read_text())
    files = {p.name: json.loads(p.read_text()) for p in (graded_class / "gradescope").iterdir()}
    assert set(files) == {f"{r['student']['id']}.json" for r in report["submissions"]}
    for record in report["submissions"]:
        results = files[f"{record['student']['id']}.json"]
        assert results["score"] == record["score"]
        assert sum(Decimal(str(t["score"])) for t in results["tests"]) == Decimal(str(record["score"]))
        assert sum(Decimal(str(t["max_score"])) for t in results["tests"]) == Decimal(str(record["max_score"]))
