"""The canary (tools/canary.py) on the current environment: what it reports from real builds and real gradings."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("canary", ROOT / "tools" / "canary.py")
canary = sys.modules.setdefault("canary", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(canary)

PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# {title}

```{{code-cell}} ipython3
import warnings

{code}
```
"""


def test_requirements_keep_every_pin_but_the_three_moving_packages(root: Path) -> None:
    kept = canary.requirements_without_qiskit(root / "requirements.txt")
    names = {line.split("==")[0].lower() for line in kept}
    assert names.isdisjoint({"qiskit", "qiskit-ibm-runtime", "qiskit-aer"})
    assert {"qiskit-qasm3-import==0.6.0", "jupyter-book==1.0.4.post1", "-e ."} <= set(kept)


def test_a_page_that_raises_a_deprecation_warning_is_listed_and_a_clean_one_is_not(tmp_path: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text('title: canary\nexecute:\n  execute_notebooks: "off"\n')
    (book / "_toc.yml").write_text("format: jb-book\nroot: clean\nchapters:\n  - file: deprecated\n")
    (book / "clean.md").write_text(PAGE.format(title="Clean", code='warnings.warn("fine", UserWarning)'))
    (book / "deprecated.md").write_text(PAGE.format(title="Old", code='warnings.warn("gone soon", DeprecationWarning)'))

    status, log = canary.build_book(Path(sys.executable), book, tmp_path / "out")

    broken = canary.broken_pages(tmp_path / "out" / "_build" / "html", status, log)
    assert broken == [{"page": "deprecated", "error": "DeprecationWarning: gone soon"}], log[-3000:]


def test_an_exercise_short_of_full_marks_is_listed_with_its_failed_checks(tmp_path: Path) -> None:
    untouched = canary.grade(
        Path(sys.executable), ROOT / "exercises" / "sampler-basics.ipynb", "sampler-basics", tmp_path / "grades"
    )
    line = canary.short_of_full_marks("sampler-basics", untouched)
    assert line is not None and line["score"] == 0
    assert any("not written yet" in problem for problem in line["problems"])
    report = canary.Report(versions={"qiskit": "x"}, pre=False, broken_exercises=[line])
    canary.write_report(report, tmp_path / "report.md")
    assert "`sampler-basics`: graded, 0.0 of 4.0" in (tmp_path / "report.md").read_text()
    assert json.loads((tmp_path / "report.json").read_text())["broken"] is True


def test_the_canary_passes_the_pinned_stack_solution_from_the_command_line(tmp_path: Path) -> None:
    command = [sys.executable, "tools/canary.py", "--current-env", "--skip-book", "--exercise", "sampler-basics"]
    done = subprocess.run(
        [*command, "--out", str(tmp_path / "out"), "--report", str(tmp_path / "report.md")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["versions"]["qiskit"] == "2.6.2" and report["broken_exercises"] == []
