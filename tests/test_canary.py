"""The canary (tools/canary.py) on the current environment: what it reports from real builds and real gradings."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


EXPECTED = """
[[deprecation]]
message = "the oldthing class is deprecated"
why = "shown on purpose"
where = ["listed.md"]

[[deprecation]]
message = "The vanished helper is deprecated"
why = "the page stopped using it"
where = ["clean.md"]
"""


def test_only_deprecations_outside_the_expected_list_break_a_page_and_stale_entries_are_flagged(
    tmp_path: Path,
) -> None:
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text('title: canary\nexecute:\n  execute_notebooks: "off"\n')
    toc = "format: jb-book\nroot: clean\nchapters:\n  - file: listed\n  - file: unlisted\n"
    (book / "_toc.yml").write_text(toc)
    (book / "clean.md").write_text(PAGE.format(title="Clean", code='warnings.warn("fine", UserWarning)'))
    listed = 'warnings.warn("The OldThing class is deprecated since 1.0", DeprecationWarning)\nprint("still running")'
    (book / "listed.md").write_text(PAGE.format(title="Listed", code=listed))
    (book / "unlisted.md").write_text(PAGE.format(title="Old", code='warnings.warn("gone soon", DeprecationWarning)'))
    (book / "expected.toml").write_text(EXPECTED)
    expected = canary.load_expected(book / "expected.toml", root=book)

    status, log = canary.build_book(Path(sys.executable), book, tmp_path / "out", canary.warning_filters(expected))

    broken = canary.broken_pages(tmp_path / "out" / "_build" / "html", status, log)
    assert broken == [{"page": "unlisted", "error": "DeprecationWarning: gone soon"}], log[-3000:]
    shown = canary.shown_deprecations(tmp_path / "out" / "_build" / "jupyter_execute", skipped=[])
    assert shown["listed"] == ["The OldThing class is deprecated since 1.0"] and shown["clean"] == []
    seen, stale = canary.expected_seen(expected, shown)
    assert (seen["status"], seen["seen_on"], seen["seen_but_not_listed_on"]) == ("seen", ["listed"], [])
    assert (stale["status"], stale["listed_but_not_seen_on"]) == ("no longer seen: remove it", ["clean"])
    executed = json.loads((tmp_path / "out" / "_build" / "jupyter_execute" / "listed.ipynb").read_text())
    assert "still running" in json.dumps(executed["cells"]), "the page ran on past the listed deprecation"


def test_the_committed_list_lets_the_runtime_primitives_through_and_nothing_else(root: Path) -> None:
    filters = canary.warning_filters(canary.load_expected(root / "tools" / "canary_expected.toml"))
    env = {**os.environ, "PYTHONWARNINGS": filters}
    setup = "from qiskit_ibm_runtime.fake_provider import FakeManilaV2; backend = FakeManilaV2(); "
    listed = setup + "from qiskit_ibm_runtime import SamplerV2, EstimatorV2; SamplerV2(mode=backend); "
    listed += "EstimatorV2(mode=backend); print('built')"
    unlisted = "from qiskit.circuit.library import RealAmplitudes; RealAmplitudes(2, reps=1)"
    allowed = subprocess.run([sys.executable, "-c", listed], env=env, capture_output=True, text=True, timeout=300)
    refused = subprocess.run([sys.executable, "-c", unlisted], env=env, capture_output=True, text=True, timeout=300)
    assert allowed.returncode == 0 and allowed.stdout == "built\n", allowed.stderr[-2000:]
    assert "DeprecationWarning: The SamplerV2 class is deprecated" in allowed.stderr
    assert "DeprecationWarning: The EstimatorV2 class is deprecated" in allowed.stderr
    assert refused.returncode == 1 and "DeprecationWarning: The class ``qiskit.circuit.library" in refused.stderr


@pytest.mark.parametrize("message", ["deprecated: use this", "a, b", " padded", ""])
def test_a_message_pythonwarnings_cannot_carry_is_refused(tmp_path: Path, message: str) -> None:
    (tmp_path / "page.md").write_text("# Page\n")
    entry = f'[[deprecation]]\nmessage = "{message}"\nwhy = "x"\nwhere = ["page.md"]\n'
    (tmp_path / "expected.toml").write_text(entry)
    with pytest.raises(ValueError, match="without commas or colons"):
        canary.load_expected(tmp_path / "expected.toml", root=tmp_path)


def test_an_expected_entry_naming_a_missing_page_is_refused(tmp_path: Path) -> None:
    entry = '[[deprecation]]\nmessage = "Old"\nwhy = "x"\nwhere = ["gone.md"]\n'
    (tmp_path / "expected.toml").write_text(entry)
    with pytest.raises(ValueError, match="gone.md"):
        canary.load_expected(tmp_path / "expected.toml", root=tmp_path)


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
    assert {item["status"] for item in report["expected"]} == {"not checked"}, "no page was built to look at"


def test_every_page_listed_for_an_expected_deprecation_explains_it_in_its_prose(root: Path) -> None:
    for item in canary.load_expected(root / "tools" / "canary_expected.toml"):
        for place in item.where:
            prose = re.sub(r"^```\{code-cell\}.*?^```$", "", (root / place).read_text(), flags=re.M | re.S)
            assert "`DeprecationWarning`" in prose and "deprecated" in prose, f"{place} never explains {item.message}"
