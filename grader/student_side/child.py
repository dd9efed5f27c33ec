"""The sandbox's inside: runs a submission's cells, then its task functions under the recorder.

Runs in a process forked by `grader.sandbox.forkserver`, in the submission's own working directory. It reads the request
the grader left there (``request.json``) and writes one JSON event per line on the event pipe; everything the
student's code prints goes to ``output.txt`` instead. The grader trusts none of it blindly.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import types
from typing import Any


class _SilentIPython:
    """Answers the calls IPython syntax becomes (``%matplotlib``, ``!pip``) by doing nothing."""

    def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    def run_cell_magic(self, name: str, line: str, body: str) -> None:
        if name in {"time", "capture", "timeit"}:
            exec(compile(body, "<cell magic>", "exec"), sys.modules["__main__"].__dict__)

    def system(self, *args: Any, **kwargs: Any) -> None:
        return None

    getoutput = system


def _error_text(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    student = [f for f in frames if f.filename.startswith("<cell")]
    where = f" ({student[-1].filename[1:-1]}, line {student[-1].lineno})" if student else ""
    return f"{type(error).__name__}: {error}"[:2000] + where


def decode_arg(arg: Any) -> Any:
    """Rebuild a backend the parent sent by class name (a fake backend, AerSimulator or BasicSimulator)."""
    if not (isinstance(arg, dict) and set(arg) == {"backend"}):
        return arg
    name = arg["backend"]
    if name == "AerSimulator":
        from qiskit_aer import AerSimulator

        return AerSimulator()
    if name == "BasicSimulator":
        from qiskit.providers.basic_provider import BasicSimulator

        return BasicSimulator()
    from qiskit_ibm_runtime import fake_provider

    return getattr(fake_provider, name)()


def serve(request: dict[str, Any], events_fd: int) -> None:
    """Serve one request in the current directory, reporting on ``events_fd``; see the module docstring."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    events = os.fdopen(events_fd, "w", buffering=1, encoding="utf-8")
    output = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    stdin = os.open(os.devnull, os.O_RDONLY)  # student code that waits for input gets EOF at once
    os.dup2(stdin, 0)
    os.close(stdin)

    dumps = json.dumps

    def send(**event: Any) -> None:
        events.write(dumps(event) + "\n")

    # Import what grading needs before any student code runs, so that the student's cells cannot replace it.
    from grader.trace import plain_value, trace_of, trace_to_json
    from grader.recording import Recorder

    send(event="ready")
    student_module = types.ModuleType("__main__")  # the student's globals, apart from this module's
    sys.modules["__main__"] = student_module
    namespace = student_module.__dict__
    namespace["get_ipython"] = _SilentIPython
    for cell in request["cells"]:
        send(event="cell", number=cell["number"])
        try:
            exec(compile(cell["source"], f"<cell {cell['number']}>", "exec"), namespace)
        except BaseException as error:  # noqa: BLE001 - sys.exit and KeyboardInterrupt included
            send(event="cell_error", number=cell["number"], error=_error_text(error))
    send(event="cells_done")
    for task in request["tasks"]:
        function = namespace.get(task["name"])
        for index, case in enumerate(task["cases"]):
            if not callable(function):
                send(event="case_end", task=task["name"], case=index, status="missing")
                continue
            send(event="case_start", task=task["name"], case=index)
            args = [decode_arg(a) for a in case]
            returned, error = None, None
            with Recorder() as recording:
                try:
                    returned = function(*args)
                except BaseException as caught:  # noqa: BLE001
                    error = _error_text(caught)
            trace = trace_to_json(trace_of(recording))
            send(
                event="case_end",
                task=task["name"],
                case=index,
                status="raised" if error else "returned",
                returned=plain_value(returned),
                error=error,
                trace=trace,
            )
    send(event="done")
