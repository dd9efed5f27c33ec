"""A warm parent for the sandbox: imports qiskit once, then forks one fresh, isolated process per sandbox.

Started by `grader.sandbox.runner` as ``python -m grader.sandbox.forkserver FD`` with a clean environment; FD is
its end of a Unix socket pair. The grader sends small JSON messages on it:

- ``{"fork": PARAMS, "workdir": DIR}`` with three pipe ends attached (commands to read, replies and output to
  write), answered by ``{"pid": PID}``: the child isolates itself as PARAMS say (`grader.sandbox.confine`), then
  serves commands (`grader.student_side.child`);
- ``{"reap": PID}``, answered by ``{"reaped": PID}``, once the grader has killed that child;
- ``{"kill_uid": UID}``: kill every process of a sandbox uid, wherever it went;
- ``{"probe": true}``: whether this machine lets the grader create namespaces;
- ``{"status": true}``: how many idle-time warm-ups (noise models, see `grader.simulators`) are done.

Nothing from a child comes back this way: children close the socket before any student code runs.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from typing import Any

PRELOAD = (
    "numpy",
    "scipy.optimize",
    "matplotlib.pyplot",
    "qiskit",
    "qiskit.circuit.library",
    "qiskit.primitives",
    "qiskit.providers.basic_provider",
    "qiskit.quantum_info",
    "qiskit.transpiler",
    "qiskit.visualization",
    "qiskit_aer",
    "qiskit_aer.noise",
    "qiskit_aer.primitives",
    "qiskit_ibm_runtime",
    "qiskit_ibm_runtime.executor_estimator",
    "qiskit_ibm_runtime.executor_sampler",
    "qiskit_ibm_runtime.fake_provider",
    "grader.notebook",
    "grader.student_side.child",
    "grader.sandbox.confine",
)
"""What the course's notebooks import, so that a forked child starts with all of it already loaded."""

MESSAGE_BYTES = 65536
STARTUP_SECONDS = 120.0
REPLY_SECONDS = 30.0


class ForkServerError(RuntimeError):
    """The warm parent could not start, or could not fork a child."""


