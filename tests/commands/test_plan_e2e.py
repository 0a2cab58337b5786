"""End to end: the example app with one parameter changed, synthesized by the CDK CLI as a pull
request's CI would, and the installed ``healthomics-run`` command reading both cloud assemblies."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.built_once import built_once
from tests.synth import ROOT

CLI = shutil.which("cdk")


def cdk_synth(outdir: Path, *context: str) -> Path:
    arguments = [CLI, "synth", "--quiet", "--output", str(outdir)]
    for item in context:
        arguments += ["--context", item]
    subprocess.run(arguments, cwd=ROOT, check=True, capture_output=True)
    return outdir


@pytest.fixture(scope="session")
def example_cdk_out(tmp_path_factory) -> Path:
    """The example app as ``cdk synth`` writes it, once for the session: both tests here read it unchanged."""
    return built_once(tmp_path_factory, "example-cdk-out", cdk_synth)


@pytest.mark.skipif(CLI is None, reason="the CDK CLI comes from node_modules (make test puts it on PATH)")
def test_a_changed_parameter_in_the_example_app_is_planned_as_start(tmp_path, example_cdk_out):
    parameters = json.loads((ROOT / "config" / "germline-parameters.json").read_text())
    changed = tmp_path / "germline-parameters.json"
    changed.write_text(json.dumps({**parameters, "sample_name": "NA24385"}))
    base = example_cdk_out
    head = cdk_synth(tmp_path / "head", f"parameters_file={changed}")

    command = [str(Path(sys.executable).with_name("healthomics-run")), "plan", str(base), str(head),
               "--format", "markdown"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert "| **START** | run | `GermlineRunStack/Germline/Run` | changed: parameters.sample_name |" in result.stdout
    assert "| **KEEP** | batch | `CohortRunStack/Cohort/Batch` |" in result.stdout
    assert "NA24385" not in result.stdout  # values stay hidden without --show-values

    same = subprocess.run([sys.executable, "-m", "healthomics_run.commands.plan", str(base), str(base)],
                          capture_output=True, text=True)
    assert same.returncode == 0 and "3 kept" in same.stdout  # the germline run, the cohort, the hello run


def test_the_reviewing_pages_workflow_is_valid_yaml_that_runs_the_plan():
    readme = (ROOT / "docs" / "reviewing.md").read_text()
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    workflow = yaml.safe_load(block)
    steps = workflow["jobs"]["plan"]["steps"]
    plan_step = next(step for step in steps if step.get("id") == "plan")
    assert "healthomics-run plan base/cdk.out head/cdk.out --format markdown" in plan_step["run"]
    assert "--history head/.healthomics-run/history.json --max-cost 500" in plan_step["run"]
    assert any("make -C head synth" in step.get("run", "") for step in steps)
    assert any(step.get("if", "").startswith("steps.plan.outputs.code == '3'") for step in steps)


@pytest.mark.skipif(CLI is None, reason="the CDK CLI comes from node_modules (make test puts it on PATH)")
def test_the_readmes_first_deploy_recipe_on_the_example_app_says_every_run_starts(tmp_path, example_cdk_out):
    """An empty base template is nothing deployed in any of the app's stacks."""
    app = example_cdk_out
    nothing = tmp_path / "nothing-deployed.json"
    nothing.write_text('{"Resources": {}}')
    command = [str(Path(sys.executable).with_name("healthomics-run")), "plan", str(nothing), str(app)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert "No HealthOmics runs" not in result.stdout and "not compared" not in result.stdout
    assert "KEEP" not in result.stdout and "resources: 3 starting" in result.stdout
