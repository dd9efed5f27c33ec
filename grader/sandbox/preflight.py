"""The pre-flight: before the first submission, prove that a sandbox can run the course's Python.

A sandbox isolated exactly like the students' (its uid, its namespaces, its limits) lists every folder the Python
environment is read from, makes a lazy import, builds a fake backend and runs a small job on it. If it cannot, the
grader stops with the reason and the fix, instead of grading a whole class into zeros.
"""

from __future__ import annotations

from grader import wire
from grader.claims import decode_case
from grader.load import Cell
from grader.sandbox.isolation import Isolation, IsolationError, Limits, unreadable_message
from grader.sandbox.runner import CaseRequest, run_isolated

PROBE = """
import os


def preflight_probe(paths):
    unreadable = []
    for path in paths:
        try:
            os.listdir(path)
        except OSError:
            unreadable.append(path)
    if unreadable:
        return {"unreadable": unreadable, "shots": 0}
    import qiskit.qasm3  # a module nothing has imported yet: read from disk now
    from qiskit import QuantumCircuit
    from qiskit_ibm_runtime.executor_sampler import Sampler
    from qiskit_ibm_runtime.fake_provider import FakeLimaV2

    circuit = QuantumCircuit(1)
    circuit.x(0)
    circuit.measure_all()
    counts = Sampler(mode=FakeLimaV2()).run([circuit], shots=16).result()[0].data.meas.get_counts()
    return {"unreadable": [], "shots": sum(counts.values())}
"""


def preflight(isolation: Isolation, limits: Limits) -> None:
    """Raise IsolationError, saying why and how to fix it, unless a sandbox can run the course's Python."""
    paths = list(isolation.python_paths)
    request = CaseRequest("preflight_probe", 0, [{"value": wire.encode(paths)}], 1)
    probe_limits = Limits(timeout=max(120.0, limits.timeout), memory_mb=limits.memory_mb, submission_timeout=300.0)
    outcome = run_isolated((Cell(1, PROBE),), [request], probe_limits, isolation)
    uid = isolation.uids[0] if isolation.uids else None
    case = outcome.cases.get(("preflight_probe", 0))
    if outcome.crashed or case is None:
        raise IsolationError(
            f"a sandbox could not start ({outcome.crashed or 'no answer'}); isolation {isolation.level}"
        )
    if case.status != "returned":
        detail = case.error
        if case.claim:
            try:
                error = decode_case(case.claim).error or {}
                detail = f"{error.get('type')}: {error.get('message')}"
            except ValueError:
                pass
        detail = detail or "; ".join(outcome.cell_errors.values()) or case.status
        unreadable = uid is not None and any(word in detail for word in ("Permission", "No module", "ModuleNotFound"))
        raise IsolationError(
            f"a sandbox (isolation {isolation.level}, uid {uid}) could not run the pre-flight probe ({case.status}: "
            f"{detail})." + (" " + unreadable_message(uid, paths) if unreadable else "")
        )
    found = decode_case(case.claim).returned
    if found["unreadable"]:
        raise IsolationError(unreadable_message(uid if uid is not None else -1, found["unreadable"]))
    if found["shots"] != 16:
        raise IsolationError(f"a sandbox ran a fake backend but got {found['shots']} shots of 16")
