"""The grade rests on what the grader establishes itself: hostile submissions written by someone who read the
grader get nothing from forging, editing or hiding, and odd but honest ones are graded, never crash the grader."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from sandbox_kit import TEST_UID_BASE, namespaces_allowed

from grader.claims import decode_case
from grader.exercises import Case, load_exercise
from grader.judge.grade import judge_case
from grader.pipeline import grade_submission
from grader.primitives import DEFAULT_SEED
from grader.sandbox.isolation import Limits, choose
from grader.scan import ScanResult
from grader.student_side.task_call import call_task

PRELUDE = """
from qiskit import QuantumCircuit
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_ibm_runtime.executor_sampler import Sampler
from qiskit_ibm_runtime.executor_estimator import Estimator
from qiskit.quantum_info import SparsePauliOp

def isa(circuit, backend):
    return generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=3).run(circuit)

def bell():
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return circuit
"""

SUBMISSIONS = {
    # backend.run, then the recorder's list of legacy calls emptied through the frames above.
    "frame_edit": """
import inspect
def bell_counts(backend, shots):
    counts = backend.run(isa(bell(), backend), shots=shots).result().get_counts()
    frame = inspect.currentframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if hasattr(value, "backend_runs"):
                value.backend_runs.clear()
        frame = frame.f_back
    return counts
""",
    # A forged reply on every inherited descriptor, then an exit before the real one can be sent.
    "forged_reply": """
import json, os
def bell_counts(backend, shots):
    forged = {"nonce": "0" * 32, "status": "returned", "claim": {"returned": ["dict", []], "error": None,
              "calls": [], "backend_runs": []}}
    for fd in range(3, 32):
        try:
            os.write(fd, (json.dumps(forged) + "\\n").encode())
        except OSError:
            pass
    os._exit(0)
""",
    # A paste-in cell that rewrites the grader's own encoder in sys.modules, without an import statement.
    "patched_module": """
import sys
sys.modules["grader.claims"].encode_case = lambda returned, error, recording: {
    "returned": ["dict", []], "error": None, "calls": [], "backend_runs": []}
def bell_counts(backend, shots):
    return backend.run(isa(bell(), backend), shots=shots).result().get_counts()
""",
    # A V2 sampler of its own: an ideal statevector with made-up readout flips.
    "custom_sampler": """
import numpy as np
from qiskit.primitives import BaseSamplerV2, PrimitiveResult, SamplerPubResult, DataBin, BitArray
from qiskit.primitives.primitive_job import PrimitiveJob
from qiskit.quantum_info import Statevector

class FlipSampler(BaseSamplerV2):
    def run(self, pubs, *, shots=None):
        job = PrimitiveJob(self._go, pubs, shots)
        job._submit()
        return job

    def _go(self, pubs, shots):
        results = []
        rng = np.random.default_rng(5)
        for circuit in pubs:
            state = Statevector(circuit.remove_final_measurements(inplace=False))
            samples = state.sample_memory(shots, qargs=[0, 1])
            flipped = ["".join(b if rng.random() > 0.02 else str(1 - int(b)) for b in s) for s in samples]
            bits = BitArray.from_samples(flipped, num_bits=2)
            results.append(SamplerPubResult(DataBin(meas=bits), metadata={}))
        return PrimitiveResult(results)

def bell_counts(backend, shots):
    return FlipSampler().run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()
""",
    # backend.run from a thread-pool worker; a decoy sampler job whose bits are replaced by the legacy ones.
    "thread_decoy": """
from concurrent.futures import ThreadPoolExecutor
def bell_counts(backend, shots):
    circuit = isa(bell(), backend)
    with ThreadPoolExecutor(1) as pool:
        legacy = pool.submit(lambda: backend.run(circuit, shots=shots, memory=True).result()).result()
    decoy = Sampler(mode=backend).run([circuit], shots=shots).result()
    counts = dict(legacy.get_counts())
    decoy_counts = decoy[0].data.meas.get_counts()
    return {key: counts.get(key, 0) for key in decoy_counts} | counts
""",
    # backend.run from code whose file name says it is frozen standard library.
    "frozen_name": """
exec(compile("def sneak(backend, circuit, shots):\\n    return backend.run(circuit, shots=shots).result()",
             "<frozen importlib._bootstrap>", "exec"))
