"""The GitHub workflows parse, run what exists, and keep the promises the README and the canary make."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"


def load(name: str) -> dict:
    """A workflow file, parsed (PyYAML reads the key `on` as True)."""
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(workflow: dict) -> list[dict]:
    """Every step of every job."""
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def uses(workflow: dict, action: str) -> list[dict]:
    """The steps that use `action` (any version)."""
    return [step for step in steps(workflow) if step.get("uses", "").split("@")[0] == action]


@pytest.mark.parametrize("name", ["book.yml", "tests.yml", "canary.yml"])
def test_workflow_parses_and_every_job_has_steps(name: str) -> None:
    workflow = load(name)
    assert workflow["on"] and workflow["jobs"]
    assert all(job.get("steps") for job in workflow["jobs"].values())


def test_book_is_built_with_a_cache_keyed_on_requirements_and_deployed_to_pages() -> None:
    workflow = load("book.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    caches = [step["with"] for step in uses(workflow, "actions/cache")]
    assert any(c["path"] == "_build/.jupyter_cache" and "hashFiles('requirements.txt')" in c["key"] for c in caches)
    runs = [step.get("run", "") for step in steps(workflow)]
    assert "python -m pip install -r requirements.txt" in runs
    assert any(run.startswith("jupyter-book build . -W") for run in runs)
    assert [step["with"]["path"] for step in uses(workflow, "actions/upload-pages-artifact")] == ["_build/html"]
    assert uses(workflow, "actions/deploy-pages")
    assert workflow["permissions"]["pages"] == "write" and workflow["permissions"]["id-token"] == "write"


def test_tests_run_ci_on_pull_requests_and_keep_screenshots_and_reports(root: Path) -> None:
    workflow = load("tests.yml")
    assert "pull_request" in workflow["on"]
    assert ".ci/run" in [step.get("run") for step in steps(workflow)]
    assert (root / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"
    uploaded = {step["with"]["path"] for step in uses(workflow, "actions/upload-artifact")}
    assert {"_build/screenshots", "_build/html/reports"} <= uploaded


def test_canary_runs_weekly_with_and_without_pre_releases_through_the_script(root: Path) -> None:
    workflow = load("canary.yml")
    assert workflow["on"]["schedule"][0]["cron"].split()[4] != "*", "a weekly schedule names a day of the week"
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["jobs"]["canary"]["strategy"]["matrix"]["pre"] == [False, True]
    command = next(step["run"] for step in steps(workflow) if "tools/canary.py" in step.get("run", ""))
    assert (root / "tools" / "canary.py").is_file()
    usage = subprocess.run([sys.executable, "tools/canary.py", "--help"], cwd=root, capture_output=True, text=True)
    assert usage.returncode == 0, usage.stderr
    for option in re.findall(r"--[a-z-]+", command):
        assert option in usage.stdout, f"canary.yml passes {option}, which tools/canary.py does not take"
    assert uses(workflow, "actions/upload-artifact")
