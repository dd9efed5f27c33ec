"""The sandbox is as isolated as the report says: probes from inside a student cell, at every level."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sandbox_kit import (
    AS_ROOT,
    ORDINARY_USER,
    ROOT,
    TEST_UID_BASE,
    as_ordinary_user,
    grade_command,
    isolation,
    open_for_ordinary_user,
    reachable_by_all,
    returned,
    run,
    run_cells,
    with_readable_python,
)

from grader.sandbox import forkserver
from grader.sandbox.isolation import IsolationError, Limits, choose, processes_of
from grader.sandbox.preflight import preflight

OBSERVE = """
import os, resource, socket

def observe(port, secret):
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        network = "connected"
    except OSError as error:
        network = type(error).__name__
    try:
        with open(secret) as handle:
            leaked = handle.read()
    except OSError as error:
        leaked = type(error).__name__
    writable = []
    for path in ("/", "/etc", os.path.dirname(os.__file__), "/tmp", os.getcwd()):
        probe = os.path.join(path, "probe-write")
        try:
            with open(probe, "w") as handle:
                handle.write("x")
            os.remove(probe)
            writable.append(path)
        except OSError:
            pass
    return {
        "uid": os.getuid(), "pid": os.getpid(), "processes": len(pids), "network": network, "secret": leaked,
        "writable": writable, "cwd": os.getcwd(), "tmpdir": os.environ.get("TMPDIR"), "hostname": socket.gethostname(),
        "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0], "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
        "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
        "fds": sorted(os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                      if os.path.exists(f"/proc/self/fd/{fd}")),
        "devices": sorted(os.listdir("/dev")), "urandom": len(open("/dev/urandom", "rb").read(8)),
    }
"""


PROBE_SCRIPT_HEADER = (
    "import json, sys\n"
    "sys.path.insert(0, 'tests')\n"
    "from sandbox_kit import isolation, returned, run_cells\n"
    "from test_sandbox_isolation import ESCAPE, OBSERVE\n"
    "from pathlib import Path\n"
)
"""The start of a probe script that a test runs as another user: the probes and the kit, imported from here."""

HARMLESS_DEVICES = ["fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "urandom", "zero"]
"""What a sandbox sees in /dev at the namespace levels."""


@pytest.fixture()
def listener() -> socket.socket:
    """A TCP listener on 127.0.0.1 that a sandbox with no network cannot reach."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)
    yield server
    server.close()


@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    """An instructor's hidden file, in a folder the grader is told to protect, readable by everyone on disk."""
    folder = tmp_path / "hidden-checks"
    folder.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(folder, 0o755)
    path = folder / "sampler_basics.py"
    path.write_text("ANSWER = 42\n")
    os.chmod(path, 0o644)
    return path


@AS_ROOT
def test_namespaces_level_is_what_the_report_says(listener: socket.socket, secret: Path) -> None:
    chosen = isolation("namespaces", [secret.parent])
    described = chosen.describe()
    assert described["level"] == "namespaces" and described["hardened"] and described["network"] == "none"
    limits = Limits(timeout=60, memory_mb=3000, processes=40, file_size_mb=64, open_files=128, tmp_mb=64)
    seen = returned(
        run_cells([OBSERVE], "observe", [listener.getsockname()[1], str(secret)], chosen, limits), "observe"
    )
    assert (
        seen["uid"] in chosen.uids and seen["uid"] >= TEST_UID_BASE and seen["pid"] == 1
    )  # its own uid, PID 1 of its own namespace
    assert seen["processes"] <= 3  # it sees its own processes only
    assert seen["network"] in ("OSError", "ConnectionRefusedError", "TimeoutError")  # no network, loopback down
    assert seen["secret"] in ("FileNotFoundError", "PermissionError")  # hidden checks are not visible
    assert seen["writable"] == ["/tmp", "/tmp/work"]  # read-only everywhere but its own private /tmp
    assert seen["cwd"] == "/tmp/work" and seen["tmpdir"] == "/tmp/work/tmp" and seen["hostname"] == "sandbox"
    assert (seen["nproc"], seen["fsize"], seen["nofile"]) == (40, 64 * 2**20, 128)
    assert seen["memory"] == 3000 * 2**20 and seen["cpu"] > 0
    assert not [fd for fd in seen["fds"] if fd.startswith("socket:")]  # no way back to the warm parent
    assert seen["devices"] == HARMLESS_DEVICES and seen["urandom"] == 8  # no disks, kernel log or terminals


