"""The notebooks' generated cells: one repository URL from _config.yml, and exercises and solutions linked."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "notebook_cells.py"
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


def run_tool(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *arguments], capture_output=True, text=True, timeout=120)


def colab_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if c.cell_type == "code" and '"google.colab" in sys.modules' in c.source)


def clone_command(source: str) -> list[str]:
    """The argument list the Colab cell passes to `git clone`, read from its code."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.List) and node.elts and getattr(node.elts[0], "value", None) == "git":
            return [ast.literal_eval(element) for element in node.elts]
    raise AssertionError("the Colab cell runs no git clone")


def fork(tmp_path: Path, url: str, branch: str) -> Path:
    """A copy of the course's notebooks with a _config.yml that names another repository."""
    root = tmp_path / "fork"
    for folder in ("exercises", "solutions", "book"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy2(ROOT / "_toc.yml", root / "_toc.yml")
    config = (ROOT / "_config.yml").read_text()
    config = re.sub(r"(?m)^(  url: ).*$", rf"\g<1>{url}", config)
    config = re.sub(r"(?m)^(  branch: ).*$", rf"\g<1>{branch}", config)
    (root / "_config.yml").write_text(config)
    assert yaml.safe_load(config)["repository"] == {"url": url, "path_to_book": "", "branch": branch}
    return root


def test_every_generated_cell_agrees_with_the_config() -> None:
    check = run_tool("--check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_no_notebook_names_a_repository_of_its_own() -> None:
    """Outside the generated cell, no notebook spells out a GitHub repository (a fork would miss it)."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    for path in EXERCISES + sorted((ROOT / "solutions").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        generated = colab_cell(notebook)
        assert url in generated.source, path.name
        for cell in notebook.cells:
            if cell is not generated:
                assert "github.com/" not in cell.source, f"{path.name}: a repository URL outside the Colab cell"


def test_a_fork_changes_one_file_and_the_tool_follows(tmp_path: Path) -> None:
    # A real fork to clone from: this checkout's committed HEAD, on a branch of another name.
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(origin)], check=True, timeout=300)
    subprocess.run(["git", "--git-dir", str(origin), "branch", "spring-term", "HEAD"], check=True)
    url = origin.as_uri()
    root = fork(tmp_path, url, "spring-term")
    before = {p: nbformat.read(p, as_version=4) for p in sorted(root.glob("*/*.ipynb"))}
    twins = sorted((root / "book" / "_colab").rglob("*.ipynb"))

    check = run_tool("--check", "--root", str(root))
    assert check.returncode == 1
    assert len(re.findall(r"(?m)^(exercises|solutions)/.*\.ipynb: cell", check.stdout)) == len(before) == 22

    assert len(re.findall(r"(?m)^book/_colab/.*\.ipynb: the twin", check.stdout)) == len(twins) > 10

    assert run_tool("--root", str(root)).returncode == 0
    assert run_tool("--check", "--root", str(root)).returncode == 0
    for twin in twins:
        assert url in colab_cell(nbformat.read(twin, as_version=4)).source
    for path, old in before.items():
        new = nbformat.read(path, as_version=4)
        generated = colab_cell(new)
        assert "qiskit-course/backend-run-to-primitives" not in generated.source
        # Only the Colab cell's source changed: every other cell, and every output, execution count and
        # metadata of the Colab cell, are as they were (solutions keep what nbval compares).
        for old_cell, new_cell in zip(old.cells, new.cells, strict=True):
            if new_cell is generated:
                assert {**old_cell, "source": ""} == {**new_cell, "source": ""}
            else:
                assert old_cell == new_cell
        assert old.metadata == new.metadata

    # The command the generated cell runs in Colab clones the fork's branch.
    command = clone_command(colab_cell(nbformat.read(root / "exercises/sampler-basics.ipynb", as_version=4)).source)
    assert command[-2:] == [url, "/content/course"]
    clone = tmp_path / "clone"
    subprocess.run([*command[:-1], str(clone)], check=True, timeout=300)
    branch = subprocess.run(["git", "-C", str(clone), "branch", "--show-current"], capture_output=True, text=True)
    assert branch.stdout.strip() == "spring-term"
    assert (clone / "requirements.txt").is_file(), "the cell then installs the clone's requirements.txt"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_exercise_and_solution_are_titled_and_linked(path: Path) -> None:
    exercise = nbformat.read(path, as_version=4).cells[0].source
    solution = nbformat.read(ROOT / "solutions" / path.name, as_version=4).cells[0].source
    topic = re.match(r"# Exercise: (.+)\n", exercise)
    assert topic, "an exercise's title starts with 'Exercise: '"
    assert solution.startswith(f"# Solution: {topic[1]}\n"), "its solution has the same title, as a solution"
    assert f"[Solution: {topic[1]}](../solutions/{path.name})" in exercise
    assert f"[Exercise: {topic[1]}](../exercises/{path.name})" in solution
    # Below the link, the authored introduction is the same in both.
    assert exercise.split("\n\n", 2)[2] == solution.split("\n\n", 2)[2]


def test_the_tool_edits_no_notebook_twice(tmp_path: Path) -> None:
    """Rewriting is idempotent: a second run finds nothing to change and the files are byte-identical."""
    root = fork(tmp_path, "https://github.com/example-school/primitives-course", "main")
    assert run_tool("--root", str(root)).returncode == 0
    first = {p: p.read_bytes() for p in root.glob("**/*.ipynb")}
    second = run_tool("--root", str(root))
    assert second.returncode == 0 and "agrees" in second.stdout
    assert {p: p.read_bytes() for p in root.glob("**/*.ipynb")} == first


def test_every_notebook_page_has_a_current_twin() -> None:
    """Each executable page of the book has its twin in book/_colab/, cell for cell, outputs cleared."""
    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_cells import executable_pages, twin_path

    pages = executable_pages()
    assert len(pages) >= 12
    assert sorted(twin_path(p) for p in pages) == sorted((ROOT / "book" / "_colab").rglob("*.ipynb"))
    for page in pages:
        twin = nbformat.read(twin_path(page), as_version=4)
        nbformat.validate(twin)
        setup = colab_cell(twin)
        assert twin.cells.index(setup) <= 1, "the set-up cell comes first, after the title"
        assert f'os.chdir("/content/course/{page.parent.relative_to(ROOT).as_posix()}")' in setup.source
        for cell in twin.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
                failing = "raises-exception" in cell.metadata.get("tags", [])
                assert cell.source.startswith("%%raises_exception\n") == failing


def test_a_chapter_twin_runs_all_cells_in_a_fresh_kernel() -> None:
    """As Colab's Run all does after the set-up: top to bottom, and cells that fail on purpose do not stop it."""
    from nbclient import NotebookClient

    twin = ROOT / "book" / "_colab" / "replace-backend-run.ipynb"
    notebook = nbformat.read(twin, as_version=4)
    folder = {"metadata": {"path": str(ROOT / "book")}}  # the chapter's folder, where Colab's set-up cell moves to
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources=folder)
    client.execute()  # allow_errors=False: an error anywhere else stops here
    failing = [c for c in notebook.cells if "raises-exception" in c.metadata.get("tags", [])]
    assert failing, "the chapter shows at least one pitfall"
    for cell in failing:
        assert any(o.output_type == "error" for o in cell.outputs), "the pitfall's error is shown"
    last = [c for c in notebook.cells if c.cell_type == "code"][-1]
    assert last.execution_count is not None, "Run all reached the last cell"
