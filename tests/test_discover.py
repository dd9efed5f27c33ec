"""Who each submission belongs to: LMS bulk-download names, rosters, folders; one file per student."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from grader.discover import RosterError, find_class, pick_file, read_roster, unmatched_roster

NOTEBOOK = {"cells": [], "metadata": {"grader": {"exercise": "sampler-basics"}}, "nbformat": 4, "nbformat_minor": 5}


def touch(path: Path, text: str = "x = 1\n", notebook: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(NOTEBOOK) if notebook else text)
    return path


def by_student(submissions) -> dict:
    return {s.student.id: s for s in submissions}


def test_canvas_names_give_the_user_id_and_the_late_flag(tmp_path: Path) -> None:
    touch(tmp_path / "doejane_1001_5001_sampler-basics.ipynb", notebook=True)
    touch(tmp_path / "doejane_1001_5002_helpers.py")
    touch(tmp_path / "roebob_LATE_1002_5003_sampler-basics-1.ipynb", notebook=True)
    found = by_student(find_class([tmp_path], "sampler-basics"))
    assert set(found) == {"1001", "1002"}, "the helper file is not a second student"
    jane = found["1001"]
    assert (jane.student.name, jane.student.source) == ("doejane", "canvas")
    assert jane.path.name == "doejane_1001_5001_sampler-basics.ipynb"
    assert [p.name for p in jane.others] == ["doejane_1001_5002_helpers.py"] and "not graded" in jane.notes[0]
    assert found["1002"].flagged_late and not jane.flagged_late
    assert found["1002"].submitted_from == "file time"


def test_moodle_folders_and_flat_names(tmp_path: Path) -> None:
    touch(tmp_path / "Jane Doe_12345_assignsubmission_file_" / "mine.ipynb", notebook=True)
    touch(tmp_path / "Jane Doe_12345_assignsubmission_file_" / "notes.py")
    touch(tmp_path / "Bob Roe_12346_assignsubmission_file_sampler-basics.py")
    found = by_student(find_class([tmp_path], "sampler-basics"))
    assert set(found) == {"12345", "12346"}
    assert found["12345"].student.name == "Jane Doe" and found["12345"].path.name == "mine.ipynb"
    assert found["12346"].student.source == "moodle"


def test_blackboard_names_give_username_time_and_the_name_from_the_info_file(tmp_path: Path) -> None:
    touch(tmp_path / "Sampler basics_jdoe_attempt_2026-03-02-10-30-00_sampler-basics.ipynb", notebook=True)
    (tmp_path / "Sampler basics_jdoe_attempt_2026-03-02-10-30-00.txt").write_text(
        "Name: Jane Doe (jdoe)\nAssignment: Sampler basics\nDate Submitted: Monday, 2 March 2026\n"
    )
    (submission,) = find_class([tmp_path], "sampler-basics")
    assert (submission.student.id, submission.student.name, submission.student.login) == ("jdoe", "Jane Doe", "jdoe")
    assert submission.submitted_at == datetime(2026, 3, 2, 10, 30) and submission.submitted_from == "file name"


def test_a_folder_per_student_and_a_file_per_student(tmp_path: Path) -> None:
    touch(tmp_path / "alice" / "work" / "sampler-basics.ipynb", notebook=True)
    touch(tmp_path / "alice" / "scratch.py")
    touch(tmp_path / "bob.py")
    found = by_student(find_class([tmp_path], "sampler-basics"))
    assert set(found) == {"alice", "bob"}
    assert found["alice"].student.source == "folder" and found["alice"].path.name == "sampler-basics.ipynb"
    assert found["bob"].student.source == "file name"


def test_roster_maps_files_and_enriches_lms_identities(tmp_path: Path) -> None:
    touch(tmp_path / "subs" / "a1.ipynb", notebook=True)
    touch(tmp_path / "subs" / "doejane_1001_5001_sampler-basics.ipynb", notebook=True)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "file,id,name,email,sis_id,section,submitted_at\n"
        "a1.ipynb,s-17,Ann Lee,ann@example.edu,A17,S1,2026-03-01T12:00:00+00:00\n"
        ",1001,Jane Doe,jane@example.edu,J01,S2,\n"
        ",9999,Nobody Here,,,,\n"
    )
    rows = read_roster(roster)
    found = by_student(find_class([tmp_path / "subs"], "sampler-basics", rows))
    assert set(found) == {"s-17", "1001"}
    ann, jane = found["s-17"], found["1001"]
    assert (ann.student.name, ann.student.email, ann.student.section, ann.student.source) == (
        "Ann Lee", "ann@example.edu", "S1", "roster",
    )  # fmt: skip
    assert ann.submitted_from == "roster" and ann.submitted_at.isoformat() == "2026-03-01T12:00:00+00:00"
    assert (jane.student.name, jane.student.sis_id, jane.student.source) == ("Jane Doe", "J01", "canvas")
    assert [r["id"] for r in unmatched_roster(rows, list(found.values()))] == ["9999"]


def test_a_roster_without_ids_is_refused(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("file,name\na.ipynb,Ann\n")
    with pytest.raises(RosterError, match="`id`"):
        read_roster(roster)


def test_one_student_option_picks_the_notebook_named_in_metadata(tmp_path: Path) -> None:
    touch(tmp_path / "repo" / "README.py")
    touch(tmp_path / "repo" / "my answers.ipynb", notebook=True)
    touch(tmp_path / "repo" / "other.ipynb", text=json.dumps({**NOTEBOOK, "metadata": {}}))
    (submission,) = find_class([tmp_path / "repo"], "sampler-basics", student_id="org/student-repo")
    assert submission.path.name == "my answers.ipynb" and submission.student.source == "option"
    assert {p.name for p in submission.others} == {"README.py", "other.ipynb"}


def test_newest_of_two_resubmissions_is_graded(tmp_path: Path) -> None:
    old = touch(tmp_path / "sampler-basics.ipynb", notebook=True)
    new = touch(tmp_path / "sampler-basics-1.ipynb", notebook=True)
    os.utime(old, (1_000_000, 1_000_000))
    chosen, others = pick_file([old, new], "sampler-basics")
    assert chosen == new and others == [old]