@AS_ROOT
def test_uid_level_is_what_the_report_says(tmp_path: Path, listener: socket.socket, secret: Path) -> None:
    # The uid level on this machine needs a Python every uid can read: run it where /root is opened to them.
    script = tmp_path / "probe.py"
    script.write_text(
        PROBE_SCRIPT_HEADER + f"chosen = isolation('uid', [Path({str(secret.parent)!r})])\n"
        "from grader.sandbox.isolation import closed_to_others\n"
        "with closed_to_others(chosen.hidden):\n"
        f"    outcome = run_cells([OBSERVE], 'observe', [{listener.getsockname()[1]}, {str(secret)!r}], chosen)\n"
        "    seen = returned(outcome, 'observe')\n"
        "print(json.dumps({'seen': seen, 'described': chosen.describe()}))\n"
    )
    done = run(with_readable_python([os.sys.executable, str(script)]))
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    seen, described = found["seen"], found["described"]
    assert described["level"] == "uid" and described["network"] == "the host's" and not described["pid_namespace"]
    assert seen["uid"] in described["uids"] and seen["pid"] != 1
    assert seen["network"] == "connected"  # as the report says: this level keeps the host's network
    assert seen["secret"] == "PermissionError"  # closed to other users while the class is graded
    assert "/" not in seen["writable"] and "/etc" not in seen["writable"]
    assert seen["cwd"] in seen["writable"] and seen["tmpdir"].startswith(seen["cwd"])
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o755  # permissions are given back afterwards


@AS_ROOT
def test_preflight_stops_a_run_whose_sandbox_cannot_read_python() -> None:
    chosen = choose("uid", 1, [], TEST_UID_BASE, forkserver.shared().namespaces_allowed())
    closed = [p for p in chosen.python_paths if p.startswith("/root/")]
    if not closed:
        pytest.skip("this machine's Python is readable by every user")
    with pytest.raises(IsolationError) as raised:
        preflight(chosen, Limits(timeout=60))
    message = str(raised.value)
    assert "cannot read the Python environment" in message and "/root is mode 0700" in message
    assert "python3 -m venv /opt/course-venv" in message  # how to fix it
    assert not processes_of(TEST_UID_BASE)


@AS_ROOT
def test_the_command_line_refuses_the_uid_level_with_a_private_python(tmp_path: Path) -> None:
    submission = tmp_path / "alice.py"
    submission.write_text("def bell_counts(backend, shots):\n    return {}\n")
    done = run(grade_command(str(submission), "--exercise", "sampler-basics", "--out", str(tmp_path / "out"),
                             "--isolation", "uid", "--uid-base", str(TEST_UID_BASE)))  # fmt: skip
    if "cannot read the Python environment" not in done.stderr:
        pytest.skip("this machine's Python is readable by every user")
    assert done.returncode == 2 and not (tmp_path / "out" / "grades.json").exists()  # no class graded into zeros


