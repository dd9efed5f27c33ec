"""The sandbox's inside: run the cells and task cases the grader asks for, one command at a time.

Runs in a process forked from `grader.sandbox.forkserver`, after the isolation is in place. It reads one JSON
command per line on its command pipe (``cell`` with a source, ``case`` with a task, its arguments and a default
seed) and answers each on its reply pipe, echoing the command's nonce; whatever the student's code prints goes to
a third pipe. The grader trusts none of it: a reply is a claim, accepted once, for the command it is waiting for,
before its own deadline.
"""

from __future__ import annotations

import json
import os
import sys
import types
from typing import Any

from grader import wire
from grader.claims import describe_error
from grader.student_side.task_call import call_task

CELL_MAGICS_RUN = {"time", "capture", "timeit", "prun"}


class _QuietIPython:
    """Answers the calls IPython syntax becomes (``%matplotlib``, ``!pip``) by doing nothing; runs ``%%time`` bodies."""

    def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    def run_cell_magic(self, name: str, line: str, body: str) -> None:
        if name in CELL_MAGICS_RUN:
            exec(compile(body, "<cell magic>", "exec"), sys.modules["__main__"].__dict__)

    def system(self, *args: Any, **kwargs: Any) -> None:
        return None

    getoutput = system


def _display(*objects: Any, **kwargs: Any) -> None:
    """`display` as a notebook has it: here it only prints what it is given."""
    for item in objects:
        print(repr(item))


def decode_arg(arg: Any) -> Any:
    """A case argument: a backend the grader names by class (fake, AerSimulator, BasicSimulator), or a value."""
    if isinstance(arg, dict) and set(arg) == {"backend"}:
        name = arg["backend"]
        if name == "AerSimulator":
            from qiskit_aer import AerSimulator

            return AerSimulator()
        if name == "BasicSimulator":
            from qiskit.providers.basic_provider import BasicSimulator

            return BasicSimulator()
        from qiskit_ibm_runtime import fake_provider

        return getattr(fake_provider, name)()
    return wire.decode(arg["value"])


def serve(commands_fd: int, replies_fd: int, output_fd: int) -> None:
    """Answer commands until ``exit`` or the end of the command pipe; see the module docstring."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.close(output_fd)
    stdin = os.open(os.devnull, os.O_RDONLY)  # student code that waits for input gets EOF at once
    os.dup2(stdin, 0)
    os.close(stdin)
    commands = os.fdopen(commands_fd, "r", encoding="utf-8")
    replies = os.fdopen(replies_fd, "w", buffering=1, encoding="utf-8")
    dumps, loads = json.dumps, json.loads

    student = types.ModuleType("__main__")  # the student's globals, apart from this module's
    sys.modules["__main__"] = student
    namespace = student.__dict__
    namespace["get_ipython"] = _QuietIPython
    namespace["display"] = _display
    for line in commands:
        command = loads(line)
        op, nonce = command.get("op"), command.get("nonce")
        if op == "exit":
            return
        reply: dict[str, Any] = {"nonce": nonce}
        if op == "cell":
            try:
                exec(compile(command["source"], f"<cell {command['number']}>", "exec"), namespace)
            except BaseException as error:  # noqa: BLE001 - sys.exit and KeyboardInterrupt included
                reply["error"] = describe_error(error)
        elif op == "case":
            function = namespace.get(command["task"])
            if not callable(function):
                reply["status"] = "missing"
            else:
                try:
                    args = tuple(decode_arg(a) for a in command["args"])
                    claim = call_task(function, args, int(command["seed"]))
                    reply["status"] = "raised" if claim["error"] else "returned"
                    reply["claim"] = claim
                except BaseException as error:  # noqa: BLE001 - a claim that cannot be encoded
                    reply["status"] = "raised"
                    reply["claim"] = {
                        "returned": ["none"],
                        "error": describe_error(error),
                        "calls": [],
                        "backend_runs": [],
                    }
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        replies.write(dumps(reply) + "\n")
