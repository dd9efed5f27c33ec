"""Stage 4, run isolated: each submission in a sandbox forked from the warm parent, driven one command at a time.

The grader sends a command (run cell N; call task T with these arguments and this default seed) with a fresh
nonce, and waits, by its own clock, for the one reply that echoes it. Anything else the sandbox writes is ignored
and counted; a line over `MAX_LINE` bytes, or more than `MAX_BYTES` in all, ends the sandbox. A cell or a case that
overruns its time, or a process that dies, costs only that cell or case: the sandbox is ended (every process of its
uid killed) and started again for what is left, skipping the cells that hung. The submission as a whole has a
wall-clock budget too. Whatever the student's code prints is drained, and only its last few kilobytes are kept.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from grader.claims import CaseOutcome
from grader.load import Cell
from grader.sandbox import forkserver
from grader.sandbox.isolation import NAMESPACE_LEVELS, Isolation, Limits, processes_of, remove_files_of

log = logging.getLogger("grader")
MAX_LINE = 32 * 1024 * 1024
MAX_BYTES = 128 * 1024 * 1024
OUTPUT_TAIL_BYTES = 4000
CHUNK = 65536


@dataclass
class SandboxOutcome:
    """Everything the isolated run produced for one submission (claims, to be judged)."""

    cases: dict[tuple[str, int], CaseOutcome] = field(default_factory=dict)
    cell_errors: dict[int, str] = field(default_factory=dict)
    output_tail: str = ""
    crashed: str | None = None  # set when the sandbox could not even start
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CaseRequest:
    """One call of a task function the grader asks for."""

    task: str
    index: int
    args: list[Any]
    seed: int


class _Replies:
    """Reads a sandbox's reply pipe in bounded chunks; keeps only the one reply the grader is waiting for."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.condition = threading.Condition()
        self.awaited: str | None = None
        self.reply: dict[str, Any] | None = None
        self.closed = False
        self.ignored = 0
        self.flooded = False
        self.received = 0
        threading.Thread(target=self._read, daemon=True).start()

    def expect(self, nonce: str) -> None:
        with self.condition:
            self.awaited, self.reply = nonce, None

    def _take(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        with self.condition:
            if (
                isinstance(message, dict)
                and self.awaited
                and message.get("nonce") == self.awaited
                and self.reply is None
            ):
                self.reply = message
                self.condition.notify_all()
            else:
                self.ignored += 1

    def _read(self) -> None:
        pending = bytearray()
        skipping = False
        try:
            while True:
                chunk = os.read(self.fd, CHUNK)
                if not chunk:
                    break
                self.received += len(chunk)
                if self.received > MAX_BYTES:
                    self.flooded = True
                    break
                while chunk:
                    end = chunk.find(b"\n")
                    if end < 0:
                        if not skipping:
                            pending += chunk
                            if len(pending) > MAX_LINE:
                                pending.clear()
                                skipping, self.flooded = True, True
                                self.ignored += 1
                        break
                    if not skipping:
                        self._take(bytes(pending + chunk[:end]))
                    pending.clear()
                    skipping = False
                    chunk = chunk[end + 1 :]
        except OSError:
            pass
        finally:
            os.close(self.fd)
            with self.condition:
                self.closed = True
                self.condition.notify_all()

    def wait(self, deadline: float) -> dict[str, Any] | str:
        """The awaited reply; "timeout" when ``deadline`` passes first; "dead" when the sandbox stopped or flooded."""
        with self.condition:
            while self.reply is None:
                if self.closed or self.flooded:
                    return "dead"
                left = deadline - time.monotonic()
                if left <= 0:
                    return "timeout"
                self.condition.wait(left)
            return self.reply


class _Output:
    """Drains what the student's code prints, keeping its tail only."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.tail = b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while chunk := os.read(self.fd, CHUNK):
                self.tail = (self.tail + chunk)[-OUTPUT_TAIL_BYTES:]
        except OSError:
            pass
        finally:
            os.close(self.fd)


class Sandbox:
    """One isolated process: its pipes, and how to end it and everything it started."""

    def __init__(self, isolation: Isolation, uid: int | None, limits: Limits) -> None:
        self.isolation, self.uid = isolation, uid
        self.workdir = isolation.workdir(uid) if isolation.level not in NAMESPACE_LEVELS else None
        commands_read, self.commands = os.pipe()
        replies_read, replies_write = os.pipe()
        output_read, output_write = os.pipe()
        theirs = [commands_read, replies_write, output_write]
        try:
            self.server = forkserver.shared()
            self.pid = self.server.fork(isolation.request(uid, limits), self.workdir, theirs)
        except BaseException:
            for fd in (self.commands, replies_read, output_read):
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        self.replies = _Replies(replies_read)
        self.output = _Output(output_read)

    def ask(self, command: dict[str, Any], deadline: float) -> dict[str, Any] | str:
        """Send one command and wait for its reply (or "timeout", or "dead")."""
        nonce = secrets.token_hex(16)
        self.replies.expect(nonce)
        try:
            os.write(self.commands, (json.dumps({**command, "nonce": nonce}) + "\n").encode())
        except OSError:
            return "dead"
        return self.replies.wait(deadline)

    def stop(self) -> None:
        """Kill the sandbox's process group at once."""
        try:
            os.write(self.commands, b'{"op": "exit"}\n')
        except OSError:
            pass
        os.close(self.commands)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def clean(self) -> None:
        """After `stop`: reap it, kill every process of its uid wherever it went, remove what it left."""
        self.server.reap(self.pid)
        if self.uid is not None:
            for _ in range(5):
                self.server.kill_uid(self.uid)
                if not processes_of(self.uid):
                    break
                time.sleep(0.05)
            else:
                log.warning("processes of sandbox uid %d survived the cleanup", self.uid)
            if self.isolation.level == "uid" and remove_files_of(self.uid):
                log.info("a sandbox of uid %d left files in the shared temporary folders; removed", self.uid)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.output.thread.join(timeout=1.0)


def run_isolated(
    cells: tuple[Cell, ...], cases: list[CaseRequest], limits: Limits, isolation: Isolation
) -> SandboxOutcome:
    """Run ``cells`` then every case in sandboxes of one slot; never raises for anything student code does."""
    outcome = SandboxOutcome()
    pending = list(cases)
    skipped: set[int] = set()
    budget_end = time.monotonic() + limits.total_seconds
    uid = isolation.take()
    sandbox: Sandbox | None = None
    ignored, flooded = 0, False
    try:
        for _attempt in range(len(cells) + len(cases) + 1):
            if sandbox is not None:
                sandbox.clean()  # a restart: the slot's uid must have nothing left running first
            try:
                sandbox = Sandbox(isolation, uid, limits)
            except (OSError, forkserver.ForkServerError) as error:
                outcome.crashed = f"the grading process could not start: {error}"
                sandbox = None
                break
            try:
                finished = _serve(sandbox, cells, pending, skipped, limits, budget_end, outcome)
            finally:
                sandbox.stop()
                ignored += sandbox.replies.ignored
                flooded |= sandbox.replies.flooded
                outcome.output_tail = sandbox.output.tail.decode("utf-8", "replace")
            pending = [c for c in pending if (c.task, c.index) not in outcome.cases]
            if finished or not pending:
                break
            if time.monotonic() >= budget_end:
                for case in pending:
                    outcome.cases[(case.task, case.index)] = CaseOutcome(
                        "timeout", error=f"was not run: the submission used up its {limits.total_seconds:g} s"
                    )
                break
    finally:
        # The last clean-up runs while the grader judges this submission; the uid is free again once it is done.
        isolation.give_back(uid, sandbox.clean if sandbox is not None else None)
    if ignored:
        outcome.notes.append(f"{ignored} unexpected line(s) on the reply channel were ignored")
    if flooded:
        outcome.notes.append("the sandbox wrote too much on its reply channel and was stopped")
    return outcome


def _why(reply: str, limits: Limits, budget_end: float, flooded: bool) -> str:
    if reply == "timeout":
        if time.monotonic() >= budget_end:
            return f"ran past the submission's total budget of {limits.total_seconds:g} s"
        return f"ran longer than {limits.timeout:g} s"
    if flooded:
        return "wrote too much on the grader's reply channel and was stopped"
    return "ended the process (sys.exit in a thread, os._exit, a crash, the memory limit, or a flood of output)"


def _serve(
    sandbox: Sandbox,
    cells: tuple[Cell, ...],
    cases: list[CaseRequest],
    skipped: set[int],
    limits: Limits,
    budget_end: float,
    outcome: SandboxOutcome,
) -> bool:
    """Drive one sandbox; True when it answered every command, False when it hung or died (recorded)."""
    for cell in cells:
        if cell.number in skipped:
            continue
        deadline = min(time.monotonic() + limits.timeout, budget_end)
        reply = sandbox.ask({"op": "cell", "number": cell.number, "source": cell.source}, deadline)
        if isinstance(reply, str):
            skipped.add(cell.number)
            why = _why(reply, limits, budget_end, sandbox.replies.flooded)
            outcome.cell_errors[cell.number] = f"this cell {why}; the grader skipped it"
            return False
        error = reply.get("error")
        if isinstance(error, dict):
            where = f" ({error.get('where')})" if error.get("where") else ""
            outcome.cell_errors[cell.number] = f"{error.get('type')}: {str(error.get('message'))[:500]}{where}"
        else:
            outcome.cell_errors.pop(cell.number, None)
    for case in cases:
        deadline = min(time.monotonic() + limits.timeout, budget_end)
        command = {"op": "case", "task": case.task, "args": case.args, "seed": case.seed}
        reply = sandbox.ask(command, deadline)
        key = (case.task, case.index)
        if isinstance(reply, str):
            why = _why(reply, limits, budget_end, sandbox.replies.flooded)
            outcome.cases[key] = CaseOutcome("timeout" if reply == "timeout" else "crashed", error=why)
            return False
        status = reply.get("status")
        if status == "missing":
            outcome.cases[key] = CaseOutcome("missing")
        elif status in ("returned", "raised"):
            outcome.cases[key] = CaseOutcome(status, claim=reply.get("claim"))
        else:
            outcome.cases[key] = CaseOutcome("crashed", error="its reply could not be read")
    return True
