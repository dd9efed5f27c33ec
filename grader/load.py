"""Stage 1, load: read a submission file into its code cells, or say clearly why it cannot be read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 5_000_000


class SubmissionError(Exception):
    """A submission that cannot be graded at all, with a message for the student and the instructor."""


@dataclass(frozen=True)
class Cell:
    """One code cell of a notebook (or a whole .py file as cell 0), numbered as the student sees it."""

    number: int  # 1-based position among all cells of the notebook
    source: str


@dataclass(frozen=True)
class Submission:
    """A loaded submission: where it came from, the exercise its metadata names, and its code cells."""

    path: Path
    exercise: str | None
    cells: tuple[Cell, ...]


def load_submission(path: Path) -> Submission:
    """Read a .ipynb or .py submission; raises SubmissionError with the reason when it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"cannot read the file: {error.strerror or error}") from error
    if len(raw) > MAX_BYTES:
        raise SubmissionError(f"the file is {len(raw) // 1_000_000} MB; submissions over 5 MB are not graded")
    if b"\x00" in raw:
        raise SubmissionError("the file is binary, not a notebook or a Python file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SubmissionError(f"the file is not UTF-8 text ({error.reason} at byte {error.start})") from error
    if path.suffix == ".py":
        return Submission(path, None, (Cell(1, text),))
    return _notebook(path, text)


def _notebook(path: Path, text: str) -> Submission:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(f"the notebook is not valid JSON (line {error.lineno}: {error.msg})") from error
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise SubmissionError("the file is JSON but not a Jupyter notebook (it has no list of cells)")
    if data.get("nbformat") != 4:
        raise SubmissionError(f"notebook format {data.get('nbformat')!r} is not supported; save it as format 4")
    cells = []
    for number, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise SubmissionError(f"cell {number} has a malformed source")
        cells.append(Cell(number, source))
    metadata = data.get("metadata")
    grader = metadata.get("grader") if isinstance(metadata, dict) else None
    exercise = grader.get("exercise") if isinstance(grader, dict) else None
    return Submission(path, exercise if isinstance(exercise, str) else None, tuple(cells))
