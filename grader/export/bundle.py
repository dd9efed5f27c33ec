"""The Gradescope autograder bundle: ``python -m grader gradescope --exercise ID --out FILE.zip``.

The zip holds, at its root, ``setup.sh`` (run once, as root, when Gradescope builds the image), ``run_autograder``
(run once per submission), ``requirements.txt`` (the grader's run-time pins, ``classroom/requirements-grader.txt``),
a copy of the ``grader`` package with a minimal ``pyproject.toml`` so that setup.sh can install it,
``grader-bundle.json`` naming the exercise and the grading options, and, when given, the instructor's hidden checks
in ``hidden_checks/``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import grader
from grader.exercises import load_exercise
from grader.export.gradescope import CONFIG
from grader.export.requirements import required_python
from grader.primitives import DEFAULT_SEED

VENV = "/opt/grader-venv"
"""Where setup.sh installs the environment: outside /autograder/source, readable by the unprivileged user."""

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu 22.04 or 24.04, with Internet
# access). It installs a Python 3.11 the pins accept, a virtual environment with the grader's run-time pins only,
# and the bundled grader.
set -euo pipefail
SOURCE="${SOURCE:-/autograder/source}"
VENV="${VENV:-@VENV@}"
MIN_PYTHON="${MIN_PYTHON:-@MIN_PYTHON@}"  # the highest Requires-Python of requirements.txt's pins
export DEBIAN_FRONTEND=noninteractive

# Whether $1 is a final CPython 3.11 release, at least $MIN_PYTHON, with venv and ensurepip.
python_ok() {
  "$1" - "$MIN_PYTHON" <<'PY' >/dev/null 2>&1
import ensurepip, sys, venv
wanted = tuple(int(part) for part in sys.argv[1].split("."))
v = sys.version_info
sys.exit(0 if v[:2] == wanted[:2] and v[:3] >= wanted and v.releaselevel == "final" else 1)
PY
}

install_python() {
  # Ubuntu 22.04's own python3.11 is 3.11.0 (older than some pins need, on some mirrors a release candidate) and
  # 24.04 has none: take it from Ubuntu first, then from the deadsnakes PPA, which has the latest 3.11 for both.
  apt-get update
  apt-get install -y --no-install-recommends python3.11 python3.11-venv || true
  if ! python_ok python3.11; then
    apt-get install -y --no-install-recommends software-properties-common gpg-agent
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
  fi
}

main() {
  if ! python_ok python3.11; then
    install_python
  fi
  if ! python_ok python3.11; then
    echo "setup.sh: no Python 3.11 >= $MIN_PYTHON could be installed; found: $(python3.11 --version 2>&1 || true)" >&2
    exit 1
  fi
  python3.11 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --no-cache-dir -r "$SOURCE/requirements.txt"
  "$VENV/bin/python" -m pip install --no-cache-dir --no-deps "$SOURCE"
  "$VENV/bin/python" -m pip check
  # Students' code runs under other uids: it can use the environment but must not read the hidden checks.
  chmod -R go+rX "$VENV"
  chmod -R o-rwx "$SOURCE"
}

if [ -z "${GRADER_SETUP_FUNCTIONS_ONLY:-}" ]; then
  main
fi
""".replace("@VENV@", VENV)

RUN_AUTOGRADER = f"""#!/usr/bin/env bash
# Gradescope runs this once per submission, as root, in /autograder. For a local test: AUTOGRADER_ROOT moves that
# root and GRADER_PYTHON picks the Python that has the grader installed.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{GRADER_PYTHON:-{VENV}/bin/python}}"
mkdir -p "$ROOT/results"
if [ "$(id -u)" -eq 0 ]; then
  # The grader stays root and runs the student's code under a uid of its own: keep the bundle, hidden checks
  # included, and the results unreadable to other users.
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

[tool.setuptools.packages.find]
include = ["grader", "grader.*"]
"""


def _requirements(requirements: Path) -> str:
    """The pins to install, without an editable install of the course itself (the bundle installs its copy)."""
    lines = requirements.read_text(encoding="utf-8").splitlines()
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
        "points": {task.name: float(task.points) for task in exercise.tasks},
        "checks": "hidden_checks" if checks_dir else None,
        "timeout": timeout,
        "memory": memory,
        "seed": seed,
    }
    package = Path(grader.__file__).parent
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH.replace("@MIN_PYTHON@", required_python(requirements)), executable=True)
        _add(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add(archive, "requirements.txt", _requirements(requirements))
        _add(archive, "pyproject.toml", PYPROJECT)
        _add(archive, CONFIG, json.dumps(config, indent=1) + "\n")
        for source in sorted(package.rglob("*.py")):
            _add(archive, f"grader/{source.relative_to(package).as_posix()}", source.read_text(encoding="utf-8"))
        for source in sorted(checks_dir.glob("*.py")) if checks_dir else []:
            _add(archive, f"hidden_checks/{source.name}", source.read_text(encoding="utf-8"))
        return archive.namelist()
