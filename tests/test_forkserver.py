"""The warm parent: children forked from it are as isolated as freshly started ones, and it recovers from death."""

from __future__ import annotations

import json
import os
import pwd
import time
from pathlib import Path

import nbformat
import pytest

from grader import simulators
from grader.exercises import load_exercise
from grader.pipeline import grade_submission
from grader.primitives import DEFAULT_SEED
from grader.sandbox import forkserver
from grader.sandbox.runner import Limits

ROOT = Path(__file__).resolve().parent.parent

REPORT_SELF = """
import json, os, resource, sys
fds = set()
for fd in os.listdir("/proc/self/fd"):
    try:
        fds.add(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        pass  # the descriptor that listed the folder, closed by now
raise RuntimeError("REPORT" + json.dumps({
    "fds": sorted(fds),
    "home": os.environ["HOME"], "cwd": os.getcwd(), "uid": os.getuid(),
    "writes_grader_folder": os.access(GRADER, os.W_OK),
    "session_leader": os.getsid(0) == os.getpid(),
    "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
    "threads": len(os.listdir("/proc/self/task")),
    "noise_models": len(sys.modules["grader.simulators"]._models),
}) + "END")
"""


def report_of(tmp_path: Path, limits: Limits, full_marks: bool = True) -> dict:
    """Grade the sampler-basics solution plus a cell that describes its own process; return that description."""
    notebook = nbformat.read(ROOT / "solutions/sampler-basics.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(f"GRADER = {str(tmp_path)!r}\n{REPORT_SELF}"))
    path = tmp_path / "reports-itself.ipynb"
    nbformat.write(notebook, path)
    record = grade_submission(path, load_exercise("sampler-basics", None), limits, DEFAULT_SEED)
    assert record.score == record.max_score or not full_marks, record
    return json.loads(record.message.split("REPORT", 1)[1].split("END", 1)[0])


def test_the_warm_parent_is_single_threaded_so_forking_it_is_safe() -> None:
    assert forkserver.shared().threads == 1


def test_a_forked_child_is_cut_off_from_the_grader(tmp_path: Path) -> None:
    server = forkserver.shared()
    while (status := server.status())["warmed"] < status["warm_ups"]:
        time.sleep(0.2)
    seen = report_of(tmp_path, Limits(memory_mb=3000))
    assert not [target for target in seen["fds"] if target.startswith("socket:")]  # no way back to the parent
    assert seen["home"] == seen["cwd"] and Path(seen["cwd"]).name.startswith("grader-")
    assert seen["session_leader"] and seen["threads"] >= 1
    assert seen["memory"] == 3000 * 1024 * 1024
    assert seen["noise_models"] >= 2 * len(simulators.COURSE_BACKENDS)  # built once in the parent, while idle
    assert not Path(seen["cwd"]).exists()  # its working directory is gone once graded


def test_the_grader_starts_a_new_warm_parent_when_the_old_one_died(tmp_path: Path) -> None:
    first = forkserver.shared()
    first.process.kill()
    first.process.wait()
    seen = report_of(tmp_path, Limits())
    assert forkserver.shared() is not first and forkserver.shared().alive()
    assert seen["uid"] == os.getuid() and seen["writes_grader_folder"]


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another user needs root")
def test_run_as_drops_student_code_to_another_user(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    # Full marks would need this Python to be readable by `nobody`, which a Python under /root is not.
    seen = report_of(tmp_path, Limits(run_as="nobody"), full_marks=False)
    assert seen["uid"] == pwd.getpwnam("nobody").pw_uid
    assert not seen["writes_grader_folder"]
