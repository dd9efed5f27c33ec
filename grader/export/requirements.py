"""The grader's run-time requirements: the pins of requirements.txt that grading needs, and nothing for the book.

``requirements.txt`` pins everything the course needs (the book, its tests, Jupyter); grading a submission needs
about a third of it. This module follows the grader's declared dependencies (``pyproject.toml``) through the
installed packages' metadata and keeps the pins of requirements.txt that they reach. The Gradescope bundle and the
GitHub Classroom workflow install the result, ``classroom/requirements-grader.txt``:

    python -m grader.export.requirements --write classroom/requirements-grader.txt   # after a bump
    python -m grader.export.requirements --check classroom/requirements-grader.txt   # what the tests run

``packaging`` is imported only here, while building (it is not a run-time requirement).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "classroom" / "requirements-grader.txt"
HEADER = """# The grader's run-time pins: the part of requirements.txt that `python -m grader grade` needs (no book, no
# Jupyter). Written by `python -m grader.export.requirements --write classroom/requirements-grader.txt`;
# tests/test_gradescope.py checks that it is what requirements.txt and pyproject.toml give, and that it installs.
"""


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def course_pins(requirements: Path) -> dict[str, str]:
    """The exact pins of a requirements file: normalised name → version (other lines are ignored)."""
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)", line):
            pins[_name(match[1])] = match[2]
    return pins


def declared(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The grader's declared dependencies (``[project] dependencies``), by name."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return [re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0] for spec in data["project"]["dependencies"]]


def closure(names: list[str]) -> set[str]:
    """Every distribution the named ones need on this platform and Python, themselves included (extras followed)."""
    from packaging.requirements import Requirement

    seen: set[tuple[str, str]] = set()
    todo = [(_name(n), "") for n in names]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError as error:
            raise SystemExit(f"{name} is not installed: install requirements.txt first") from error
        for spec in requires:
            requirement = Requirement(spec)
            marker = requirement.marker
            base = marker is None or marker.evaluate({"extra": ""})
            # The package's own requirements on the base pass; an extra's pass adds only what the extra adds.
            wanted = base if not extra else (marker is not None and marker.evaluate({"extra": extra}) and not base)
            if wanted:
                todo.append((_name(requirement.name), ""))
                todo += [(_name(requirement.name), _name(e)) for e in requirement.extras]
    return {name for name, _ in seen}


def minimum_python(names: set[str]) -> str:
    """The highest lower bound that the distributions' ``Requires-Python`` set (``3.11`` at least)."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    lowest = Version("3.11")
    for name in names:
        for spec in SpecifierSet(distribution(name).metadata.get("Requires-Python") or ""):
            if spec.operator in (">=", ">") and Version(spec.version) > lowest:
                lowest = Version(spec.version)
    return ".".join(str(part) for part in (*lowest.release, 0, 0)[:3])


def runtime_requirements(requirements: Path = ROOT / "requirements.txt") -> str:
    """The run-time requirements file: the header, the minimum Python, then one exact pin per line, sorted."""
    pins = course_pins(requirements)
    needed = closure(declared())
    unpinned = sorted(needed - set(pins))
    if unpinned:
        raise SystemExit(f"requirements.txt does not pin {', '.join(unpinned)}, which the grader needs")
    lines = [f"{name}=={pins[name]}" for name in sorted(needed)]
    return HEADER + f"# Python >= {minimum_python(needed)}\n" + "\n".join(lines) + "\n"


def required_python(runtime: Path) -> str:
    """The minimum Python a run-time requirements file names (``# Python >= 3.11.0``)."""
    match = re.search(r"^# Python >= (\d+\.\d+\.\d+)$", runtime.read_text(encoding="utf-8"), re.MULTILINE)
    return match[1] if match else "3.11.0"


def main(argv: list[str] | None = None) -> int:
    """Write or check the run-time requirements file."""
    parser = argparse.ArgumentParser(prog="python -m grader.export.requirements", description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, metavar="FILE")
    action.add_argument("--check", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    wanted = runtime_requirements()
    if args.write:
        args.write.write_text(wanted, encoding="utf-8")
        print(f"{args.write}: {wanted.count('==')} pins")
        return 0
    if args.check.read_text(encoding="utf-8") != wanted:
        print(f"{args.check} is out of date: run with --write {args.check}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
