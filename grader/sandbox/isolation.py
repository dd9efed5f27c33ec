"""Isolation levels: the strongest this machine permits, chosen once when the grader starts.

- ``namespaces`` (root, and Linux lets it create namespaces): each sandbox slot has its own unprivileged uid and
  gid, and each sandbox its own PID namespace (everything in it dies with it; it sees no other process), mount
  namespace (the whole filesystem read-only, submissions, reports, hidden checks and private homes hidden, a private
  size-limited ``/tmp`` as its only writable place), network namespace (no network at all), IPC and UTS namespaces.
- ``uid`` (root where namespaces are refused, as in an ordinary Docker container or on Gradescope): the slot's own
  uid and gid, its own working directory and ``TMPDIR``; the submissions and hidden checks are closed to other users
  while the class is graded; after each sandbox every process of the uid is killed and every file it left in the
  shared temporary folders removed.
- ``user-namespaces`` (not root, and Linux allows unprivileged user namespaces, as most distributions do): the same
  namespaces and filesystem as ``namespaces``, inside a new user namespace where the sandbox keeps the grader's own
  uid and gives up every capability, so it can undo none of its mounts. There is no separate uid: the PID namespace
  ends everything it started, and its process count is a share of the user's.
- ``process`` (not root, no namespaces): a process of the grader's own user with rlimits, killed with its process
  group. It is not hardened against hostile code, and the grader says so.

Every level sets rlimits on address space, CPU seconds, file size, open files, processes and core dumps. This
module chooses the level and cleans up after sandboxes; `grader.sandbox.confine` is what a forked sandbox does to
itself.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import stat
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LEVELS = ("namespaces", "uid", "user-namespaces", "process")
NAMESPACE_LEVELS = ("namespaces", "user-namespaces")
DEFAULT_UID_BASE = 61000
SHARED_TEMP = ("/tmp", "/var/tmp", "/dev/shm")
NOT_HARDENED = (
    "This run is NOT hardened against hostile code: student code runs as your own user, can read what you can, use "
    "the network and outlive the grader. For a class that may be hostile, grade on Linux with unprivileged user "
    "namespaces allowed (the grader then uses them by itself), as root (in a container: see the instructor guide's "
    "one-line `docker run`) or on Gradescope."
)
OWN_UID = (
    "Student code runs as your own uid, inside namespaces: it sees no other process, no network, and the filesystem "
    "read-only without your home, /run, the submissions, the reports or the hidden checks. It can read what you can "
    "read elsewhere, and its processes share your process limit."
)


@dataclass(frozen=True)
class Limits:
    """Limits of every sandbox: seconds per cell and per case and in all, memory, processes, files, /tmp size."""

    timeout: float = 60.0
    memory_mb: int = 4096
    submission_timeout: float | None = None
    """Wall-clock seconds for one submission's cells and cases together (default: 10 × timeout, at least 120 s)."""
    processes: int = 64
    file_size_mb: int = 256
    open_files: int = 256
    tmp_mb: int = 512

    @property
    def total_seconds(self) -> float:
        """The submission's wall-clock budget."""
        return self.submission_timeout or max(120.0, 10 * self.timeout)


