"""Stage 3, scan: read the code for legacy paths and grader tampering, with import aliases resolved."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.load import Cell

LEGACY_MODULES = {
    "qiskit_ibm_provider": "`qiskit_ibm_provider` is archived: use `qiskit_ibm_runtime` and a V2 primitive",
    "qiskit.providers.ibmq": "`IBMQ` is gone: use `QiskitRuntimeService` and a V2 primitive",
    "qiskit_ibmq_provider": "`IBMQ` is gone: use `QiskitRuntimeService` and a V2 primitive",
}
LEGACY_NAMES = {
    "qiskit.execute": "`execute` was removed in Qiskit 1.0: transpile, then run a V2 primitive",
    "qiskit.IBMQ": "`IBMQ` is gone: use `QiskitRuntimeService` and a V2 primitive",
    "qiskit.Aer": "`qiskit.Aer` was removed: use `qiskit_aer.AerSimulator` as the primitive's `mode`",
    "qiskit.primitives.Sampler": "the V1 `Sampler` is gone: use a V2 sampler",
    "qiskit.primitives.Estimator": "the V1 `Estimator` is gone: use a V2 estimator",
    "qiskit.primitives.BackendSampler": "the V1 `BackendSampler` is gone: use `BackendSamplerV2` or `SamplerV2`",
    "qiskit.primitives.BackendEstimator": "the V1 `BackendEstimator` is gone: use `BackendEstimatorV2`",
}
BACKEND_FACTORIES = ("Fake", "AerSimulator", "BasicSimulator", "GenericBackendV2", "backend", "get_backend")
DYNAMIC = {"exec", "eval", "compile", "__import__"}
TAMPERING_MODULES = {"ctypes", "gc", "importlib"}
TAMPERING_ATTRIBUTES = {"settrace", "setprofile", "_getframe", "f_globals", "f_locals", "__code__", "__globals__"}
RUN_FIX = "`backend.run` is the legacy path: use `SamplerV2(mode=backend)` (or the client-side Sampler) instead"


@dataclass(frozen=True)
class Finding:
    """Something the code says that a grade depends on, where it says it, and in which top-level function."""

    kind: str  # "legacy" | "dynamic" | "tampering"
    message: str
    cell: int
    line: int
    function: str | None  # the enclosing top-level function, None for module-level code


@dataclass(frozen=True)
class ScanResult:
    """The findings, and which top-level functions each top-level function refers to by name."""

    findings: tuple[Finding, ...]
    references: dict[str, frozenset[str]]

    def for_task(self, task: str) -> list[Finding]:
        """Findings in ``task``, in the functions it reaches by name, or in module-level imports."""
        reached, todo = set(), [task]
        while todo:
            name = todo.pop()
            if name not in reached:
                reached.add(name)
                todo += self.references.get(name, frozenset())
        return [f for f in self.findings if f.function in reached or (f.function is None and f.kind != "legacy-call")]


class _Scanner(ast.NodeVisitor):
    def __init__(self, cell: int, aliases: dict[str, str], backend_names: set[str]) -> None:
        self.cell, self.aliases, self.backend_names = cell, aliases, backend_names
        self.function: str | None = None
        self.findings: list[Finding] = []
        self.references: dict[str, set[str]] = {}

    def add(self, kind: str, node: ast.AST, message: str) -> None:
        self.findings.append(Finding(kind, message, self.cell, getattr(node, "lineno", 0), self.function))

    def resolve(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if self.function is None:
            self.function = node.name
            self.references.setdefault(node.name, set())
            for arg in [*node.args.args, *node.args.kwonlyargs]:
                if "backend" in arg.arg.lower() and "sampler" not in arg.arg.lower():
                    self.backend_names.add(arg.arg)
            self.generic_visit(node)
            self.function = None
        else:
            self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.aliases[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0]
            )
            self.check_module(node, alias.name)
            self.check_grader_import(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self.check_module(node, module)
        for alias in node.names:
            full = f"{module}.{alias.name}"
            self.aliases[alias.asname or alias.name] = full
            self.check_name(node, full)
            self.check_grader_import(node, full)

    def check_grader_import(self, node: ast.AST, name: str) -> None:
        if name.split(".")[0] == "grader" and name not in {"grader.notebook", "grader.notebook.check"}:
            self.add("tampering", node, f"imports `{name}`: submissions may only use `grader.notebook.check`")

    def check_module(self, node: ast.AST, module: str) -> None:
        for legacy, message in LEGACY_MODULES.items():
            if module == legacy or module.startswith(legacy + "."):
                self.add("legacy", node, message)
        if module.split(".")[0] in TAMPERING_MODULES:
            self.add("tampering", node, f"imports `{module}`, which can change how the grader sees the code")
        self.check_name(node, module)

    def check_name(self, node: ast.AST, name: str) -> None:
        if name in LEGACY_NAMES:
            self.add("legacy", node, LEGACY_NAMES[name])

    def visit_Attribute(self, node: ast.Attribute) -> None:
        resolved = self.resolve(node)
        if resolved:
            self.check_name(node, resolved)
        if node.attr in TAMPERING_ATTRIBUTES:
            self.add("tampering", node, f"uses `{node.attr}`, which can change how the grader sees the code")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if self.function and node.id != self.function:
                self.references.setdefault(self.function, set()).add(node.id)
            if node.id in self.aliases:
                self.check_name(node, self.aliases[node.id])

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call):
            called = self.resolve(node.value.func) or ""
            if any(part in called.rsplit(".", 1)[-1] for part in BACKEND_FACTORIES):
                self.backend_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "run":
            receiver = func.value
            name = (
                receiver.id
                if isinstance(receiver, ast.Name)
                else receiver.attr
                if isinstance(receiver, ast.Attribute)
                else ""
            )
            if name in self.backend_names or name.lower().endswith("backend"):
                self.add("legacy-call", node, RUN_FIX)
        if isinstance(func, ast.Name):
            if func.id in DYNAMIC:
                self.add("dynamic", node, f"uses `{func.id}`: the grader cannot read code that is built at run time")
            if func.id == "getattr" and len(node.args) > 1:
                attribute = node.args[1]
                if not isinstance(attribute, ast.Constant) or attribute.value == "run":
                    self.add(
                        "dynamic", node, "looks an attribute up by a computed name with `getattr`; call it directly"
                    )
        self.generic_visit(node)


def scan_cells(cells: tuple[Cell, ...]) -> ScanResult:
    """Scan every cell that parses, in order, sharing import aliases between cells as the kernel does."""
    aliases: dict[str, str] = {}
    backend_names: set[str] = set()
    findings: list[Finding] = []
    references: dict[str, set[str]] = {}
    for cell in cells:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        scanner = _Scanner(cell.number, aliases, backend_names)
        scanner.visit(tree)
        findings += scanner.findings
        for name, refs in scanner.references.items():
            references.setdefault(name, set()).update(refs)
    return ScanResult(tuple(findings), {k: frozenset(v) for k, v in references.items()})
