"""Stage 4, run isolated: each submission in its own process, working directory, time and memory limits.

The process is forked from a warm parent (`grader.sandbox.forkserver`) that has imported qiskit already, so it starts in
milliseconds. It (`grader.student_side.child`) runs the cells, then every task case, and reports events as JSON lines.
A cell or a case that overruns its time, or a process that dies, costs only that cell or case: the child is
killed with its whole process group and started again for what is left, skipping the cells that hung.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from grader.load import Cell
from grader.sandbox import forkserver

STARTUP_SECONDS = 120.0
MAX_EVENT_BYTES = 50_000_000
OUTPUT_TAIL_BYTES = 4000


@dataclass
class CaseOutcome:
    """What one call of a task function came to, as the child reported it (untrusted plain data)."""

    status: str  # returned | raised | missing | timeout | crashed
    returned: Any = None
    error: str | None = None
    trace: dict[str, Any] | None = None


@dataclass
class SandboxOutcome:
    """Everything the isolated run produced for one submission."""

    cases: dict[tuple[str, int], CaseOutcome] = field(default_factory=dict)
    cell_errors: dict[int, str] = field(default_factory=dict)
    output_tail: str = ""
    crashed: str | None = None  # set when the child could not even start


@dataclass(frozen=True)
class Limits:
    """Per-submission limits: seconds per cell and per task case, memory of the child process, its user."""

    timeout: float = 60.0
    memory_mb: int = 4096
    run_as: str | None = None
    """A user to run student code as, when the grader runs as root."""


class _Child:
    """One forked child, its event stream, and how to end it and all it started."""

    def __init__(self, request: dict[str, Any], limits: Limits, workdir: str) -> None:
        with open(os.path.join(workdir, "request.json"), "w", encoding="utf-8") as handle:
            json.dump(request, handle)
        read_fd, write_fd = os.pipe()
        try:
            self.server = forkserver.shared()
            self.pid = self.server.fork(workdir, limits.memory_mb, limits.run_as, write_fd)
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, args=(os.fdopen(read_fd, "rb"),), daemon=True).start()

    def _read(self, stream: BinaryIO) -> None:
        with stream:
            for line in stream:
                if len(line) > MAX_EVENT_BYTES:
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict) and isinstance(event.get("event"), str):
                    self.events.put(event)
        self.events.put(None)

    def next_event(self, deadline: float) -> dict[str, Any] | None | str:
        """The next event, None at end of output, or "timeout" when ``deadline`` passes first."""
        try:
            return self.events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return "timeout"

    def end(self) -> None:
        """Kill the child's whole process group, grandchildren included, then let the warm parent reap it."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.server.reap(self.pid)


def run_isolated(cells: tuple[Cell, ...], tasks: list[tuple[str, list[list[Any]]]], limits: Limits) -> SandboxOutcome:
    """Run ``cells`` then every (task, encoded cases) in a fresh, limited process; never raises for student code."""
    outcome = SandboxOutcome()
    pending = [(name, index, args) for name, cases in tasks for index, args in enumerate(cases)]
    skipped: set[int] = set()
    workdir = tempfile.mkdtemp(prefix="grader-")
    try:
        for _attempt in range(len(cells) + len(pending) + 1):
            request_cells = [{"number": c.number, "source": c.source} for c in cells if c.number not in skipped]
            request_tasks: dict[str, list[list[Any]]] = {}
            for name, _index, args in pending:
                request_tasks.setdefault(name, []).append(args)
            request = {"cells": request_cells, "tasks": [{"name": n, "cases": c} for n, c in request_tasks.items()]}
            order = [(name, index) for name, index, _args in pending]
            try:
                child = _Child(request, limits, workdir)
            except (OSError, forkserver.ForkServerError) as error:
                outcome.crashed = f"the grading process could not start: {error}"
                break
            finished = _serve(child, order, limits, outcome, skipped)
            pending = [(n, i, a) for n, i, a in pending if (n, i) not in outcome.cases]
            if finished or outcome.crashed or not pending:
                break
        outcome.output_tail = _tail(os.path.join(workdir, "output.txt"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return outcome


def _serve(
    child: _Child, order: list[tuple[str, int]], limits: Limits, outcome: SandboxOutcome, skipped: set[int]
) -> bool:
    """Follow one child's events; return True when it finished everything it was asked."""
    deadline = time.monotonic() + STARTUP_SECONDS
    phase: tuple[str, Any] = ("startup", None)
    try:
        while True:
            event = child.next_event(deadline)
            if event == "timeout" or event is None:
                return _interrupted(phase, event, limits, outcome, skipped)
            assert isinstance(event, dict)
            kind = event["event"]
            if kind == "done":
                return True
            if kind in {"ready", "cell", "cells_done", "case_start"}:
                deadline = time.monotonic() + limits.timeout
            if kind == "cell" and isinstance(event.get("number"), int):
                phase = ("cell", event["number"])
            elif kind == "cells_done":
                phase = ("between", None)
            elif kind == "cell_error" and isinstance(event.get("number"), int):
                outcome.cell_errors[event["number"]] = str(event.get("error"))[:2000]
            elif kind == "case_start":
                position = event.get("case")
                if isinstance(position, int) and 0 <= position:
                    phase = ("case", _case_key(event, order))
            elif kind == "case_end":
                key = _case_key(event, order)
                if key is not None:
                    outcome.cases[key] = CaseOutcome(
                        status=event.get("status")
                        if event.get("status") in {"returned", "raised", "missing"}
                        else "crashed",
                        returned=event.get("returned"),
                        error=None if event.get("error") is None else str(event["error"])[:2000],
                        trace=event.get("trace") if isinstance(event.get("trace"), dict) else None,
                    )
                phase = ("between", None)
    finally:
        child.end()


def _case_key(event: dict[str, Any], order: list[tuple[str, int]]) -> tuple[str, int] | None:
    """Map the child's (task, position among its pending cases) back to the task's own case index."""
    task, position = event.get("task"), event.get("case")
    if not isinstance(task, str) or not isinstance(position, int):
        return None
    indices = [index for name, index in order if name == task]
    return (task, indices[position]) if 0 <= position < len(indices) else None


def _interrupted(
    phase: tuple[str, Any], event: Any, limits: Limits, outcome: SandboxOutcome, skipped: set[int]
) -> bool:
    """Record what a hang or a death cost, so that the next child can go on; return False."""
    what = (
        f"ran longer than {limits.timeout:g} s"
        if event == "timeout"
        else ("ended the process (sys.exit in a thread, os._exit, a crash, or the memory limit)")
    )
    stage, detail = phase
    if stage == "startup":
        outcome.crashed = f"the grading process could not start: it {what}"
    elif stage == "cell":
        skipped.add(detail)
        outcome.cell_errors[detail] = f"this cell {what}; the grader skipped it and ran the rest"
    elif stage == "case" and detail is not None:
        outcome.cases[detail] = CaseOutcome(status="timeout" if event == "timeout" else "crashed", error=f"it {what}")
    return False


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - OUTPUT_TAIL_BYTES))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