@dataclass
class Isolation:
    """The isolation this run uses, its sandbox uids, and the paths sandboxes must not see."""

    level: str
    uids: tuple[int, ...] = ()
    hidden: tuple[str, ...] = ()
    python_paths: tuple[str, ...] = ()
    workroot: str = ""
    homes: tuple[str, ...] = ()
    """The grader user's home folders: emptied in a sandbox's view, but for the Python environment in them."""
    _free: list[int] = field(default_factory=list)
    _locks: list[int] = field(default_factory=list)
    _cleanups: list[threading.Thread] = field(default_factory=list)
    """Open lock files of the uids this run holds, so that a concurrent grading run picks others."""
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def describe(self) -> dict[str, Any]:
        """What the report says about this run's isolation."""
        hardened = self.level != "process"
        namespaces = self.level in NAMESPACE_LEVELS
        return {
            "level": self.level,
            "hardened": hardened,
            "separate_uids": self.level in ("namespaces", "uid"),
            "pid_namespace": namespaces,
            "mount_namespace": namespaces,
            "network": "none" if namespaces else "the host's",
            "uids": list(self.uids),
            "note": {"process": NOT_HARDENED, "user-namespaces": OWN_UID}.get(self.level, ""),
        }

    def take(self) -> int | None:
        """A free sandbox uid for one submission (None at the process level); waits for one if all are busy."""
        if not self.uids:
            return None
        with self._lock:
            while not self._free:
                self._lock.wait()
            return self._free.pop()

    def give_back(self, uid: int | None, cleanup: Callable[[], None] | None) -> None:
        """Run ``cleanup`` in the background, then put ``uid`` back in the pool."""

        def work() -> None:
            try:
                if cleanup is not None:
                    cleanup()
            except Exception as error:  # noqa: BLE001 - a warm parent that is gone took its children with it
                logging.getLogger("grader").info("a sandbox's clean-up stopped: %s", error)
            finally:
                if uid is not None:
                    with self._lock:
                        self._free.append(uid)
                        self._lock.notify()

        thread = threading.Thread(target=work, daemon=True)
        with self._lock:
            self._cleanups = [t for t in self._cleanups if t.is_alive()] + [thread]
        thread.start()

    def clear(self, kill_uid: Any) -> list[int]:
        """End every process of every sandbox uid (``kill_uid(uid)`` kills one uid's) and remove what they left.

        Returns the uids that still had processes afterwards (none, unless the kernel refused).
        """
        with self._lock:
            pending = list(self._cleanups)
        for thread in pending:
            thread.join()
        survivors = []
        for uid in self.uids:
            for _ in range(5):
                kill_uid(uid)
                if not processes_of(uid):
                    break
                time.sleep(0.05)
            else:
                survivors.append(uid)
            if self.level == "uid":
                remove_files_of(uid)
        if self.workroot:
            shutil.rmtree(self.workroot, ignore_errors=True)
            os.makedirs(self.workroot, mode=0o711, exist_ok=True)
        return survivors

    def workdir(self, uid: int | None) -> str:
        """A fresh working directory for one sandbox on the host (uid and process levels)."""
        path = os.path.join(
            self.workroot, f"slot-{uid}" if uid is not None else f"run-{os.getpid()}-{time.monotonic_ns()}"
        )
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(os.path.join(path, "tmp"), mode=0o700)
        if uid is not None:
            for part in (path, os.path.join(path, "tmp")):
                os.chown(part, uid, uid)
        return path

    def request(self, uid: int | None, limits: Limits) -> dict[str, Any]:
        """The parameters the warm parent's child needs to isolate itself."""
        return {
            "level": self.level,
            "uid": uid,
            "memory_mb": limits.memory_mb,
            "cpu_seconds": int(limits.total_seconds) + 30,
            "processes": limits.processes,
            "file_size_mb": limits.file_size_mb,
            "open_files": limits.open_files,
            "tmp_mb": limits.tmp_mb,
            "hide": list(self.hidden),
            "homes": list(self.homes),
            "python_paths": list(self.python_paths),
        }


