"""A class of hostile submissions graded beside honest ones: the honest are untouched, the machine clean after.

Every hostile submission here is bounded (in processes, bytes and seconds) and uses no network but loopback; what
it would have done unbounded, the sandbox's limits stop.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sandbox_kit import (
    AS_ROOT,
    ORDINARY_USER,
    ROOT,
    TEST_UID_BASE,
    as_ordinary_user,
    grade_command,
    namespaces_allowed,
    open_for_ordinary_user,
    reachable_by_all,
    run,
    with_readable_python,
)

from grader.sandbox.isolation import processes_of

MARK = "grader-hostile-test"
HONEST = (ROOT / "solutions" / "sampler-basics.ipynb").read_text()

HOSTILE = {
    # Kill every process it can see, from the cell and from a daemon that keeps trying while classmates run.
    "killer.py": """
import os, signal, time
def _kill_everything():
    for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
        if pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(100):
            _kill_everything()
            time.sleep(0.1)
    os._exit(0)
_kill_everything()
def bell_counts(backend, shots):
    _kill_everything()
    raise RuntimeError("nothing to return")
""",
    # Wait for the grader to finish, then rewrite the reports with full marks.
    "rewriter.py": """
import os, signal, time, glob
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        deadline = time.time() + 25
        while time.time() < deadline:
            for report in glob.glob("/tmp/**/grades.json", recursive=True) + glob.glob("OUT/grades.json"):
                try:
                    with open(report, "w") as handle:
                        handle.write("{\\"hacked\\": true}")
                except OSError:
                    pass
            time.sleep(0.2)
    os._exit(0)
def bell_counts(backend, shots):
    return {"00": shots}
""",
    # Find a classmate's file through the grader's command line and run their code.
    "reader.py": """
import os, runpy
def bell_counts(backend, shots):
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            words = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        for word in words:
            if word.endswith(b"alice.ipynb") or word.endswith(b"/class"):
                target = word.decode()
                for name in (os.listdir(target) if os.path.isdir(target) else [target]):
                    path = os.path.join(target, name) if os.path.isdir(target) else target
                    if name.endswith(".py") and "reader" not in name:
                        return runpy.run_path(path)["bell_counts"](backend, shots)
    raise RuntimeError("could not read a classmate")
""",
    # Daemons that ignore SIGTERM, in sessions of their own, and an honest-looking subprocess that outlives it.
    "daemons.py": """
import os, signal, subprocess, time
for _ in range(20):
    if os.fork() == 0:
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(120)
        os._exit(0)
subprocess.Popen(["sleep", "300"], start_new_session=True)
def bell_counts(backend, shots):
    raise NotImplementedError
""",
    # A fork bomb, bounded here so that even an unlimited sandbox would stop at a few hundred processes.
    "forkbomb.py": """
import os, time
children = 0
for _ in range(300):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
    except OSError:
        break
def bell_counts(backend, shots):
    raise RuntimeError(f"forked {children}")
""",
    # 48 MB outside its working directory, in the shared temporary folders.
    "diskfill.py": """
for folder in ("/tmp", "/var/tmp", "/dev/shm"):
    try:
        with open(f"{folder}/MARK-{folder.strip('/').replace('/', '-')}", "wb") as handle:
            for _ in range(16):
                handle.write(b"x" * 1_000_000)
    except OSError:
        pass
def bell_counts(backend, shots):
    raise NotImplementedError
""",
    # Forged heartbeats and replies on every inherited descriptor, forever, to keep its time from running out.
    "heartbeat.py": """
import json, os
def bell_counts(backend, shots):
    line = (json.dumps({"event": "ready", "nonce": "0" * 32, "status": "returned"}) + "\\n").encode()
    while True:
        for fd in (1, 2, 3, 4, 5, 6, 7, 8):
            try:
                os.write(fd, line)
            except OSError:
                pass
""",
    # One endless line, 200 MB without a newline, into every descriptor it can write to.
    "endless.py": """
import os
def bell_counts(backend, shots):
    chunk = b"x" * 1_000_000
    for _ in range(200):
        for fd in range(1, 10):
            try:
                os.write(fd, chunk)
            except OSError:
                pass
    raise RuntimeError("wrote")
