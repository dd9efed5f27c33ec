"""Fingerprints of a submission, for the similarity report: what its circuits were and how its code is shaped.

A fingerprint is a set of feature strings. Circuit features come from the circuits the student's tasks actually
submitted (as the sandbox traced them) and the options their primitives ran with; code features are hashes of the
code's statements with every name stripped, so renaming variables changes nothing. Features every student shares
(the setup cell, the one right Bell circuit) are discounted later by how common they are in the class.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import re
from typing import Any

from qiskit import QuantumCircuit

from grader.claims import decode_case
from grader.load import Cell
from grader.sandbox.runner import SandboxOutcome


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _leaves(tree: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """The (dotted path, value) pairs of a nested dict's non-empty leaves."""
    if isinstance(tree, dict):
        return [leaf for key, value in sorted(tree.items()) for leaf in _leaves(value, f"{prefix}{key}.")]
    return [] if tree is None or tree == [] or tree == {} else [(prefix.rstrip("."), tree)]


def circuit_features(
    task: str, circuit: QuantumCircuit, case: int = 0, evidence: dict[str, str] | None = None
) -> set[str]:
    """Features of one submitted circuit: gate counts and instruction list (per case: they depend on the backend).

    ``evidence``, when given, receives the instruction list behind the instructions' hash, one per line.
    """
    ops = ",".join(f"{name}={count}" for name, count in sorted(circuit.count_ops().items()))
    instructions = ";".join(
        f"{item.operation.name}({','.join(f'{p:.6g}' if isinstance(p, float) else str(p) for p in item.params)})"
        f"@{','.join(str(circuit.find_bit(q).index) for q in item.qubits)}"
        for item in circuit.data
    )
    name = re.sub(r"[-_]?\d+$", "", circuit.name or "")  # Qiskit's automatic names end in a counter
    features = {
        f"circuit:{task}#{case}:ops:{ops}",
        f"circuit:{task}#{case}:instructions:{_digest(instructions)}",
        f"circuit:{task}#{case}:depth:{circuit.depth()}",
        f"circuit:{task}:name:{name}",
    }
    features |= {f"circuit:{task}:creg:{r.name}/{r.size}" for r in circuit.cregs}
    features |= {f"circuit:{task}:metadata:{key}" for key in sorted(circuit.metadata or {})}
    if evidence is not None:
        evidence[f"circuit:{task}#{case}:instructions:{_digest(instructions)}"] = _short(
            f"# the circuit {task} submitted (case {case + 1}), instruction by instruction\n"
            + instructions.replace(";", "\n")
        )
    return features


def trace_features(task: str, trace_data: dict[str, Any], case: int = 0, with_evidence: bool = False) -> Any:
    """Features of everything one task call ran: its primitives, their options and the circuits of their PUBs.

    The options tree counts as one feature (a primitive left at its defaults shares it with every other one), plus
    one per seed, since an unusual seed is what a copied answer most often carries along. With ``with_evidence``,
    returns the features and the readable text behind the hashed ones.
    """
    evidence: dict[str, str] = {}
    trace = decode_case(trace_data)
    features = {f"circuit:{task}:jobs:{len(trace.calls)}"}
    for call in trace.calls:
        leaves = _leaves(call.options)
        features.add(f"circuit:{task}:primitive:{call.entry.key if call.entry else call.class_name}:{call.mode}")
        features.add(f"circuit:{task}:options:{_digest(repr(leaves))}")
        features |= {f"circuit:{task}:option:{path}={value!r:.40}" for path, value in leaves if "seed" in path}
        for pub in call.pubs:
            features |= circuit_features(task, pub.circuit, case, evidence)
    return (features, evidence) if with_evidence else features


class _StripNames(ast.NodeTransformer):
    """Replace every name the student chose (variables, arguments, helpers, aliases, strings) by a placeholder."""

    def __init__(self, keep: frozenset[str]) -> None:
        self.keep = keep

    def visit_Name(self, node: ast.Name) -> ast.AST:
        """A variable becomes ``_``."""
        return ast.copy_location(ast.Name(id="_", ctx=node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        """An argument becomes ``_``, its annotation dropped."""
        return ast.copy_location(ast.arg(arg="_"), node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        """A helper's name becomes ``_``; a task keeps its name; docstrings and annotations go."""
        self.generic_visit(node)
        if node.name not in self.keep:
            node.name = "_"
        node.returns = None
        node.decorator_list = []
        if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            node.body = node.body[1:] or [ast.Pass()]
        return node

    def visit_alias(self, node: ast.alias) -> ast.AST:
        """An import keeps what it imports, not the alias it is bound to."""
        return ast.alias(name=node.name, asname=None)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        """Strings become empty; numbers stay, since an unusual constant is a real feature."""
        return ast.copy_location(ast.Constant(value="" if isinstance(node.value, str) else node.value), node)


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def code_evidence(cells: tuple[Cell, ...], tasks: frozenset[str]) -> dict[str, str]:
    """Each code feature with the code it stands for, as the student wrote it (names kept, for a person to read).

    A feature is the hash of one statement, or of two consecutive ones, with every name stripped (docstrings left
    out), so renaming variables changes nothing.
    """
    evidence: dict[str, str] = {}
    strip = _StripNames(tasks)
    for cell in cells:
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if not isinstance(body, list):
                continue
            statements = [s for s in body if isinstance(s, ast.stmt) and not _is_docstring(s)]
            try:
                shapes = [ast.dump(strip.visit(copy.deepcopy(s)), annotate_fields=False) for s in statements]
                sources = [ast.unparse(s) for s in statements]
            except (RecursionError, ValueError):
                continue
            for shape, source in zip(shapes, sources, strict=True):
                evidence.setdefault(f"code:statement:{_digest(shape)}", _short(source))
            for (a, sa), (b, sb) in zip(zip(shapes, sources, strict=True), zip(shapes[1:], sources[1:], strict=True),
                                        strict=False):  # fmt: skip
                evidence.setdefault(f"code:sequence:{_digest(a + '|' + b)}", _short(f"{sa}\n{sb}"))
    return evidence


def _short(source: str, limit: int = 600) -> str:
    return source if len(source) <= limit else source[: limit - 1] + "…"


def code_features(cells: tuple[Cell, ...], tasks: frozenset[str]) -> set[str]:
    """Hashes of every statement and of every pair of consecutive statements, with the names stripped."""
    return set(code_evidence(cells, tasks))


def fingerprint_submission(cells: tuple[Cell, ...], sandbox: SandboxOutcome, tasks: list[str]) -> dict[str, Any]:
    """A submission's fingerprint: sorted circuit features (from what its tasks ran) and code features.

    ``evidence`` maps features to what a person can read: the code behind a code feature, the instruction list
    behind a circuit's hash.
    """
    circuits: set[str] = set()
    evidence: dict[str, str] = {}
    for (task, index), outcome in sorted(sandbox.cases.items()):
        if outcome.status != "returned" or not outcome.claim:
            continue
        try:
            found, shown = trace_features(task, outcome.claim, index, with_evidence=True)
        except Exception:  # noqa: BLE001 - malformed data from the student's process: no features from it
            continue
        circuits |= found
        evidence |= shown
    code = code_evidence(cells, frozenset(tasks))
    return {"circuit": sorted(circuits), "code": sorted(code), "evidence": {**evidence, **code}}
