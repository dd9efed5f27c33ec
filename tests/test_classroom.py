"""The GitHub Classroom route: the points a real graded record turns into, and the workflow template around them."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from decimal import Decimal
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
    assert (result["status"], result["max_score"], points(result)) == ("pass", 4.0, ("4", "4"))
    assert {t["status"] for t in result["tests"]} == {"pass"}
    assert {t["line_no"] for t in result["tests"]} == {0}, "the reporter prints `line undefined` without it"
    assert notices(result)[0] == "::notice title=Autograding complete::Points 4/4"
    assert json.loads(base64.b64decode(encoded(result))) == result


def test_legacy_code_reports_its_grade_and_why(report: Path) -> None:
    data = only(report, "legacy.ipynb")
    result = classroom_result(data)
    record = data["submissions"][0]
    assert result["status"] == "fail" and record["score"] < 4.0
    assert points(result) == (f"{Decimal(str(record['score'])).normalize():f}", "4"), "one total: the grade, exactly"
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
    total = sum(Decimal(str(r["score"])) for r in records).normalize()
    assert f"::notice title=Autograding complete::Points {total:f}/8" in run.stdout
    assert sum(Decimal(str(t["score"])) for t in decoded["tests"]) == total, "no float noise"


def test_workflow_template_is_what_classroom_reads() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["name"] == "Autograding Tests" and list(workflow["jobs"]) == ["run-autograding-tests"]
    assert workflow[True] == ["push", "repository_dispatch"]  # YAML 1.1 reads the key `on` as true
    job = workflow["jobs"]["run-autograding-tests"]
    assert job["if"] == "github.actor != 'github-classroom[bot]'", "the bot's first commit is not graded"
    steps = job["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "python -m grader grade submission " in runs and "--student" in runs, "the repository is one student"
    assert "--notice" in runs and "GITHUB_STEP_SUMMARY" in runs
    assert not any("autograding-grading-reporter" in s.get("uses", "") for s in steps), "one total, not two"
    assert "course/classroom/requirements-grader.txt" in runs
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"


def test_workflow_fetches_the_course_at_a_ref_that_exists() -> None:
    env = yaml.safe_load(WORKFLOW.read_text())["env"]
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    assert f"https://github.com/{env['COURSE_REPOSITORY']}" == config["url"].rstrip("/")
    assert env["COURSE_REF"] == config["branch"], "the branch the course publishes"
    refs = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{env['COURSE_REF']}"], cwd=ROOT,
                          capture_output=True)  # fmt: skip
    remote = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{env['COURSE_REF']}"],
                            cwd=ROOT, capture_output=True)  # fmt: skip
    assert refs.returncode == 0 or remote.returncode == 0, f"no branch {env['COURSE_REF']} in this repository"


def test_student_copy_has_no_solutions_and_points_at_its_own_repository(tmp_path: Path) -> None:
    url = "https://github.com/example-org/course-student"
    command = [sys.executable, "classroom/make_student_copy.py", str(tmp_path / "copy"), "--url", url]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    copy = tmp_path / "copy"
    assert not (copy / "solutions").exists() and (copy / "exercises/sampler-basics.ipynb").is_file()
    assert (copy / "_toc.yml").read_text() == (ROOT / "_toc_student.yml").read_text()
    assert yaml.safe_load((copy / "_config.yml").read_text())["repository"]["url"] == url
    assert url in (copy / "exercises/sampler-basics.ipynb").read_text(), "the Colab cell clones the copy"
    assert (copy / "grader/cli.py").is_file() and (copy / "classroom/requirements-grader.txt").is_file()