""",
}


def _write_class(folder: Path, out: Path, names: list[str]) -> None:
    """Honest and hostile submissions in one folder, readable by every user on disk (as a shared drive is)."""
    folder.mkdir()
    for name in ("alice.ipynb", "bob.ipynb"):
        (folder / name).write_text(HONEST)
    for name in names:
        (folder / name).write_text(HOSTILE[name].replace("MARK", MARK).replace("OUT", str(out)))
    for path in [folder.parent, folder, *folder.iterdir()]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    reachable_by_all(folder.parent)


def _leftovers() -> list[str]:
    found = []
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        found += [f"{folder}/{n}" for n in os.listdir(folder) if n.startswith(MARK)]
    return found


def _grade_hostile_class(tmp_path: Path, level: str, names: list[str], wrap: Callable[[list[str]], list[str]]) -> dict:
    """Grade the class at ``level``, the grader's command wrapped by ``wrap``; the records and what the run cost."""
    folder, out = tmp_path / "class", tmp_path / "out"
    _write_class(folder, out, names)
    command = grade_command(str(folder), "--exercise", "sampler-basics", "--out", str(out), "--workers", "2",
                            "--timeout", "20", "--isolation", level, "--uid-base", str(TEST_UID_BASE))  # fmt: skip
    grader_tmp = tmp_path / "grader-tmp"  # the grader's own temporary folders (warm parent, uid-level workroot)
    grader_tmp.mkdir()
    if wrap is as_ordinary_user:
        open_for_ordinary_user(tmp_path)
        open_for_ordinary_user(grader_tmp)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    env = {**os.environ, "TMPDIR": str(grader_tmp), "HOME": str(tmp_path)}
    done = run(wrap(command), timeout=1200, env=env)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-4000:]
    grown = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = (out / "grades.json").read_bytes()
    digest = hashlib.sha256(report).hexdigest()
    time.sleep(6)  # the rewriter's daemon would be at work by now
    assert hashlib.sha256((out / "grades.json").read_bytes()).hexdigest() == digest, "the reports changed"
    uids = json.loads(report)["environment"]["isolation"]["uids"] or [ORDINARY_USER]
    assert all(not processes_of(uid) for uid in uids), "a sandbox process outlived the grader"
    assert _leftovers() == [], "a sandbox left files in the shared temporary folders"
    assert list(grader_tmp.iterdir()) == [], "the grader left its temporary folders behind"
    records = {Path(r["submission"]).name: r for r in json.loads(report)["submissions"]}
    return {"records": records, "elapsed": elapsed, "max_rss_kb": max(before, grown), "stdout": done.stdout}


@pytest.fixture(autouse=True)
def _clean_marks() -> None:
    yield
    for path in _leftovers():
        shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)


def _assert_the_whole_hostile_class_was_contained(graded: dict) -> None:
    """The honest get full marks, the hostile nothing; heartbeats, floods and memory were bounded."""
    records = graded["records"]
    for honest in ("alice.ipynb", "bob.ipynb"):
        assert records[honest]["score"] == records[honest]["max_score"] == 4.0, records[honest]
    for name in HOSTILE:
        assert records[name]["score"] == 0.0, (name, records[name])
    # Forged heartbeats extend nothing: the sandbox is stopped by its time limit or, sooner, by its reply-channel cap.
    heartbeat = json.dumps(records["heartbeat.py"])
    assert "ran longer than 20 s" in heartbeat or "wrote too much on the grader's reply channel" in heartbeat, heartbeat
    assert "reply channel" in records["endless.py"]["message"]  # the endless line was cut off and noted
    assert graded["max_rss_kb"] < 1_500_000  # the grader never held the 200 MB line
    assert graded["elapsed"] < 600


@AS_ROOT
def test_a_hostile_class_under_namespaces_leaves_the_honest_and_the_machine_untouched(tmp_path: Path) -> None:
    if not namespaces_allowed():
        pytest.skip("this machine does not allow namespaces")
    graded = _grade_hostile_class(tmp_path, "namespaces", sorted(HOSTILE), wrap=lambda command: command)
    _assert_the_whole_hostile_class_was_contained(graded)


@AS_ROOT
def test_a_hostile_class_graded_without_root_in_user_namespaces_is_contained(tmp_path: Path) -> None:
    # A teacher's laptop: an ordinary user, whose Linux allows unprivileged user namespaces (the auto level's pick).
    graded = _grade_hostile_class(tmp_path, "auto", sorted(HOSTILE), wrap=as_ordinary_user)
    if "isolation: process" in graded["stdout"]:
        pytest.skip("this machine does not allow unprivileged user namespaces")
    assert "isolation: user-namespaces" in graded["stdout"]
    _assert_the_whole_hostile_class_was_contained(graded)


@AS_ROOT
def test_a_hostile_class_under_uids_only_leaves_the_honest_and_the_machine_untouched(tmp_path: Path) -> None:
    # As in a Docker container or on Gradescope: root, no namespaces, and a Python every uid can read.
    names = ["killer.py", "rewriter.py", "reader.py", "daemons.py", "diskfill.py"]
    graded = _grade_hostile_class(tmp_path, "uid", names, wrap=with_readable_python)
    records = graded["records"]
    for honest in ("alice.ipynb", "bob.ipynb"):
        assert records[honest]["score"] == records[honest]["max_score"] == 4.0, records[honest]
    for name in names:
        assert records[name]["score"] == 0.0, (name, records[name])
    assert "isolation: uid" in graded["stdout"]
