"""Running code in the grader's sandbox from a test: isolation levels, probes from inside a student cell."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from grader import wire
from grader.claims import decode_case
from grader.load import Cell
from grader.sandbox import forkserver
from grader.sandbox.isolation import DEFAULT_UID_BASE, Isolation, Limits, choose
from grader.sandbox.runner import CaseRequest, SandboxOutcome, run_isolated

ROOT = Path(__file__).resolve().parent.parent
AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="the hardened levels need root (CI runs as root)")
TEST_UID_BASE = DEFAULT_UID_BASE + 500
"""Sandbox uids of the tests, apart from those of a grading run on the same machine."""


def namespaces_allowed() -> bool:
    """Whether this machine lets the grader create the sandbox's namespaces (in a user namespace when not root)."""
    return forkserver.shared().namespaces_allowed()


def isolation(level: str, protect: list[Path] | None = None, workers: int = 1, base: int = TEST_UID_BASE) -> Isolation:
    """An isolation of ``level`` for a test, hiding (or closing) ``protect``."""
    if level == "namespaces" and not namespaces_allowed():
        pytest.skip("this machine does not allow namespaces")
    return choose(level, workers, protect or [], base, namespaces_allowed())


def run_cells(
    sources: list[str], task: str, args: list[Any], chosen: Isolation, limits: Limits | None = None
) -> SandboxOutcome:
    """Run ``sources`` as cells, then call ``task(*args)`` once, in a sandbox of ``chosen``."""
    cells = tuple(Cell(n, textwrap.dedent(s)) for n, s in enumerate(sources, start=1))
    request = CaseRequest(task, 0, [{"value": wire.encode(a)} for a in args], 7)
    return run_isolated(cells, [request], limits or Limits(timeout=60), chosen)


def returned(outcome: SandboxOutcome, task: str) -> Any:
    """What the task returned (its claim's value), failing the test if it did not return."""
    case = outcome.cases[(task, 0)]
    assert case.status == "returned", (case, outcome.cell_errors)
    return decode_case(case.claim).returned


OPEN_ROOT = """
import os, sys
from grader.sandbox import confine, isolation, linux

linux.unshare(linux.CLONE_NEWNS)
linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
paths = [p for p in isolation.python_paths() if os.path.isdir(p)]
confine.open_private_homes({p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in paths})
os.execv(sys.argv[1], sys.argv[1:])
"""


def with_readable_python(command: list[str]) -> list[str]:
    """``command`` run in a mount namespace where the Python environment is readable by every user.

    This machine's Python lives under /root (mode 0700), as on many servers; Docker images and Gradescope put it
    where any uid can read it. Tests of the uid level and of a grader run by an ordinary user need the latter.
    """
    return [sys.executable, "-c", OPEN_ROOT, *command]


ORDINARY_USER = 65534
"""The uid and gid of `nobody`, which plays a teacher without root on a laptop."""


def as_ordinary_user(command: list[str]) -> list[str]:
    """``command`` run as an ordinary user (from a root test), where the Python environment is readable by all."""
    setpriv = ["/usr/bin/setpriv", f"--reuid={ORDINARY_USER}", f"--regid={ORDINARY_USER}", "--clear-groups"]
    return with_readable_python([*setpriv, *command])


def reachable_by_all(folder: Path) -> None:
    """Let every user pass through the folders above ``folder`` (pytest makes its temporary folders 0700)."""
    for parent in folder.parents:
        if parent == Path("/tmp") or parent == Path("/"):
            break
        os.chmod(parent, os.stat(parent).st_mode | 0o005)


def open_for_ordinary_user(folder: Path) -> None:
    """Let the ordinary user write in ``folder`` and reach it through the folders above it (up to /tmp)."""
    os.chmod(folder, 0o777)
    reachable_by_all(folder)


def grade_command(*args: str) -> list[str]:
    """``python -m grader grade ARGS`` with this test run's interpreter."""
    return [sys.executable, "-m", "grader", "grade", *args]


def run(command: list[str], timeout: float = 900, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository's root and return what it printed."""
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kwargs)
