"""Execute solution notebooks in place, so that their stored outputs match the pinned stack.

    python tools/refresh_solutions.py solutions/*.ipynb

Run it after bumping requirements.txt or changing a check's message; `python -m pytest` then compares the stored
outputs (nbval). It exits with 1, and names the cells, when a solution's cell raises.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def refresh(path: Path) -> list[str]:
    """Execute ``path`` in its own folder, store the outputs, and return a line per cell that raised."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(notebook, path)
    return [
        f"{path} cell {number}: {output.get('ename')}: {output.get('evalue', '')[:200]}"
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]


def main() -> int:
    """Refresh every notebook named on the command line."""
    errors = [line for argument in sys.argv[1:] for line in refresh(Path(argument))]
    print("\n".join(errors) or f"{len(sys.argv) - 1} notebooks refreshed, no cell raised")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
