"""Stage 3, scan: read the code, with import aliases resolved, for legacy paths and for unverifiable constructs.

Two kinds of findings:

- **legacy**: `backend.run` (on anything that is a backend), `execute`, V1 primitives, `IBMQ`,
  `qiskit_ibm_provider`. Module-level imports count for every task; calls count for the task that reaches them.
- **unverifiable**: code that could change what the grader sees from inside the student's process: frame and
  module introspection (`sys._getframe`, `inspect`, `gc`, `f_back`, `__dict__`, `__globals__`, …), writes to
  `sys.modules` or to library classes, `ctypes`, raw file descriptors and `/proc`, subprocesses and forks,
  `exec`/`eval`/`compile`/`importlib`/`runpy` of anything but literal code (literal code is read too), attribute
  access by computed name, a library's private attributes. Honest course code needs none of them; where one
  appears, the task's results cannot be verified, and the message names the construct, the cell and the line.

Code under ``if "google.colab" in sys.modules:`` (the notebooks' Colab set-up) cannot run in the grader and is
skipped.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.load import Cell

LEGACY_MODULES = {
    "qiskit_ibm_provider": "`qiskit_ibm_provider` is deprecated and gone: use `qiskit_ibm_runtime` and a V2 primitive",
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
RUN_FIX = "`backend.run` is the legacy path: run the circuit with a V2 primitive, e.g. `Sampler(mode=backend)`"
BACKEND_MAKERS = {"AerSimulator", "BasicSimulator", "GenericBackendV2", "backend", "least_busy", "get_backend"}
UNVERIFIABLE_MODULES = {
    "ctypes": "`ctypes` reaches into the interpreter's memory",
    "gc": "`gc` reaches any object in the process, the grader's included",
    "inspect": "`inspect` reads and walks frames",
    "importlib": "`importlib` loads or reloads modules out of sight",
    "runpy": "`runpy` runs other files",
    "builtins": "`builtins` can replace the functions everyone uses",
    "subprocess": "a subprocess runs outside what the grader watches",
    "multiprocessing": "another process runs outside what the grader watches",
    "pty": "another process runs outside what the grader watches",
    "pickle": "`pickle` builds arbitrary objects",
    "marshal": "`marshal` builds code objects",
    "dill": "`dill` builds arbitrary objects",
    "cloudpickle": "`cloudpickle` builds arbitrary objects",
    "grader": "the grader's own modules",
}
DANGEROUS_ATTRIBUTES = {
    "_getframe",
    "_current_frames",
    "settrace",
    "setprofile",
    "gettrace",
    "getprofile",
    "f_back",
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_code",
    "gi_frame",
    "cr_frame",
    "ag_frame",
    "tb_frame",
    "tb_next",
    "co_code",
    "walk_stack",
    "walk_tb",
    "__dict__",
    "__globals__",
    "__code__",
    "__closure__",
    "__builtins__",
    "__subclasses__",
    "__bases__",
    "__base__",
    "__mro__",
    "__getattribute__",
    "__setattr__",
    "__delattr__",
    "__self__",
    "__func__",
    "__wrapped__",
    "__reduce__",
    "__reduce_ex__",
    "__loader__",
    "__spec__",
    "__defaults__",
    "__kwdefaults__",
    "__import__",
}
OS_DANGEROUS = {
    "write", "writev", "pwrite", "read", "readv", "pread", "fdopen", "open", "openpty", "dup", "dup2", "pipe",
    "pipe2", "kill", "killpg", "fork", "forkpty", "setsid", "setpgid", "setpgrp", "system", "popen", "sendfile",
    "memfd_create", "mkfifo", "unshare", "setns", "posix_spawn", "posix_spawnp", "execv", "execve", "execl",
    "execle", "execlp", "execlpe", "execvp", "execvpe", "spawnl", "spawnle", "spawnlp", "spawnv", "spawnve",
    "spawnvp", "set_inheritable", "register_at_fork",
}  # fmt: skip
SYS_SAFE = {
    "version", "version_info", "executable", "platform", "path", "stdout", "stderr", "argv", "maxsize",
    "float_info", "exit", "getsizeof", "implementation", "byteorder",
}  # fmt: skip
DYNAMIC_CALLS = {"exec", "eval", "compile"}
INTROSPECTION_CALLS = {"globals", "locals", "vars", "breakpoint", "__import__"}
ATTRIBUTE_CALLS = {"getattr", "setattr", "delattr", "hasattr"}
SAFE_PRIVATE = {"_repr_html_", "_asdict", "_replace", "_fields"}


@dataclass(frozen=True)
class Finding:
    """Something the code says that a grade depends on, where it says it, and in which top-level definition."""

    kind: str  # "legacy" | "legacy-call" | "unverifiable"
    message: str
    cell: int
    line: int
    function: str | None  # the enclosing top-level function or class, None for module-level code


@dataclass(frozen=True)
class ScanResult:
    """The findings, and which top-level definitions each top-level definition refers to by name."""

    findings: tuple[Finding, ...]
    references: dict[str, frozenset[str]]

    def for_task(self, task: str) -> list[Finding]:
        """Findings in ``task``, in what it reaches by name, or at module level (but module-level legacy calls)."""
        reached, todo = set(), [task]
        while todo:
            name = todo.pop()
            if name not in reached:
                reached.add(name)
                todo += self.references.get(name, frozenset())
        return [f for f in self.findings if f.function in reached or (f.function is None and f.kind != "legacy-call")]


def _is_colab_guard(node: ast.If) -> bool:
    """``if "google.colab" in sys.modules:``: the notebooks' Colab set-up, which never runs in the grader."""
    test = node.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Constant)
        and test.left.value == "google.colab"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.In)
        and isinstance(test.comparators[0], ast.Attribute)
        and test.comparators[0].attr == "modules"
        and isinstance(test.comparators[0].value, ast.Name)
        and test.comparators[0].value.id == "sys"
    )


