"""Stage 2, extract: turn cells into plain Python the sandbox can run, without the student's own check calls."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from IPython.core.inputtransformer2 import TransformerManager

from grader.load import Cell

RUN_BODY = {"time", "timeit", "capture", "prun"}
"""Cell magics whose body is ordinary code: the grader runs (and reads) the body once, as the kernel would."""


@dataclass(frozen=True)
class Program:
    """The code to run, cell by cell, the top-level functions it defines, and notes on what was left out."""

    cells: tuple[Cell, ...]
    functions: frozenset[str]
    notes: list[str] = field(default_factory=list)


def _unwrap_cell_magic(cell: Cell, notes: list[str]) -> str:
    """A cell's source with a leading ``%%time``-like magic replaced by its body; other cell magics dropped."""
    first, _, body = cell.source.lstrip("\n").partition("\n")
    if not first.startswith("%%"):
        return cell.source
    name = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
    if name in RUN_BODY:
        return body
    notes.append(f"cell {cell.number}: the `%%{name}` cell was not run (the grader runs Python cells only)")
    return ""


def _without_magics(source: str) -> str:
    """IPython syntax (``%magic``, ``!shell``) turned into calls the sandbox answers with no-ops."""
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - leave the cell as it is: running it will report the error
        return source


def _is_check_call(node: ast.stmt) -> bool:
    """True for a top-level ``check(...)`` / ``something.check(...)`` statement: in-notebook feedback only."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    return (isinstance(func, ast.Name) and func.id == "check") or (
        isinstance(func, ast.Attribute) and func.attr == "check"
    )


def extract_program(cells: tuple[Cell, ...]) -> Program:
    """Clean every cell; list the top-level functions of the cells that parse."""
    cleaned = []
    functions: set[str] = set()
    notes: list[str] = []
    for cell in cells:
        source = _without_magics(_unwrap_cell_magic(cell, notes))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            cleaned.append(Cell(cell.number, source))
            continue
        lines = source.splitlines()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.add(node.name)
            shares_a_line = any(
                other is not node
                and other.lineno <= (node.end_lineno or node.lineno)
                and (other.end_lineno or other.lineno) >= node.lineno
                for other in tree.body
            )
            if _is_check_call(node) and not shares_a_line:
                for line in range(node.lineno - 1, node.end_lineno or node.lineno):
                    lines[line] = ""
                lines[node.lineno - 1] = " " * node.col_offset + "pass"
        cleaned.append(Cell(cell.number, "\n".join(lines)))
    return Program(tuple(cleaned), frozenset(functions), notes)
