"""The other routes to the same checks: the pytest plugin with JUnit output, and instructors' hidden checks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pytest_plugin_grades_a_folder_with_junit_output(tmp_path: Path) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copy(ROOT / "solutions/estimator-basics.ipynb", folder / "alice.ipynb")
    shutil.copy(ROOT / "exercises/estimator-basics.ipynb", folder / "bob.ipynb")
    junit = tmp_path / "grades.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "grader.pytest_plugin",
        "--grade",
        "estimator-basics",
        str(folder),
        f"--junitxml={junit}",
        "-o",
        "addopts=",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stdout[-3000:]
    assert "1 failed, 1 passed" in run.stdout
    assert "xx_expectation.runs" in run.stdout and "not written yet" in run.stdout
    root = ET.parse(junit).getroot()
    cases = {c.get("classname").split(".")[-2]: c for c in root.iter("testcase")}
    assert set(cases) == {"alice", "bob"}
    assert cases["bob"].find("failure") is not None and cases["alice"].find("failure") is None
    scores = {p.get("name"): p.get("value") for p in root.iter("property")}  # suite properties (xunit2)
    alice = {name.rsplit(".", 1)[1]: value for name, value in scores.items() if "alice" in name}
    assert float(alice["score"]) == float(alice["max_score"]) == 4.0


def test_hidden_checks_replace_the_public_cases_and_add_checks(tmp_path: Path) -> None:
    checks = tmp_path / "hidden"
    checks.mkdir()
    (checks / "sampler_basics.py").write_text(
        textwrap.dedent('''
        """Instructor-only: sampler-basics graded on another backend, with one extra check."""
        from dataclasses import replace

        from qiskit_ibm_runtime.fake_provider import FakeQuitoV2

        from grader.exercises import Case
        from grader.exercises.sampler_basics import EXERCISE as PUBLIC
        from grader.judge.rubric import Rubric, credit

        BELL = PUBLIC.task("bell_counts")


        def hidden_cases():
            return [Case("FakeQuitoV2, 555 shots", (FakeQuitoV2(), 555))]


        def hidden_judge(case, evidence, verdicts):
            BELL.judge(case, evidence, verdicts)  # the public requirements first
            counts = evidence.returned
            balanced = abs(counts.get("00", 0) - counts.get("11", 0)) < 150
            verdicts.check("hidden_balance", balanced, "00 and 11 are about as frequent.", "00 and 11 differ a lot.")


        BALANCE = credit("hidden_balance", "00 and 11 come out about equally often.", "0.5")
        EXERCISE = replace(PUBLIC, tasks=(
            replace(BELL, batch_cases=hidden_cases, judge=hidden_judge, own=Rubric((*BELL.own.requirements, BALANCE))),
            PUBLIC.task("theta_sweep"),
        ))
    ''')
    )
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        str(ROOT / "solutions/sampler-basics.ipynb"),
        "--out",
        str(out),
        "--checks",
        str(checks),
    ]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    record = json.loads((out / "grades.json").read_text())["submissions"][0]
    bell = next(t for t in record["tasks"] if t["task"] == "bell_counts")
    assert "bell_counts.hidden_balance" in {c["id"] for c in bell["checks"]}
    assert any("fake_quito" in c["message"] for c in bell["checks"])
    assert record["score"] == record["max_score"] == 4.5