def python_paths() -> list[str]:
    """Every folder the Python environment is read from: prefixes, ``sys.path``, the grader package."""
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(__file__).resolve().parents[1])}
    found |= {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    here = os.getcwd()  # `python -m` puts the working directory first on sys.path: it is not the environment
    found |= {p for p in sys.path if p and os.path.isdir(p) and os.path.realpath(p) != os.path.realpath(here)}
    found.add(str(Path(sys.executable).resolve().parent))
    return sorted(str(Path(p).resolve()) for p in found)


def _homes() -> tuple[str, ...]:
    """The home folders of the user the grader runs as ($HOME and the account's), where its private files are."""
    import pwd

    found = {os.path.expanduser("~")}
    try:
        found.add(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        pass  # a uid with no account
    return tuple(sorted(str(Path(p).resolve()) for p in found if p not in ("", "/") and os.path.isdir(p)))


def closed_ancestor(path: str) -> str | None:
    """The first folder on ``path`` that other users cannot enter or read, or None when they can read it all."""
    current = Path("/")
    for part in Path(path).resolve().parts[1:]:
        current = current / part
        try:
            mode = current.stat().st_mode
        except OSError:
            return str(current)
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return str(current)
    try:
        mode = Path(path).resolve().stat().st_mode
    except OSError:
        return path
    return None if mode & stat.S_IROTH else path


def _describe_mode(path: str) -> str:
    try:
        info = os.stat(path)
    except OSError as error:
        return f"{path} cannot be read ({error.strerror})"
    owner = info.st_uid
    return f"{path} is mode {stat.S_IMODE(info.st_mode):04o}, owned by uid {owner}"


def choose(requested: str, workers: int, protect: list[Path], uid_base: int, namespaces_allowed: bool) -> Isolation:
    """The isolation to use: the one asked for, or with ``auto`` the strongest this machine permits."""
    root = os.geteuid() == 0
    if requested == "auto":
        if root:
            level = "namespaces" if namespaces_allowed else "uid"
        else:
            level = "user-namespaces" if namespaces_allowed else "process"
    else:
        level = requested
    if level in ("namespaces", "uid") and not root:
        raise IsolationError(f"isolation `{level}` needs the grader to run as root")
    if level == "user-namespaces" and root:
        raise IsolationError("isolation `user-namespaces` is for a grader that is not root; as root use `namespaces`")
    if level in NAMESPACE_LEVELS and not namespaces_allowed:
        fallback = "uid" if root else "process"
        raise IsolationError(f"this machine does not let the grader create namespaces; use `--isolation {fallback}`")
    uids: tuple[int, ...] = ()
    locks: list[int] = []
    if level in ("namespaces", "uid"):
        uids, locks = _claim_uids(uid_base, max(1, workers))
    workroot = ""
    if level not in NAMESPACE_LEVELS:
        import tempfile

        # Sandbox uids must pass through the folder above it: a private TMPDIR (mode 0700) would shut them out.
        above = tempfile.gettempdir()
        workroot = tempfile.mkdtemp(prefix="grader-sandboxes-", dir="/tmp" if closed_ancestor(above) else above)
        os.chmod(workroot, 0o711)  # sandbox uids may enter it to reach their own folder, never list it
        atexit.register(shutil.rmtree, workroot, True)
    hidden = tuple(sorted({str(p.resolve()) for p in protect if p.exists()}))
    isolation = Isolation(level, uids, hidden, tuple(python_paths()), workroot, _homes())
    isolation._free = list(reversed(uids))
    isolation._locks = locks
    return isolation


class IsolationError(RuntimeError):
    """The isolation asked for is not available, or a sandbox uid cannot run the course's Python."""


UID_LOCKS = "/run/lock/grader-sandbox-uids"
UID_SEARCH = 1000


def _claim_uids(base: int, count: int) -> tuple[tuple[int, ...], list[int]]:
    """``count`` sandbox uids from ``base`` up that no other grading run holds, with the locks that hold them.

    Two runs on one machine must never share a uid: each kills every process of its uids after every sandbox.
    """
    import fcntl

    folder = UID_LOCKS if os.path.isdir(os.path.dirname(UID_LOCKS)) else "/tmp/grader-sandbox-uids"
    os.makedirs(folder, mode=0o700, exist_ok=True)
    uids: list[int] = []
    locks: list[int] = []
    for uid in range(base, base + UID_SEARCH):
        fd = os.open(os.path.join(folder, f"{uid}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            _check_uids_free((uid,))
        except IsolationError:
            os.close(fd)
            continue
        uids.append(uid)
        locks.append(fd)
        if len(uids) == count:
            return tuple(uids), locks
    for fd in locks:
        os.close(fd)
    raise IsolationError(f"no {count} free sandbox uids from {base} on: choose others with --uid-base")


def _check_uids_free(uids: tuple[int, ...]) -> None:
    """Refuse uids that belong to an account or that own a running process."""
    import pwd

    for uid in uids:
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = None
        if name is not None:
            raise IsolationError(f"uid {uid} belongs to the account {name!r}; choose other sandbox uids (--uid-base)")
        for _ in range(20):  # a sandbox of a run that just ended may take a moment to go
            if not processes_of(uid):
                break
            time.sleep(0.1)
        else:
            raise IsolationError(
                f"uid {uid} already runs processes (another grading run?); choose other sandbox uids (--uid-base)"
            )


def processes_of(uid: int) -> list[int]:
    """Pids of the live processes (zombies aside) whose real uid is ``uid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        try:
            if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith(("Z", "X")):
                found.append(int(entry))
        except (KeyError, ValueError, IndexError):
            continue
    return found


def remove_files_of(uid: int, folders: tuple[str, ...] = SHARED_TEMP) -> int:
    """Remove what ``uid`` left at the top of the shared temporary folders; how many entries went."""
    removed = 0
    for folder in folders:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for name in entries:
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if info.st_uid != uid:
                continue
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.remove(path)
                except OSError:
                    continue
            removed += 1
    return removed


@contextmanager
def closed_to_others(paths: tuple[str, ...]) -> Iterator[list[str]]:
    """Take the "other" permissions off ``paths`` while grading, so sandbox uids cannot read them; restore after."""
    changed: list[tuple[str, int]] = []
    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        if mode & 0o007:
            os.chmod(path, stat.S_IMODE(mode) & ~0o007)
            changed.append((path, stat.S_IMODE(mode)))
    try:
        yield [p for p, _ in changed]
    finally:
        for path, mode in changed:
            try:
                os.chmod(path, mode)
            except OSError:
                pass


def unreadable_message(uid: int, paths: list[str]) -> str:
    """Why a sandbox uid cannot read the Python environment, and how to fix it."""
    reasons = []
    for path in paths[:3]:
        closed = closed_ancestor(path) or path
        reasons.append(f"{path} ({_describe_mode(closed)})")
    return (
        f"Sandbox uid {uid} cannot read the Python environment the grader runs in: {'; '.join(reasons)}. Student code "
        "would fail on its first lazy import, and every student would score 0, so the grader stops here. Fix: put "
        "the environment where other users can read it (for example `python3 -m venv /opt/course-venv`, then "
        "`/opt/course-venv/bin/pip install -r requirements.txt`, and grade with `/opt/course-venv/bin/python -m "
        "grader …`), or grade where namespaces are allowed (they open private homes for the sandbox), or, for a "
        "trusted class only, `--isolation process`."
    )
