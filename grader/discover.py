"""Find the submissions in the paths an instructor gives, and whose they are.

``find_submissions`` lists the files. ``find_class`` groups them by student and picks one file per student:

- **LMS bulk downloads** name each file after its student; the documented patterns are read:

  - Canvas: ``<name>[_LATE]_<user id>_<attachment id>_<original file name>``, flat in one folder;
  - Moodle: a folder ``<Full Name>_<participant id>_assignsubmission_file_`` per student, or the same prefix on each
    file when the download was not made in folders;
  - Blackboard (Original): ``<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<original file name>``, with an
    ``...attempt_<time>.txt`` beside it whose ``Name: Full Name (username)`` line gives the name.

- a **roster CSV** (``file,id,name,...``) maps files or folders to students, and adds names, SIS IDs, sections and
  e-mail addresses to identities read from LMS names (rows whose ``file`` is empty match on ``id``);
- otherwise a **folder per student** (``submissions/alice/...``) or a **file per student** (``submissions/bob.py``).

A student with several files gets one record: the notebook whose metadata names the exercise is graded (else the
file named after the exercise, else a notebook, else the newest file) and the others are listed in a note.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

SUFFIXES = {".ipynb", ".py"}
ROSTER_FIELDS = ("file", "id", "name", "email", "sis_id", "login", "section", "submitted_at")

CANVAS = re.compile(r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<id>\d+)_(?P<attachment>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)$")
BLACKBOARD = re.compile(
    r"^(?P<assignment>.+)_(?P<user>[^_]+)_attempt_(?P<time>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_(?P<file>.+))?$"
)
BLACKBOARD_NAME = re.compile(r"^Name:\s*(?P<name>.+?)\s*\((?P<user>[^()]+)\)\s*$", re.MULTILINE)


class RosterError(ValueError):
    """A roster CSV that cannot be used, with the reason."""


@dataclass(frozen=True)
class Student:
    """Who a submission belongs to: an ID, a name, and where they were read from."""

    id: str
    name: str = ""
    source: str = "file name"
    """``canvas``, ``moodle``, ``blackboard``, ``roster``, ``option``, ``folder`` or ``file name``."""
    email: str = ""
    sis_id: str = ""
    login: str = ""
    section: str = ""

    def to_dict(self) -> dict[str, str]:
        """This identity as JSON-ready data (empty fields left out, ``id`` and ``source`` always there)."""
        data = {"id": self.id, "name": self.name, "source": self.source, "email": self.email}
        data |= {"sis_id": self.sis_id, "login": self.login, "section": self.section}
        return {k: v for k, v in data.items() if v or k in ("id", "source")}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Student:
        """The identity a ``to_dict`` wrote."""
        return cls(**{k: str(v) for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Submission:
    """One student's submission: the file graded, its owner, the other files set aside, and when it came in."""

    path: Path
    student: Student
    others: tuple[Path, ...] = ()
    submitted_at: datetime | None = None
    submitted_from: str = ""
    """Where ``submitted_at`` was read: ``roster``, ``file name`` (Blackboard) or ``file time``."""
    flagged_late: bool = False
    """The LMS marked it late (Canvas's ``_LATE`` in the file name)."""
    notes: tuple[str, ...] = field(default=())


def find_submissions(paths: list[Path]) -> list[Path]:
    """Every submission under ``paths``, sorted within each folder, skipping checkpoints and hidden folders."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.suffix in SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(path).parts)
            )
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def read_roster(path: Path) -> list[dict[str, str]]:
    """The rows of a roster CSV, each with every field of ``ROSTER_FIELDS`` (empty when absent)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.DictReader(stream)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            if "id" not in header:
                raise RosterError(f"{path}: the first line must name the columns, among them `id` (and `file`)")
            rows = []
            for line, row in enumerate(reader, start=2):
                clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                if not clean.get("id"):
                    raise RosterError(f"{path}, line {line}: no student id")
                rows.append({name: clean.get(name, "") for name in ROSTER_FIELDS})
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RosterError(f"{path}: {error}") from error
    return rows


