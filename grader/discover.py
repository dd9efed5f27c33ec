"""Find the submissions in the paths an instructor gives: files as they are, folders searched for .ipynb/.py."""

from __future__ import annotations

from pathlib import Path

SUFFIXES = {".ipynb", ".py"}


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
