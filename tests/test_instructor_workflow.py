"""The instructor's workflow end to end, on a class named as Canvas's bulk download names it, graded by the CLI.

Students from the names and a roster, one record per student, overrides and a late policy, the LMS gradebooks, the
feedback files, xunit2 JUnit, permissions, the log, and a regrade of one student into the class's folder.
"""

from __future__ import annotations

import csv
import json
import shutil
import stat
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import nbformat
import pytest
import xmlschema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = xmlschema.XMLSchema(ROOT / "tests/data/xunit2.xsd")
LEGACY = "backend.run(pass_manager.run(circuit), shots=shots, seed_simulator=SEED).result().get_counts()"


def grade(*args: str | Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "grader", "grade", *map(str, args), "--workers", "2", "--timeout", "30"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def legacy_notebook(path: Path) -> None:
    notebook = nbformat.read(ROOT / "solutions/sampler-basics.ipynb", as_version=4)
    for cell in notebook.cells:
        cell.source = cell.source.replace("job.result()[0].data.meas.get_counts()", LEGACY)
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("canvas")
    subs = tmp / "submissions"
    subs.mkdir()
    shutil.copy(ROOT / "solutions/sampler-basics.ipynb", subs / "doejane_1001_5001_sampler-basics.ipynb")
    (subs / "doejane_1001_5002_helpers.py").write_text("HELPER = 1\n")
    legacy_notebook(subs / "roebob_1002_5003_sampler-basics.ipynb")
    for name in ("kimann_1003_5004_sampler-basics.ipynb", "leeann_1004_5005_sampler-basics.ipynb"):
        shutil.copy(ROOT / "exercises/sampler-basics.ipynb", subs / name)
    roster = tmp / "roster.csv"
    roster.write_text(
        "file,id,name,email,sis_id,login,section,submitted_at\n"
        ",1001,Jane Doe,jane@example.edu,J01,jdoe,S1,2026-03-01T20:00:00+00:00\n"
        ",1002,Bob Roe,bob@example.edu,B02,broe,S1,2026-03-03T09:00:00+00:00\n"
        ",1003,Ann Kim,ann@example.edu,A03,akim,S2,2026-03-01T21:00:00+00:00\n"
        ",1004,Ann Lee,lee@example.edu,L04,alee,S2,2026-03-01T21:30:00+00:00\n"
        ",1005,Sam Absent,sam@example.edu,S05,sabs,S2,\n"
    )
    overrides = tmp / "overrides.csv"
    overrides.write_text(
        "student,task,points,comment\n"
        "1003,theta_sweep,1.5,Right idea; the grader could not see it because the stub was left in place.\n"
        "alee,,,Talk to me about the exercise.\n"
    )
    out = tmp / "out"
    run = grade(subs, "--exercise", "sampler-basics", "--out", out, "--roster", roster, "--overrides", overrides,
                "--deadline", "2026-03-01T23:59:00+00:00", "--late-penalty", "10", "--verbose",
                "--assignment-name", "Sampler basics", "--assignment-id", "777")  # fmt: skip
    return {"tmp": tmp, "subs": subs, "out": out, "stderr": Path(tmp / "stderr.txt"), "run_stderr": run.stderr}


def report(out: Path) -> dict:
    return json.loads((out / "grades.json").read_text())


def records(out: Path) -> dict[str, dict]:
    return {r["student"]["id"]: r for r in report(out)["submissions"]}


def test_one_record_per_student_with_identity_and_a_note_for_the_extra_file(course) -> None:
    found = records(course["out"])
    assert set(found) == {"1001", "1002", "1003", "1004"}
    jane = found["1001"]
    assert jane["student"] == {"id": "1001", "name": "Jane Doe", "source": "canvas", "email": "jane@example.edu",
                               "sis_id": "J01", "login": "jdoe", "section": "S1"}  # fmt: skip
    assert jane["submission"].endswith("doejane_1001_5001_sampler-basics.ipynb"), "the path as found"
    assert jane["other_files"][0].endswith("doejane_1001_5002_helpers.py") and "helpers.py" in jane["message"]
    assert jane["score"] == jane["max_score"] == 4.0


def test_late_policy_from_the_roster_times(course) -> None:
    found = records(course["out"])
    bob = found["1002"]
    assert bob["late"]["days"] == 2 and bob["late"]["submitted_from"] == "roster"
    assert Decimal(str(bob["late"]["penalty"])) == min(Decimal("0.8"), Decimal(str(bob["autograde_score"])))
    assert Decimal(str(bob["score"])) == Decimal(str(bob["autograde_score"])) - Decimal(str(bob["late"]["penalty"]))
    assert found["1001"]["late"]["days"] == 0
    assert report(course["out"])["late_policy"]["percent_per_day"] == 10.0


def test_overrides_change_the_task_and_are_kept_with_their_comments(course) -> None:
    ann = records(course["out"])["1003"]
    sweep = next(t for t in ann["tasks"] if t["task"] == "theta_sweep")
    assert (sweep["autograde_score"], sweep["score"]) == (0.0, 1.5) and "Right idea" in sweep["override"]["comment"]
    assert ann["score"] == 1.5
    lee = records(course["out"])["1004"]
    assert lee["overrides"][0]["comment"] == "Talk to me about the exercise." and lee["score"] == 0.0


def test_gradebooks_in_each_lms_layout(course) -> None:
    gradebooks = course["out"] / "gradebooks"
    canvas = list(csv.reader((gradebooks / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Sampler basics (777)"]
    assert ["Jane Doe", "1001", "J01", "jdoe", "S1", "4"] in canvas and len(canvas) == 5
    moodle = list(csv.DictReader((gradebooks / "moodle.csv").open()))
    assert {r["Identifier"]: r["Grade"] for r in moodle}["Participant 1003"] == "1.5"
    assert {r["Maximum Grade"] for r in moodle} == {"4"}
    blackboard = (gradebooks / "blackboard.csv").read_text().splitlines()
    header = '"Last Name","First Name","Username","Student ID","Sampler basics [Total Pts: 4 Score] |777"'
    assert blackboard[0] == header
    assert '"Doe","Jane","jdoe","J01","4"' in blackboard
    plain = list(csv.DictReader((course["out"] / "grades.csv").open()))
    assert len(plain) == 4 and {r["student_id"] for r in plain} == {"1001", "1002", "1003", "1004"}


def test_feedback_files_show_each_requirement_with_its_mark(course) -> None:
    feedback = course["out"] / "feedback"
    assert {p.name for p in feedback.iterdir()} == {f"{i}.{ext}" for i in (1001, 1002, 1003, 1004)
                                                   for ext in ("md", "html")}  # fmt: skip
    bob = (feedback / "1002.md").read_text()
    assert bob.startswith("# sampler-basics: feedback for Bob Roe (1002)")
    unmet = [line for line in bob.splitlines() if line.startswith("| ✘ |")]
    assert any("backend.run" in line and "(gate)" in line for line in unmet) and "| ✔ |" in bob
    assert "2 days late" in bob and "This task scores 0 because" in bob
    ann = (feedback / "1003.html").read_text()
    assert "changed by your instructor" in ann and "Right idea" in ann and "<table>" in ann
    assert "<script" not in ann and "http" not in ann.split("<body>")[1], "stands alone: nothing to fetch"


def test_junit_is_valid_xunit2_with_unique_names_and_scores(course) -> None:
    junit = course["out"] / "junit.xml"
    SCHEMA.validate(str(junit))
    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    assert set(suites) == {f"sampler-basics.{i}" for i in (1001, 1002, 1003, 1004)}
    for suite in suites.values():
        names = [case.get("name") for case in suite.iter("testcase")]
        assert len(names) == len(set(names)), names
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert {"student", "score", "max_score", "score.bell_counts"} <= set(properties)
    jane = [c.get("name") for c in suites["sampler-basics.1001"].iter("testcase")]
    assert {"bell_counts", "theta_sweep"} <= set(jane), "a test per task (and per case where checks name one)"
    assert all(name.split("[")[0] in ("bell_counts", "theta_sweep") for name in jane)
    ann = {p.get("name"): p.get("value") for p in suites["sampler-basics.1003"].iter("property")}
    assert (ann["score"], ann["score.theta_sweep"]) == ("1.5", "1.5")
    bob = suites["sampler-basics.1002"]
    failed = [c for c in bob.iter("testcase") if c.find("failure") is not None]
    assert failed and any("backend.run" in c.find("failure").get("message") for c in failed)


def test_the_schema_accepts_pytests_own_xunit2_and_rejects_properties_in_a_testcase(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(
        textwrap.dedent("""
        def test_passes(record_testsuite_property):
            record_testsuite_property("score", 1)

        def test_fails():
            assert 1 == 2

        def test_with_property(record_property):
            record_property("score", 1)
    """)
    )
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q"]
    plain = tmp_path / "plain.xml"
    subprocess.run([*command, "-k", "not with_property", f"--junitxml={plain}", str(tmp_path)], cwd=tmp_path,
                   capture_output=True, timeout=120)  # fmt: skip
    SCHEMA.validate(str(plain))
    mixed = tmp_path / "mixed.xml"
    subprocess.run([*command, f"--junitxml={mixed}", str(tmp_path)], cwd=tmp_path, capture_output=True, timeout=120)
    assert not SCHEMA.is_valid(str(mixed)), "a <properties> inside a <testcase> is not xunit2"


def test_reports_are_readable_by_the_group_only(course) -> None:
    out = course["out"]
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o007 == 0, f"{path} is readable by others ({oct(mode)})"
        assert mode == (0o750 if path.is_dir() else 0o640), f"{path}: {oct(mode)}"


def test_log_file_and_verbose_output(course) -> None:
    log = (course["out"] / "grader.log").read_text()
    assert "grading 4 students' submissions" in log and "1001 [canvas]" in log and "graded in" in log
    assert "grader: reports for 4 students written" in course["run_stderr"]


def test_class_report_lists_the_students_and_the_roster_student_without_a_submission(course) -> None:
    page = (course["out"] / "report.html").read_text()
    assert page.count("<svg") == 2 and 'href="feedback/1001.html"' in page
    assert "Sam Absent (1005)" in page
    assert "0 of 1 pairs are flagged" in page or "0 of 0 pairs are flagged" in page, "untouched stubs share nothing"


def test_regrade_of_one_student_keeps_the_class_and_applies_the_overrides_again(course) -> None:
    out = course["tmp"] / "regraded"
    shutil.copytree(course["out"], out)
    (out / "feedback" / "stale.md").write_text("from a student who left\n")
    kim = course["subs"] / "kimann_1003_5004_sampler-basics.ipynb"
    shutil.copy(ROOT / "solutions/sampler-basics.ipynb", kim)  # Ann Kim's corrected notebook, handed in again
    try:
        grade(kim, "--exercise", "sampler-basics", "--out", out, "--roster", course["tmp"] / "roster.csv")
    finally:
        shutil.copy(ROOT / "exercises/sampler-basics.ipynb", kim)
    after, before = records(out), records(course["out"])
    assert set(after) == set(before), "the other students are kept"
    assert after["1003"]["student"]["name"] == "Ann Kim", "the identity is read from the name and roster again"
    sweep = next(t for t in after["1003"]["tasks"] if t["task"] == "theta_sweep")
    assert (sweep["autograde_score"], sweep["score"]) == (2.0, 1.5), "the kept override still applies"
    assert after["1002"]["late"]["days"] == 2, "the late policy is kept too"
    assert after["1001"] == before["1001"], "an untouched record is unchanged"
    assert after["1003"]["graded_at"] > before["1003"]["graded_at"] or after["1003"]["graded_at"]
    assert not (out / "feedback" / "stale.md").exists()
    assert len(list(csv.DictReader((out / "grades.csv").open()))) == 4


def test_pytest_plugin_junit_is_valid_xunit2_with_scores_in_suite_properties(tmp_path: Path) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    shutil.copy(ROOT / "solutions/sampler-basics.ipynb", folder / "alice.ipynb")
    shutil.copy(ROOT / "exercises/sampler-basics.ipynb", folder / "bob.ipynb")
    junit = tmp_path / "grades.xml"
    command = [sys.executable, "-m", "pytest", "-p", "grader.pytest_plugin", "--grade", "sampler-basics", str(folder),
               f"--junitxml={junit}", "-o", "addopts=", "-p", "no:cacheprovider", "-q"]  # fmt: skip
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert "2 failed, 2 passed" in run.stdout, run.stdout[-3000:]
    assert "score 0 of 2" in run.stdout, "a failing task says its score"
    SCHEMA.validate(str(junit))
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    scores = {name: value for name, value in properties.items() if name.endswith(".score")}
    assert len(scores) == 4 and {"2", "0"} == set(scores.values())
    assert any(name.endswith("alice.ipynb::bell_counts.score") for name in scores)