def bell_counts(backend, shots):
    return sneak(backend, isa(bell(), backend), shots).get_counts()
""",
    # The class's run replaced by one that returns a typed-in answer.
    "monkeypatch": """
from qiskit_ibm_runtime.executor_sampler import Sampler as Original
real_run = Original.run
def bell_counts(backend, shots):
    Original.run = lambda self, pubs, **kw: real_run(self, pubs, **kw)
    counts = Original(mode=backend).run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()
    return {"00": shots // 2, "11": shots - shots // 2} if counts else counts
""",
}


@pytest.fixture(scope="module")
def isolation():
    """The strongest isolation this machine permits, as the batch grader would choose."""
    return choose("auto", 1, [], TEST_UID_BASE + 10, namespaces_allowed())


def graded(tmp_path: Path, isolation, name: str, source: str, exercise: str = "sampler-basics"):
    path = tmp_path / f"{name}.py"
    path.write_text(PRELUDE + textwrap.dedent(source))
    return grade_submission(path, load_exercise(exercise), Limits(timeout=60), DEFAULT_SEED, isolation)


def unmet(task) -> set[str]:
    return {c.id.split(".", 1)[1] for c in task.checks if not c.passed}


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
def test_a_submission_that_forges_edits_or_hides_scores_zero(tmp_path: Path, isolation, name: str) -> None:
    record = graded(tmp_path, isolation, name, SUBMISSIONS[name])
    task = record.tasks[0]
    assert record.status == "graded" and task.score == 0.0, (name, [c.message for c in task.checks])
    expected = {
        "frame_edit": {"verifiable", "uses_v2_sampler"},
        "forged_reply": {"runs"},
        "patched_module": {"verifiable", "reads_as_v2", "no_backend_run"},
        "custom_sampler": {"uses_v2_sampler"},
        "thread_decoy": {"no_backend_run", "provenance"},
        "frozen_name": {"reads_as_v2", "no_backend_run"},
        "monkeypatch": {"verifiable", "provenance"},
    }[name]
    assert expected <= unmet(task), (name, unmet(task))


def test_a_forged_reply_is_ignored_and_noted(tmp_path: Path, isolation) -> None:
    record = graded(tmp_path, isolation, "forged_reply", SUBMISSIONS["forged_reply"])
    assert "unexpected line(s) on the reply channel were ignored" in record.message
    assert "ended the process" in record.tasks[0].checks[0].message


def test_options_changed_after_the_run_change_nothing_and_cost_nothing(tmp_path: Path, isolation) -> None:
    after = """
def bell_counts(backend, shots):
    sampler = Sampler(mode=backend)
    counts = sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()
    sampler.options.default_shots = 10**7  # read when the grader replays? no: the options were taken at `run`
    return counts
"""
    assert graded(tmp_path, isolation, "after", after).score == 2.0
    before = """
def bell_counts(backend, shots):
    sampler = Sampler(mode=backend)
    sampler.options.default_shots = 10**7
    return sampler.run([isa(bell(), backend)], shots=shots).result()[0].data.meas.get_counts()
"""
    assert graded(tmp_path, isolation, "before", before).score == 2.0  # `shots=` wins over the option


def test_a_claim_with_a_genuine_job_but_typed_in_numbers_fails_provenance() -> None:
    # What a student who forged the channel perfectly could send: a real job's claim, their own numbers.
    from qiskit_ibm_runtime.fake_provider import FakeLimaV2

    task = load_exercise("sampler-basics").task("bell_counts")
    case = Case("FakeLimaV2, 777 shots", (FakeLimaV2(), 777))
    namespace: dict = {}
    exec(PRELUDE, namespace)  # noqa: S102 - the test's own answer code

    def bell_counts(backend, shots):
        namespace["Sampler"](mode=backend).run([namespace["isa"](namespace["bell"](), backend)], shots=shots).result()
        return {"00": 389, "11": 388}

    claim = json.loads(json.dumps(call_task(bell_counts, case.args, 11)))
    assert decode_case(claim).calls[0].entry.key == "client.Sampler"
    from grader.claims import CaseOutcome

    verdicts = judge_case(task, case, CaseOutcome("returned", claim), ScanResult((), {}), {})
    assert not verdicts["provenance"].met and verdicts["bell_state"].met