def _environment(home: str) -> dict[str, str]:
    kept = {"PATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "TZ", "PYTHONWARNINGS", "PYTHONPATH"}
    keep = {k: v for k, v in os.environ.items() if k in kept}
    return {
        **keep,
        "HOME": home,
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",  # also keeps OpenMP and OpenBLAS from starting threads, which fork cannot copy
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONHASHSEED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


class ForkServer:
    """The grader's handle on one warm parent process."""

    def __init__(self) -> None:
        self.home = tempfile.mkdtemp(prefix="grader-warm-")
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with open(os.path.join(self.home, "stderr.txt"), "wb") as stderr:
            self.process = subprocess.Popen(  # -P: its home is not on sys.path, where sandbox uids would stat it
                [sys.executable, "-P", "-m", "grader.sandbox.forkserver", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                cwd=self.home,
                env=_environment(self.home),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        theirs.close()
        self.lock = threading.Lock()
        try:
            self.threads = int(self._receive(STARTUP_SECONDS)["threads"])
        except ForkServerError as error:
            with open(os.path.join(self.home, "stderr.txt"), "rb") as stderr:
                said = stderr.read()[-1500:].decode(errors="replace")
            self.close()
            raise ForkServerError(f"{error}: {said}") from None

    def _receive(self, seconds: float) -> dict[str, Any]:
        self.control.settimeout(seconds)
        try:
            data = self.control.recv(MESSAGE_BYTES)
        except OSError as error:
            raise ForkServerError(f"the warm parent did not answer ({error})") from None
        if not data:
            raise ForkServerError("the warm parent has stopped")
        return json.loads(data)

    def _ask(self, message: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        data = json.dumps(message).encode()
        with self.lock:
            try:
                socket.send_fds(self.control, [data], fds or [])
            except OSError as error:
                raise ForkServerError(f"the warm parent is gone ({error})") from None
            return self._receive(REPLY_SECONDS)

    def fork(self, params: dict[str, Any], workdir: str | None, fds: list[int]) -> int:
        """Fork a sandbox isolated by ``params`` that reads commands from and writes to ``fds``; return its pid."""
        reply = self._ask({"fork": params, "workdir": workdir}, fds)
        if "pid" not in reply:
            raise ForkServerError(str(reply.get("error")))
        return int(reply["pid"])

    def kill_uid(self, uid: int) -> None:
        """Kill every process of ``uid``."""
        self._ask({"kill_uid": uid})

    def namespaces_allowed(self) -> bool:
        """Whether this machine lets the warm parent create the sandbox's namespaces."""
        return bool(self._ask({"probe": True}).get("namespaces"))

    def reap(self, pid: int) -> None:
        """Let the warm parent collect ``pid`` once its process group has been killed."""
        with self.lock:
            try:
                self.control.send(json.dumps({"reap": pid}).encode())
                self._receive(REPLY_SECONDS)
            except (OSError, ForkServerError):
                pass  # a dead parent has no zombies left to collect

    def status(self) -> dict[str, Any]:
        """How far the warm parent has got with building noise models while idle."""
        with self.lock:
            self.control.send(json.dumps({"status": True}).encode())
            return self._receive(REPLY_SECONDS)

    def alive(self) -> bool:
        """Whether the warm parent process is still running."""
        return self.process.poll() is None

    def close(self) -> None:
        """Stop the warm parent; any child it still has dies with it."""
        self.control.close()
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


_shared: ForkServer | None = None
_shared_lock = threading.Lock()


def shared() -> ForkServer:
    """This process's warm parent, started on first use and again if it died."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.alive():
            if _shared is not None:
                _shared.close()
            _shared = ForkServer()
            atexit.register(_shared.close)
        return _shared


def _become_sandbox(control: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: cut every tie to the grader, isolate, then serve the sandbox's commands."""
    from grader.sandbox import confine
    from grader.student_side import child

    control.close()
    confine.enter(message["fork"], message.get("workdir"))
    child.serve(*fds)


def _fork(control: socket.socket, message: dict[str, Any], fds: list[int]) -> dict[str, Any]:
    if len(fds) != 3:
        for fd in fds:
            os.close(fd)
        return {"error": "a fork request needs exactly three pipe ends"}
    try:
        pid = os.fork()
    except OSError as error:
        for fd in fds:
            os.close(fd)
        return {"error": f"fork failed: {error}"}
    if pid == 0:
        status = 1
        try:
            _become_sandbox(control, message, fds)
            status = 0
        except BaseException as error:  # noqa: BLE001 - the grader sees the dead sandbox and says so
            try:
                os.write(2, f"sandbox set-up failed: {type(error).__name__}: {error}\n".encode())
            except OSError:
                pass
        finally:
            os._exit(status)
    for fd in fds:
        os.close(fd)
    return {"pid": pid}


def _reap(pid: int) -> dict[str, Any]:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    return {"reaped": pid}


def main() -> None:
    """Serve the grader; when it is gone (killed perhaps, at any stage), remove the home it made, which it cannot."""
    try:
        _serve(socket.socket(fileno=int(sys.argv[1])))
    finally:  # not run when the grader ends this process itself (SIGKILL): it removes the home then
        if os.path.basename(os.getcwd()).startswith("grader-warm-"):
            shutil.rmtree(os.getcwd(), ignore_errors=True)


def _serve(control: socket.socket) -> None:
    """Preload, say ready, then answer requests until the socket closes, building noise models while idle."""
    for name in PRELOAD:
        importlib.import_module(name)
    from grader import simulators
    from grader.sandbox import confine

    simulators.install()
    warm_ups = simulators.warm_ups(simulators.COURSE_BACKENDS)
    done = 0
    threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else threading.active_count()
    control.send(json.dumps({"ready": True, "threads": threads}).encode())
    while True:
        if done < len(warm_ups) and not select.select([control], [], [], 0)[0]:
            warm_ups[done]()  # children forked from now on start with this model built
            done += 1
            continue
        data, fds, _flags, _address = socket.recv_fds(control, MESSAGE_BYTES, 3)
        if not data:
            return
        message = json.loads(data)
        if "fork" in message:
            reply = _fork(control, message, fds)
        elif "reap" in message:
            reply = _reap(int(message["reap"]))
        elif "kill_uid" in message:
            confine.kill_all_of(int(message["kill_uid"]))
            reply = {"killed": message["kill_uid"]}
        elif "probe" in message:
            reply = {"namespaces": confine.probe_namespaces()}
        else:
            reply = {"warmed": done, "warm_ups": len(warm_ups)}
        control.send(json.dumps(reply).encode())


if __name__ == "__main__":
    main()