class _Scanner(ast.NodeVisitor):
    def __init__(self, cell: int, aliases: dict[str, str], backend_names: set[str]) -> None:
        self.cell, self.aliases, self.backend_names = cell, aliases, backend_names
        self.function: str | None = None
        self.findings: list[Finding] = []
        self.references: dict[str, set[str]] = {}
        self.line_offset = 0

    def add(self, kind: str, node: ast.AST, message: str) -> None:
        line = getattr(node, "lineno", 0) + self.line_offset
        self.findings.append(Finding(kind, message, self.cell, line, self.function))

    def unverifiable(self, node: ast.AST, message: str) -> None:
        self.add("unverifiable", node, message)

    def resolve(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    # Definitions: a top-level function or class owns the findings inside it.
    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        if self.function is not None:
            self.generic_visit(node)
            return
        self.function = node.name
        self.references.setdefault(node.name, set())
        if not isinstance(node, ast.ClassDef):
            for arg in [*node.args.args, *node.args.kwonlyargs]:
                if arg.arg.lower().endswith("backend"):
                    self.backend_names.add(arg.arg)
        self.generic_visit(node)
        self.function = None

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815
    visit_ClassDef = visit_FunctionDef  # noqa: N815

    def visit_If(self, node: ast.If) -> None:
        if _is_colab_guard(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    # Imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            self.aliases[bound] = alias.name if alias.asname else alias.name.split(".")[0]
            self.check_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        self.check_module(node, module)
        for alias in node.names:
            full = f"{module}.{alias.name}"
            self.aliases[alias.asname or alias.name] = full
            self.check_name(node, full)
            if alias.name.startswith("_") and not alias.name.startswith("__"):
                self.unverifiable(node, f"imports `{full}`, a private name of a library")
            if alias.name == "*":
                self.unverifiable(node, f"`from {module} import *` hides which names it brings in")
            elif module.split(".")[0] == "grader" and full != "grader.notebook.check":
                self.unverifiable(node, f"imports `{full}`: submissions may only use `grader.notebook.check`")

    def check_module(self, node: ast.AST, module: str) -> None:
        for legacy, message in LEGACY_MODULES.items():
            if module == legacy or module.startswith(legacy + "."):
                self.add("legacy", node, message)
        top = module.split(".")[0]
        if top == "grader":
            if module not in ("grader", "grader.notebook"):
                self.unverifiable(node, f"imports `{module}`: submissions may only use `grader.notebook.check`")
        elif top == "":
            self.unverifiable(node, f"imports `{module}`, a relative import")
        if any(part.startswith("_") and not part.startswith("__") for part in module.split(".")):
            self.unverifiable(node, f"imports `{module}`, a private module of a library")
        if "controller_wrappers" in module or "aer_controller" in module:
            self.unverifiable(node, f"imports `{module}`, the simulator's internals")
        self.check_name(node, module)

    def check_name(self, node: ast.AST, name: str) -> None:
        if name in LEGACY_NAMES:
            self.add("legacy", node, LEGACY_NAMES[name])

    # Names and attributes
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if self.function and node.id != self.function:
                self.references.setdefault(self.function, set()).add(node.id)
            if node.id in self.aliases:
                resolved = self.aliases[node.id]
                self.check_name(node, resolved)
                top = resolved.split(".")[0]
                if top in UNVERIFIABLE_MODULES and top != "grader":  # importing is harmless; using it is not
                    self.unverifiable(node, f"uses `{resolved}`: {UNVERIFIABLE_MODULES[top]}")
                elif "." in resolved:  # `from sys import modules`, `from os import write`: the same levers
                    self.check_dotted(node, *resolved.rsplit(".", 1))
        if node.id in ("__builtins__", "__import__", "__loader__", "__spec__"):
            self.unverifiable(node, f"uses `{node.id}`")

    def check_dotted(self, node: ast.AST, base: str | None, attr: str) -> bool:
        """Report ``base.attr`` if it is one of the interpreter's own levers; whether it was reported."""
        if attr in DANGEROUS_ATTRIBUTES:
            self.unverifiable(node, f"uses `{attr}`, which reads or rewrites the interpreter's own state")
        elif base == "sys" and attr == "modules":
            self.unverifiable(node, "uses `sys.modules`, where the grader's own modules live")
        elif base == "sys" and attr not in SYS_SAFE:
            self.unverifiable(node, f"uses `sys.{attr}`")
        elif base == "os" and attr in OS_DANGEROUS:
            self.unverifiable(node, f"uses `os.{attr}`, which reaches processes or file descriptors directly")
        elif base == "types" and attr in ("FunctionType", "CodeType", "ModuleType", "MethodType", "FrameType"):
            self.unverifiable(node, f"builds `types.{attr}` objects")
        elif base == "operator" and attr in ("attrgetter", "methodcaller"):
            self.unverifiable(node, f"uses `operator.{attr}`, attribute access by a name in a string")
        else:
            return False
        return True

    def visit_Attribute(self, node: ast.Attribute) -> None:
        resolved = self.resolve(node)
        if resolved:
            self.check_name(node, resolved)
        attr = node.attr
        base = resolved.rsplit(".", 1)[0] if resolved else None
        if self.check_dotted(node, base, attr):
            pass
        elif attr.startswith("_") and not attr.startswith("__") and attr not in SAFE_PRIVATE:
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                self.unverifiable(node, f"reaches into a private attribute `{attr}`")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and self.is_library_object(node.value):
            self.unverifiable(node, f"rewrites `{ast.unparse(node)[:60]}`, part of a library")
        self.generic_visit(node)

    def is_library_object(self, node: ast.AST) -> bool:
        """Whether ``node`` names an imported module or class (so assigning to its attributes patches a library)."""
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Subscript):
            return self.is_library_object(root.value)
        return isinstance(root, ast.Name) and root.id in self.aliases

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)) and self.is_library_object(node.value):
            self.unverifiable(node, f"rewrites `{ast.unparse(node)[:60]}`, part of a library")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        # `"google.colab" in sys.modules` only reads: allowed anywhere, without reporting `sys.modules`.
        target = node.comparators[0] if len(node.comparators) == 1 else None
        if (
            isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
            and isinstance(node.ops[0], (ast.In, ast.NotIn))
            and isinstance(target, ast.Attribute)
            and self.resolve(target) == "sys.modules"
        ):
            return
        self.generic_visit(node)

    # Calls
    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call) and self.makes_backend(node.value):
            self.backend_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        self.generic_visit(node)

    def makes_backend(self, call: ast.Call) -> bool:
        called = self.resolve(call.func) or ""
        last = called.rsplit(".", 1)[-1]
        if last == "from_backend":
            return called.rsplit(".", 2)[-2:-1] == ["AerSimulator"]
        return last.startswith("Fake") or last in BACKEND_MAKERS

    def receiver_is_backend(self, receiver: ast.AST) -> bool:
        if isinstance(receiver, ast.Call):
            return self.makes_backend(receiver)
        name = (
            receiver.id
            if isinstance(receiver, ast.Name)
            else receiver.attr
            if isinstance(receiver, ast.Attribute)
            else ""
        )
        return name in self.backend_names or name.lower().endswith(("backend", "simulator")) or name in ("sim", "aer")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "run" and self.receiver_is_backend(func.value):
            self.add("legacy-call", node, RUN_FIX)
        name = func.id if isinstance(func, ast.Name) else None
        if name in DYNAMIC_CALLS:
            literal = node.args[0] if node.args and isinstance(node.args[0], ast.Constant) else None
            if literal is not None and isinstance(literal.value, str):
                self.read_literal(node, literal.value)
            else:
                self.unverifiable(node, f"uses `{name}` on code built at run time, which the grader cannot read")
        elif name in INTROSPECTION_CALLS:
            self.unverifiable(node, f"uses `{name}()`, which exposes or rewrites namespaces")
        elif name in ATTRIBUTE_CALLS and len(node.args) > 1:
            attribute = node.args[1]
            if not (isinstance(attribute, ast.Constant) and isinstance(attribute.value, str)):
                self.unverifiable(
                    node,
                    f"uses `{name}` with a computed attribute name; write the attribute directly (a register of a "
                    "result by name: `result[0].data[name]`)",
                )
            else:
                self.visit_literal_attribute(node, name, attribute.value)
        elif name in ("open",) or (self.resolve(func) or "") in ("io.open", "os.open", "pathlib.Path", "io.FileIO"):
            path = node.args[0] if node.args else None
            literal = isinstance(path, ast.Constant) and isinstance(path.value, str)
            if (name == "open" and not literal) or (literal and path.value.startswith(("/proc", "/dev"))):
                self.unverifiable(node, "opens a file whose path is computed or under /proc or /dev")
        self.generic_visit(node)

    def visit_literal_attribute(self, node: ast.Call, function: str, attr: str) -> None:
        """`getattr(x, "name")` and friends, read as the attribute access they spell."""
        target = node.args[0]
        if function in ("setattr", "delattr") and self.is_library_object(target):
            self.unverifiable(node, f"rewrites `{attr}` on `{ast.unparse(target)[:60]}`, part of a library")
        if attr in DANGEROUS_ATTRIBUTES or (attr.startswith("_") and attr not in SAFE_PRIVATE):
            self.unverifiable(node, f"uses `{function}` to reach `{attr}`")
        if attr == "run" and self.receiver_is_backend(target):
            self.add("legacy-call", node, RUN_FIX)

    def read_literal(self, node: ast.AST, source: str) -> None:
        """Scan literal code given to exec/eval/compile as if it were written in place."""
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return
        offset = self.line_offset
        self.line_offset += getattr(node, "lineno", 1) - 1
        for child in ast.walk(tree):
            for field_name in ("lineno", "end_lineno"):
                if hasattr(child, field_name):
                    setattr(child, field_name, getattr(child, field_name) or 1)
        self.visit(tree)
        self.line_offset = offset


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