def test_a_grader_run_by_an_ordinary_user_without_namespaces_warns_that_it_is_not_hardened(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        open_for_ordinary_user(tmp_path)
    submission = tmp_path / "alice.py"
    submission.write_text("def bell_counts(backend, shots):\n    raise NotImplementedError\n")
    os.chmod(submission, 0o644)
    out = tmp_path / "out"
    command = grade_command(
        str(submission), "--exercise", "sampler-basics", "--out", str(out), "--workers", "1", "--isolation", "process"
    )  # fmt: skip  (as where user namespaces are refused, or macOS)
    if os.geteuid() == 0:  # become an ordinary user, as a teacher on a laptop is
        command = as_ordinary_user(command)
    done = run(command, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "isolation: process" in done.stdout
    assert "NOT hardened against hostile code" in done.stderr
    report = json.loads((out / "grades.json").read_text())
    assert report["environment"]["isolation"]["level"] == "process"
    assert report["environment"]["isolation"]["hardened"] is False


ESCAPE = """
import ctypes, os, socket

def _connect(path):
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(2)
            client.connect(path)
        return "connected"
    except OSError as error:
        return type(error).__name__

def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError as error:
        return type(error).__name__

def escape(secret, private, sockets):
    libc = ctypes.CDLL(None, use_errno=True)
    folder = os.path.dirname(secret).encode()
    remount_rw = lambda: libc.mount(None, b"/", None, 0x20 | 0x1000, None) == 0  # MS_REMOUNT | MS_BIND, not RDONLY
    tried = {"remount_rw": remount_rw(), "umount_hidden": libc.umount2(folder, 2) == 0}
    tried["private"] = _read(private)
    tried["sockets"] = [_connect(path) for path in sockets]
    # A nested user namespace has every capability again, but over copies of the mounts, which the kernel locks.
    tried["nested"] = libc.unshare(0x10000000 | 0x00020000) == 0
    tried["nested_umount_hidden"] = tried["nested"] and libc.umount2(folder, 2) == 0
    tried["nested_remount_rw"] = tried["nested"] and remount_rw()
    tried["secret"] = _read(secret)
    return tried
"""


@pytest.fixture()
def user_sockets(tmp_path: Path) -> Iterator[list[str]]:
    """Unix sockets anyone may connect to, in the user's home and in /run (as a session bus or docker.sock are)."""
    paths = [str(tmp_path / "agent.sock"), f"/run/grader-test-{os.getpid()}.sock"]
    servers = []
    for path in paths:
        server = socket.socket(socket.AF_UNIX)
        server.bind(path)
        server.listen(8)
        os.chmod(path, 0o777)
        servers.append(server)
    yield paths
    for server, path in zip(servers, paths, strict=True):
        server.close()
        os.unlink(path)


@AS_ROOT
def test_user_namespaces_level_is_what_the_report_says(
    tmp_path: Path, listener: socket.socket, secret: Path, user_sockets: list[str]
) -> None:
    # A grader that is not root, on a Linux that allows unprivileged user namespaces (most do), as on a laptop.
    open_for_ordinary_user(tmp_path)
    private = tmp_path / "notes.txt"  # in the teacher's home: theirs alone
    private.write_text("the teacher's own")
    os.chown(private, ORDINARY_USER, ORDINARY_USER)
    os.chmod(private, 0o600)
    script = tmp_path / "probe.py"
    script.write_text(
        PROBE_SCRIPT_HEADER
        + "exec(ESCAPE)  # the same probes outside the sandbox, to show they would find what is there\n"
        f"outside = escape({str(secret)!r}, {str(private)!r}, {user_sockets!r})\n"
        f"chosen = isolation('auto', [Path({str(secret.parent)!r})])\n"
        f"seen = returned(run_cells([OBSERVE], 'observe', [{listener.getsockname()[1]}, {str(secret)!r}], chosen),"
        " 'observe')\n"
        f"inside = returned(run_cells([ESCAPE], 'escape', [{str(secret)!r}, {str(private)!r}, {user_sockets!r}],"
        " chosen), 'escape')\n"
        "print(json.dumps({'seen': seen, 'outside': outside, 'inside': inside, 'described': chosen.describe()}))\n"
    )
    os.chmod(script, 0o644)
    done = run(as_ordinary_user([os.sys.executable, str(script)]), env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    seen, outside, inside, described = found["seen"], found["outside"], found["inside"], found["described"]
    if described["level"] == "process":
        pytest.skip("this machine does not allow unprivileged user namespaces")
    assert described["level"] == "user-namespaces" and described["hardened"] and described["network"] == "none"
    assert not described["separate_uids"] and "your own uid" in described["note"]
    assert seen["uid"] == ORDINARY_USER and seen["pid"] == 1 and seen["processes"] <= 3  # PID 1 of its own namespace
    assert seen["network"] in ("OSError", "ConnectionRefusedError", "TimeoutError")  # no network, loopback down
    assert seen["secret"] in ("FileNotFoundError", "PermissionError")  # hidden checks are not visible
    assert seen["writable"] == ["/tmp", "/tmp/work"]  # read-only everywhere but its own private /tmp
    assert seen["cwd"] == "/tmp/work" and seen["hostname"] == "sandbox"
    assert seen["nproc"] < 1000 and seen["memory"] > 0  # a share of the user's process count
    assert not [fd for fd in seen["fds"] if fd.startswith("socket:")]
    assert seen["devices"] == HARMLESS_DEVICES and seen["urandom"] == 8  # none of the teacher's groups' devices
    # Outside, the user reads its own notes and reaches both sockets; inside, the home and /run are empty.
    assert outside["private"] == "the teacher's own" and outside["sockets"] == ["connected", "connected"], outside
    assert inside["private"] == "FileNotFoundError" and inside["sockets"] == ["FileNotFoundError"] * 2, inside
    # Without capabilities it can undo none of the mounts; with a nested user namespace, only the locked copies.
    assert not inside["remount_rw"] and not inside["umount_hidden"], inside
    assert not inside["nested_umount_hidden"] and not inside["nested_remount_rw"], inside
    assert inside["secret"] in ("FileNotFoundError", "PermissionError"), inside
    assert not processes_of(ORDINARY_USER)  # nothing of the sandboxes is left


@pytest.mark.parametrize("after", [0.0, 5.0], ids=["while-the-warm-parent-starts", "while-a-sandbox-runs"])
def test_a_grader_killed_mid_run_leaves_no_temporary_folder(tmp_path: Path, after: float) -> None:
    # Killed by a timeout or Ctrl-\ in a CI job, the grader cannot clean up; its warm parent, seeing it gone, must.
    grader_tmp = tmp_path / "grader-tmp"
    grader_tmp.mkdir()
    submission = tmp_path / "slow.py"
    submission.write_text("import time\ndef bell_counts(backend, shots):\n    time.sleep(60)\n")
    command = grade_command(str(submission), "--exercise", "sampler-basics", "--out", str(tmp_path / "out"),
                            "--uid-base", str(TEST_UID_BASE))  # fmt: skip
    grader = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "TMPDIR": str(grader_tmp)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert _within(120, lambda: any(p.name.startswith("grader-warm-") for p in grader_tmp.iterdir()))
        time.sleep(after)  # at once: the warm parent is still importing; later: the submission's sandbox sleeps
        assert grader.poll() is None, "the grader ended before it was killed"
    finally:
        grader.kill()
        grader.wait()
    assert _within(60, lambda: list(grader_tmp.iterdir()) == []), list(grader_tmp.iterdir())


def _within(seconds: float, condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` holds within ``seconds``, polled every tenth of a second."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@AS_ROOT
def test_the_pytest_route_closes_the_submissions_to_sandbox_uids(tmp_path: Path) -> None:
    # At the uid level, as the command line does: a classmate's notebook cannot be read while the class is graded.
    folder = tmp_path / "class"
    folder.mkdir()
    alice = folder / "alice.ipynb"
    alice.write_text((ROOT / "solutions/sampler-basics.ipynb").read_text())
    (folder / "peek.py").write_text(
        f"def bell_counts(backend, shots):\n    try:\n        open({str(alice)!r}).read()\n"
        "        seen = 'read alice'\n    except OSError as error:\n        seen = type(error).__name__\n"
        "    raise RuntimeError(seen)\n"
    )
    for path in (tmp_path, folder, *folder.iterdir()):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    reachable_by_all(tmp_path)  # so that only the grader's closing of the folder keeps peek.py out
    command = [os.sys.executable, "-m", "pytest", "-p", "grader.pytest_plugin", "--grade", "sampler-basics",
               str(folder), "--grade-isolation", "uid", "-o", "addopts=", "-p", "no:cacheprovider", "-q"]  # fmt: skip
    done = run(with_readable_python(command))
    assert "2 failed, 2 passed" in done.stdout, done.stdout[-3000:]  # alice's two tasks pass, peek's two fail
    assert "raised RuntimeError: PermissionError" in done.stdout and "read alice" not in done.stdout
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # given back once pytest is done
