"""Reading the code: what makes a task's evidence unverifiable or legacy, and honest code that must read clean."""

from __future__ import annotations

import textwrap

import pytest

from grader.load import Cell
from grader.scan import scan_cells

COLAB_CELL = """
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    if not os.path.isdir("/content/course"):
        subprocess.run(["git", "clone", "--quiet", "https://example.org/course", "/content/course"], check=True)
    sys.path.insert(0, "/content/course")
"""


def findings(*sources: str) -> list[tuple[str, str]]:
    cells = tuple(Cell(n, textwrap.dedent(s)) for n, s in enumerate(sources, start=1))
    return [(f.kind, f.message) for f in scan_cells(cells).for_task("task")]


HONEST = {
    "the notebooks' Colab cell, then a V2 sampler": (
        COLAB_CELL,
        """
        from qiskit_ibm_runtime.executor_sampler import Sampler
        def task(backend, shots):
            return Sampler(mode=backend).run([circuit], shots=shots).result()[0].data.meas.get_counts()
        """,
    ),
    "qiskit-aer's SamplerV2.from_backend (once reported as backend.run)": (
        """
        from qiskit_aer.primitives import SamplerV2
        def task(backend, shots):
            sampler = SamplerV2.from_backend(backend)
            return sampler.run([circuit], shots=shots).result()[0].data.meas.get_counts()
        """,
    ),
    "a register read by name, a literal getattr, numpy, printing the version": (
        """
        import sys
        import numpy as np
        def task(backend, shots):
            data = job.result()[0].data
            print(sys.version, np.pi)
            return getattr(data, "meas").get_counts() or data["meas"].get_counts()
        """,
    ),
    "a class of the student's own with private attributes of its own": (
        """
        class Runner:
            def __init__(self, sampler):
                self._sampler = sampler
            def run(self, circuit):
                return self._sampler.run([circuit])
        def task(backend, shots):
            return Runner(sampler).run(circuit)
        """,
    ),
}

HOSTILE = {
    "backend.run": ("def task(backend, shots):\n    return backend.run(circuit).result().get_counts()", "legacy"),
    "backend.run through a literal getattr": ("def task(backend):\n    return getattr(backend, 'run')(c)", "legacy"),
    "AerSimulator.from_backend(...).run": (
        "from qiskit_aer import AerSimulator\ndef task(backend):\n    return AerSimulator.from_backend(backend).run(c)",
        "legacy",
    ),
    "execute": ("from qiskit import execute\ndef task(backend):\n    return execute(c, backend)", "legacy"),
    "frames through inspect": (
        "import inspect\ndef task(b):\n    return inspect.currentframe().f_back",
        "unverifiable",
    ),
    "sys._getframe": ("import sys\ndef task(b):\n    return sys._getframe(1).f_locals", "unverifiable"),
    "sys.modules without an import statement": (
        COLAB_CELL + "\nsys.modules['grader.claims'].encode_case = None\ndef task(b):\n    return 1",
        "unverifiable",
    ),
    "from sys import modules": ("from sys import modules\ndef task(b):\n    modules['x'].y = 1", "unverifiable"),
    "writing a library class": (
        "from qiskit_ibm_runtime import SamplerV2\nSamplerV2.run = None\ndef task(b):\n    return 1",
        "unverifiable",
    ),
    "gc": ("import gc\ndef task(b):\n    return gc.get_objects()", "unverifiable"),
    "ctypes": ("import ctypes\ndef task(b):\n    return ctypes.CDLL(None)", "unverifiable"),
    "os.write to an inherited descriptor": ("import os\ndef task(b):\n    os.write(3, b'{}')", "unverifiable"),
    "a path under /proc": ("def task(b):\n    open('/proc/self/fd/3', 'w').write('{}')", "unverifiable"),
    "a computed path": ("def task(b):\n    open(f'/proc/self/fd/{3}', 'w')", "unverifiable"),
    "a subprocess": ("import subprocess\ndef task(b):\n    subprocess.run(['python', 'x.py'])", "unverifiable"),
    "exec of code built at run time": ("def task(b):\n    exec('backend.' + 'run(c)')", "unverifiable"),
    "backend.run inside literal exec": ("def task(backend):\n    exec('backend.run(c)')", "legacy"),
    "runpy": ("import runpy\ndef task(b):\n    return runpy.run_path('other.py')", "unverifiable"),
    "importlib": ("import importlib\ndef task(b):\n    return importlib.import_module('x')", "unverifiable"),
    "getattr by a computed name": ("def task(backend):\n    return getattr(backend, 'r' + 'un')(c)", "unverifiable"),
    "operator.attrgetter": (
        "import operator\ndef task(b):\n    return operator.attrgetter('f_back')(f)",
        "unverifiable",
    ),
    "__subclasses__": ("def task(b):\n    return object.__subclasses__()", "unverifiable"),
    "a private attribute of a library object": ("def task(backend):\n    return backend._options", "unverifiable"),
    "a private module": (
        "from qiskit.primitives import backend_estimator_v2 as b\nfrom qiskit._x import y",
        "unverifiable",
    ),
    "grader internals": ("from grader.judge import replay\ndef task(b):\n    return 1", "unverifiable"),
    "globals()": ("def task(b):\n    return globals()['x']", "unverifiable"),
    "multiprocessing": ("import multiprocessing\ndef task(b):\n    multiprocessing.Process().start()", "unverifiable"),
}


@pytest.mark.parametrize("style", sorted(HONEST))
def test_honest_code_reads_clean(style: str) -> None:
    assert findings(*HONEST[style]) == []


@pytest.mark.parametrize("construct", sorted(HOSTILE))
def test_a_construct_that_could_blind_the_grader_is_named(construct: str) -> None:
    source, kind = HOSTILE[construct]
    found = findings(source)
    kinds = {k.replace("legacy-call", "legacy") for k, _ in found}
    assert kind in kinds, (construct, found)
