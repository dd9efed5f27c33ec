"""The GitHub Classroom route: the points a real graded record turns into, and the workflow template around them."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from grader.export.classroom import classroom_result, encoded, notices, points

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "classroom/github/.github/workflows/classroom.yml"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """grades.json of a solved notebook and of one whose bell_counts uses `backend.run`."""
    tmp = tmp_path_factory.mktemp("classroom")
    (tmp / "solved.ipynb").write_bytes((ROOT / "solutions/sampler-basics.ipynb").read_bytes())
    notebook = nbformat.read(ROOT / "solutions/sampler-basics.ipynb", as_version=4)
    legacy = "backend.run(pass_manager.run(circuit), shots=shots, seed_simulator=SEED).result().get_counts()"
    for cell in notebook.cells:
        cell.source = cell.source.replace("job.result()[0].data.meas.get_counts()", legacy)
    nbformat.write(notebook, tmp / "legacy.ipynb")
    out = tmp / "out"
    command = [sys.executable, "-m", "grader", "grade", str(tmp / "solved.ipynb"), str(tmp / "legacy.ipynb")]
    run = subprocess.run([*command, "--out", str(out), "--workers", "2"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return out / "grades.json"


def only(report: Path, name: str) -> dict:
    data = json.loads(report.read_text())
    return {**data, "submissions": [r for r in data["submissions"] if Path(r["submission"]).name == name]}


def test_solution_reports_full_points(report: Path) -> None:
    result = classroom_result(only(report, "solved.ipynb"))
    assert (result["status"], result["max_score"], points(result)) == ("pass", 4.0, (4.0, 4.0))
    assert {t["status"] for t in result["tests"]} == {"pass"}
    assert notices(result)[0] == "::notice title=Autograding complete::Points 4/4"
    assert json.loads(base64.b64decode(encoded(result))) == result


def test_legacy_code_reports_its_grade_and_why(report: Path) -> None:
    data = only(report, "legacy.ipynb")
    result = classroom_result(data)
    record = data["submissions"][0]
    assert result["status"] == "fail" and points(result) == (record["score"], 4.0) and record["score"] < 4.0
    failing = [t for t in result["tests"] if t["status"] == "fail"]
    assert any("backend.run" in t["message"] for t in failing)
    assert json.loads(notices(result)[1].split("::", 2)[2]) == {"totalPoints": record["score"], "maxPoints": 4.0}


def test_command_writes_the_step_output_the_reporter_reads(report: Path, tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    command = [sys.executable, "-m", "grader", "classroom", str(report), "--github-output", str(output), "--notice"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    lines = output.read_text().splitlines()
    assert lines[0] == "earlier=1" and lines[1].startswith("result=")
    decoded = json.loads(base64.b64decode(lines[1].removeprefix("result=")))
    records = json.loads(report.read_text())["submissions"]
    assert decoded["max_score"] == 8.0 and len({t["name"].split(":")[0] for t in decoded["tests"]}) == 2
    total = sum(r["score"] for r in records)
    assert f"::notice title=Autograding complete::Points {total:g}/8" in run.stdout


def test_workflow_template_is_what_classroom_reads() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["name"] == "Autograding Tests" and list(workflow["jobs"]) == ["run-autograding-tests"]
    assert "push" in workflow[True]  # YAML 1.1 reads the key `on` as true
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    by_id = {s.get("id"): s for s in steps}
    assert "python -m grader classroom grades/grades.json" in by_id["grader"]["run"]
    reporter = next(s for s in steps if "autograding-grading-reporter" in s.get("uses", ""))
    runner = reporter["with"]["runners"]
    assert reporter["env"] == {f"{runner.upper()}_RESULTS": "${{ steps.grader.outputs.result }}"}
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"
    assert any("python -m grader grade" in s.get("run", "") for s in steps)
