"""Make the public copy of the course that students see: everything but the solutions.

The GitHub Classroom workflow and the exercises' Colab cell fetch the course from a public repository. To keep the
solutions private for a term, keep the course itself in a private repository and publish this copy instead:

    python classroom/make_student_copy.py ../course-student --url https://github.com/ORG/course-student
    cd ../course-student && git init -b main && git add -A && git commit -m "Term copy" && git push ...

The copy holds the files git tracks, without ``solutions/``; its ``_toc.yml`` is ``_toc_student.yml`` (the table of
contents without the solutions), and ``_config.yml`` and every notebook's Colab cell name ``--url``. Set the
workflow's ``COURSE_REPOSITORY`` to that repository. Hidden checks never belong in either repository.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRIVATE = ("solutions/",)


def tracked_files(root: Path = ROOT) -> list[str]:
    """The files git tracks in the course."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True)
    return [name for name in listing.stdout.decode().split("\0") if name]


def make_copy(target: Path, url: str | None, root: Path = ROOT) -> list[str]:
    """Copy the course without its solutions into ``target`` (which must not exist); the files copied."""
    if target.exists():
        raise SystemExit(f"{target} exists: give a new folder")
    copied = []
    for name in tracked_files(root):
        if name.startswith(PRIVATE) or not (root / name).is_file():
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination)
        copied.append(name)
    shutil.copy2(root / "_toc_student.yml", target / "_toc.yml")
    if url:
        config = target / "_config.yml"
        text = config.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^(\s+url:\s*)https://github\.com/\S+", lambda m: m[1] + url.rstrip("/"), text, count=1)
        config.write_text(text, encoding="utf-8")
        cells = target / "tools" / "notebook_cells.py"
        if cells.is_file():
            subprocess.run([sys.executable, str(cells)], cwd=target, check=True, capture_output=True)
    return copied


def main(argv: list[str] | None = None) -> int:
    """Write the student copy."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", type=Path, help="a new folder for the copy")
    parser.add_argument("--url", help="the public repository's URL, for _config.yml and the Colab cells")
    args = parser.parse_args(argv)
    copied = make_copy(args.target, args.url)
    print(f"{args.target}: {len(copied)} files, no solutions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
