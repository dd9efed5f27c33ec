"""The Gradescope autograder bundle: ``python -m grader gradescope --exercise ID --out FILE.zip``.

The zip holds, at its root, ``setup.sh`` (run once, as root, when Gradescope builds the image), ``run_autograder``
(run once per submission), the pinned ``requirements.txt``, a copy of the ``grader`` package with a minimal
``pyproject.toml`` so that setup.sh can install it, ``grader-bundle.json`` naming the exercise and the grading
options, and, when given, the instructor's hidden checks in ``hidden_checks/``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import grader
from grader.exercises import load_exercise
from grader.export.gradescope import CONFIG
from grader.primitives import DEFAULT_SEED

VENV = "/opt/grader-venv"
"""Where setup.sh installs the environment: outside /autograder/source, readable by the unprivileged user."""

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu, with Internet access).
set -euo pipefail
SOURCE=/autograder/source
VENV={VENV}
export DEBIAN_FRONTEND=noninteractive

# The course is pinned on Python 3.11: use the image's python3.11, or install it with its venv module.
if ! python3.11 -c "import ensurepip, venv" >/dev/null 2>&1; then
  apt-get update
  if ! apt-get install -y --no-install-recommends python3.11 python3.11-venv; then
    apt-get install -y --no-install-recommends software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
  fi
fi

python3.11 -m venv "$VENV"
"$VENV/bin/python" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
"$VENV/bin/python" -m pip install --no-cache-dir --no-deps "$SOURCE"
"$VENV/bin/python" -m pip check

# Students' code may run as another user: it can use the environment but must not read the hidden checks.
chmod -R go+rX "$VENV"
chmod -R o-rwx "$SOURCE"
"""

RUN_AUTOGRADER = f"""#!/usr/bin/env bash
# Gradescope runs this once per submission, as root, in /autograder. For a local test: AUTOGRADER_ROOT moves that
# root, GRADER_PYTHON picks the Python that has the grader installed, and GRADER_RUN_AS="" keeps the student's code
# from switching to the unprivileged user of grader-bundle.json (when that user cannot run this Python).
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{GRADER_PYTHON:-{VENV}/bin/python}}"
mkdir -p "$ROOT/results"
if [ "$(id -u)" -eq 0 ]; then
  # The grader stays root and drops only the student's process to an unprivileged user (see grader-bundle.json):
  # keep the bundle, hidden checks included, and the results unreadable to that user.
  chmod -R o-rwx "$ROOT/source" "$ROOT/results"
fi
cd "$ROOT"
exec "$PYTHON" -m grader.export.gradescope --root "$ROOT"
"""

PYPROJECT = """[build-system]
requires = ["setuptools==84.2.1"]
build-backend = "setuptools.build_meta"

[project]
name = "primitives-migration-course-grader"
version = "0.1.0"
description = "The autograder of the course, as bundled for Gradescope"
requires-python = ">=3.11"

[tool.setuptools]
packages = ["grader", "grader.exercises"]
"""


def _requirements(course_requirements: Path) -> str:
    """The course's pinned requirements without the editable install of the course itself."""
    lines = course_requirements.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.strip().startswith("-e")) + "\n"


def _add(archive: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def write_bundle(
    exercise_id: str,
    out: Path,
    requirements: Path,
    checks_dir: Path | None = None,
    timeout: float = 60.0,
    memory: int = 4096,
    seed: int = DEFAULT_SEED,
) -> list[str]:
    """Write the autograder zip for ``exercise_id`` to ``out``; return the names it holds."""
    exercise = load_exercise(exercise_id, checks_dir)
    config = {
        "exercise": exercise.id,
        "points": {task.name: task.points for task in exercise.tasks},
        "checks": "hidden_checks" if checks_dir else None,
        "timeout": timeout,
        "memory": memory,
        "seed": seed,
        "run_as": "nobody",
    }
    package = Path(grader.__file__).parent
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH, executable=True)
        _add(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add(archive, "requirements.txt", _requirements(requirements))
        _add(archive, "pyproject.toml", PYPROJECT)
        _add(archive, CONFIG, json.dumps(config, indent=1) + "\n")
        for source in sorted(package.rglob("*.py")):
            _add(archive, f"grader/{source.relative_to(package).as_posix()}", source.read_text(encoding="utf-8"))
        for source in sorted(checks_dir.glob("*.py")) if checks_dir else []:
            _add(archive, f"hidden_checks/{source.name}", source.read_text(encoding="utf-8"))
        return archive.namelist()