def parse_time(text: str) -> datetime:
    """A timestamp as written in rosters and on the command line: ISO 8601, or Blackboard's ``Y-m-d-H-M-S``."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d", text):
        return datetime.strptime(text, "%Y-%m-%d-%H-%M-%S")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _lms_identity(name: str, folder: Path) -> tuple[Student | None, dict[str, object]]:
    """The student an LMS bulk-download name belongs to, and what else the name says (time, late flag)."""
    if match := MOODLE.match(name):
        return Student(match["id"], match["name"], "moodle"), {}
    if match := BLACKBOARD.match(name):
        student_name = ""
        info = folder / f"{match['assignment']}_{match['user']}_attempt_{match['time']}.txt"
        if info.is_file():
            found = BLACKBOARD_NAME.search(info.read_text(encoding="utf-8", errors="replace"))
            student_name = found["name"] if found else ""
        extra = {"submitted_at": parse_time(match["time"]), "submitted_from": "file name"}
        return Student(match["user"], student_name, "blackboard", login=match["user"]), extra
    if match := CANVAS.match(name):
        return Student(match["id"], match["name"], "canvas"), {"flagged_late": bool(match["late"])}
    return None, {}


def _exercise_named(path: Path) -> str | None:
    """The exercise a notebook's metadata names, or None (a .py file, or no such metadata)."""
    if path.suffix != ".ipynb":
        return None
    try:
        named = json.loads(path.read_text(encoding="utf-8"))["metadata"]["grader"]["exercise"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return named if isinstance(named, str) else None


def pick_file(files: list[Path], exercise: str | None) -> tuple[Path, list[Path]]:
    """The file to grade among one student's files, and the others.

    In order: a notebook whose metadata names ``exercise``, a file named after it, a notebook, a .py file; the most
    recently modified of equals (an LMS keeps resubmissions side by side), then by name.
    """

    def rank(path: Path) -> tuple[int, int, int, float, str]:
        named = _exercise_named(path)
        stem = re.sub(r"[-_ ]?\(?\d+\)?$", "", path.stem.split("_")[-1] if "_" in path.stem else path.stem)
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = 0.0
        return (
            0 if exercise and named == exercise else 1,
            0 if exercise and (stem == exercise or path.stem.endswith(exercise)) else 1,
            0 if path.suffix == ".ipynb" else 1,
            -mtime,
            path.name,
        )

    ordered = sorted(files, key=rank)
    return ordered[0], ordered[1:]


def _roster_match(roster: list[dict[str, str]], relative: Path, student: Student | None) -> dict[str, str] | None:
    """The roster row of a file (by its path, its name or its top folder), or of an LMS identity (by id)."""
    names = {relative.as_posix(), relative.name, relative.parts[0]}
    for row in roster:
        if row["file"] and row["file"].strip("/") in names:
            return row
    if student is not None:
        for row in roster:
            if not row["file"] and row["id"] == student.id:
                return row
    return None


def _from_row(row: dict[str, str], student: Student | None) -> Student:
    """The identity a roster row gives, keeping what an LMS name said that the row leaves empty."""
    base = student or Student(row["id"], source="roster")
    return replace(
        base,
        id=row["id"] or base.id,
        name=row["name"] or base.name,
        source=base.source if student and not row["file"] else "roster",
        email=row["email"] or base.email,
        sis_id=row["sis_id"] or base.sis_id,
        login=row["login"] or base.login,
        section=row["section"] or base.section,
    )


def find_class(
    paths: list[Path],
    exercise: str | None = None,
    roster: list[dict[str, str]] | None = None,
    student_id: str | None = None,
) -> list[Submission]:
    """One submission per student under ``paths`` (see the module's docstring); ``student_id`` makes them one."""
    roster = roster or []
    groups: dict[str, dict[str, object]] = {}

    def add(key: str, file: Path, student: Student, extra: dict[str, object], row: dict[str, str] | None) -> None:
        group = groups.setdefault(key, {"files": [], "student": student, "extra": {}, "row": row})
        group["files"].append(file)  # type: ignore[union-attr]
        group["extra"].update(extra)  # type: ignore[union-attr]

    for given in paths:
        root = given if given.is_dir() else given.parent
        for file in find_submissions([given]):
            relative = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
            student, extra = None, {}
            for part in relative.parts:  # a Moodle folder, or the file's own LMS name
                student, extra = _lms_identity(part, file.parent)
                if student:
                    break
            row = _roster_match(roster, relative, student)
            if student_id is not None:
                student = Student(student_id, source="option")
            elif row is not None:
                student = _from_row(row, student)
            elif student is None and given.is_dir() and len(relative.parts) > 1:
                student = Student(relative.parts[0], source="folder")
            elif student is None:
                student = Student(file.stem, source="file name")
            add(f"{student.source == 'option'}:{student.id}", file, student, extra, row)

    submissions = []
    for group in groups.values():
        chosen, others = pick_file(group["files"], exercise)  # type: ignore[arg-type]
        extra: dict[str, object] = group["extra"]  # type: ignore[assignment]
        row: dict[str, str] | None = group["row"]  # type: ignore[assignment]
        submitted_at, submitted_from = extra.get("submitted_at"), str(extra.get("submitted_from", ""))
        if row and row["submitted_at"]:
            submitted_at, submitted_from = parse_time(row["submitted_at"]), "roster"
        if submitted_at is None:
            submitted_at, submitted_from = datetime.fromtimestamp(chosen.stat().st_mtime), "file time"
        notes = ()
        if others:
            listed = ", ".join(p.name for p in others)
            notes = (
                f"Graded {chosen.name}; not graded: {listed} (one file per student: the notebook of this exercise. "
                "Code in other files is not available to it).",
            )
        submissions.append(
            Submission(
                chosen,
                group["student"],  # type: ignore[arg-type]
                tuple(others),
                submitted_at,  # type: ignore[arg-type]
                submitted_from,
                bool(extra.get("flagged_late", False)),
                notes,
            )
        )
    return submissions


def unmatched_roster(roster: list[dict[str, str]], submissions: list[Submission]) -> list[dict[str, str]]:
    """The roster's students who have no submission among ``submissions``."""
    seen = {s.student.id for s in submissions}
    return [row for row in roster if row["id"] not in seen]
