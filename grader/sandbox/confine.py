"""Confinement: what a freshly forked sandbox does to itself before any student code runs.

At the ``namespaces`` level (root) and the ``user-namespaces`` level (not root, inside a new user namespace): new
PID, mount, network, IPC and UTS namespaces; the filesystem remounted read-only, private homes opened just enough
for the Python environment, the grader's secrets hidden, a /dev of harmless devices, a private size-limited
``/tmp``; a fresh ``/proc`` and a PID 1 of its own, whose parent waits for it. At every level: the slot's uid and
gid (when root), no capabilities, no new privileges, death with the parent, rlimits, its own working folder. Also
the helpers the warm parent runs for the grader: probing for namespaces and killing every process of a uid.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import stat
import sys
import time
from pathlib import Path
from typing import Any

from grader.sandbox import linux
from grader.sandbox.isolation import NAMESPACE_LEVELS, processes_of


def _outermost_closed(path: str) -> str | None:
    """The outermost folder strictly above ``path`` that other users cannot enter, or None."""
    current = Path("/")
    for part in Path(path).parts[1:-1]:
        current = current / part
        try:
            if not current.stat().st_mode & stat.S_IXOTH:
                return str(current)
        except OSError:
            return None
    return None


def _bind(source_fd: int, target: str, read_only: bool = True) -> None:
    """Bind the folder open as ``source_fd`` (even where a later mount hides its path) onto ``target``."""
    os.makedirs(target, mode=0o755, exist_ok=True)
    linux.mount(f"/proc/self/fd/{source_fd}", target, None, linux.MS_BIND | linux.MS_REC)
    if read_only:
        linux.mount(None, target, None, linux.MS_BIND | linux.MS_REMOUNT | linux.MS_RDONLY)


def open_private_homes(fds: dict[str, int], homes: tuple[str, ...] = ()) -> None:
    """In a private mount namespace: make the folders open as ``fds`` readable by every user, and empty ``homes``.

    A folder under a private home (``/root``, mode 0700) stays where it is, but the home becomes an empty tmpfs
    holding only the folders needed, bound back in place. Each of ``homes`` is emptied so too, however open it is.
    """
    opened: dict[str, list[str]] = {}
    for path in fds:
        closed = _outermost_closed(path)
        if closed:
            opened.setdefault(closed, []).append(path)
    for home in homes:
        if any(home == folder or home.startswith(folder + "/") for folder in opened):
            continue  # already emptied, with what it holds of the environment
        opened[home] = [path for path in fds if path.startswith(home + "/")]
    for closed, paths in opened.items():
        linux.mount("tmpfs", closed, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "mode=0755,size=1m")
        for path in paths:
            _bind(fds[path], path, read_only=False)


DEVICES = ("null", "zero", "full", "random", "urandom")
DEVICE_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
}


def _minimal_dev() -> None:
    """A read-only /dev of the harmless devices alone: no disks, kernel log, cameras, GPUs or terminals."""
    fds = {name: os.open(f"/dev/{name}", os.O_PATH) for name in DEVICES if os.path.exists(f"/dev/{name}")}
    try:
        flags = linux.MS_NOSUID | linux.MS_NOEXEC
        linux.mount("tmpfs", "/dev", "tmpfs", flags, "mode=0755,size=64k")
        for name, fd in fds.items():
            open(f"/dev/{name}", "w").close()
            linux.mount(f"/proc/self/fd/{fd}", f"/dev/{name}", None, linux.MS_BIND)
        for name, target in DEVICE_LINKS.items():
            os.symlink(target, f"/dev/{name}")
        os.mkdir("/dev/shm")  # a tmpfs of its own comes over it
        linux.mount(None, "/dev", None, linux.MS_BIND | linux.MS_REMOUNT | linux.MS_RDONLY | flags)
    finally:
        for fd in fds.values():
            os.close(fd)


def _build_filesystem(params: dict[str, Any], uid: int | None) -> None:
    """In a new mount namespace: the filesystem read-only, secrets hidden, a private /tmp to write in.

    Private homes are opened just enough for the Python environment; /tmp is size-limited.
    """
    needed = [p for p in params["python_paths"] if os.path.isdir(p)]
    fds = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in needed}
    try:
        linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
        open_private_homes(fds, tuple(params.get("homes", ())))
        for point, flags in linux.mount_points():
            if point in ("/proc", "/sys", "/dev") or point.startswith(("/proc/", "/sys/", "/dev/")):
                continue
            try:
                linux.mount(None, point, None, linux.MS_BIND | linux.MS_REMOUNT | linux.MS_RDONLY | flags)
            except OSError:
                pass  # a mount point under another mount: no longer reachable
        for path in params["hide"]:
            if os.path.isdir(path):
                linux.mount("tmpfs", path, "tmpfs", linux.MS_RDONLY | linux.MS_NOSUID | linux.MS_NODEV, "size=4k")
            elif os.path.exists(path):
                linux.mount("/dev/null", path, None, linux.MS_BIND)
        _minimal_dev()
        scratch = {"/tmp": f"mode=1777,size={int(params['tmp_mb'])}m", "/var/tmp": "mode=1777,size=16m"}
        scratch["/dev/shm"] = "mode=1777,size=16m"
        scratch["/run"] = "mode=0755,size=1m"  # its sockets (a session bus, docker.sock) accept connections read-only
        for folder, options in scratch.items():
            if os.path.isdir(folder):
                empty = linux.MS_RDONLY if folder == "/run" else 0
                linux.mount("tmpfs", folder, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV | empty, options)
                for path in needed:  # an environment that lives in a temporary folder stays visible
                    if path.startswith(folder + "/"):
                        _bind(fds[path], path)
        os.makedirs("/tmp/work/tmp", mode=0o700)
        for part in ("/tmp/work", "/tmp/work/tmp") if uid is not None else ():
            os.chown(part, uid, uid)
    finally:
        for fd in fds.values():
            os.close(fd)


def _supervise(pid: int) -> None:
    """The namespace's parent: wait for its PID 1, then leave with its status (killing this kills the sandbox)."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            status = 0
            break
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF if status else 0)


def _limit(kind: int, value: int) -> None:
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(kind)
        resource.setrlimit(kind, (min(value, hard) if hard != resource.RLIM_INFINITY else value, hard))


def _tasks_of(uid: int) -> int:
    """How many tasks (threads, which RLIMIT_NPROC counts) processes of ``uid`` run now."""
    count = 0
    for pid in processes_of(uid):
        try:
            count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return count


def _become_student(params: dict[str, Any], workdir: str, running: int | None) -> None:
    """Drop to the student's uid, capabilities and limits; ``running``: tasks the user had before (no own uid)."""
    uid = params["uid"]
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        _limit(resource.RLIMIT_NPROC, int(params["processes"]))
    elif running is not None:  # the grader's own uid: a share of its process count, over what it already runs
        _limit(resource.RLIMIT_NPROC, running + int(params["processes"]))
    if params["level"] == "user-namespaces":
        linux.drop_capabilities()  # the namespaces' root may not undo the mounts that hide and protect
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    linux.die_with_parent()  # after setuid, which clears it
    memory = int(params["memory_mb"]) * 1024 * 1024
    _limit(resource.RLIMIT_AS, memory)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_CPU, int(params["cpu_seconds"]))
    _limit(resource.RLIMIT_FSIZE, int(params["file_size_mb"]) * 1024 * 1024)
    _limit(resource.RLIMIT_NOFILE, int(params["open_files"]))
    os.chdir(workdir)
    os.environ["HOME"] = workdir
    os.environ["TMPDIR"] = os.path.join(workdir, "tmp")
    os.environ["MPLCONFIGDIR"] = os.path.join(workdir, "tmp")


def enter(params: dict[str, Any], workdir: str | None) -> None:
    """Isolate this freshly forked child as ``params`` say; returns as the student's process, ready to serve."""
    os.setsid()
    linux.die_with_parent()
    running = None
    if params["level"] in NAMESPACE_LEVELS:
        if params["level"] == "user-namespaces":
            running = _tasks_of(os.getuid())  # counted on the host's /proc, before the sandbox gets its own
            linux.unshare_as_self(linux.SANDBOX_NAMESPACES)
        else:
            linux.unshare(linux.SANDBOX_NAMESPACES)
        _build_filesystem(params, params["uid"])
        pid = os.fork()
        if pid:
            _supervise(pid)  # never returns
        linux.die_with_parent()
        linux.mount("proc", "/proc", "proc", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
        socket.sethostname("sandbox")
        workdir = "/tmp/work"
    assert workdir is not None
    _become_student(params, workdir, running)


def probe_namespaces() -> bool:
    """Whether this process may create the sandbox's namespaces, in a user namespace when not root.

    Tried in a child that exits at once, as far as a PID 1 mounting its own /proc (which a masked /proc forbids).
    """
    if not sys.platform.startswith("linux"):
        return False
    pid = os.fork()
    if pid == 0:
        try:
            if os.geteuid() == 0:
                linux.unshare(linux.SANDBOX_NAMESPACES)
            else:
                linux.unshare_as_self(linux.SANDBOX_NAMESPACES)
            linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
            first = os.fork()
            if first == 0:
                try:
                    linux.mount("proc", "/proc", "proc", linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC)
                    os._exit(0)
                except BaseException:  # noqa: BLE001
                    os._exit(1)
            _, status = os.waitpid(first, 0)
            os._exit(os.waitstatus_to_exitcode(status))
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def kill_all_of(uid: int) -> None:
    """In a forked child of a root process: become ``uid`` and SIGKILL every process of it until none is left."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            me = os.getpid()
            for _ in range(500):
                try:
                    os.kill(-1, signal.SIGKILL)  # every process this uid may signal: all of its own
                except ProcessLookupError:
                    break
                if not [p for p in processes_of(uid) if p != me]:  # zombies still take a signal: count the living
                    break
                time.sleep(0.002)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
